import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { describe, expect, test, vi } from 'vitest'
import { remoteBuilderArgv } from '../../../src/build/builder.js'
import { buildArgv } from '../../../src/build/buildx.js'
import type { GitHubContext } from '../../../src/lib/runner-env.js'
import type { Pushed } from '../../../src/registry/manifest.js'
import { mergeDigests, mergedPlatforms } from '../../../src/build/merge.js'
import { parseMergeDigests } from '../../../src/inputs/image.js'

vi.mock('@actions/core', () => ({ setSecret: vi.fn(), getInput: vi.fn(), info: vi.fn() }))
const { parseInputs } = await import('../../../src/inputs/index.js')

const N = 'ghcr.io/vmafx/worker'
const A = 'sha256:' + 'a'.repeat(64)
const B = 'sha256:' + 'b'.repeat(64)
const C = 'sha256:' + 'c'.repeat(64)

describe('parseMergeDigests', () => {
  test.each([
    ['digests, one a line', `${A}\n${B}\n`, [A, B]],
    ['NAME@digest references of the same image', `${N}@${A}\n${N}@${B}`, [A, B]],
    ['platform-digests JSON objects from the matrix jobs', `{"linux/amd64":"${A}"}\n{"linux/arm64":"${B}","linux/arm/v7":"${C}"}`, [A, B, C]],
    ['a mix of forms', `${A}\n{"linux/arm64":"${B}"}`, [A, B]]
  ])('%s', (_name, value, digests) => {
    expect(parseMergeDigests(value, N)).toEqual(digests)
  })

  test.each([
    ['a digest of another image', `${N}@${A}\nghcr.io/vmafx/other@${B}`, /line 2 names ghcr.io\/vmafx\/other, but image is ghcr.io\/vmafx\/worker: every digest must be of the same image/],
    ['the same digest twice', `${A}\n{"linux/amd64":"${A}"}`, /is listed twice/],
    ['not a digest', 'sha256:abc', /line 1 "sha256:abc" is not a sha256: digest/],
    ['a tag', `${N}:1.0`, /is not a sha256: digest/],
    ['broken JSON', '{"linux/amd64":', /not valid JSON/]
  ])('refuses %s', (_name, value, message) => {
    expect(() => parseMergeDigests(value, N)).toThrow(message)
  })
})

test('mergedPlatforms: every platform once, or the error names both pushes', () => {
  expect(mergedPlatforms([{ digest: A, platforms: { 'linux/amd64': A } }, { digest: B, platforms: { 'linux/arm64': C } }])).toEqual({ 'linux/amd64': A, 'linux/arm64': C })
  expect(() => mergedPlatforms([{ digest: A, platforms: { 'linux/arm64': A } }, { digest: B, platforms: { 'linux/arm64': B } }])).toThrow(
    `merge-digests: linux/arm64 is in both ${A} and ${B}; each platform must come from one job`
  )
})

describe('remoteBuilderArgv', () => {
  test.each([
    ['remote BuildKit with mutual TLS', { endpoint: 'tcp://buildkitd:1234', tls: { ca: '/t/ca.pem', cert: '/t/cert.pem', key: '/t/key.pem' } }, ['buildx', 'create', '--name', 'b1', '--driver', 'remote', '--driver-opt', 'cacert=/t/ca.pem,cert=/t/cert.pem,key=/t/key.pem', '--bootstrap', 'tcp://buildkitd:1234']],
    ['remote BuildKit without TLS', { endpoint: 'tcp://buildkitd:1234', tls: {} }, ['buildx', 'create', '--name', 'b1', '--driver', 'remote', '--bootstrap', 'tcp://buildkitd:1234']],
    ['kubernetes with driver options', { endpoint: 'kubernetes:namespace=buildkit,replicas=2', tls: {} }, ['buildx', 'create', '--name', 'b1', '--driver', 'kubernetes', '--driver-opt', 'namespace=buildkit,replicas=2', '--bootstrap']],
    ['kubernetes with defaults', { endpoint: 'kubernetes', tls: {} }, ['buildx', 'create', '--name', 'b1', '--driver', 'kubernetes', '--bootstrap']]
  ])('%s', (_name, b, argv) => {
    expect(remoteBuilderArgv('b1', b)).toEqual(argv)
  })
})

test('buildArgv: with SOURCE_DATE_EPOCH the pushed layers get their file times rewritten (reproducible on a new builder)', () => {
  const argv = buildArgv({
    context: '/ws', dockerfile: '/ws/Dockerfile', target: '', platforms: ['linux/arm64'], tags: [], buildArgs: [['SOURCE_DATE_EPOCH', '1700000000']], labels: [], annotations: [],
    indexAnnotations: [], push: true, provenance: '', cacheFrom: [], cacheTo: [], metadataFile: '/m.json', pushByDigest: { name: 'r/a' }
  })
  expect(argv[argv.indexOf('--output') + 1]).toBe('type=image,name=r/a,push-by-digest=true,name-canonical=true,push=true,rewrite-timestamp=true')
})

