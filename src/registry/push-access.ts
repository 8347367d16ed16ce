/**
 * Every registry's credential checked for push before the build, wherever it comes from (the
 * action's inputs, or a docker config an earlier login step left): a credential that will fail
 * fails here, not after the release is pushed to the first registry.
 *
 * The check never writes. Bearer registries (ghcr.io, quay.io, Docker Hub, …) are asked for a
 * token with `repository:NAME:push,pull` scope, the request `docker push` makes first; a refusal,
 * or a token whose `access` claim grants no push, is a refusal. Basic registries (distribution
 * with htpasswd) have no per-repository scope to ask for: an authenticated `GET /v2/` proves the
 * password, which is all htpasswd authorizes. Starting a blob upload would prove more on a
 * registry with per-repository rules, but it creates an upload session in the release's
 * repository, and a check that writes is not a check.
 */
import { run } from '../lib/exec.js'
import type { SmallResponse } from './http-api.js'
import { apiHost, parseChallenge, send } from './http-api.js'
import { configKeys } from './login.js'

export interface Credential {
  username?: string
  password?: string
  /** A docker config's `identitytoken` (an OAuth2 refresh token), as `docker login` stores some. */
  identityToken?: string
}

export type Transport = (url: URL, o: { method?: 'GET' | 'HEAD' | 'POST'; headers?: Record<string, string>; body?: string }) => Promise<SmallResponse>

/** What the check found: push allowed (or nothing to check), refused, or the registry did not answer. */
export type PushAccess = { kind: 'ok'; how: string } | { kind: 'refused'; why: string } | { kind: 'unknown'; why: string }

const basic = (c: Credential) => `Basic ${Buffer.from(`${c.username ?? ''}:${c.password ?? ''}`).toString('base64')}`

export async function checkPushAccess(host: string, repository: string, credential: Credential, transport: Transport = send): Promise<PushAccess> {
  const base = `https://${apiHost(host)}/v2/`
  let ping: SmallResponse
  try {
    ping = await transport(new URL(base), {})
  } catch (err) {
    return { kind: 'unknown', why: (err as Error).message }
  }
  if (ping.status === 200) return { kind: 'ok', how: 'the registry asks for no credentials' }
  const challenge = parseChallenge(ping.headers['www-authenticate'] ?? '')
  if (ping.status !== 401 || !challenge.scheme) return { kind: 'unknown', why: `GET /v2/ answered HTTP ${ping.status}` }
  if (challenge.scheme === 'basic') {
    if (!credential.password) return { kind: 'refused', why: 'the registry asks for a username and password (Basic), and the credential has none' }
    const r = await transport(new URL(base), { headers: { authorization: basic(credential) } }).catch((err: unknown) => err as Error)
    if (r instanceof Error) return { kind: 'unknown', why: r.message }
    if (r.status === 200) return { kind: 'ok', how: 'the username and password authenticate (Basic: no per-repository scope to ask for)' }
    if (r.status === 401 || r.status === 403) return { kind: 'refused', why: `the registry refused the username and password (HTTP ${r.status})` }
    return { kind: 'unknown', why: `GET /v2/ with the credential answered HTTP ${r.status}` }
  }
  if (challenge.scheme !== 'bearer' || !challenge.params.realm) return { kind: 'unknown', why: `an unknown challenge: ${challenge.scheme}` }
  const scope = `repository:${repository}:push,pull`
  const realm = new URL(challenge.params.realm)
  let r: SmallResponse | Error
  if (credential.identityToken) {
    // OAuth2 refresh token, as docker does with an identitytoken.
    const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: credential.identityToken, service: challenge.params.service ?? '', scope, client_id: 'build-distroless-image' })
    r = await transport(realm, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() }).catch((err: unknown) => err as Error)
  } else {
    if (challenge.params.service) realm.searchParams.set('service', challenge.params.service)
    realm.searchParams.set('scope', scope)
    r = await transport(realm, credential.password ? { headers: { authorization: basic(credential) } } : {}).catch((err: unknown) => err as Error)
  }
  if (r instanceof Error) return { kind: 'unknown', why: r.message }
  if (r.status === 401 || r.status === 403) return { kind: 'refused', why: `${realm.host} refused a token for push to ${repository} (HTTP ${r.status}${errorText(r.body)})` }
  if (r.status !== 200) return { kind: 'unknown', why: `${realm.host} answered HTTP ${r.status} to the token request` }
  const granted = grantedActions(r.body, repository)
  if (granted && !granted.includes('push') && !granted.includes('*')) {
    return { kind: 'refused', why: `${realm.host} gave a token without push to ${repository} (granted: ${granted.length ? granted.join(', ') : 'nothing'}): the credential cannot push there` }
  }
  return { kind: 'ok', how: granted ? `a token with push to ${repository}` : `a token for push to ${repository} (its grants are not readable)` }
}

/** The registry's error code and message, never more (a body could echo what was sent). */
function errorText(body: string): string {
  try {
    const e = (JSON.parse(body) as { errors?: Array<{ code?: string; message?: string }>; details?: string }).errors?.[0]
    return e ? `: ${[e.code, e.message].filter(Boolean).join(' ').slice(0, 160)}` : ''
  } catch {
    return ''
  }
}

/**
 * The actions a registry token (a JWT, as distribution's token spec has it) grants on the
 * repository; undefined when the token is opaque and says nothing.
 */
export function grantedActions(body: string, repository: string): string[] | undefined {
  let token: string | undefined
  try {
    const t = JSON.parse(body) as { token?: string; access_token?: string }
    token = t.token ?? t.access_token
  } catch {
    return undefined
  }
  const payload = token?.split('.')[1]
  if (!payload) return undefined
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { access?: Array<{ type?: string; name?: string; actions?: string[] }> }
    if (!Array.isArray(claims.access)) return undefined
    return claims.access.filter((a) => a.type === 'repository' && a.name === repository).flatMap((a) => a.actions ?? [])
  } catch {
    return undefined
  }
}

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>
  credHelpers?: Record<string, string>
  credsStore?: string
}

/**
 * The credential a docker config holds for a host, as docker would use it: `auths` (`auth` is
 * base64 `user:password`), else the host's credential helper (`docker-credential-NAME get`).
 */
export async function configCredential(config: DockerConfig, host: string, env: Record<string, string> = {}): Promise<Credential | undefined> {
  for (const key of configKeys(host)) {
    const a = config.auths?.[key]
    if (a?.identitytoken) return { username: a.username, identityToken: a.identitytoken }
    if (a?.auth) {
      const text = Buffer.from(a.auth, 'base64').toString('utf8')
      const colon = text.indexOf(':')
      if (colon > 0) return { username: text.slice(0, colon), password: text.slice(colon + 1) }
    }
    if (a?.username && a.password) return { username: a.username, password: a.password }
    const helper = config.credHelpers?.[key]
    if (helper) {
      const r = await run(`docker-credential-${helper}`, ['get'], { input: key, env, silent: true, allowFailure: true })
      if (r.exitCode !== 0) return undefined
      const got = JSON.parse(r.stdout) as { Username?: string; Secret?: string }
      // docker's convention: a helper returns an identity token under the username <token>.
      return got.Username === '<token>' ? { identityToken: got.Secret } : { username: got.Username, password: got.Secret }
    }
  }
  return undefined
}
