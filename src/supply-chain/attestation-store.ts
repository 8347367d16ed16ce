/**
 * GitHub's attestation store (`attestation-store: true`): the Sigstore bundles cosign 3 attached
 * to each digest as OCI referrers, uploaded through the REST API, each once.
 *
 * - `POST /repos/{owner}/{repo}/attestations` with `{"bundle": <bundle>}`: 201 `{"id": N}`; 403
 *   without `attestations: write`; 422 when the bundle is refused.
 * - `GET /repos/{owner}/{repo}/attestations/{subject_digest}`: 200 `{"attestations": [{"bundle",
 *   "repository_id", "bundle_url"}]}`, paged by `Link: <…>; rel="next"`. What a re-run asks first,
 *   so a bundle stored by an earlier attempt is not stored twice.
 *
 * Why not @actions/attest: its `attest()` signs the statement itself (a second signature, through
 * its own Sigstore client, which knows neither a private instance nor cosign's bundles), its
 * `createStorageRecord()` records package metadata, not bundles, and the function that POSTs a
 * bundle (`writeAttestation`) is not exported. Two requests need no Octokit: Node's fetch does.
 */
import { X509Certificate } from 'node:crypto'
import type { PredicateType } from '../sigstore/cosign-argv.js'
import { PREDICATE_URI } from '../sigstore/cosign-argv.js'

export const GITHUB_API_VERSION = '2022-11-28'

/** A Sigstore bundle as cosign 3 writes it (v0.3; v0.1/v0.2 carry a certificate chain instead). */
export interface SigstoreBundle {
  mediaType?: string
  verificationMaterial?: {
    certificate?: { rawBytes?: string }
    x509CertificateChain?: { certificates?: Array<{ rawBytes?: string }> }
  }
  dsseEnvelope?: { payload?: string; payloadType?: string; signatures?: Array<{ sig?: string }> }
}

/** A bundle read from a digest's referrers, with what the selection needs to know of it. */
export interface FoundBundle {
  /** Which image (registry and repository) it was read from. */
  image: string
  /** `index` or the platform. */
  subject: string
  digest: string
  bundle: SigstoreBundle
}

/** One bundle to store, or stored: where it came from and what it attests. */
export interface StoreItem extends FoundBundle {
  predicateType: string
  /** The DSSE signature: what tells two bundles apart, here and in the store's listing. */
  key: string
}

/** What each image and subject should carry: the predicate types the release attested to it. */
export interface Expected {
  subject: string
  digest: string
  type: PredicateType
}

/** The in-toto statement of a DSSE bundle, or undefined when it is not one (a plain signature). */
export function statementOf(bundle: SigstoreBundle): { predicateType: string; subjects: string[] } | undefined {
  const env = bundle.dsseEnvelope
  if (!env?.payload || env.payloadType !== 'application/vnd.in-toto+json') return undefined
  try {
    const s = JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8')) as { predicateType?: string; subject?: Array<{ digest?: Record<string, string> }> }
    if (typeof s.predicateType !== 'string') return undefined
    return { predicateType: s.predicateType, subjects: (s.subject ?? []).flatMap((x) => Object.entries(x.digest ?? {}).map(([alg, hex]) => `${alg}:${hex}`)) }
  } catch {
    return undefined
  }
}

/** The DSSE signature, which no two signings share. */
export function bundleKey(bundle: SigstoreBundle | undefined): string | undefined {
  return bundle?.dsseEnvelope?.signatures?.[0]?.sig || undefined
}

/** The signing certificate's identity (its URI SAN), or undefined for a key-signed bundle. */
export function signerOf(bundle: SigstoreBundle): string | undefined {
  const raw = bundle.verificationMaterial?.certificate?.rawBytes ?? bundle.verificationMaterial?.x509CertificateChain?.certificates?.[0]?.rawBytes
  if (!raw) return undefined
  try {
    const san = new X509Certificate(Buffer.from(raw, 'base64')).subjectAltName ?? ''
    return /URI:([^,]+)/.exec(san)?.[1]?.trim()
  } catch {
    return undefined
  }
}

export interface Selection {
  /** Not in the store yet: to upload, in this order. */
  upload: StoreItem[]
  /** In the store already (an earlier attempt stored them). */
  stored: StoreItem[]
  /** An attested type with no bundle of it among the digest's referrers. */
  missing: Array<Expected & { image: string }>
}

/**
 * What to upload: of the bundles read from each digest's referrers, the in-toto ones that attest
 * a predicate type the release attested to that digest, about that digest, signed as `signer`
 * (another signer's bundles in the same repository are not this release's); less those the store
 * already holds (same DSSE signature). Each bundle once, whatever lists it twice.
 */
export function selectBundles(images: string[], expected: Expected[], found: FoundBundle[], storedKeys: ReadonlySet<string>, signer: string): Selection {
  const selection: Selection = { upload: [], stored: [], missing: [] }
  const seen = new Set<string>()
  for (const image of images) {
    for (const e of expected) {
      const uri = PREDICATE_URI[e.type]
      let any = false
      for (const f of found.filter((x) => x.image === image && x.digest === e.digest && x.subject === e.subject)) {
        const statement = statementOf(f.bundle)
        const key = bundleKey(f.bundle)
        if (!statement || !key || statement.predicateType !== uri || !statement.subjects.includes(e.digest) || signerOf(f.bundle) !== signer) continue
        any = true
        if (seen.has(key)) continue
        seen.add(key)
        const item = { ...f, predicateType: uri, key }
        if (storedKeys.has(key)) selection.stored.push(item)
        else selection.upload.push(item)
      }
      if (!any) selection.missing.push({ ...e, image })
    }
  }
  return selection
}

