import * as fs from 'node:fs'
import * as path from 'node:path'
import { describe, expect, test } from 'vitest'
import type { BuildSpec } from '../../../src/build/buildx.js'
import { buildArgv, parseMetadata } from '../../../src/build/buildx.js'
import type { RawManifest } from '../../../src/registry/manifest.js'
import { isIndex, platformDigests } from '../../../src/registry/manifest.js'

const fixture = (name: string) => fs.readFileSync(path.join(import.meta.dirname, '../../fixtures', name), 'utf8')

const base: BuildSpec = {
  context: '/ws',
  dockerfile: '/ws/Dockerfile',
  target: '',
  platforms: ['linux/amd64', 'linux/arm64'],
  tags: ['ghcr.io/o/app:1.4.2', 'ghcr.io/o/app:latest'],
  buildArgs: [],
  labels: [],
  annotations: [],
  indexAnnotations: [],
  push: true,
  provenance: '',
  cacheFrom: [],
  cacheTo: [],
  metadataFile: '/tmp/m.json'
}

describe('buildArgv: the build inputs build-push-action users reach for, passed straight to buildx', () => {
  const tail = ['--tag', 'ghcr.io/o/app:1.4.2', '--tag', 'ghcr.io/o/app:latest', '--push', '--metadata-file', '/tmp/m.json', '/ws']
  const head = ['buildx', 'build', '--file', '/ws/Dockerfile', '--platform', 'linux/amd64,linux/arm64']
  test.each<[string, Partial<BuildSpec>, string[]]>([
    ['build-contexts', { buildContexts: [['golang:1.25', 'docker-image://mirror.example/golang:1.25'], ['assets', '/ws/assets']] }, ['--build-context', 'golang:1.25=docker-image://mirror.example/golang:1.25', '--build-context', 'assets=/ws/assets']],
    ['no-cache', { noCache: true }, ['--no-cache']],
    ['no-cache-filters', { noCacheFilters: ['build', 'test'] }, ['--no-cache-filter', 'build,test']],
    ['pull', { pull: true }, ['--pull']],
    ['network', { network: 'none' }, ['--network', 'none']],
    ['shm-size', { shmSize: '128m' }, ['--shm-size', '128m']],
    ['ulimit', { ulimits: ['nofile=1024:2048', 'nproc=512'] }, ['--ulimit', 'nofile=1024:2048', '--ulimit', 'nproc=512']],
    ['add-hosts', { addHosts: ['registry.internal=10.0.0.5', 'gw=host-gateway'] }, ['--add-host', 'registry.internal=10.0.0.5', '--add-host', 'gw=host-gateway']],
    ['allow', { allow: ['network.host', 'security.insecure'] }, ['--allow', 'network.host', '--allow', 'security.insecure']],
    ['secrets: a file or an env var by id, never a value', { secrets: [{ id: 'GIT_AUTH_TOKEN', src: '/tmp/run/secrets/GIT_AUTH_TOKEN' }, { id: 'npmrc', env: 'NPMRC' }] }, ['--secret', 'id=GIT_AUTH_TOKEN,src=/tmp/run/secrets/GIT_AUTH_TOKEN', '--secret', 'id=npmrc,env=NPMRC']],
    ['ssh', { ssh: ['default', 'github=/home/runner/.ssh/id_ed25519'] }, ['--ssh', 'default', '--ssh', 'github=/home/runner/.ssh/id_ed25519']],
    ['all off: nothing added', { noCache: false, pull: false, buildContexts: [], noCacheFilters: [], ulimits: [], addHosts: [], allow: [], network: '', shmSize: '' }, []]
  ])('%s', (_name, over, flags) => {
    expect(buildArgv({ ...base, ...over })).toEqual([...head, ...flags, ...tail])
  })
})

