import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { expect, test, vi } from 'vitest'
import { parseCosignKey } from '../../src/cosign-key.js'

vi.mock('@actions/core', () => ({ setSecret: vi.fn(), getInput: vi.fn() }))
const { maskSecret } = await import('../../src/inputs.js')
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
