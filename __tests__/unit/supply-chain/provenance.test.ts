import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { describe, expect, test } from 'vitest'
import type { RawManifest } from '../../../src/registry/manifest.js'
import { platformDigests } from '../../../src/registry/manifest.js'
import { provenanceFiles, provenanceType, recordedProvenance } from '../../../src/supply-chain/provenance.js'

/** What buildx pushed to the e2e registry: indexes, their attestation manifests, the statement blobs. */
interface Pushed {
  digest: string
  index: RawManifest
  manifests: Record<string, RawManifest>
  blobs: Record<string, string>
}
const fixture = (JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '../../fixtures/buildx-attestation-manifests.json'), 'utf8')) as { images: Record<string, Pushed> }).images
const reads: string[] = []
const reader = (p: Pushed) => ({
  manifest: (d: string) => (reads.push(d), Promise.resolve(p.manifests[d] ?? ({}))),
  blob: (d: string) => (reads.push(d), Promise.resolve(p.blobs[d] ?? ''))
})
const recorded = (name: string) => {
  const p = fixture[name] as Pushed
  return recordedProvenance(p.index, platformDigests(p.index), reader(p))
}

describe('provenanceType: cosign --type from the in-toto predicate type buildx annotates', () => {
  test.each<[string | undefined, string | undefined]>([
    ['https://slsa.dev/provenance/v0.2', 'slsaprovenance02'],
    ['https://slsa.dev/provenance/v1', 'slsaprovenance1'],
    ['https://spdx.dev/Document', undefined],
    [undefined, undefined]
  ])('%s -> %s', (type, cosignType) => {
    expect(provenanceType(type)).toBe(cosignType)
  })
})

describe('recordedProvenance: read from the attestation manifests, per platform', () => {
  test.each<[string, Record<string, string>]>([
    ['min2', { 'linux/amd64': 'slsaprovenance02', 'linux/arm64': 'slsaprovenance02' }],
    ['v1', { 'linux/amd64': 'slsaprovenance1', 'linux/arm64': 'slsaprovenance1' }],
    ['single', { 'linux/arm64': 'slsaprovenance02' }],
    ['none', {}]
  ])('%s', async (name, types) => {
    const r = await recorded(name)
    expect(Object.fromEntries(Object.entries(r).map(([p, v]) => [p, v.type]))).toEqual(types)
  })

  test("each platform gets its own record: the materials are that platform's bases", async () => {
    const r = await recorded('min2')
    for (const platform of ['linux/amd64', 'linux/arm64']) {
      const materials = (r[platform]?.predicate as { materials: Array<{ uri: string }> }).materials.map((m) => m.uri).filter((u) => u.startsWith('pkg:docker/'))
      expect(materials.length).toBeGreaterThan(0)
      for (const u of materials) expect(u).toContain(`platform=${encodeURIComponent(platform)}`)
    }
  })

  test('reads only the attestation manifests and their provenance layers, never a platform image', async () => {
    reads.length = 0
    await recorded('min2')
    const p = fixture.min2 as Pushed
    expect(reads.sort()).toEqual([...Object.keys(p.manifests), ...Object.keys(p.blobs)].sort())
  })

  test('a blob that does not hash to its digest is refused, not attested', async () => {
    const p = structuredClone(fixture.min2) as Pushed
    const [d] = Object.keys(p.blobs)
    p.blobs[d ?? ''] = (p.blobs[d ?? ''] ?? '').replace('buildkit', 'evilkit')
    await expect(recordedProvenance(p.index, platformDigests(p.index), reader(p))).rejects.toThrow(/read back as sha256:[a-f0-9]{64}: refusing to attest it/)
  })
})

describe('provenanceFiles', () => {
  test('writes one predicate per platform, with its digest and type; says which have none', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-prov-'))
    const p = fixture.min2 as Pushed
    const platforms: Record<string, string> = { ...platformDigests(p.index), 'linux/s390x': 'sha256:' + 'f'.repeat(64) }
    const { found, missing } = provenanceFiles(await recorded('min2'), platforms, dir)
    expect(missing).toEqual(['linux/s390x'])
    expect(found.map((f) => [f.platform, f.digest, f.type])).toEqual([
      ['linux/amd64', platforms['linux/amd64'], 'slsaprovenance02'],
      ['linux/arm64', platforms['linux/arm64'], 'slsaprovenance02']
    ])
    expect((JSON.parse(fs.readFileSync(found[0]?.file ?? '', 'utf8')) as { buildType: string }).buildType).toBe('https://mobyproject.org/buildkit@v1')
  })
})