test('buildArgv: push by digest names the image and pushes no tags', () => {
  expect(
    buildArgv({
      context: '/ws', dockerfile: '/ws/Dockerfile', target: '', platforms: ['linux/arm64'], tags: ['r/a:1'], buildArgs: [], labels: [], annotations: [],
      indexAnnotations: [], push: true, provenance: '', cacheFrom: [], cacheTo: [], metadataFile: '/m.json', pushByDigest: { name: 'r/a' }
    })
  ).toEqual(['buildx', 'build', '--file', '/ws/Dockerfile', '--platform', 'linux/arm64', '--output', 'type=image,name=r/a,push-by-digest=true,name-canonical=true,push=true', '--metadata-file', '/m.json', '/ws'])
})

describe('inputs for split and merge', () => {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'merge-in-'))
  fs.writeFileSync(path.join(ws, 'Dockerfile'), 'FROM gcr.io/distroless/static-debian13:nonroot\n')
  const ctx: GitHubContext = {
    workspace: ws, repository: 'vmafx/w', owner: 'vmafx', ref: 'refs/tags/v1.0.0', sha: 'a'.repeat(40), serverUrl: 'https://github.com', apiUrl: 'https://api.github.com', workflowRef: 'w',
    runId: '1', runAttempt: 1, idTokenAvailable: false, runnerTemp: os.tmpdir(), nodeArch: 'x64', noDefaultAttestations: false, sourceDate: ''
  }
  const read = (v: Record<string, string>) => (n: string) => v[n] ?? ''

  test('push-by-digest: one platform; signing and SBOM default off (the merge job does them)', () => {
    const i = parseInputs(read({ image: N, platforms: 'linux/arm64', 'push-by-digest': 'true' }), ctx)
    expect([i.pushByDigest, i.sign, i.sbom]).toEqual([true, false, false])
  })
  test('push-by-digest: asked to sign, it signs', () => {
    expect(() => parseInputs(read({ image: N, platforms: 'linux/arm64', 'push-by-digest': 'true', sign: 'true' }), ctx)).toThrow(/keyless signing needs an OIDC token/)
  })
  test.each([
    [{ 'push-by-digest': 'true' }, /^Input `push-by-digest`: builds one platform per job, but platforms lists 2/],
    [{ 'push-by-digest': 'true', platforms: 'linux/amd64', push: 'false' }, /^Input `push-by-digest`: needs `push: true`/],
    [{ 'merge-digests': A, 'push-by-digest': 'true', platforms: 'linux/amd64' }, /^Input `push-by-digest`: cannot be used with `merge-digests`/],
    [{ 'builder-endpoint': 'http://buildkit' }, /^Input `builder-endpoint`: "http:\/\/buildkit" is neither a BuildKit address/],
    [{ 'builder-tls-ca': '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----' }, /^Input `builder-endpoint`: is empty, but builder-tls-\* are given/]
  ])('refuses %j', (values, message) => {
    expect(() => parseInputs(read({ image: N, sign: 'false', ...values }), ctx)).toThrow(message)
  })
  test('merge-digests needs no Dockerfile (the merge job need not check out)', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'merge-empty-'))
    const i = parseInputs(read({ image: N, 'merge-digests': `${A}\n${B}`, sign: 'false' }), { ...ctx, workspace: empty })
    expect(i.mergeDigests).toEqual([A, B])
    expect([i.context, i.dockerfile]).toEqual(['', ''])
    expect(i.tags).toEqual(['1.0.0', '1.0', '1', 'latest'])
  })
})

describe('mergeDigests', () => {
  test('reads each source and pushes one index by digest, with no tag (the tags move after the gates)', async () => {
    const sources: Record<string, Pushed> = { [A]: { digest: A, platforms: { 'linux/amd64': A } }, [B]: { digest: B, platforms: { 'linux/arm64': B } } }
    const platformsOf = vi.fn((_n: string, digest: string) => Promise.resolve(sources[digest] ?? { digest, platforms: {} }))
    const createByDigest = vi.fn(() => Promise.resolve(C))
    const out = await mergeDigests(N, [A, B], [['org.opencontainers.image.description', 'A worker']], { platformsOf, createByDigest })
    expect(createByDigest).toHaveBeenCalledWith(N, { indexAnnotations: [['org.opencontainers.image.description', 'A worker']], sources: [`${N}@${A}`, `${N}@${B}`] }, 'docker buildx imagetools create')
    expect(out).toEqual({ pushed: { digest: C, platforms: { 'linux/amd64': A, 'linux/arm64': B } }, note: `Merged 2 pushes (linux/amd64, linux/arm64) into ${C}` })
  })

  test('a digest that cannot be read is named, with the registry\'s words, before anything is written', async () => {
    const createByDigest = vi.fn(() => Promise.resolve(C))
    const platformsOf = vi.fn(() => Promise.reject(new Error('ERROR: not found')))
    await expect(mergeDigests(N, [A], [], { platformsOf, createByDigest })).rejects.toThrow(`merge-digests: ${N}@${A} cannot be read from the registry (was it pushed, and to this image?): ERROR: not found`)
    expect(createByDigest).not.toHaveBeenCalled()
  })
})
