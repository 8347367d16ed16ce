import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { describe, expect, test } from 'vitest'
import { provenanceByPlatform, provenanceFiles, provenanceType } from '../../src/provenance.js'

/** Real `imagetools inspect --format '{{json .Provenance}}'` output, captured against the e2e registry. */
const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/buildx-provenance.json'), 'utf8')) as Record<string, unknown>
const A = 'sha256:' + 'a'.repeat(64)
const B = 'sha256:' + 'b'.repeat(64)
const TWO = { 'linux/amd64': A, 'linux/arm64': B }

describe('provenanceType: cosign --type from the predicate buildx wrote', () => {
  const two = fixture.twoPlatformsMin as Record<string, { SLSA: unknown }>
  const v1 = fixture.twoPlatformsV1 as Record<string, { SLSA: unknown }>
  test.each<[string, unknown, string | undefined]>([
    ['BuildKit default (SLSA v0.2: buildType, builder, invocation)', two['linux/amd64']?.SLSA, 'slsaprovenance02'],
    ['provenance: version=v1 (buildDefinition, runDetails)', v1['linux/arm64']?.SLSA, 'slsaprovenance1'],
    ['nothing', undefined, undefined],
    ['an unrelated object', { predicateType: 'https://cyclonedx.org/bom' }, undefined]
  ])('%s', (_name, predicate, type) => {
    expect(provenanceType(predicate)).toBe(type)
  })
})

describe('provenanceByPlatform', () => {
  test.each<[string, string, string[], string[]]>([
    ['two platforms: keyed by platform', 'twoPlatformsMin', ['linux/amd64', 'linux/arm64'], ['linux/amd64', 'linux/arm64']],
    ['one platform: {SLSA} belongs to it', 'onePlatformMin', ['linux/arm64'], ['linux/arm64']],
    ['provenance: false: nothing', 'twoPlatformsNone', ['linux/amd64', 'linux/arm64'], []],
    ['v1, two platforms', 'twoPlatformsV1', ['linux/amd64', 'linux/arm64'], ['linux/amd64', 'linux/arm64']]
  ])('%s', (_name, key, platforms, found) => {
    expect(Object.keys(provenanceByPlatform(fixture[key], platforms)).sort()).toEqual(found)
  })

  test('a {SLSA} output cannot be assigned when several platforms were pushed', () => {
    expect(provenanceByPlatform(fixture.onePlatformMin, ['linux/amd64', 'linux/arm64'])).toEqual({})
  })

  test('platforms with a variant are normalised the way the outputs name them', () => {
    expect(Object.keys(provenanceByPlatform({ 'linux/arm64/v8': { SLSA: {} } }, ['linux/arm64']))).toEqual(['linux/arm64'])
  })
})

describe('provenanceFiles', () => {
  test('writes one predicate per platform, with its digest and type', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-prov-'))
    const { found, missing } = provenanceFiles(fixture.twoPlatformsMin, TWO, dir)
    expect(missing).toEqual([])
    expect(found.map((p) => [p.platform, p.digest, p.type])).toEqual([
      ['linux/amd64', A, 'slsaprovenance02'],
      ['linux/arm64', B, 'slsaprovenance02']
    ])
    const written = JSON.parse(fs.readFileSync(found[1]?.file ?? '', 'utf8')) as { buildType: string; materials: Array<{ uri: string }> }
    expect(written.buildType).toBe('https://mobyproject.org/buildkit@v1')
    expect(written.materials.map((m) => m.uri)).toContain('pkg:docker/registry.example:5443/e2e/static@nonroot?platform=linux%2Farm64')
  })

  test('says which platforms have none', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-prov-'))
    expect(provenanceFiles(fixture.twoPlatformsNone, TWO, dir)).toEqual({ found: [], missing: ['linux/amd64', 'linux/arm64'] })
  })
})