describe('buildArgv', () => {
  test.each<[string, Partial<BuildSpec>, string[]]>([
    [
      'a two-platform push',
      {},
      ['buildx', 'build', '--file', '/ws/Dockerfile', '--platform', 'linux/amd64,linux/arm64', '--tag', 'ghcr.io/o/app:1.4.2', '--tag', 'ghcr.io/o/app:latest', '--push', '--metadata-file', '/tmp/m.json', '/ws']
    ],
    [
      'push: false builds into an image output that is not pushed',
      { push: false, tags: ['ghcr.io/o/app:main'] },
      ['buildx', 'build', '--file', '/ws/Dockerfile', '--platform', 'linux/amd64,linux/arm64', '--tag', 'ghcr.io/o/app:main', '--output=type=image,push=false', '--metadata-file', '/tmp/m.json', '/ws']
    ],
    [
      'push: false with a local layout: every platform to an OCI layout directory, no tag, cache-to kept (it warms the release)',
      { push: false, tags: ['ghcr.io/o/app:main'], localLayout: '/tmp/w/oci-layout', cacheTo: ['type=gha,mode=max'] },
      ['buildx', 'build', '--file', '/ws/Dockerfile', '--platform', 'linux/amd64,linux/arm64', '--cache-to', 'type=gha,mode=max', '--output', 'type=oci,dest=/tmp/w/oci-layout,tar=false', '--metadata-file', '/tmp/m.json', '/ws']
    ],
    [
      'everything passed through, in order',
      {
        builder: 'b1',
        target: 'runtime',
        tags: ['r/a:1'],
        buildArgs: [['GO_PACKAGE', './cmd/op'], ['X', 'a=b']],
        labels: [['org.opencontainers.image.title', 'op']],
        annotations: ['manifest:k=v'],
        indexAnnotations: [['org.opencontainers.image.description', 'An operator']],
        provenance: 'mode=max',
        cacheFrom: ['type=gha'],
        cacheTo: ['type=gha,mode=max']
      },
      [
        'buildx', 'build', '--builder', 'b1', '--file', '/ws/Dockerfile', '--target', 'runtime', '--platform', 'linux/amd64,linux/arm64',
        '--build-arg', 'GO_PACKAGE=./cmd/op', '--build-arg', 'X=a=b', '--label', 'org.opencontainers.image.title=op',
        '--annotation', 'manifest:k=v', '--annotation', 'index:org.opencontainers.image.description=An operator',
        '--cache-from', 'type=gha', '--cache-to', 'type=gha,mode=max', '--provenance=mode=max',
        '--tag', 'r/a:1', '--push', '--metadata-file', '/tmp/m.json', '/ws'
      ]
    ],
    [
      'one platform with the default provenance is still an index',
      { platforms: ['linux/arm64'], tags: ['r/a:1'], indexAnnotations: [['k', 'v']] },
      ['buildx', 'build', '--file', '/ws/Dockerfile', '--platform', 'linux/arm64', '--annotation', 'index:k=v', '--tag', 'r/a:1', '--push', '--metadata-file', '/tmp/m.json', '/ws']
    ],
    [
      'one platform without provenance is a lone manifest: its annotations carry them',
      { platforms: ['linux/arm64'], tags: ['r/a:1'], indexAnnotations: [['k', 'v']], provenance: 'false' },
      ['buildx', 'build', '--file', '/ws/Dockerfile', '--platform', 'linux/arm64', '--annotation', 'manifest:k=v', '--provenance=false', '--tag', 'r/a:1', '--push', '--metadata-file', '/tmp/m.json', '/ws']
    ],
    [
      'BUILDX_NO_DEFAULT_ATTESTATIONS with one platform: a lone manifest too',
      { platforms: ['linux/arm64'], tags: ['r/a:1'], indexAnnotations: [['k', 'v']], noDefaultAttestations: true },
      ['buildx', 'build', '--file', '/ws/Dockerfile', '--platform', 'linux/arm64', '--annotation', 'manifest:k=v', '--tag', 'r/a:1', '--push', '--metadata-file', '/tmp/m.json', '/ws']
    ]
  ])('%s', (_name, spec, argv) => {
    expect(buildArgv({ ...base, ...spec })).toEqual(argv)
  })
})

describe('parseMetadata (real buildx 0.29 output)', () => {
  test('multi-platform: the index digest', () => {
    const m = parseMetadata(fixture('buildx-metadata-multi.json'))
    expect(m.digest).toBe('sha256:79945b5a922aef9fa7d1e50edc1f543eff5c149f1f2d224e9c564031e7a14b3c')
    expect(m.mediaType).toBe('application/vnd.oci.image.index.v1+json')
  })
  test('single platform: the manifest digest', () => {
    const m = parseMetadata(fixture('buildx-metadata-single.json'))
    expect(m.digest).toBe('sha256:96ac64110615ed011560c836dcab846c7eb2d82c2a3d058ce90174d1e02a76a3')
    expect(m.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json')
  })
  test('no digest is an error naming what was there', () => {
    expect(() => parseMetadata('{"buildx.build.ref":"x"}')).toThrow(/no image digest \(keys: buildx.build.ref\)/)
  })
})

describe('platformDigests (real index with attestation manifests)', () => {
  test('keeps real platforms, drops unknown/unknown attestations', () => {
    const index = JSON.parse(fixture('index-with-attestations.json')) as RawManifest
    expect(isIndex(index)).toBe(true)
    expect(platformDigests(index)).toEqual({
      'linux/amd64': 'sha256:54e19e5b900692c8158a9cef4a592a483172f8201829e8f36f06bb116f36dedc',
      'linux/arm64': 'sha256:d4f6a58e969c8f542ffa0373b75e63f07710e5d7f81bd77f60e56e6fccd8e0f0'
    })
  })
  test('a single manifest is not an index', () => {
    expect(isIndex(JSON.parse(fixture('manifest-single.json')) as RawManifest)).toBe(false)
  })
  test('variants are kept, arm64/v8 is normalised', () => {
    const index = {
      manifests: [
        { digest: 'sha256:a', platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
        { digest: 'sha256:b', platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } }
      ]
    }
    expect(platformDigests(index)).toEqual({ 'linux/arm/v7': 'sha256:a', 'linux/arm64': 'sha256:b' })
  })
})
