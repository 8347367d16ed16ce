// Reading a push once: `imagetools inspect --format '{{json .}}'` (fixtures are real buildx 0.29
// output for a two-platform index with provenance, and for one of its platform manifests).
import * as fs from 'node:fs'
import * as path from 'node:path'
import { beforeEach, describe, expect, test, vi } from 'vitest'

const calls: string[][] = []
vi.mock('../../../src/lib/exec.js', () => ({
  run: vi.fn((_file: string, args: string[]) => {
    calls.push(args)
    if (args.includes('--raw')) return Promise.resolve({ exitCode: 0, stdout: JSON.stringify({ layers: [{ size: 1000 }, { size: 234 }] }), stderr: '' })
    return Promise.resolve({ exitCode: 0, stdout: JSON.stringify({ config: { User: '0' } }), stderr: '' })
  })
}))
vi.mock('@actions/core', () => ({ warning: vi.fn(), info: vi.fn() }))

const { parsePushed } = await import('../../../src/registry/manifest.js')
const { normalizePlatform } = await import('../../../src/build/platform.js')
const { platformFacts } = await import('../../../src/gates/pushed-image-rules.js')
const { ImageTools } = await import('../../../src/registry/imagetools.js')
const tools = new ImageTools({})
const reads = { manifest: (ref: string) => tools.raw(ref, { justPushed: true }), config: (ref: string) => tools.config(ref, { justPushed: true }) }

const fixture = (name: string) => fs.readFileSync(path.join(import.meta.dirname, '../../fixtures', name), 'utf8')
const indexJson = fixture('imagetools-json-index.json')
const manifestJson = fixture('imagetools-json-manifest.json')
const AMD = 'sha256:3e92cc7c17b1a84cdb18ca2bd6e2af70e2dfe3a93b030053d00832a2bd5d621d'
const ARM = 'sha256:0ab2725d1c4b9356f279bc7cbd82545b2fd49b8cd8b510c6b1c45f03561cbf43'
const REF = 'r.example/o/app@sha256:' + 'f'.repeat(64)

beforeEach(() => {
  calls.length = 0
})

describe('parsePushed', () => {
  test('an index: platform digests without the attestation manifests, and each platform config', () => {
    const p = parsePushed(indexJson, REF, ['linux/amd64', 'linux/arm64'])
    expect(p.platforms).toEqual({ 'linux/amd64': AMD, 'linux/arm64': ARM })
    expect(p.configs['linux/amd64']?.config?.User).toBe('65532:65532')
    expect(p.configs['linux/arm64']?.config?.User).toBe('65532:65532')
  })

  test('an index lacking a built platform is refused, naming it and what is there', () => {
    expect(() => parsePushed(indexJson, REF, ['linux/amd64', 'linux/arm/v7'])).toThrow(`the pushed index ${REF} lacks linux/arm/v7 (it has linux/amd64, linux/arm64)`)
  })

  test('a lone manifest: its own digest and config for the one platform built', () => {
    const p = parsePushed(manifestJson, REF, ['linux/arm64'])
    expect(p.platforms).toEqual({ 'linux/arm64': ARM })
    expect(p.configs['linux/arm64']?.config?.User).toBe('65532:65532')
  })

  test('a lone manifest for several platforms built is an error', () => {
    expect(() => parsePushed(manifestJson, REF, ['linux/amd64', 'linux/arm64'])).toThrow('is a single manifest, but 2 platforms were built')
  })

  test('an index holding one image, printed with a single config, maps it to that platform', () => {
    const index = JSON.parse(indexJson) as { manifest: { manifests: Array<{ platform: { architecture: string } }> }; image: Record<string, unknown> }
    index.manifest.manifests = index.manifest.manifests.filter((m) => m.platform.architecture !== 'amd64')
    const only = { ...JSON.parse(manifestJson), manifest: index.manifest } as { image: unknown }
    const p = parsePushed(JSON.stringify(only), REF, ['linux/arm64'])
    expect(p.platforms).toEqual({ 'linux/arm64': ARM })
    expect(p.configs['linux/arm64']?.config?.User).toBe('65532:65532')
  })
})

test.each([
  ['linux/arm64/v8', 'linux/arm64'],
  ['linux/arm64', 'linux/arm64'],
  ['linux/arm/v7', 'linux/arm/v7'],
  ['linux/ppc64le', 'linux/ppc64le'],
  ['linux/amd64/v1', 'linux/amd64'],
  ['linux/amd64/v3', 'linux/amd64/v3']
])('normalizePlatform(%s) = %s', (given, expected) => {
  expect(normalizePlatform(given)).toBe(expected)
})

describe('platformFacts', () => {
  const pushed = parsePushed(indexJson, REF, ['linux/amd64', 'linux/arm64'])

  test('without max-image-size the users come from the index read: no further registry reads', async () => {
    const facts = await platformFacts('r.example/o/app', pushed, false, reads)
    expect(facts).toEqual([
      { platform: 'linux/amd64', user: '65532:65532', size: undefined },
      { platform: 'linux/arm64', user: '65532:65532', size: undefined }
    ])
    expect(calls).toEqual([])
  })

  test('with max-image-size each platform manifest is read for its layer sizes', async () => {
    const facts = await platformFacts('r.example/o/app', pushed, true, reads)
    expect(facts.map((f) => f.size)).toEqual([1234, 1234])
    expect(calls).toEqual([
      ['buildx', 'imagetools', 'inspect', '--raw', `r.example/o/app@${AMD}`],
      ['buildx', 'imagetools', 'inspect', '--raw', `r.example/o/app@${ARM}`]
    ])
  })

  test('a platform whose config the index read lacked is read on its own, not taken for root', async () => {
    const facts = await platformFacts('r.example/o/app', { digest: pushed.digest, platforms: pushed.platforms, configs: { 'linux/amd64': pushed.configs['linux/amd64'] ?? {} } }, false, reads)
    expect(facts.find((f) => f.platform === 'linux/arm64')?.user).toBe('0')
    expect(calls).toEqual([['buildx', 'imagetools', 'inspect', `r.example/o/app@${ARM}`, '--format', '{{json .Image}}']])
  })
})