/** One (subject, type) per attested type: the index's several SBOMs and provenances are one type each. */
export function expectedOf(predicates: Expected[]): Expected[] {
  const out = new Map<string, Expected>()
  for (const p of predicates) out.set(`${p.digest} ${p.subject} ${p.type}`, { subject: p.subject, digest: p.digest, type: p.type })
  return [...out.values()]
}

/** An answer of the store other than the one asked for. */
export class StoreError extends Error {
  constructor(readonly status: number, message: string) {
    super(message)
    this.name = 'StoreError'
  }
}

export interface StoreClient {
  /** The keys (DSSE signatures) of every bundle the store holds for a digest, in this repository. */
  storedKeys(digest: string): Promise<Set<string>>
  /** Stores a bundle; resolves to the attestation's id. */
  create(bundle: SigstoreBundle): Promise<number>
}

export type Fetch = (url: string, init: { method: string; headers: Record<string, string>; body?: string }) => Promise<{ status: number; headers: { get(name: string): string | null }; text(): Promise<string> }>

/** The REST client: `apiUrl` is GITHUB_API_URL (GHES: https://HOST/api/v3), `repository` OWNER/REPO. */
export function storeClient(apiUrl: string, repository: string, token: string, fetchImpl: Fetch = fetch): StoreClient {
  const base = `${apiUrl.replace(/\/+$/, '')}/repos/${repository}/attestations`
  const headers = { accept: 'application/vnd.github+json', authorization: `Bearer ${token}`, 'x-github-api-version': GITHUB_API_VERSION, 'user-agent': 'build-distroless-image' }
  const call = async (method: string, url: string, body?: unknown) => {
    const res = await fetchImpl(url, { method, headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
    return { status: res.status, link: res.headers.get('link') ?? '', text: await res.text() }
  }
  return {
    storedKeys: async (digest) => {
      const keys = new Set<string>()
      let url: string | undefined = `${base}/${digest}?per_page=100`
      for (let page = 0; url && page < 50; page++) {
        const res = await call('GET', url)
        // None stored for the digest: an empty list, or (as gh expects too) 404.
        if (res.status === 404) return keys
        if (res.status !== 200) throw new StoreError(res.status, `GET ${url}: HTTP ${res.status} ${res.text.slice(0, 200)}${storeHint(res.status, 'read')}`)
        const list = (JSON.parse(res.text) as { attestations?: Array<{ bundle?: SigstoreBundle | null }> }).attestations ?? []
        for (const a of list) {
          const key = bundleKey(a.bundle ?? undefined)
          if (key) keys.add(key)
        }
        url = nextLink(res.link, apiUrl)
      }
      return keys
    },
    create: async (bundle) => {
      const res = await call('POST', base, { bundle })
      if (res.status !== 201 && res.status !== 200) throw new StoreError(res.status, `POST ${base}: HTTP ${res.status} ${res.text.slice(0, 200)}${storeHint(res.status, 'write')}`)
      const id = (JSON.parse(res.text) as { id?: unknown }).id
      if (typeof id !== 'number') throw new StoreError(res.status, `POST ${base}: HTTP ${res.status} without an attestation id: ${res.text.slice(0, 200)}`)
      return id
    }
  }
}

/** The next page of a `Link` header, only on the API's own host (the token goes nowhere else). */
export function nextLink(link: string, apiUrl: string): string | undefined {
  const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(link)
  if (!m?.[1]) return undefined
  try {
    return new URL(m[1]).origin === new URL(apiUrl).origin ? m[1] : undefined
  } catch {
    return undefined
  }
}

/** What a refusal means for the workflow. */
function storeHint(status: number, what: 'read' | 'write'): string {
  if (status === 401) return ': the token was refused (attestation-store-token)'
  if (status === 403 || status === 404) return what === 'write' ? ': the token may not write attestations: add `permissions: { attestations: write }` to the job (with the default attestation-store-token, github.token)' : ''
  if (status === 422) return ': the store refused the bundle'
  return ''
}

/** A 5xx, a 429 or no answer: worth another try, and on a later re-run. */
export function transientStore(err: unknown): boolean {
  return !(err instanceof StoreError) || err.status >= 500 || err.status === 429
}

/** The attestation's page on GitHub, as actions/attest gives it (`attestation-url`). */
export function attestationUrl(serverUrl: string, repository: string, id: number): string {
  return `${serverUrl.replace(/\/+$/, '')}/${repository}/attestations/${id}`
}

/** What the summary says of the store. */
export interface StoreReport {
  repository: string
  /** Stored by this attempt: where, what, and the attestation's page. */
  created: Array<{ ref: string; subject: string; predicateType: string; id: number; url: string }>
  /** Found in the store already (an earlier attempt stored them). */
  already: number
  /** Not stored: each bundle and why (the re-run uploads them). */
  notStored: Array<{ ref: string; subject: string; predicateType: string; why: string }>
}
