import { beforeEach, expect, test, vi } from 'vitest'

const uploadArtifact = vi.fn(() => Promise.resolve({ id: 7, size: 1234 }))
vi.mock('@actions/artifact', () => ({
  DefaultArtifactClient: class {
    uploadArtifact = uploadArtifact
  }
}))
vi.mock('@actions/core', () => ({ info: vi.fn(), getIDToken: vi.fn() }))

const { uploadSboms } = await import('../../src/supply-chain/sbom-artifact.js')
const { githubKeylessIdentity } = await import('../../src/sigstore/keyless-signer.js')
const core = await import('@actions/core')

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

test('keyless identity: the job_workflow_ref of the OIDC token, for the sigstore audience', async () => {
  const claims = Buffer.from(JSON.stringify({ job_workflow_ref: 'vmafx/shared/.github/workflows/image.yml@refs/tags/v2' })).toString('base64url')
  vi.mocked(core.getIDToken).mockResolvedValue(`e30.${claims}.sig`)
  const id = await githubKeylessIdentity('https://github.com', 'vmafx/op/.github/workflows/release.yml@refs/heads/main')
  expect(core.getIDToken).toHaveBeenCalledWith('sigstore')
  expect(id).toEqual({ kind: 'keyless', certificateIdentity: 'https://github.com/vmafx/shared/.github/workflows/image.yml@refs/tags/v2', issuer: 'https://token.actions.githubusercontent.com' })
})

test('keyless identity falls back to GITHUB_WORKFLOW_REF when the token lacks the claim', async () => {
  vi.mocked(core.getIDToken).mockResolvedValue(`e30.${Buffer.from('{}').toString('base64url')}.sig`)
  const id = await githubKeylessIdentity('https://ghes.example', 'vmafx/op/.github/workflows/release.yml@refs/heads/main')
  expect(id).toMatchObject({ certificateIdentity: 'https://ghes.example/vmafx/op/.github/workflows/release.yml@refs/heads/main' })
})
