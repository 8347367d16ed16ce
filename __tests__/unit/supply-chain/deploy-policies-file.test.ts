import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { expect, test } from 'vitest'
import { writeDeployPolicies } from '../../../src/supply-chain/deploy-policies-file.js'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deploy-policies-'))
const PEM = '-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n'
fs.writeFileSync(path.join(dir, 'cosign.pub'), PEM)
const o = { name: 'r.example/app', transparencyLog: false, workDir: dir }

test.each([
  ['a key: its PEM from the public key file', { kind: 'key' as const, publicKey: path.join(dir, 'cosign.pub') }, ['publicKeys: |', 'MFkw', 'data: |']],
  ['keyless: the identity and issuer', { kind: 'keyless' as const, certificateIdentity: 'https://github.com/o/r/.github/workflows/rel.yml@refs/heads/main', issuer: 'https://token.actions.githubusercontent.com' }, ['subject: https://github.com/o/r/.github/workflows/rel.yml@refs/heads/main', 'issuer: https://token.actions.githubusercontent.com']]
])('%s', (_, identity, parts) => {
  const notes: string[] = []
  const file = writeDeployPolicies({ identity, attested: ['cyclonedx', 'openvex'] }, o, notes)
  expect(file).toBe(path.join(dir, 'deploy-policies.yaml'))
  const text = fs.readFileSync(file ?? '', 'utf8')
  for (const p of [...parts, 'kind: ClusterImagePolicy', 'kind: ClusterPolicy', 'https://openvex.dev/ns']) expect(text).toContain(p)
  expect(notes).toEqual([])
})

test('a KMS key: not written, and the note says why', () => {
  const notes: string[] = []
  expect(writeDeployPolicies({ identity: { kind: 'key', publicKey: 'awskms:///alias/release' }, attested: [] }, o, notes)).toBeUndefined()
  expect(notes).toEqual(['deploy-policies: not written: the signing key is a KMS reference (awskms:///alias/release), whose public key the policies would have to carry'])
})

test('nothing signed: nothing written', () => {
  expect(writeDeployPolicies({}, o, [])).toBeUndefined()
})
