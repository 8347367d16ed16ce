/**
 * A STAND-IN for GitHub Actions' artifact service (v4, the "results" service), for the e2e suite:
 * the Twirp JSON protocol that @actions/artifact v2+ speaks to ACTIONS_RESULTS_URL, and the signed
 * blob URL it uploads the zip to (Azure Blob Storage's Put Block / Put Block List, which the Azure
 * SDK in @actions/artifact sends). github.com's service cannot be reached here. Not GitHub's service:
 * its tokens are its own (unsigned JWTs carrying the claim the client reads), it keeps artifacts in
 * memory, and it implements only the upload.
 *
 * What it holds to, as the real service does (its contract is pinned by
 * __tests__/e2e/support/actions-artifact-standin.test.ts with the real client):
 *   POST /twirp/github.actions.results.api.v1.ArtifactService/CreateArtifact
 *        {workflow_run_backend_id, workflow_job_run_backend_id, name, version, mime_type?, expires_at?}
 *        -> 200 {ok, signed_upload_url}
 *        -> 409 {code: already_exists, msg: "an artifact with this name already exists on the workflow run"}
 *           when the run has an artifact of that name, finalized or not, from any job or attempt
 *        -> 401/403 when the bearer token is not one it issued or names another run or job
 *   PUT  <signed_upload_url>&comp=block&blockid=B   (the block)        -> 201
 *   PUT  <signed_upload_url>&comp=blocklist         (<BlockList> XML)  -> 201
 *   POST .../FinalizeArtifact {workflow_run_backend_id, workflow_job_run_backend_id, name, size, hash?}
 *        -> 200 {ok, artifact_id}; 404 when not created; 400 when size or sha256 do not match the blob
 * `failFinalize` makes FinalizeArtifact answer 403 permission_denied (an expired token, say): the
 * upload fails after the name was registered, as seen on github.com.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import { inflateRawSync } from 'node:zlib'

const SERVICE = '/twirp/github.actions.results.api.v1.ArtifactService/'

interface Artifact {
  id: number
  run: string
  job: string
  name: string
  sig: string
  blocks: Map<string, Buffer>
  blob?: Buffer
  finalized: boolean
}

export interface ArtifactStandin {
  /** Every request, `METHOD path` (the query left off: it carries the signature). */
  requests: string[]
  /** A job of a run: the env the runner gives its steps (ACTIONS_RUNTIME_TOKEN, ACTIONS_RESULTS_URL). */
  job(run: string): { env: Record<string, string>; jobId: string }
  /** Finalized artifacts of a run: name, and the uploaded zip. */
  artifacts(run: string): Array<{ id: number; name: string; job: string; zip: Buffer }>
  /** Make every FinalizeArtifact fail with 403 from now on (or stop). */
  failFinalize(on: boolean): void
  close(): Promise<void>
}

const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')

