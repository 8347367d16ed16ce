import { beforeEach, describe, expect, test, vi } from 'vitest'

const uploadArtifact = vi.fn((_name: string, _files: string[], _root: string, _opts: unknown) => Promise.resolve({ id: 7, size: 1234 }))
vi.mock('@actions/artifact', () => ({
  DefaultArtifactClient: class {
    uploadArtifact = uploadArtifact
  }
}))
const warning = vi.fn((_m: string) => undefined)
vi.mock('@actions/core', () => ({ info: vi.fn(), warning: (m: string) => warning(m) }))

const { sbomArtifactName, uploadSboms } = await import('../../../src/supply-chain/sbom-artifact.js')

const IDX = 'sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'
const OTHER = 'sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210'

beforeEach(() => {
  uploadArtifact.mockClear()
  warning.mockClear()
})

describe('the artifact name: unique per job output, and one the artifact service accepts', () => {
  test.each([
    ['ghcr.io/vmafx/vmafx-operator', IDX, undefined, 'sbom-ghcr.io-vmafx-vmafx-operator-sha256-0123456789ab'],
    ['ghcr.io/vmafx/vmafx-operator', OTHER, '-debug', 'sbom-ghcr.io-vmafx-vmafx-operator-debug-sha256-fedcba987654'],
    ['registry.example:5000/team/app', IDX, '', 'sbom-registry.example-5000-team-app-sha256-0123456789ab'],
    ['r.example/a', 'sha512:' + 'ab'.repeat(64), '_rc', 'sbom-r.example-a_rc-sha512-abababababab']
  ])('%s @ %s, suffix %s -> %s', (image, digest, tagSuffix, name) => {
    expect(sbomArtifactName({ image, digest, tagSuffix })).toBe(name)
  })

  test('the README matrix (main and -debug of one image) gets two names; so do two platform sets without a suffix', () => {
    const main = sbomArtifactName({ image: 'ghcr.io/vmafx/vmafx-operator', digest: IDX })
    const debug = sbomArtifactName({ image: 'ghcr.io/vmafx/vmafx-operator', digest: OTHER, tagSuffix: '-debug' })
    const arm = sbomArtifactName({ image: 'ghcr.io/vmafx/vmafx-operator', digest: OTHER })
    expect(new Set([main, debug, arm]).size).toBe(3)
  })

  test('no character the artifact service refuses (@actions/artifact: " : < > | * ? \\r \\n \\ /), and at most 200 + the digest part', () => {
    const name = sbomArtifactName({ image: `${'x'.repeat(300)}.example:443/a"b|c*d?e<f>g\\h`, digest: IDX, tagSuffix: '-debug' })
    expect(name).not.toMatch(/["':<>|*?\r\n\\/]/)
    expect(name.endsWith('-sha256-0123456789ab')).toBe(true)
    expect(name.length).toBe(200 + '-sha256-0123456789ab'.length)
  })
})

describe('the upload', () => {
  test('uploads the SBOMs as one artifact under that name', async () => {
    const files = ['/t/sbom/sbom-linux-amd64.cdx.json', '/t/sbom/sbom-linux-arm64.cdx.json']
    const note = await uploadSboms(files, { image: 'ghcr.io/vmafx/vmafx-operator', digest: IDX, tagSuffix: '-debug', attested: true }, { ACTIONS_RUNTIME_TOKEN: 'x' })
    expect(uploadArtifact).toHaveBeenCalledWith('sbom-ghcr.io-vmafx-vmafx-operator-debug-sha256-0123456789ab', files, '/t/sbom', { retentionDays: undefined })
    expect(note).toBe('SBOMs uploaded as artifact `sbom-ghcr.io-vmafx-vmafx-operator-debug-sha256-0123456789ab`')
    expect(warning).not.toHaveBeenCalled()
  })

  test('off a GitHub runner there is nothing to upload to, and the summary says so', async () => {
    const note = await uploadSboms(['/t/a.json'], { image: 'r/a', digest: IDX }, {})
    expect(uploadArtifact).not.toHaveBeenCalled()
    expect(note).toMatch(/not uploaded: no Actions runtime token/)
  })

  // The client's message for the service's 409, as upload-artifact users see it in their logs.
  const conflict = 'Failed to CreateArtifact: Received non-retryable error: Failed request: (409) Conflict: an artifact with this name already exists on the workflow run'

  test('a name already in the run (an earlier attempt of this job, same digest): a note, no warning, never a rejection', async () => {
    uploadArtifact.mockRejectedValueOnce(new Error(conflict))
    const note = await uploadSboms(['/t/a.json'], { image: 'r/a', digest: IDX, attested: true }, { ACTIONS_RUNTIME_TOKEN: 'x' })
    expect(note).toBe('SBOM artifact `sbom-r-a-sha256-0123456789ab` was already in this workflow run (uploaded for the same digest by an earlier attempt or another job)')
    expect(warning).not.toHaveBeenCalled()
  })

  test.each([
    [true, 'Failed to FinalizeArtifact: Received non-retryable error: Failed request: (403) Forbidden: no', /not uploaded: Failed to FinalizeArtifact.*\(403\).*The SBOMs are attested to the digests \(cosign verify-attestation --type cyclonedx\); only the workflow-artifact copy is missing\.$/],
    [false, 'Unable to get the ACTIONS_RESULTS_URL env variable', /not uploaded: Unable to get the ACTIONS_RESULTS_URL env variable\. The SBOM files are still on the runner .*the `sbom` output/]
  ])('any other failure (attested: %s) is a warning and the summary line, never a rejection', async (attested, message, line) => {
    uploadArtifact.mockRejectedValueOnce(new Error(message))
    const note = await uploadSboms(['/t/a.json'], { image: 'r/a', digest: IDX, attested }, { ACTIONS_RUNTIME_TOKEN: 'x' })
    expect(note).toMatch(line)
    expect(warning).toHaveBeenCalledWith(note)
  })
})
