// The deploy policies validated against the CRDs' published schemas (fixtures written by
// scripts/crd-schemas.mjs from the projects' Go modules), strictly: an unknown field is an error,
// as `kubectl apply --validate=strict` makes it. Whether policy-controller admits or refuses a
// release is proved by its own policy-tester in the e2e (__tests__/e2e/reachability.test.ts); the
// Kyverno CLI is not built here, so the Kyverno policy is checked against its schema only.
import { PREDICATE_URI } from '../../../src/sigstore/cosign-argv.js'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { Ajv } from 'ajv'
import { describe, expect, test } from 'vitest'
import { parseAllDocuments } from 'yaml'
import type { PolicySpec } from '../../../src/supply-chain/deploy-policies.js'
import { clusterImagePolicies, deployPoliciesYaml, kyvernoPolicy, policyControllerGap, policyName } from '../../../src/supply-chain/deploy-policies.js'

interface CrdFixture {
  group: string
  version: string
  kind: string
  openAPIV3Schema: Record<string, unknown>
}
const crd = (file: string) => JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '../../fixtures/crd', file), 'utf8')) as CrdFixture

/** Strict structural validation: objects with declared properties take no others (unless the schema preserves unknown fields). */
function strict(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strict)
  if (typeof schema !== 'object' || schema === null) return schema
  const s = Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, k === 'enum' || k === 'required' ? v : strict(v)])) as Record<string, unknown>
  if (s.properties && s.additionalProperties === undefined && !s['x-kubernetes-preserve-unknown-fields']) s.additionalProperties = false
  return s
}

function validator(file: string) {
  const f = crd(file)
  const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true })
  // Every object has apiVersion, kind and metadata, whether or not a CRD's schema lists them.
  const root = f.openAPIV3Schema as { properties?: Record<string, unknown> }
  const withMeta = { ...root, properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, ...root.properties } }
  const validate = ajv.compile(strict(withMeta) as object)
  return (doc: unknown) => {
    const d = doc as { apiVersion?: string; kind?: string }
    expect(d.apiVersion).toBe(`${f.group}/${f.version}`)
    expect(d.kind).toBe(f.kind)
    const ok = validate(doc)
    expect(ok, JSON.stringify(validate.errors, null, 1)).toBe(true)
  }
}
const policyController = validator('policy-controller-v0.13.1-clusterimagepolicy-v1beta1.json')
const kyverno = validator('kyverno-v1.19.1-clusterpolicy-v1.json')

const PEM = '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n'
const keyless: PolicySpec['signer'] = { kind: 'keyless', certificateIdentity: 'https://github.com/acme/op/.github/workflows/release.yml@refs/tags/v1.2.0', issuer: 'https://token.actions.githubusercontent.com' }
const specs: Array<[string, PolicySpec]> = [
  ['keyless with the public log, every attestation (cosign 3)', { name: 'ghcr.io/acme/operator', signer: keyless, attested: ['cyclonedx', 'slsaprovenance1', 'vuln', 'openvex'], transparencyLog: true, signatureFormat: 'bundle' }],
  ['a key without the log (cosign 2)', { name: 'registry.example:5443/team/app', signer: { kind: 'key', pem: PEM }, attested: ['cyclonedx', 'slsaprovenance02'], transparencyLog: false, signatureFormat: 'legacy' }],
  ['a private Rekor, signatures only (cosign 2)', { name: 'ghcr.io/acme/operator', signer: keyless, attested: [], transparencyLog: true, rekorUrl: 'https://rekor.internal.example', signatureFormat: 'legacy' }],
  ['a key without the log (cosign 3)', { name: 'registry.example:5443/team/app', signer: { kind: 'key', pem: PEM }, attested: ['cyclonedx'], transparencyLog: false, signatureFormat: 'bundle' }]
]

describe('validated against the CRD schemas', () => {
  test.each(specs)('ClusterImagePolicy: %s', (_, spec) => {
    for (const p of clusterImagePolicies(spec)) policyController(p)
  })
  test.each(specs)('Kyverno ClusterPolicy: %s', (_, spec) => kyverno(kyvernoPolicy(spec)))
  test('the check is strict: an unknown field fails it', () => {
    const p = clusterImagePolicies(specs[0]?.[1] as PolicySpec)[0] as { spec: Record<string, unknown> }
    expect(() => policyController({ ...p, spec: { ...p.spec, requireEverything: true } })).toThrow()
  })
})