export async function startArtifactService(): Promise<ArtifactStandin> {
  const tokens = new Map<string, { run: string; job: string }>()
  const artifacts: Artifact[] = []
  const requests: string[] = []
  let failFinalize = false
  let next = 1

  const body = async (req: http.IncomingMessage): Promise<Buffer> => {
    const parts: Buffer[] = []
    for await (const c of req) parts.push(c as Buffer)
    return Buffer.concat(parts)
  }
  const json = (res: http.ServerResponse, status: number, value: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(value))
  }
  // Twirp's error shape and its code -> HTTP status mapping.
  const twirpError = (res: http.ServerResponse, status: number, code: string, msg: string) => json(res, status, { code, msg })

  const twirp = (res: http.ServerResponse, method: string, caller: { run: string; job: string }, req: Record<string, unknown>) => {
    if (req.workflow_run_backend_id !== caller.run || req.workflow_job_run_backend_id !== caller.job) {
      return twirpError(res, 403, 'permission_denied', 'the token does not grant access to this workflow run or job')
    }
    const name = typeof req.name === 'string' ? req.name : ''
    if (method === 'CreateArtifact') {
      if (!name) return twirpError(res, 400, 'invalid_argument', 'name is required')
      if (artifacts.some((a) => a.run === caller.run && a.name === name)) {
        return twirpError(res, 409, 'already_exists', 'an artifact with this name already exists on the workflow run')
      }
      const a: Artifact = { id: next++, run: caller.run, job: caller.job, name, sig: randomBytes(16).toString('hex'), blocks: new Map(), finalized: false }
      artifacts.push(a)
      return json(res, 200, { ok: true, signed_upload_url: `${address}/blob/${String(a.id)}/${encodeURIComponent(name)}.zip?sv=2023-11-03&sr=b&sp=cw&sig=${a.sig}` })
    }
    if (method === 'FinalizeArtifact') {
      if (failFinalize) return twirpError(res, 403, 'permission_denied', 'the upload was not authorized (stand-in fault)')
      const a = artifacts.find((x) => x.run === caller.run && x.job === caller.job && x.name === name && !x.finalized)
      if (!a?.blob) return twirpError(res, 404, 'not_found', 'no artifact of that name was created and uploaded by this job')
      if (String(req.size) !== String(a.blob.length)) return twirpError(res, 400, 'invalid_argument', `size ${String(req.size)} does not match the ${String(a.blob.length)} bytes uploaded`)
      const hash = (req.hash as string | undefined) ?? ''
      if (hash && hash !== `sha256:${createHash('sha256').update(a.blob).digest('hex')}`) return twirpError(res, 400, 'invalid_argument', 'hash does not match the upload')
      a.finalized = true
      return json(res, 200, { ok: true, artifact_id: String(a.id) })
    }
    return twirpError(res, 404, 'bad_route', `no handler for ${method} in this stand-in`)
  }

  const blob = (res: http.ServerResponse, url: URL, data: Buffer) => {
    const a = artifacts.find((x) => x.id === Number(/^\/blob\/(\d+)\//.exec(url.pathname)?.[1]))
    if (!a || url.searchParams.get('sig') !== a.sig || a.finalized) {
      res.writeHead(403, { 'x-ms-error-code': 'AuthenticationFailed' }).end()
      return
    }
    const comp = url.searchParams.get('comp')
    if (comp === 'block') {
      a.blocks.set(url.searchParams.get('blockid') ?? '', data)
    } else if (comp === 'blocklist') {
      const ids = [...data.toString().matchAll(/<(?:Latest|Uncommitted|Committed)>([^<]*)<\//g)].map((m) => m[1] ?? '')
      if (ids.some((id) => !a.blocks.has(id))) {
        res.writeHead(400, { 'x-ms-error-code': 'InvalidBlockList' }).end()
        return
      }
      a.blob = Buffer.concat(ids.map((id) => a.blocks.get(id) as Buffer))
    } else {
      a.blob = data // a single Put Blob
    }
    res.writeHead(201, { 'x-ms-request-id': randomUUID(), 'x-ms-version': '2023-11-03', 'x-ms-request-server-encrypted': 'true', etag: `"0x${String(a.id)}"` }).end()
  }

  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://stand-in')
      requests.push(`${req.method ?? ''} ${url.pathname}`)
      const data = await body(req)
      if (req.method === 'PUT' && url.pathname.startsWith('/blob/')) return blob(res, url, data)
      if (req.method === 'POST' && url.pathname.startsWith(SERVICE)) {
        const caller = tokens.get((req.headers.authorization ?? '').replace(/^Bearer /, ''))
        if (!caller) return twirpError(res, 401, 'unauthenticated', 'no valid ACTIONS_RUNTIME_TOKEN')
        return twirp(res, url.pathname.slice(SERVICE.length), caller, JSON.parse(data.toString() || '{}') as Record<string, unknown>)
      }
      twirpError(res, 404, 'bad_route', 'not found')
    })().catch((err: unknown) => twirpError(res, 500, 'internal', String(err)))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`
  return {
    requests,
    job(run) {
      const jobId = randomUUID()
      // The claim @actions/artifact reads its backend IDs from: scp "Actions.Results:<run>:<job>".
      const token = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ scp: `Actions.GenericRead:00000000-0000-0000-0000-000000000000 Actions.Results:${run}:${jobId}`, iss: 'artifact-standin' })}.${randomBytes(8).toString('base64url')}`
      tokens.set(token, { run, job: jobId })
      return { env: { ACTIONS_RUNTIME_TOKEN: token, ACTIONS_RESULTS_URL: `${address}/` }, jobId }
    },
    artifacts: (run) => artifacts.filter((a) => a.run === run && a.finalized && a.blob).map((a) => ({ id: a.id, name: a.name, job: a.job, zip: a.blob as Buffer })),
    failFinalize: (on) => (failFinalize = on),
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

/**
 * The files of an uploaded artifact (the zip @actions/artifact makes: stored or deflated entries,
 * sizes in the central directory), for a test to look into what a job uploaded.
 */
export function unzip(zip: Buffer): Record<string, Buffer> {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]))
  if (eocd < 0) throw new Error('not a zip: no end of central directory')
  const files: Record<string, Buffer> = {}
  let at = zip.readUInt32LE(eocd + 16)
  for (let i = 0; i < zip.readUInt16LE(eocd + 10); i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error('not a zip: bad central directory entry')
    const method = zip.readUInt16LE(at + 10)
    const size = zip.readUInt32LE(at + 24)
    const nameLength = zip.readUInt16LE(at + 28)
    const name = zip.subarray(at + 46, at + 46 + nameLength).toString()
    const local = zip.readUInt32LE(at + 42)
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28)
    const data = zip.subarray(start, start + zip.readUInt32LE(at + 20))
    files[name] = method === 0 ? Buffer.from(data) : inflateRawSync(data)
    if (files[name].length !== size) throw new Error(`${name}: ${String(files[name].length)} bytes, the directory says ${String(size)}`)
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32)
  }
  return files
}
