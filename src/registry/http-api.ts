/**
 * The registry's HTTP API (distribution), for what `imagetools` cannot do: stream a layer blob
 * (the architecture check reads its first bytes, no more) and list a repository's tags (the
 * floating-tag rule). Anonymous, Basic, or a Bearer pull token from the registry's realm, with the
 * credentials the action logged in with; redirects to blob storage get no Authorization.
 */
import * as https from 'node:https'
import * as http from 'node:http'
import * as tls from 'node:tls'
import type { Readable } from 'node:stream'
import { userAgent } from '../lib/runner-env.js'

export interface RegistryAccess {
  /** Host with port: `ghcr.io`, `registry.example:5443`. */
  registry: string
  repository: string
  username?: string
  password?: string
  /** Extra CAs to trust (tests); the system store and Node's own are always trusted. */
  ca?: string[]
}

/** docker.io is served by registry-1.docker.io. */
function apiHost(registry: string): string {
  return registry === 'docker.io' || registry === 'index.docker.io' ? 'registry-1.docker.io' : registry
}

/** The CAs buildx and cosign trust (the system store) as well as Node's own, where Node can list them. */
let cas: string[] | undefined | null = null
function trustedCAs(): string[] | undefined {
  if (cas !== null) return cas
  const get = (tls as { getCACertificates?: (kind: string) => string[] }).getCACertificates
  // Read once: every layer request of every platform uses the same list.
  cas = get ? [...get('default'), ...get('system')] : undefined
  return cas
}

const USER_AGENT = userAgent()

const agents = new Map<string, https.Agent>()
/**
 * One keep-alive agent per CA list: the CA store is parsed into one TLS context once (a context per
 * request costs tens of milliseconds of CPU), and a registry's connections are reused by the
 * requests that follow (the platforms' layer reads, the tags, the referrers).
 */
function httpsAgent(extraCA: readonly string[]): https.Agent {
  const key = extraCA.join('\n')
  let agent = agents.get(key)
  if (!agent) {
    const base = trustedCAs() ?? (extraCA.length ? [...tls.rootCertificates] : undefined)
    agent = new https.Agent({ keepAlive: true, ...(base ? { secureContext: tls.createSecureContext({ ca: [...base, ...extraCA] }) } : {}) })
    agents.set(key, agent)
  }
  return agent
}

/** The agent of a URL: http has no CAs to hold. */
function agentFor(url: URL, extraCA: readonly string[] = []): http.Agent | https.Agent | undefined {
  return url.protocol === 'https:' ? httpsAgent(extraCA) : undefined
}

function request(url: URL, headers: Record<string, string>, extraCA: string[] = []): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const mod = url.protocol === 'http:' ? http : https
    const req = mod.get(url, { headers: { 'user-agent': USER_AGENT, ...headers }, agent: agentFor(url, extraCA), timeout: 30_000 }, resolve)
    req.on('timeout', () => req.destroy(new Error(`timeout awaiting response headers from ${url.host} (30 s)`)))
    // The code (ECONNRESET for "socket hang up") is what tells a retry it is worth another try.
    req.on('error', (err: NodeJS.ErrnoException) => reject(new Error(`${url.host}: ${err.message}${err.code ? ` (${err.code})` : ''}`, { cause: err })))
  })
}

async function readAll(res: Readable): Promise<string> {
  const chunks: Buffer[] = []
  for await (const c of res) chunks.push(c as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/** A whole small answer: status, headers, body as text. */
export interface SmallResponse {
  status: number
  headers: http.IncomingHttpHeaders
  body: string
}

/**
 * One request, no redirects followed, the body read whole (a challenge, a token, an error): what
 * the credential check needs, with the same CAs as the other reads.
 */
export function send(url: URL, o: { method?: 'GET' | 'HEAD' | 'POST' | 'PUT'; headers?: Record<string, string>; body?: string | Buffer; ca?: string[] } = {}): Promise<SmallResponse> {
  return new Promise((resolve, reject) => {
    const mod = url.protocol === 'http:' ? http : https
    const req = mod.request(url, { method: o.method ?? 'GET', headers: { 'user-agent': USER_AGENT, ...o.headers }, agent: agentFor(url, o.ca), timeout: 30_000 }, (res) => {
      readAll(res).then((body) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }), reject)
    })
    req.on('timeout', () => req.destroy(new Error(`timeout awaiting response headers from ${url.host} (30 s)`)))
    req.on('error', (err: NodeJS.ErrnoException) => reject(new Error(`${url.host}: ${err.message}${err.code ? ` (${err.code})` : ''}`, { cause: err })))
    req.end(o.body)
  })
}

/** The host that serves a registry's API (docker.io is served by registry-1.docker.io). */
export { apiHost }

