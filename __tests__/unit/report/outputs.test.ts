import { beforeEach, expect, test, vi } from 'vitest'

const outputs: Record<string, string> = {}
vi.mock('@actions/core', () => ({ setOutput: vi.fn((k: string, v: string) => (outputs[k] = v)) }))
const { setOutputs } = await import('../../../src/report/outputs.js')

const IDX = 'sha256:' + '1'.repeat(64)
const AMD = 'sha256:' + '2'.repeat(64)

beforeEach(() => {
  for (const k of Object.keys(outputs)) delete outputs[k]
})

test('a finished release sets all ten outputs', () => {
  setOutputs({
    metadata: { 'containerimage.digest': IDX },
    skipped: false,
    release: { name: 'ghcr.io/o/app', digest: IDX, tags: ['ghcr.io/o/app:1.2.3', 'ghcr.io/o/app:1.2'], platforms: { 'linux/amd64': AMD } },
    sboms: { 'linux/amd64': '/w/sbom-linux-amd64.cdx.json' },
    images: { 'ghcr.io/o/app': `ghcr.io/o/app@${IDX}` },
    signed: true,
    vulnerabilitySarif: '/w/trivy.sarif'
  })
  expect(outputs).toEqual({
    metadata: JSON.stringify({ 'containerimage.digest': IDX }),
    skipped: 'false',
    digest: IDX,
    image: `ghcr.io/o/app@${IDX}`,
    tags: 'ghcr.io/o/app:1.2.3\nghcr.io/o/app:1.2',
    'platform-digests': JSON.stringify({ 'linux/amd64': AMD }),
    sbom: JSON.stringify({ 'linux/amd64': '/w/sbom-linux-amd64.cdx.json' }),
    images: JSON.stringify({ 'ghcr.io/o/app': `ghcr.io/o/app@${IDX}` }),
    signed: 'true',
    'vulnerability-sarif': '/w/trivy.sarif'
  })
})

test('only what the run found out: nothing before the push', () => {
  setOutputs({})
  expect(outputs).toEqual({})
  setOutputs({ release: { name: 'ghcr.io/o/app', digest: IDX, tags: [], platforms: {} }, signed: false })
  expect(outputs).toEqual({ digest: IDX, image: `ghcr.io/o/app@${IDX}`, tags: '', 'platform-digests': '{}', signed: 'false' })
})

test.each<[string, number[] | undefined, Record<string, string>]>([
  ['attestation-ids: one ID a line, those this attempt stored', [1001, 1002], { 'attestation-ids': '1001\n1002' }],
  ['attestation-ids: none stored (a re-run that found everything there)', [], { 'attestation-ids': '' }],
  ['attestation-ids: the store was not used', undefined, {}]
])('%s', (_what, ids, expected) => {
  setOutputs({ attestationIds: ids })
  expect(outputs).toEqual(expected)
})
