import { beforeEach, expect, test, vi } from 'vitest'

const uploadArtifact = vi.fn(() => Promise.resolve({ id: 7, size: 1234 }))
vi.mock('@actions/artifact', () => ({
  DefaultArtifactClient: class {
    uploadArtifact = uploadArtifact
  }
}))
vi.mock('@actions/core', () => ({ info: vi.fn() }))

const { uploadSboms } = await import('../../../src/supply-chain/sbom-artifact.js')

beforeEach(() => uploadArtifact.mockClear())

test('uploads the SBOMs as one artifact named for the image', async () => {
  const files = ['/t/sbom/sbom-linux-amd64.cdx.json', '/t/sbom/sbom-linux-arm64.cdx.json']
  const note = await uploadSboms(files, 'ghcr.io/vmafx/vmafx-operator', { ACTIONS_RUNTIME_TOKEN: 'x' })
  expect(uploadArtifact).toHaveBeenCalledWith('sbom-ghcr.io-vmafx-vmafx-operator', files, '/t/sbom', { retentionDays: undefined })
  expect(note).toBe('SBOMs uploaded as artifact `sbom-ghcr.io-vmafx-vmafx-operator`')
})

test('off a GitHub runner there is nothing to upload to, and the summary says so', async () => {
  const note = await uploadSboms(['/t/a.json'], 'r/a', {})
  expect(uploadArtifact).not.toHaveBeenCalled()
  expect(note).toMatch(/not uploaded: no Actions runtime token/)
})
