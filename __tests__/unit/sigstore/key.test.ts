import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { expect, test, vi } from 'vitest'
import { cosignKeyArg, isKmsReference, parseCosignKey } from '../../../src/sigstore/key.js'

vi.mock('@actions/core', () => ({ setSecret: vi.fn(), getInput: vi.fn() }))
const { maskSecret } = await import('../../../src/inputs/index.js')
const core = await import('@actions/core')

const PEM = '-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nAAAAbbbbCCCCdddd\nEEEEffff\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----'

test.each([
  ['PEM content', PEM, { kind: 'pem', content: PEM + '\n' }],
  ['env reference', 'env://COSIGN_PRIVATE_KEY', { kind: 'ref', ref: 'env://COSIGN_PRIVATE_KEY' }],
  ['GCP KMS', 'gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k', { kind: 'ref', ref: 'gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k' }],
  ['Azure KMS', 'azurekms://vault.vault.azure.net/key', { kind: 'ref', ref: 'azurekms://vault.vault.azure.net/key' }],
  ['Vault', 'hashivault://release', { kind: 'ref', ref: 'hashivault://release' }],
  ['Kubernetes secret', 'k8s://ns/secret', { kind: 'ref', ref: 'k8s://ns/secret' }],
  ['empty means keyless', '', undefined]
])('%s', (_name, value, expected) => {
  expect(parseCosignKey(value, os.tmpdir())).toEqual(expected)
})

test('a file path relative to the workspace', () => {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'key-'))
  fs.writeFileSync(path.join(ws, 'release.key'), PEM)
  expect(parseCosignKey('release.key', ws)).toEqual({ kind: 'file', path: path.join(ws, 'release.key') })
})

test('an error about the key never repeats the key', () => {
  const truncated = '-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nSECRETMATERIAL'
  expect(() => parseCosignKey(truncated, os.tmpdir())).toThrow(/no END line/)
  try {
    parseCosignKey(truncated, os.tmpdir())
  } catch (e) {
    expect((e as Error).message).not.toContain('SECRETMATERIAL')
  }
})

test('maskSecret masks the whole value and every line of it', () => {
  maskSecret(PEM)
  const masked = vi.mocked(core.setSecret).mock.calls.map((c) => c[0])
  expect(masked).toContain(PEM)
  expect(masked).toContain('AAAAbbbbCCCCdddd')
  expect(masked).toContain('EEEEffff')
})

test.each([
  ['awskms://arn', true],
  ['gcpkms://projects/p', true],
  ['k8s://ns/secret', true],
  // env:// holds the private key itself: its public key must be derived, not passed to verify.
  ['env://COSIGN_PRIVATE_KEY', false],
  ['/keys/cosign.key', false]
])('isKmsReference(%s) = %s', (ref, expected) => {
  expect(isKmsReference(ref)).toBe(expected)
})

test('cosignKeyArg: PEM content goes to a 0600 file in the given dir; files and references pass as given', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyarg-'))
  const file = cosignKeyArg({ kind: 'pem', content: PEM + '\n' }, dir)
  expect(file).toBe(path.join(dir, 'cosign.key'))
  expect(fs.statSync(file).mode & 0o777).toBe(0o600)
  expect(fs.readFileSync(file, 'utf8')).toBe(PEM + '\n')
  expect(cosignKeyArg({ kind: 'file', path: '/k/cosign.key' }, dir)).toBe('/k/cosign.key')
  expect(cosignKeyArg({ kind: 'ref', ref: 'env://K' }, dir)).toBe('env://K')
})

test('a directory is not a key file', () => {
  expect(() => parseCosignKey(os.tmpdir(), os.tmpdir())).toThrow(/^Input `cosign-key`: is neither PEM content, a key reference/)
})

test('readInputs masks every build secret value on its own, before anything else runs', async () => {
  const { readInputs } = await import('../../../src/inputs/index.js')
  const values: Record<string, string> = { image: 'ghcr.io/o/app', 'merge-digests': 'sha256:' + 'a'.repeat(64), sign: 'false', secrets: 'NPM_TOKEN=npm_abcdef\nshort=xyz', 'github-token': 'ghs_token123' }
  vi.mocked(core.getInput).mockImplementation((name: string) => values[name] ?? '')
  vi.mocked(core.setSecret).mockClear()
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'mask-'))
  readInputs({ workspace: ws, repository: 'o/app', owner: 'o', ref: 'refs/heads/main', sha: 'a'.repeat(40), serverUrl: 'https://github.com', apiUrl: 'https://api.github.com', workflowRef: '', runId: '1', runAttempt: 1, idTokenAvailable: false, runnerTemp: os.tmpdir(), nodeArch: 'x64', noDefaultAttestations: false, sourceDate: '' })
  const masked = vi.mocked(core.setSecret).mock.calls.map((c) => c[0])
  for (const secret of ['npm_abcdef', 'xyz', 'ghs_token123']) expect(masked).toContain(secret)
})
