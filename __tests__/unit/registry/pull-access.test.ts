// Issue 34 part 6: every base read before the build with the credential BuildKit will pull it
// with; the registry's challenge flow answered by a scripted transport.
import { describe, expect, test, vi } from 'vitest'
import type { Transport } from '../../../src/registry/push-access.js'
import type { PullAccess } from '../../../src/registry/pull-access.js'
import type { ImageInputs } from '../../../src/inputs/image.js'

vi.mock('@actions/core', () => ({ info: vi.fn(), warning: vi.fn(), notice: vi.fn(), group: vi.fn((_n: string, fn: () => Promise<unknown>) => fn()) }))
const core = await import('@actions/core')
const { baseLocation, checkPullAccess } = await import('../../../src/registry/pull-access.js')
const { checkBaseAccess, refuseUnusedRegistryAuth } = await import('../../../src/registry/login-step.js')

const jwt = (claims: object) => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`
const tokenBody = (actions: string[] | undefined, name = 'mirror/static') => JSON.stringify({ token: actions ? jwt({ access: [{ type: 'repository', name, actions }] }) : 'opaque-token' })
const BEARER = 'Bearer realm="https://auth.example/token",service="bases.example"'
const BASIC = 'Basic realm="bases"'

interface Answer {
  status: number
  challenge?: string
  body?: string
}
/** A registry: /v2/, the manifest (without and with a credential) and its token endpoint; records each request. */
function registry(o: { ping: Answer; manifest?: Answer; manifestAuthed?: Answer; token?: Answer }) {
  const seen: Array<{ url: string; method: string; authorization?: string }> = []
  const transport: Transport = (url, r) => {
    seen.push({ url: url.toString(), method: r.method ?? 'GET', authorization: r.headers?.authorization })
    const a = url.host === 'auth.example' ? o.token : url.pathname.includes('/manifests/') ? (r.headers?.authorization ? o.manifestAuthed : o.manifest) : o.ping
    if (!a) return Promise.reject(new Error(`${url.host}: connect ECONNREFUSED`))
    return Promise.resolve({ status: a.status, headers: a.challenge ? { 'www-authenticate': a.challenge } : {}, body: a.body ?? '' })
  }
  return { transport, seen }
}

describe('baseLocation', () => {
  test.each([
    ['golang:1.25', 'docker.io', 'library/golang', '1.25'],
    ['acme/tools', 'docker.io', 'acme/tools', 'latest'],
    ['docker.io/library/golang:1.25', 'docker.io', 'library/golang', '1.25'],
    ['gcr.io/distroless/static-debian13:nonroot', 'gcr.io', 'distroless/static-debian13', 'nonroot'],
    ['registry.example:5443/mirror/static:nonroot', 'registry.example:5443', 'mirror/static', 'nonroot'],
    [`localhost/x@sha256:${'a'.repeat(64)}`, 'localhost', 'x', `sha256:${'a'.repeat(64)}`],
    [`quay.example:5446/m/golang:1.25@sha256:${'b'.repeat(64)}`, 'quay.example:5446', 'm/golang', `sha256:${'b'.repeat(64)}`]
  ])('%s', (ref, registry, repository, reference) => {
    expect(baseLocation(ref)).toEqual({ registry, repository, reference })
  })
})

describe('checkPullAccess', () => {
  const loc = { registry: 'bases.example', repository: 'mirror/static', reference: 'nonroot' }
  const cred = { username: 'bot', password: 'tok' }
  test.each<[string, Parameters<typeof registry>[0], typeof cred | undefined, PullAccess['kind'], RegExp]>([
    ['an open registry, the manifest there', { ping: { status: 200 }, manifest: { status: 200 } }, undefined, 'ok', /asks for no credentials/],
    ['Basic without a credential', { ping: { status: 401, challenge: BASIC } }, undefined, 'refused', /asks for a username and password \(Basic\), and there is none for it/],
    ['Basic, the credential reads the manifest', { ping: { status: 401, challenge: BASIC }, manifestAuthed: { status: 200 } }, cred, 'ok', /reads with the username and password/],
    ['Basic, the credential is refused', { ping: { status: 401, challenge: BASIC }, manifestAuthed: { status: 401 } }, cred, 'refused', /HEAD \/v2\/mirror\/static\/manifests\/nonroot answered HTTP 401/],
    ['Basic, the manifest is not there', { ping: { status: 401, challenge: BASIC }, manifestAuthed: { status: 404 } }, cred, 'unknown', /mirror\/static:nonroot was not found/],
    ['Bearer, anonymous token refused', { ping: { status: 401, challenge: BEARER }, token: { status: 401 } }, undefined, 'refused', /auth\.example refused a token to pull mirror\/static \(HTTP 401\)/],
    ['Bearer, an anonymous token that grants nothing (a private repository)', { ping: { status: 401, challenge: BEARER }, token: { status: 200, body: tokenBody([]) } }, undefined, 'refused', /a token without pull on mirror\/static \(granted: nothing\)/],
    ['Bearer, a pull token, the manifest reads', { ping: { status: 401, challenge: BEARER }, token: { status: 200, body: tokenBody(['pull']) }, manifestAuthed: { status: 200 } }, cred, 'ok', /a pull token from auth\.example/],
    ['Bearer, an opaque token the manifest refuses', { ping: { status: 401, challenge: BEARER }, token: { status: 200, body: tokenBody(undefined) }, manifestAuthed: { status: 403 } }, cred, 'refused', /answered HTTP 403/],
    ['a registry that does not answer', { ping: { status: 0 } }, cred, 'unknown', /HTTP 0/],
    ['a token endpoint that fails', { ping: { status: 401, challenge: BEARER }, token: { status: 503 } }, cred, 'unknown', /answered HTTP 503 to the token request/]
  ])('%s -> %s', async (_name, answers, credential, kind, text) => {
    const { transport } = registry(answers)
    const r = await checkPullAccess(loc, credential, transport)
    expect(r.kind).toBe(kind)
    expect(r.kind === 'ok' ? r.how : r.why).toMatch(text)
  })

  test('asks the realm for pull only, then reads the manifest with HEAD and the token; never writes', async () => {
    const { transport, seen } = registry({ ping: { status: 401, challenge: BEARER }, token: { status: 200, body: tokenBody(['pull']) }, manifestAuthed: { status: 200 } })
    await checkPullAccess(loc, cred, transport)
    expect(seen.map((s) => [s.method, s.url])).toEqual([
      ['GET', 'https://bases.example/v2/'],
      ['GET', 'https://auth.example/token?service=bases.example&scope=repository%3Amirror%2Fstatic%3Apull'],
      ['HEAD', 'https://bases.example/v2/mirror/static/manifests/nonroot']
    ])
    expect(seen[1]?.authorization).toBe(`Basic ${Buffer.from('bot:tok').toString('base64')}`)
    expect(seen[2]?.authorization).toMatch(/^Bearer e30\./)
  })
})

const image = (registry: string, path: string) => ({ registry, path, name: `${registry}/${path}` })
const inputs = (o: Partial<ImageInputs> = {}) => ({ image: image('push.example', 'acme/op'), copies: [], registryAuth: [], registryUsername: 'bot', registryPassword: 'push-token', ...o }) as unknown as ImageInputs

describe('checkBaseAccess', () => {
  test('a base registry without a credential that refuses fails, naming the registry, the base, that there was no credential, and the fix', async () => {
    const { transport } = registry({ ping: { status: 401, challenge: BASIC } })
    await expect(checkBaseAccess(inputs(), '/nonexistent', ['bases.example/mirror/static:nonroot'], transport)).rejects.toThrow(
      /^A base image's registry refused the pull \(checked before anything is built; nothing was built or pushed\):\n- bases\.example refused to let the builder read base bases\.example\/mirror\/static:nonroot, with no credential \(nothing in registry-auth or in the job's docker config for bases\.example\): .*; add a registry-auth line bases\.example=USERNAME:TOKEN \(from a secret\), or log in to bases\.example in a step before this one \(docker\/login-action\)$/
    )
  })

  test('a base in the push registry is read with registry-username and registry-password, and a refusal names them', async () => {
    const { transport, seen } = registry({ ping: { status: 401, challenge: BASIC }, manifestAuthed: { status: 403 } })
    await expect(checkBaseAccess(inputs(), '/nonexistent', ['push.example/mirror/static:nonroot'], transport)).rejects.toThrow(/with registry-username and registry-password: .*HTTP 403; give registry-username and registry-password that can read mirror\/static/)
    expect(seen.at(-1)?.authorization).toBe(`Basic ${Buffer.from('bot:push-token').toString('base64')}`)
  })

  test('a registry-auth line for the bases registry is what reads it', async () => {
    const { transport, seen } = registry({ ping: { status: 401, challenge: BASIC }, manifestAuthed: { status: 200 } })
    await checkBaseAccess(inputs({ registryAuth: [{ host: 'bases.example', username: 'reader', password: 'read-token' }] }), '/nonexistent', ['bases.example/mirror/static:nonroot', 'bases.example/mirror/static:debug'], transport)
    expect(seen.at(-1)?.authorization).toBe(`Basic ${Buffer.from('reader:read-token').toString('base64')}`)
    // One read per repository.
    expect(seen.filter((s) => s.method === 'HEAD')).toHaveLength(1)
    expect(vi.mocked(core.info)).toHaveBeenCalledWith(expect.stringContaining('readable from bases.example with the registry-auth line for bases.example'))
  })

  test('a registry that does not answer is a warning, not a failure', async () => {
    const { transport } = registry({ ping: { status: 502 } })
    await checkBaseAccess(inputs(), '/nonexistent', ['bases.example/mirror/static:nonroot'], transport)
    expect(vi.mocked(core.warning)).toHaveBeenCalledWith(expect.stringContaining('Could not check that base bases.example/mirror/static:nonroot can be read from bases.example'))
  })
})

describe('refuseUnusedRegistryAuth', () => {
  const auth = (host: string) => [{ host, username: 'u', password: 't' }]
  test.each<[string, Partial<ImageInputs>, string[], RegExp | undefined]>([
    ['a line for a copy', { copies: [image('quay.example', 'acme/op')], registryAuth: auth('quay.example') }, [], undefined],
    ['a line for a base registry', { registryAuth: auth('bases.example:5446') }, ['bases.example:5446/mirror/static:nonroot'], undefined],
    ['a line for a host nothing uses', { copies: [image('quay.example', 'acme/op')], registryAuth: auth('docker.io') }, ['bases.example/x:1'], /^Input `registry-auth`: names docker\.io, which no image in `images` and no base image of the build uses \(quay\.example, bases\.example\)/],
    ['a line without its port', { registryAuth: auth('bases.example') }, ['bases.example:5446/x:1'], /names bases\.example, which no image .* \(bases\.example:5446\); check the host, with its port/]
  ])('%s', (_name, over, bases, refused) => {
    const call = () => refuseUnusedRegistryAuth(inputs(over), bases)
    if (refused) expect(call).toThrow(refused)
    else expect(call).not.toThrow()
  })
})
