import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { expect, test } from 'vitest'
import { writeDeployPolicies } from '../../../src/supply-chain/deploy-policies-file.js'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deploy-policies-'))
const PEM = '-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n'
fs.writeFileSync(path.join(dir, 'cosign.pub'), PEM)
const o = { name: 'r.example/app', transparencyLog: false, cosignMajor: 2, workDir: dir }

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

test('an attestation only the platform digests carry is not required, and the note says so', () => {
  const notes: string[] = []
  const file = writeDeployPolicies({ identity: { kind: 'key', publicKey: path.join(dir, 'cosign.pub') }, attested: ['cyclonedx', 'slsaprovenance1', 'vuln', 'openvex'], attestedToAll: ['cyclonedx', 'slsaprovenance1'] }, o, notes)
  const text = fs.readFileSync(file ?? '', 'utf8')
  for (const p of ['https://cyclonedx.org/bom', 'https://slsa.dev/provenance/v1']) expect(text).toContain(p)
  for (const p of ['https://openvex.dev/ns', 'https://cosign.sigstore.dev/attestation/vuln/v1']) expect(text).not.toContain(p)
  expect(notes).toEqual(["deploy-policies: vuln, openvex are attested to each platform's digest, not to the index a tag names, so the policies do not require them (admission checks the digest the Pod names)"])
})

test('a key with cosign 3: the Kyverno policy alone, and the note says why policy-controller has none', () => {
  const notes: string[] = []
  const file = writeDeployPolicies({ identity: { kind: 'key', publicKey: path.join(dir, 'cosign.pub') }, attested: ['cyclonedx'], attestedToAll: ['cyclonedx'] }, { ...o, cosignMajor: 3 }, notes)
  const text = fs.readFileSync(file ?? '', 'utf8')
  expect(text).not.toContain('kind: ClusterImagePolicy')
  expect(text).toContain('kind: ClusterPolicy')
  expect(notes).toEqual(["deploy-policies: no ClusterImagePolicy: policy-controller (v0.13.1) verifies a key's signatures only in cosign 2's layout (the .sig and .att tags), and cosign 3 attached Sigstore bundles (OCI referrers); sign keyless, or with cosign-version v2, for policy-controller"])
})

test('keyless with a private Sigstore: the note says the policies need a TrustRoot', () => {
  const notes: string[] = []
  const identity = { kind: 'keyless' as const, certificateIdentity: 'https://github.com/o/r/.github/workflows/rel.yml@refs/heads/main', issuer: 'https://token.actions.githubusercontent.com' }
  expect(writeDeployPolicies({ identity, attested: [] }, { ...o, cosignMajor: 3, privateSigstore: true }, notes)).toBeDefined()
  expect(notes).toEqual(["deploy-policies: the ClusterImagePolicies name no trustRootRef, so policy-controller judges them by the public Sigstore's roots: for this private instance (sigstore-trusted-root) give it a TrustRoot (a TUF repository holding that trusted root; README, Deploy-time policies) and set keyless.trustRootRef and ctlog.trustRootRef. policy-controller v0.13.1's webhook refuses a keyless cosign 3 release through any trustRootRef (its TrustRoot reconciler rewrites the logs' IDs), so use a release with that fixed"])
})