/** `Bearer realm="…",service="…",scope="…"` -> its parameters. */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const [scheme = '', ...rest] = header.trim().split(/\s+/)
  const params: Record<string, string> = {}
  for (const m of rest.join(' ').matchAll(/(\w+)="([^"]*)"/g)) params[m[1] ?? ''] = m[2] ?? ''
  return { scheme: scheme.toLowerCase(), params }
}

export class RegistryApi {
  private authorization?: string
  private pushAuthorization?: string

  constructor(private readonly access: RegistryAccess) {}

  private basic(): string | undefined {
    const { username, password } = this.access
    return password ? `Basic ${Buffer.from(`${username ?? ''}:${password}`).toString('base64')}` : undefined
  }

  /** Answers a 401 challenge once: Basic, or a pull (or push) token from the Bearer realm. */
  private async authorize(challenge: string, actions = 'pull'): Promise<void> {
    const { scheme, params } = parseChallenge(challenge)
    if (scheme === 'basic') {
      this.authorization = this.basic()
      if (!this.authorization) throw new Error(`${this.access.registry} asks for credentials to read ${this.access.repository}, and none were given (registry-password)`)
      return
    }
    if (scheme !== 'bearer' || !params.realm) throw new Error(`${this.access.registry} answered 401 with an unknown challenge: ${challenge}`)
    const realm = new URL(params.realm)
    if (params.service) realm.searchParams.set('service', params.service)
    realm.searchParams.set('scope', `repository:${this.access.repository}:${actions}`)
    const basic = this.basic()
    const res = await request(realm, basic ? { authorization: basic } : {}, this.access.ca)
    const body = await readAll(res)
    if (res.statusCode !== 200) throw new Error(`${realm.host} refused a ${actions} token for ${this.access.repository}: HTTP ${res.statusCode ?? 0} ${body.slice(0, 200)}`)
    const token = (JSON.parse(body) as { token?: string; access_token?: string })
    this.authorization = `Bearer ${token.token ?? token.access_token ?? ''}`
  }

  /**
   * GET under /v2/<repository>/, authorized, redirects followed; resolves to the final response
   * (any status but 401, which is answered once). `what` names the read in errors.
   */
  private async get(pathAndQuery: string, what: string, headers: Record<string, string> = {}): Promise<http.IncomingMessage> {
    const url = new URL(`https://${apiHost(this.access.registry)}/v2/${this.access.repository}/${pathAndQuery}`)
    for (let attempt = 0; attempt < 2; attempt++) {
      let res = await request(url, { ...headers, ...(this.authorization ? { authorization: this.authorization } : {}) }, this.access.ca)
      for (let hops = 0; res.statusCode && [301, 302, 303, 307, 308].includes(res.statusCode) && hops < 5; hops++) {
        res.resume()
        // Storage URLs are pre-signed: the registry's credentials stay with the registry.
        res = await request(new URL(res.headers.location ?? '', url), {}, this.access.ca)
      }
      if (res.statusCode !== 401) return res
      const body = await readAll(res)
      if (attempt === 0 && res.headers['www-authenticate']) {
        await this.authorize(res.headers['www-authenticate'])
        continue
      }
      throw new Error(`${what} of ${this.access.registry}/${this.access.repository}: HTTP 401 ${body.slice(0, 200)}: the registry refused the credentials (registry-username, registry-password)`)
    }
    throw new Error(`${what} of ${this.access.registry}/${this.access.repository}: the registry refused the credentials`)
  }

  /** The blob's bytes as they come (compressed); destroy the stream to stop reading. */
  async blob(digest: string): Promise<Readable> {
    const res = await this.get(`blobs/${digest}`, `reading blob ${digest}`)
    if (res.statusCode === 200) return res
    const body = await readAll(res)
    throw new Error(`reading blob ${digest} of ${this.access.registry}/${this.access.repository}: HTTP ${res.statusCode ?? 0} ${body.slice(0, 200)}`)
  }

  /** An OCI image manifest, by tag or digest, as text (the trivy DB artifact's). */
  async manifestText(reference: string): Promise<string> {
    const res = await this.get(`manifests/${reference}`, `reading manifest ${reference}`, { accept: 'application/vnd.oci.image.manifest.v1+json' })
    const body = await readAll(res)
    if (res.statusCode !== 200) throw new Error(`reading manifest ${reference} of ${this.access.registry}/${this.access.repository}: HTTP ${res.statusCode ?? 0} ${body.slice(0, 200)}`)
    return body
  }

  /** A manifest or index by digest, its exact bytes and media type (to put it under a tag unchanged). */
  async manifestBytes(digest: string): Promise<{ body: Buffer; mediaType: string }> {
    const accept = ['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json', 'application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json'].join(', ')
    const res = await this.get(`manifests/${digest}`, `reading manifest ${digest}`, { accept })
    const chunks: Buffer[] = []
    for await (const c of res) chunks.push(c as Buffer)
    const body = Buffer.concat(chunks)
    if (res.statusCode !== 200) throw new Error(`reading manifest ${digest} of ${this.access.registry}/${this.access.repository}: HTTP ${res.statusCode ?? 0} ${body.toString('utf8').slice(0, 200)}`)
    return { body, mediaType: String(res.headers['content-type'] ?? '').split(';')[0] ?? '' }
  }

