// The push check before the build (issue 30 part 8): the registry's challenge flow, answered by a
// scripted transport; what each answer means for a release about to be pushed.
import { describe, expect, test } from 'vitest'
import type { PushAccess, Transport } from '../../../src/registry/push-access.js'
import { checkPushAccess, configCredential, grantedActions } from '../../../src/registry/push-access.js'

const jwt = (claims: object) => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`
const tokenBody = (actions: string[] | undefined, name = 'acme/op') => JSON.stringify({ token: actions ? jwt({ access: [{ type: 'repository', name, actions }] }) : 'opaque-token' })
const BEARER = 'Bearer realm="https://auth.example/token",service="registry.example"'

interface Answer {
  status: number
  challenge?: string
  body?: string
}
/** A registry: /v2/ without and with credentials, and its token endpoint; records each request. */
function registry(o: { ping: Answer; authed?: Answer; token?: Answer }) {
  const seen: Array<{ url: string; method: string; authorization?: string; body?: string }> = []
  const transport: Transport = (url, r) => {
    seen.push({ url: url.toString(), method: r.method ?? 'GET', authorization: r.headers?.authorization, body: r.body })
    const a = url.host === 'auth.example' ? o.token : r.headers?.authorization ? o.authed : o.ping
    if (!a) return Promise.reject(new Error(`${url.host}: connect ECONNREFUSED`))
    return Promise.resolve({ status: a.status, headers: a.challenge ? { 'www-authenticate': a.challenge } : {}, body: a.body ?? '' })
  }
  return { transport, seen }
}

describe('checkPushAccess', () => {
  test.each<[string, Parameters<typeof registry>[0], PushAccess['kind'], RegExp]>([
    ['Basic, the password authenticates', { ping: { status: 401, challenge: 'Basic realm="Registry Realm"' }, authed: { status: 200 } }, 'ok', /authenticate \(Basic: no per-repository scope/],
    ['Basic, the password is refused', { ping: { status: 401, challenge: 'Basic realm="Registry Realm"' }, authed: { status: 401 } }, 'refused', /refused the username and password \(HTTP 401\)/],
    ['Bearer, a token with push', { ping: { status: 401, challenge: BEARER }, token: { status: 200, body: tokenBody(['pull', 'push']) } }, 'ok', /a token with push to acme\/op/],
    ['Bearer, a token with every action', { ping: { status: 401, challenge: BEARER }, token: { status: 200, body: tokenBody(['*']) } }, 'ok', /a token with push/],
    ['Bearer, an opaque token (its grants unreadable)', { ping: { status: 401, challenge: BEARER }, token: { status: 200, body: tokenBody(undefined) } }, 'ok', /its grants are not readable/],
    ['Bearer, the token endpoint refuses the credential', { ping: { status: 401, challenge: BEARER }, token: { status: 401, body: '{"errors":[{"code":"UNAUTHORIZED","message":"invalid username/password"}]}' } }, 'refused', /auth\.example refused a token for push to acme\/op \(HTTP 401: UNAUTHORIZED invalid username\/password\)/],
    ['Bearer, denied', { ping: { status: 401, challenge: BEARER }, token: { status: 403 } }, 'refused', /HTTP 403/],
    ['Bearer, a token with pull only (a read-only token)', { ping: { status: 401, challenge: BEARER }, token: { status: 200, body: tokenBody(['pull']) } }, 'refused', /a token without push to acme\/op \(granted: pull\)/],
    ['Bearer, a token for another repository only', { ping: { status: 401, challenge: BEARER }, token: { status: 200, body: tokenBody(['pull', 'push'], 'acme/other') } }, 'refused', /granted: nothing/],
    ['an open registry', { ping: { status: 200 } }, 'ok', /asks for no credentials/],
    ['a registry that does not answer', { ping: { status: 0 }, authed: undefined }, 'unknown', /HTTP 0/],
    ['a token endpoint that fails', { ping: { status: 401, challenge: BEARER }, token: { status: 503 } }, 'unknown', /answered HTTP 503 to the token request/],
    ['an unknown challenge', { ping: { status: 401, challenge: 'Negotiate' } }, 'unknown', /unknown challenge: negotiate/]
  ])('%s -> %s', async (_name, answers, kind, text) => {
    const { transport } = registry(answers)
    const r = await checkPushAccess('registry.example', 'acme/op', { username: 'bot', password: 'tok' }, transport)
    expect(r.kind).toBe(kind)
    expect(r.kind === 'ok' ? r.how : r.why).toMatch(text)
  })

  test('asks the realm for push,pull on the repository, with the service, the credential as Basic; never writes', async () => {
    const { transport, seen } = registry({ ping: { status: 401, challenge: BEARER }, token: { status: 200, body: tokenBody(['pull', 'push']) } })
    await checkPushAccess('registry.example', 'acme/op', { username: 'bot', password: 'tok' }, transport)
    expect(seen.map((s) => [s.method, s.url])).toEqual([['GET', 'https://registry.example/v2/'], ['GET', 'https://auth.example/token?service=registry.example&scope=repository%3Aacme%2Fop%3Apush%2Cpull']])
    expect(seen[1]?.authorization).toBe(`Basic ${Buffer.from('bot:tok').toString('base64')}`)
  })

  test('an identity token is exchanged as an OAuth2 refresh token', async () => {
    const { transport, seen } = registry({ ping: { status: 401, challenge: BEARER }, token: { status: 200, body: tokenBody(['push']) } })
    await checkPushAccess('registry.example', 'acme/op', { identityToken: 'refresh-me' }, transport)
    expect(seen[1]?.method).toBe('POST')
    expect(Object.fromEntries(new URLSearchParams(seen[1]?.body ?? ''))).toMatchObject({ grant_type: 'refresh_token', refresh_token: 'refresh-me', service: 'registry.example', scope: 'repository:acme/op:push,pull' })
  })

  test('docker.io is asked at registry-1.docker.io', async () => {
    const { transport, seen } = registry({ ping: { status: 200 } })
    await checkPushAccess('docker.io', 'acme/op', { username: 'bot', password: 'tok' }, transport)
    expect(seen[0]?.url).toBe('https://registry-1.docker.io/v2/')
  })

  test('a refused token request never echoes the body beyond the registry error', async () => {
    const { transport } = registry({ ping: { status: 401, challenge: BEARER }, token: { status: 401, body: 'bot:s3cr3t-pw was wrong' } })
    const r = await checkPushAccess('registry.example', 'acme/op', { username: 'bot', password: 's3cr3t-pw' }, transport)
    expect(r).toEqual({ kind: 'refused', why: 'auth.example refused a token for push to acme/op (HTTP 401)' })
  })
})

describe('grantedActions', () => {
  test.each<[string, string, string[] | undefined]>([
    ['a JWT with the repository', tokenBody(['pull', 'push']), ['pull', 'push']],
    ['access_token instead of token', JSON.stringify({ access_token: jwt({ access: [{ type: 'repository', name: 'acme/op', actions: ['pull'] }] }) }), ['pull']],
    ['a JWT without an access claim', JSON.stringify({ token: jwt({ sub: 'bot' }) }), undefined],
    ['an opaque token', tokenBody(undefined), undefined],
    ['not JSON', 'nope', undefined]
  ])('%s', (_name, body, actions) => {
    expect(grantedActions(body, 'acme/op')).toEqual(actions)
  })
})

describe('configCredential: what a docker config holds for a host, as docker reads it', () => {
  const auth = (s: string) => Buffer.from(s).toString('base64')
  test.each<[string, object, string, object | undefined]>([
    ['auths with auth (user:password in base64)', { auths: { 'quay.io': { auth: auth('bot:tok:with:colons') } } }, 'quay.io', { username: 'bot', password: 'tok:with:colons' }],
    ['auths with username and password', { auths: { 'quay.io': { username: 'bot', password: 'tok' } } }, 'quay.io', { username: 'bot', password: 'tok' }],
    ['an identity token', { auths: { 'quay.io': { identitytoken: 'refresh' } } }, 'quay.io', { username: undefined, identityToken: 'refresh' }],
    ["Docker Hub under its legacy key", { auths: { 'https://index.docker.io/v1/': { auth: auth('bot:tok') } } }, 'docker.io', { username: 'bot', password: 'tok' }],
    ['another host only', { auths: { 'ghcr.io': { auth: auth('bot:tok') } } }, 'quay.io', undefined],
    ['no config', {}, 'quay.io', undefined]
  ])('%s', async (_name, config, host, expected) => {
    expect(await configCredential(config, host)).toEqual(expected)
  })
})
