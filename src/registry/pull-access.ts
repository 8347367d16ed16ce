/**
 * Every base image read before the build, with the credential BuildKit will pull it with: a
 * registry that refuses fails here, naming itself, not later inside BuildKit, whose error the
 * user would read as the push registry's. Reading is harmless, so the check reads: the
 * manifest is asked for with HEAD (no body, and HEAD does not count as a pull where pulls are
 * rate-limited), after the registry's own challenge flow for `pull` scope.
 */
import type { SmallResponse } from './http-api.js'
import { apiHost, parseChallenge, send } from './http-api.js'
import type { Credential, Transport } from './push-access.js'
import { grantedActions } from './push-access.js'

export type PullAccess = { kind: 'ok'; how: string } | { kind: 'refused'; why: string } | { kind: 'unknown'; why: string }

/** Where a base lives: `golang:1.25` is `docker.io`, `library/golang`, `1.25`. */
export interface BaseLocation {
  registry: string
  repository: string
  /** The tag or digest the manifest is asked for by. */
  reference: string
}

/** A base reference as docker reads it (a first segment without `.` or `:` and not localhost is a Docker Hub path). */
export function baseLocation(ref: string): BaseLocation {
  const at = ref.indexOf('@')
  const named = at >= 0 ? ref.slice(0, at) : ref
  const digest = at >= 0 ? ref.slice(at + 1) : ''
  const colon = named.lastIndexOf(':')
  const tagged = colon > named.lastIndexOf('/')
  const name = tagged ? named.slice(0, colon) : named
  const tag = tagged ? named.slice(colon + 1) : 'latest'
  const first = name.split('/')[0] ?? ''
  const hosted = name.includes('/') && (/[.:]/.test(first) || first === 'localhost')
  const registry = hosted ? first : 'docker.io'
  let repository = hosted ? name.slice(first.length + 1) : name
  if (registry === 'docker.io' && !repository.includes('/')) repository = `library/${repository}`
  return { registry, repository, reference: digest || tag }
}

const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json'
].join(', ')

const basic = (c: Credential) => `Basic ${Buffer.from(`${c.username ?? ''}:${c.password ?? ''}`).toString('base64')}`

/** `credential` undefined: nothing at hand for the host, so BuildKit pulls anonymously. */
export async function checkPullAccess(base: BaseLocation, credential: Credential | undefined, transport: Transport = send): Promise<PullAccess> {
  const api = `https://${apiHost(base.registry)}/v2/`
  const manifest = new URL(`${api}${base.repository}/manifests/${base.reference}`)
  const head = async (authorization: string | undefined, how: string): Promise<PullAccess> => {
    const r = await transport(manifest, { method: 'HEAD', headers: { accept: MANIFEST_TYPES, ...(authorization ? { authorization } : {}) } }).catch((err: unknown) => err as Error)
    if (r instanceof Error) return { kind: 'unknown', why: r.message }
    if (r.status === 200) return { kind: 'ok', how }
    if (r.status === 401 || r.status === 403) return { kind: 'refused', why: `HEAD ${manifest.pathname} answered HTTP ${r.status}${credential ? '' : ' without a credential'}` }
    if (r.status === 404) return { kind: 'unknown', why: `${base.repository}:${base.reference} was not found (HTTP 404)` }
    return { kind: 'unknown', why: `HEAD ${manifest.pathname} answered HTTP ${r.status}` }
  }
  let ping: SmallResponse
  try {
    ping = await transport(new URL(api), {})
  } catch (err) {
    return { kind: 'unknown', why: (err as Error).message }
  }
  if (ping.status === 200) return head(undefined, 'the registry asks for no credentials')
  const challenge = parseChallenge(ping.headers['www-authenticate'] ?? '')
  if (ping.status !== 401 || !challenge.scheme) return { kind: 'unknown', why: `GET /v2/ answered HTTP ${ping.status}` }
  if (challenge.scheme === 'basic') {
    if (!credential?.password) return { kind: 'refused', why: 'the registry asks for a username and password (Basic), and there is none for it' }
    return head(basic(credential), 'the manifest reads with the username and password')
  }
  if (challenge.scheme !== 'bearer' || !challenge.params.realm) return { kind: 'unknown', why: `an unknown challenge: ${challenge.scheme}` }
  const scope = `repository:${base.repository}:pull`
  const realm = new URL(challenge.params.realm)
  let r: SmallResponse | Error
  if (credential?.identityToken) {
    const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: credential.identityToken, service: challenge.params.service ?? '', scope, client_id: 'build-distroless-image' })
    r = await transport(realm, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() }).catch((err: unknown) => err as Error)
  } else {
    if (challenge.params.service) realm.searchParams.set('service', challenge.params.service)
    realm.searchParams.set('scope', scope)
    r = await transport(realm, credential?.password ? { headers: { authorization: basic(credential) } } : {}).catch((err: unknown) => err as Error)
  }
  if (r instanceof Error) return { kind: 'unknown', why: r.message }
  if (r.status === 401 || r.status === 403) return { kind: 'refused', why: `${realm.host} refused a token to pull ${base.repository} (HTTP ${r.status})` }
  if (r.status !== 200) return { kind: 'unknown', why: `${realm.host} answered HTTP ${r.status} to the token request` }
  const granted = grantedActions(r.body, base.repository)
  if (granted && !granted.includes('pull') && !granted.includes('*')) {
    return { kind: 'refused', why: `${realm.host} gave a token without pull on ${base.repository} (granted: ${granted.length ? granted.join(', ') : 'nothing'})` }
  }
  let token: string
  try {
    const t = JSON.parse(r.body) as { token?: string; access_token?: string }
    token = t.token ?? t.access_token ?? ''
  } catch {
    return { kind: 'unknown', why: `${realm.host} answered the token request with something other than JSON` }
  }
  return head(token ? `Bearer ${token}` : undefined, `the manifest reads with a pull token from ${realm.host}`)
}