  /**
   * PUT a manifest the repository already holds under a tag: one request (and one token request
   * for push), so a retry repeats only it. Its children are already there, pushed by digest.
   */
  async putManifest(tag: string, m: { body: Buffer; mediaType: string }): Promise<void> {
    const url = new URL(`https://${apiHost(this.access.registry)}/v2/${this.access.repository}/manifests/${tag}`)
    const put = () => send(url, { method: 'PUT', body: m.body, ca: this.access.ca, headers: { 'content-type': m.mediaType, ...(this.pushAuthorization ? { authorization: this.pushAuthorization } : {}) } })
    let res = await put()
    if (res.status === 401 && res.headers['www-authenticate']) {
      const pull = this.authorization
      await this.authorize(res.headers['www-authenticate'], 'pull,push')
      this.pushAuthorization = this.authorization
      this.authorization = pull ?? this.authorization
      res = await put()
    }
    if (res.status !== 201 && res.status !== 200) throw new Error(`tagging ${this.access.registry}/${this.access.repository}:${tag}: HTTP ${res.status} ${res.body.slice(0, 200)}`)
  }

  /**
   * The referrers of a digest (OCI distribution 1.1): the referrers API, or, where the registry
   * has none (it answers 404, as distribution 2.8 does), the `sha256-<hex>` tag of the fallback
   * schema, which cosign 3 keeps up to date there. None when neither exists.
   */
  async referrers(digest: string): Promise<Referrer[]> {
    const index = 'application/vnd.oci.image.index.v1+json'
    const api = await this.get(`referrers/${digest}`, `listing the referrers of ${digest}`, { accept: index })
    const apiBody = await readAll(api)
    if (api.statusCode === 200 && String(api.headers['content-type'] ?? '').startsWith(index)) return manifestsOf(apiBody)
    const tag = await this.get(`manifests/${digest.replace(':', '-')}`, `reading the referrers tag of ${digest}`, { accept: index })
    const body = await readAll(tag)
    if (tag.statusCode === 404) return []
    if (tag.statusCode !== 200) throw new Error(`reading the referrers of ${digest} in ${this.access.registry}/${this.access.repository}: HTTP ${tag.statusCode ?? 0} ${body.slice(0, 200)}`)
    return manifestsOf(body)
  }

  /** An OCI image manifest by digest, parsed (a referrer's: its layers hold the content). */
  async imageManifest(digest: string): Promise<{ artifactType?: string; config?: { mediaType?: string }; layers?: Array<{ digest: string; mediaType: string; size?: number }> }> {
    return JSON.parse(await this.manifestText(digest)) as { layers?: Array<{ digest: string; mediaType: string }> }
  }

  /** A small blob's bytes as text (an in-toto statement). */
  async blobText(digest: string): Promise<string> {
    return readAll(await this.blob(digest))
  }

  /**
   * Every tag of the repository: one request, unless the registry pages (a `Link: rel="next"`
   * header). A repository that does not exist yet has none.
   */
  async tags(): Promise<string[]> {
    const out: string[] = []
    let next: string | undefined = 'tags/list?n=10000'
    for (let page = 0; next && page < 100; page++) {
      const res = await this.get(next, 'listing the tags')
      const body = await readAll(res)
      if (res.statusCode === 404 && /NAME_UNKNOWN|name unknown/i.test(body)) return out
      if (res.statusCode !== 200) throw new Error(`listing the tags of ${this.access.registry}/${this.access.repository}: HTTP ${res.statusCode ?? 0} ${body.slice(0, 200)}`)
      out.push(...((JSON.parse(body) as { tags?: string[] | null }).tags ?? []))
      const link = res.headers.link
      next = nextPage(Array.isArray(link) ? link.join(', ') : link)
    }
    return out
  }
}

/** `</v2/o/app/tags/list?n=100&last=x>; rel="next"` -> `tags/list?n=100&last=x`. */
export function nextPage(link: string | undefined): string | undefined {
  const m = /<[^>]*\/tags\/list(\?[^>]*)?>\s*;\s*rel="?next"?/.exec(link ?? '')
  return m ? `tags/list${m[1] ?? ''}` : undefined
}

/** A referrer of a digest, as the referrers index lists it. */
export interface Referrer {
  digest: string
  mediaType: string
  artifactType?: string
  annotations?: Record<string, string>
}

function manifestsOf(indexJson: string): Referrer[] {
  const index = JSON.parse(indexJson) as { manifests?: Referrer[] | null }
  return index.manifests ?? []
}