describe('what they require', () => {
  const [, spec] = specs[0] as [string, PolicySpec]
  test('policy-controller: the signature and the attestations as two policies, each with the keyless identity actually used', () => {
    const signer = { keyless: { url: 'https://fulcio.sigstore.dev', identities: [{ issuer: keyless.issuer, subject: keyless.certificateIdentity }] }, ctlog: { url: 'https://rekor.sigstore.dev' }, signatureFormat: 'bundle' }
    const policy = (name: string, authority: unknown) => ({ apiVersion: 'policy.sigstore.dev/v1beta1', kind: 'ClusterImagePolicy', metadata: { name }, spec: { mode: 'enforce', images: [{ glob: 'ghcr.io/acme/operator*' }], authorities: [authority] } })
    expect(clusterImagePolicies(spec)).toEqual([
      // cosign 3's signature, as the attestation it is in a bundle (policy-controller v0.13.1 has no
      // bundle path for a signature authority without attestations).
      policy('bdi-ghcr-io-acme-operator', { name: 'release-signer', ...signer, attestations: [{ name: 'signature', predicateType: 'https://sigstore.dev/cosign/sign/v1' }] }),
      policy('bdi-ghcr-io-acme-operator-attestations', {
        name: 'release-attestations',
        ...signer,
        attestations: [
          { name: 'cyclonedx', predicateType: 'https://cyclonedx.org/bom' },
          { name: 'slsaprovenance1', predicateType: 'https://slsa.dev/provenance/v1' },
          { name: 'vuln', predicateType: 'https://cosign.sigstore.dev/attestation/vuln/v1' },
          { name: 'openvex', predicateType: 'https://openvex.dev/ns' }
        ]
      })
    ])
  })
  test.each([
    ['cosign 2, a key: the legacy layout, both policies', 1, 2, undefined],
    ['cosign 2, signatures only: the signature policy alone', 2, 1, undefined],
    ['cosign 3, a key: none, and the reason', 3, 0, "no ClusterImagePolicy: policy-controller (v0.13.1) verifies a key's signatures only in cosign 2's layout (the .sig and .att tags), and cosign 3 attached Sigstore bundles (OCI referrers); sign keyless, or with cosign-version v2, for policy-controller"]
  ])('%s', (_, i, count, gap) => {
    const s = (specs[i] as [string, PolicySpec])[1]
    const policies = clusterImagePolicies(s) as Array<{ spec: { authorities: Array<Record<string, unknown>> } }>
    expect(policies).toHaveLength(count)
    // The legacy layout: no signatureFormat, and the signature's policy lists no attestation, so
    // policy-controller verifies the .sig itself.
    for (const p of policies) expect(p.spec.authorities[0]?.signatureFormat).toBeUndefined()
    if (count) expect(policies[0]?.spec.authorities[0]?.attestations).toBeUndefined()
    expect(policyControllerGap(s)).toBe(gap)
    expect(deployPoliciesYaml(s).split('\n').slice(0, gap ? 2 : 1)).toEqual([`# Admission policies for ${s.name}, as build-distroless-image signed and attested it.`, ...(gap ? [`# ${gap}.`] : [])])
  })
  test('Kyverno: the same signer for the signature and for every attestation', () => {
    const k = kyvernoPolicy(spec) as { spec: { rules: Array<{ verifyImages: Array<{ attestors: unknown; attestations: Array<{ type: string; attestors: unknown }> }> }> } }
    const vi = k.spec.rules[0]?.verifyImages[0]
    expect(vi?.attestors).toEqual([{ entries: [{ keyless: { subject: keyless.certificateIdentity, issuer: keyless.issuer, rekor: { url: 'https://rekor.sigstore.dev' } } }] }])
    expect(vi?.attestations.map((a) => a.type)).toEqual(spec.attested.map((t) => PREDICATE_URI[t]))
    for (const a of vi?.attestations ?? []) expect(a.attestors).toEqual(vi?.attestors)
  })
  test('a key without the log: the PEM, and the log not required', () => {
    const [, keySpec] = specs[1] as [string, PolicySpec]
    expect(JSON.stringify(kyvernoPolicy(keySpec))).toContain('"rekor":{"ignoreTlog":true},"ctlog":{"ignoreSCT":true}')
    for (const p of clusterImagePolicies(keySpec)) expect(p).toMatchObject({ spec: { authorities: [{ key: { data: PEM, hashAlgorithm: 'sha256' } }] } })
  })
  test.each(specs)('one YAML file whose documents parse back to the same objects: %s', (_, s) => {
    const docs = parseAllDocuments(deployPoliciesYaml(s)).map((d) => d.toJSON() as unknown)
    expect(docs).toEqual([...clusterImagePolicies(s), kyvernoPolicy(s)])
  })
  test.each([
    ['ghcr.io/acme/operator', 'bdi-ghcr-io-acme-operator'],
    ['Registry.Example:5443/Team/App', 'bdi-registry-example-5443-team-app'],
    [`ghcr.io/${'x'.repeat(80)}`, `bdi-ghcr-io-${'x'.repeat(51)}`]
  ])('policyName %s', (image, name) => {
    expect(policyName(image)).toBe(name)
    expect(name.length).toBeLessThanOrEqual(63)
  })
  test('policyName keeps a suffix whole within 63 characters', () => {
    const name = policyName(`ghcr.io/${'x'.repeat(80)}`, '-attestations')
    expect(name).toBe(`bdi-ghcr-io-${'x'.repeat(38)}-attestations`)
    expect(name).toHaveLength(63)
  })
})
