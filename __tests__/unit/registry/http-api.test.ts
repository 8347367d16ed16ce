// The blob reader against a real HTTPS server on loopback (certificate made by openssl) that
// answers as the distribution API does: 401 challenges, a token realm, a redirect to storage.
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as https from 'node:https'
import * as os from 'node:os'
import * as path from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest'
import { RegistryApi, nextPage, parseChallenge } from '../../../src/registry/http-api.js'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'blob-'))
const f = (n: string) => path.join(dir, n)
const seen: Array<{ url: string; authorization?: string }> = []
let scheme: 'bearer' | 'basic' = 'bearer'
let server: https.Server
let host = ''
const BLOB = Buffer.from('layer bytes')
const REFERRERS = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: 'sha256:ddd', size: 1, artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json', annotations: { 'dev.sigstore.bundle.predicateType': 'https://slsa.dev/provenance/v1' } }] }
const BASIC = `Basic ${Buffer.from('bot:s3cret').toString('base64')}`

beforeAll(async () => {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', f('key.pem'), '-out', f('cert.pem')], { stdio: 'ignore' })
  server = https.createServer({ key: fs.readFileSync(f('key.pem')), cert: fs.readFileSync(f('cert.pem')) }, (req, res) => {
    const url = new URL(req.url ?? '/', `https://${host}`)
    seen.push({ url: url.pathname + url.search, authorization: req.headers.authorization })
    if (url.pathname === '/token') {
      const ok = url.searchParams.get('service') === 'reg.test' && url.searchParams.get('scope') === 'repository:o/app:pull'
      res.writeHead(ok ? 200 : 400, { 'content-type': 'application/json' })
      return res.end(JSON.stringify({ token: req.headers.authorization === BASIC ? 'pull-token' : 'anonymous-token' }))
    }
    if (url.pathname === '/storage/blob') {
      res.writeHead(200)
      return res.end(BLOB)
    }
    if (url.pathname === '/v2/o/app/blobs/sha256:aaa') {
      const wanted = scheme === 'bearer' ? /^Bearer (pull|anonymous)-token$/ : /^Basic /
      if (!wanted.test(req.headers.authorization ?? '') || (scheme === 'basic' && req.headers.authorization !== BASIC)) {
        const challenge = scheme === 'bearer' ? `Bearer realm="https://${host}/token",service="reg.test",scope="repository:o/app:pull"` : 'Basic realm="reg"'
        res.writeHead(401, { 'www-authenticate': challenge })
        return res.end('{"errors":[{"code":"UNAUTHORIZED"}]}')
      }
      res.writeHead(307, { location: `https://${host}/storage/blob?sig=presigned` })
      return res.end()
    }
    if (url.pathname === '/v2/o/app/tags/list') {
      if (req.headers.authorization !== 'Bearer pull-token') {
        res.writeHead(401, { 'www-authenticate': `Bearer realm="https://${host}/token",service="reg.test",scope="repository:o/app:pull"` })
        return res.end('{"errors":[{"code":"UNAUTHORIZED"}]}')
      }
      // distribution pages with a Link header when n is smaller than the tag count
      const last = url.searchParams.get('last')
      res.writeHead(200, last ? {} : { link: '</v2/o/app/tags/list?last=1.4.0&n=10000>; rel="next"' })
      return res.end(JSON.stringify({ name: 'o/app', tags: last ? ['latest', 'sha-abcdef0'] : ['1.3.4', '1.4.0'] }))
    }
    // Referrers (OCI distribution 1.1): the API where the registry has it, else the sha256-<hex> tag (distribution 2.8).
    if (url.pathname === '/v2/o/app/referrers/sha256:ccc') {
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.index.v1+json' })
      return res.end(JSON.stringify(REFERRERS))
    }
    if (url.pathname === '/v2/o/fallback/manifests/sha256-ccc' && (req.headers.accept ?? '').includes('application/vnd.oci.image.index.v1+json')) {
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.index.v1+json' })
      return res.end(JSON.stringify(REFERRERS))
    }
    if (url.pathname === '/v2/o/broken/manifests/sha256-ccc') {
      res.writeHead(500)
      return res.end('oops')
    }
    if (url.pathname === '/v2/o/new/tags/list') {
      res.writeHead(404)
      return res.end('{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}')
    }
    res.writeHead(404)
    res.end('{"errors":[{"code":"BLOB_UNKNOWN"}]}')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  host = `127.0.0.1:${(server.address() as { port: number }).port}`
})
afterAll(() => new Promise<void>((r) => server.close(() => r())))
beforeEach(() => {
  seen.length = 0
  scheme = 'bearer'
})

const read = async (s: NodeJS.ReadableStream) => {
  const chunks: Buffer[] = []
  for await (const c of s) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

describe('RegistryApi', () => {
  test('a Bearer challenge: a pull token from the realm with the credentials, then the blob; storage gets no Authorization', async () => {
    const reader = new RegistryApi({ registry: host, repository: 'o/app', username: 'bot', password: 's3cret', ca: [fs.readFileSync(f('cert.pem'), 'utf8')] })
    expect(await read(await reader.blob('sha256:aaa'))).toEqual(BLOB)
    expect(seen).toEqual([
      { url: '/v2/o/app/blobs/sha256:aaa', authorization: undefined },
      { url: '/token?service=reg.test&scope=repository%3Ao%2Fapp%3Apull', authorization: BASIC },
      { url: '/v2/o/app/blobs/sha256:aaa', authorization: 'Bearer pull-token' },
      { url: '/storage/blob?sig=presigned', authorization: undefined }
    ])
    // The token is kept for the next layer.
    seen.length = 0
    await read(await reader.blob('sha256:aaa'))
    expect(seen[0]).toEqual({ url: '/v2/o/app/blobs/sha256:aaa', authorization: 'Bearer pull-token' })
  })

  test('anonymous: a token without credentials', async () => {
    const reader = new RegistryApi({ registry: host, repository: 'o/app', ca: [fs.readFileSync(f('cert.pem'), 'utf8')] })
    expect(await read(await reader.blob('sha256:aaa'))).toEqual(BLOB)
    expect(seen[1]?.authorization).toBeUndefined()
  })

  test('a Basic challenge (distribution with htpasswd)', async () => {
    scheme = 'basic'
    const reader = new RegistryApi({ registry: host, repository: 'o/app', username: 'bot', password: 's3cret', ca: [fs.readFileSync(f('cert.pem'), 'utf8')] })
    expect(await read(await reader.blob('sha256:aaa'))).toEqual(BLOB)
    expect(seen[1]?.authorization).toBe(BASIC)
  })

  test.each<[string, () => RegistryApi, string, RegExp]>([
    ['Basic without credentials', () => ((scheme = 'basic'), new RegistryApi({ registry: host, repository: 'o/app', ca: [fs.readFileSync(f('cert.pem'), 'utf8')] })), 'sha256:aaa', /asks for credentials to read o\/app, and none were given \(registry-password\)/],
    ['a wrong password', () => ((scheme = 'basic'), new RegistryApi({ registry: host, repository: 'o/app', username: 'bot', password: 'nope', ca: [fs.readFileSync(f('cert.pem'), 'utf8')] })), 'sha256:aaa', /HTTP 401 .*: the registry refused the credentials \(registry-username, registry-password\)$/],
    ['an unknown blob', () => new RegistryApi({ registry: host, repository: 'o/app', ca: [fs.readFileSync(f('cert.pem'), 'utf8')] }), 'sha256:bbb', /^reading blob sha256:bbb of 127\.0\.0\.1:\d+\/o\/app: HTTP 404 .*BLOB_UNKNOWN/]
  ])('fails naming what: %s', async (_name, make, digest, error) => {
    await expect(make().blob(digest)).rejects.toThrow(error)
  })
})

test('the reads that follow reuse the kept-alive connection (the action\'s own agent keeps what the global one did)', async () => {
  let handshakes = 0
  const count = () => handshakes++
  server.on('secureConnection', count)
  try {
    scheme = 'bearer'
    const reader = new RegistryApi({ registry: host, repository: 'o/app', username: 'bot', password: 's3cret', ca: [fs.readFileSync(f('cert.pem'), 'utf8')] })
    for (let i = 0; i < 3; i++) expect(await read(await reader.blob('sha256:aaa'))).toEqual(BLOB)
    // token, 401, blob, redirect, storage: ten requests and more, over one connection.
    expect(handshakes).toBeLessThanOrEqual(2)
  } finally {
    server.off('secureConnection', count)
  }
})

test('parseChallenge', () => {
  expect(parseChallenge('Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:o/app:pull"')).toEqual({ scheme: 'bearer', params: { realm: 'https://ghcr.io/token', service: 'ghcr.io', scope: 'repository:o/app:pull' } })
})

describe('tags', () => {
  const api = (repository: string, password?: string) => new RegistryApi({ registry: host, repository, username: 'bot', password, ca: [fs.readFileSync(f('cert.pem'), 'utf8')] })

  test('every tag, with a pull token, across the pages the registry links', async () => {
    expect(await api('o/app', 's3cret').tags()).toEqual(['1.3.4', '1.4.0', 'latest', 'sha-abcdef0'])
    expect(seen.map((s) => s.url)).toEqual(['/v2/o/app/tags/list?n=10000', '/token?service=reg.test&scope=repository%3Ao%2Fapp%3Apull', '/v2/o/app/tags/list?n=10000', '/v2/o/app/tags/list?last=1.4.0&n=10000'])
  })

  test('a repository that does not exist yet has no tags', async () => {
    expect(await api('o/new').tags()).toEqual([])
  })
})

test.each([
  ['</v2/o/app/tags/list?n=100&last=x>; rel="next"', 'tags/list?n=100&last=x'],
  ['<https://ghcr.io/v2/o/app/tags/list?last=x&n=100>; rel=next', 'tags/list?last=x&n=100'],
  [undefined, undefined],
  ['</v2/o/app/tags/list?last=x>; rel="prev"', undefined]
])('nextPage(%j) = %j', (link, next) => {
  expect(nextPage(link)).toBe(next)
})

describe('referrers', () => {
  const api = (repository: string) => new RegistryApi({ registry: host, repository, ca: [fs.readFileSync(f('cert.pem'), 'utf8')] })

  test.each<[string, string, string[], number]>([
    ['the referrers API', 'o/app', ['/v2/o/app/referrers/sha256:ccc'], 1],
    ['no referrers API (404): the sha256-<hex> tag of the fallback schema', 'o/fallback', ['/v2/o/fallback/referrers/sha256:ccc', '/v2/o/fallback/manifests/sha256-ccc'], 1],
    ['neither: none', 'o/none', ['/v2/o/none/referrers/sha256:ccc', '/v2/o/none/manifests/sha256-ccc'], 0]
  ])('%s', async (_what, repository, urls, count) => {
    const list = await api(repository).referrers('sha256:ccc')
    expect(seen.map((x) => x.url)).toEqual(urls)
    expect(list).toHaveLength(count)
    if (count) expect(list[0]).toEqual(REFERRERS.manifests[0])
  })

  test('a registry error on the fallback tag is an error, not "none"', async () => {
    await expect(api('o/broken').referrers('sha256:ccc')).rejects.toThrow(/^reading the referrers of sha256:ccc in 127\.0\.0\.1:\d+\/o\/broken: HTTP 500 oops/)
  })
})
