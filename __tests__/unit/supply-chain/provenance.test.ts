import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { describe, expect, test } from 'vitest'
import type { RawManifest } from '../../../src/registry/manifest.js'
import { platformDigests } from '../../../src/registry/manifest.js'
import { AttestationShapeError, missingProvenanceMessage, provenanceFiles, provenanceType, recordedProvenance } from '../../../src/supply-chain/provenance.js'

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

describe('recordedProvenance: an attestation manifest of a shape buildx does not write is an error, never skipped', () => {
  type Change = (p: Pushed, attestation: RawManifest, entry: NonNullable<RawManifest['manifests']>[number]) => void
  const attestationOf = (p: Pushed) => {
    const entry = (p.index.manifests ?? []).find((d) => d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest')
    if (!entry) throw new Error('fixture without an attestation manifest')
    return { entry, attestation: p.manifests[entry.digest] as RawManifest }
  }
  test.each<[string, Change, RegExp]>([
    ['its subject is not a platform of the index', (_p, _a, e) => { (e.annotations ?? {})['vnd.docker.reference.digest'] = `sha256:${'e'.repeat(64)}` }, /is for sha256:e{64}, which is not a platform image of the index/],
    ['it names no subject', (_p, _a, e) => { delete e.annotations?.['vnd.docker.reference.digest'] }, /is for no subject \(no vnd\.docker\.reference\.digest\)/],
    ['two for one platform', (p, _a, e) => { p.index.manifests?.push({ ...e, digest: `sha256:${'f'.repeat(64)}` }) }, /two attestation manifests for linux\/amd64/],
    ['no layers', (_p, a) => { a.layers = [] }, /has no layers/],
    ['layers missing', (_p, a) => { delete a.layers }, /has no layers/],
    ['a layer that is not in-toto', (_p, a) => { const l = a.layers?.[0]; if (l) l.mediaType = 'application/vnd.oci.image.layer.v1.tar+gzip' }, /a layer that is not an in-toto statement with a predicate type \(mediaType application\/vnd\.oci\.image\.layer\.v1\.tar\+gzip/],
    ['a layer without a predicate type', (_p, a) => { const l = a.layers?.[0]; if (l) l.annotations = {} }, /a layer that is not an in-toto statement with a predicate type/],
    ['a layer without a digest', (_p, a) => { const l = a.layers?.[0]; if (l) delete l.digest }, /digest none/],
    ['an SLSA version cosign cannot attest', (_p, a) => { const l = a.layers?.[0]; if (l) l.annotations = { 'in-toto.io/predicate-type': 'https://slsa.dev/provenance/v0.1' } }, /SLSA provenance of a version cosign cannot attest: https:\/\/slsa\.dev\/provenance\/v0\.1/],
    ['two provenance statements', (_p, a) => { const l = a.layers?.[0]; if (l) a.layers?.push({ ...l }) }, /carries two SLSA provenance statements/]
  ])('%s', async (_name, change, error) => {
    const p = structuredClone(fixture.min2) as Pushed
    const { entry, attestation } = attestationOf(p)
    change(p, attestation, entry)
    // The platforms are the untouched index's: only the attestations change.
    const run = recordedProvenance(p.index, platformDigests((fixture.min2 as Pushed).index), reader(p))
    await expect(run).rejects.toThrow(AttestationShapeError)
    await expect(run).rejects.toThrow(error)
  })

  test('an SBOM statement beside the provenance is not provenance, and not an error', async () => {
    const p = structuredClone(fixture.min2) as Pushed
    const { attestation } = attestationOf(p)
    attestation.layers?.push({ size: 2, digest: `sha256:${'d'.repeat(64)}`, mediaType: 'application/vnd.in-toto+json', annotations: { 'in-toto.io/predicate-type': 'https://spdx.dev/Document' } })
    const r = await recordedProvenance(p.index, platformDigests(p.index), reader(p))
    expect(Object.keys(r).sort()).toEqual(['linux/amd64', 'linux/arm64'])
  })
})

describe('missingProvenanceMessage', () => {
  test('names the platforms, the builder, every cause, and the input that releases without it', () => {
    const m = missingProvenanceMessage(['linux/amd64'], 'builder default (driver docker)')
    expect(m).toMatch(/^No SLSA provenance recorded by buildx for linux\/amd64, and provenance-attestation is true \(the default\)/)
    for (const part of ['Built with builder default (driver docker).', '`provenance: false`', 'BUILDX_NO_DEFAULT_ATTESTATIONS', 'the docker driver on the classic image store', 'merge-digests', 'provenance-attestation: false']) expect(m).toContain(part)
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
