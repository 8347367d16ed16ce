/**
 * A STAND-IN for GitHub's attestation store (the REST API's repository attestations), for the e2e
 * suite: github.com's API cannot be reached here. Not GitHub's service: it keeps the bundles in
 * memory, checks the token only against the one it was given, and does not verify the bundles
 * (the tests do that with gh on what it received).
 *
 * What it holds to, as GitHub's REST API documents it (pinned by
 * __tests__/e2e/support/attestation-store-standin.test.ts):
 *   POST /repos/{owner}/{repo}/attestations   {"bundle": <Sigstore bundle>}
 *        -> 201 {"id": N}
 *        -> 422 {"message": "Validation Failed", ...} when there is no bundle, or it is not a
 *           Sigstore bundle with verificationMaterial and a DSSE envelope or message signature
 *        -> 401 without a token or with another one; 403 when the token may not write attestations
 *   GET  /repos/{owner}/{repo}/attestations/{subject_digest}?per_page=&after=&predicate_type=
 *        -> 200 {"attestations": [{"bundle", "repository_id", "bundle_url"}]}, the stored bundles
 *           whose in-toto statement names the digest, oldest first; more than per_page (default
 *           30, at most 100) go on a page named by `Link: <…&after=CURSOR>; rel="next"`
 *           (an unknown digest: 200 with an empty list)
 * `fail(n)` answers the POSTs with 503 from the (n+1)-th on (an outage after n stored), until
 * `fail(false)`.
 */
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'

export interface StoredAttestation {
  id: number
  repository: string
  bundle: Record<string, unknown>
  /** `sha256:<hex>` of each subject of its in-toto statement. */
  subjects: string[]
  predicateType: string
}

export interface AttestationStoreStandin {
  /** GITHUB_API_URL for the action. */
  url: string
  /** Every request, `METHOD path status`. */
  requests: string[]
  /** What was stored, in order. */
  stored(): StoredAttestation[]
  /** 503 to every POST after the next `after` succeeded; `false` ends the outage. */
  fail(after: number | false): void
  close(): Promise<void>
}

export interface StandinOptions {
  /** The token the job's github.token stands for. */
  token: string
  /** The token lacks `attestations: write`: POSTs get 403. */
  readOnly?: boolean
}

const REPO_ID = 424242

function statementOf(bundle: Record<string, unknown>): { subjects: string[]; predicateType: string } | undefined {
  const env = bundle.dsseEnvelope as { payload?: string; payloadType?: string } | undefined
  if (!env?.payload) return undefined
  try {
    const s = JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8')) as { predicateType?: string; subject?: Array<{ digest?: Record<string, string> }> }
    return { predicateType: s.predicateType ?? '', subjects: (s.subject ?? []).flatMap((x) => Object.entries(x.digest ?? {}).map(([a, h]) => `${a}:${h}`)) }
  } catch {
    return undefined
  }
}

export async function startAttestationStore(opts: StandinOptions): Promise<AttestationStoreStandin> {
  const stored: StoredAttestation[] = []
  const requests: string[] = []
  let failAfter: number | false = false
  let nextId = 1000

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://standin')
      const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        requests.push(`${req.method ?? ''} ${url.pathname} ${status}`)
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
        res.end(JSON.stringify(body))
      }
      if (req.headers.authorization !== `Bearer ${opts.token}`) return reply(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' })
      const post = /^\/repos\/([^/]+)\/([^/]+)\/attestations$/.exec(url.pathname)
      const list = /^\/repos\/([^/]+)\/([^/]+)\/attestations\/([^/]+)$/.exec(url.pathname)
      if (req.method === 'POST' && post) {
        if (opts.readOnly) return reply(403, { message: 'Resource not accessible by integration', status: '403' })
        if (failAfter !== false) {
          if (failAfter <= 0) return reply(503, { message: 'Service Unavailable (stand-in outage)' })
          failAfter--
        }
        let body: { bundle?: Record<string, unknown> }
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body
        } catch {
          return reply(400, { message: 'Problems parsing JSON', status: '400' })
        }
        const b = body.bundle
        const valid = b && typeof b.mediaType === 'string' && b.mediaType.startsWith('application/vnd.dev.sigstore.bundle') && typeof b.verificationMaterial === 'object' && (typeof b.dsseEnvelope === 'object' || typeof b.messageSignature === 'object')
        const statement = b ? statementOf(b) : undefined
        if (!b || !valid || !statement) return reply(422, { message: 'Validation Failed', errors: [{ resource: 'Attestation', field: 'bundle', code: 'invalid' }], status: '422' })
        const id = nextId++
        stored.push({ id, repository: `${post[1] ?? ''}/${post[2] ?? ''}`.toLowerCase(), bundle: b, ...statement })
        return reply(201, { id })
      }
      if (req.method === 'GET' && list) {
        const repository = `${list[1] ?? ''}/${list[2] ?? ''}`.toLowerCase()
        const digest = decodeURIComponent(list[3] ?? '')
        const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get('per_page') ?? '30') || 30))
        const after = Number(url.searchParams.get('after') ?? '0') || 0
        const type = url.searchParams.get('predicate_type')
        const all = stored.filter((s) => s.repository === repository && s.subjects.includes(digest) && s.id > after && (!type || s.predicateType === type))
        const page = all.slice(0, perPage)
        const last = page[page.length - 1]
        const headers: Record<string, string> = {}
        if (all.length > perPage && last) {
          const next = new URL(`${base()}${url.pathname}`)
          next.searchParams.set('per_page', String(perPage))
          next.searchParams.set('after', String(last.id))
          headers.link = `<${next.toString()}>; rel="next"`
        }
        return reply(200, { attestations: page.map((s) => ({ bundle: s.bundle, repository_id: REPO_ID, bundle_url: `${base()}/_standin/bundles/${s.id}` })) }, headers)
      }
      return reply(404, { message: 'Not Found', status: '404' })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const base = () => `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url: base(),
    requests,
    stored: () => [...stored],
    fail: (after) => {
      failAfter = after
    },
    close: () => new Promise((resolve) => server.close(() => resolve()))
  }
}
