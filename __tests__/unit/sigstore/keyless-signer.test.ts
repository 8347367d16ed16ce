import { expect, test, vi } from 'vitest'

vi.mock('@actions/core', () => ({ getIDToken: vi.fn() }))

const { githubKeylessIdentity, jwtClaims } = await import('../../../src/sigstore/keyless-signer.js')
const core = await import('@actions/core')

test('jwtClaims reads job_workflow_ref, the identity Fulcio puts in the certificate', () => {
  const payload = Buffer.from(JSON.stringify({ job_workflow_ref: 'o/shared/.github/workflows/release.yml@refs/tags/v1' })).toString('base64url')
  expect(jwtClaims(`e30.${payload}.sig`).job_workflow_ref).toBe('o/shared/.github/workflows/release.yml@refs/tags/v1')
  expect(() => jwtClaims('not-a-jwt')).toThrow(/not a JWT/)
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
