// The deploy policies validated against the CRDs' published schemas (fixtures written by
// scripts/crd-schemas.mjs from the projects' Go modules), strictly: an unknown field is an error,
// as `kubectl apply --validate=strict` makes it. Neither policy-controller's policy-tester nor the
// Kyverno CLI is built here, so whether a cluster admits or refuses a given image is not proved.
import { PREDICATE_URI } from '../../../src/sigstore/cosign-argv.js'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { Ajv } from 'ajv'
import { describe, expect, test } from 'vitest'
import { parseAllDocuments } from 'yaml'
import type { PolicySpec } from '../../../src/supply-chain/deploy-policies.js'
import { clusterImagePolicy, deployPoliciesYaml, kyvernoPolicy, policyName } from '../../../src/supply-chain/deploy-policies.js'

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
  ['keyless with the public log, every attestation', { name: 'ghcr.io/acme/operator', signer: keyless, attested: ['cyclonedx', 'slsaprovenance1', 'vuln', 'openvex'], transparencyLog: true }],
  ['a key without the log', { name: 'registry.example:5443/team/app', signer: { kind: 'key', pem: PEM }, attested: ['cyclonedx', 'slsaprovenance02'], transparencyLog: false }],
  ['a private Rekor, signatures only', { name: 'ghcr.io/acme/operator', signer: keyless, attested: [], transparencyLog: true, rekorUrl: 'https://rekor.internal.example' }]
]

describe('validated against the CRD schemas', () => {
  test.each(specs)('ClusterImagePolicy: %s', (_, spec) => policyController(clusterImagePolicy(spec)))
  test.each(specs)('Kyverno ClusterPolicy: %s', (_, spec) => kyverno(kyvernoPolicy(spec)))
  test('the check is strict: an unknown field fails it', () => {
    const p = clusterImagePolicy(specs[0]?.[1] as PolicySpec) as { spec: Record<string, unknown> }
    expect(() => policyController({ ...p, spec: { ...p.spec, requireEverything: true } })).toThrow()
  })
})

describe('what they require', () => {
  const [, spec] = specs[0] as [string, PolicySpec]
  test('policy-controller: the image, the keyless identity actually used, each attestation by its predicate type', () => {
    expect(clusterImagePolicy(spec)).toMatchObject({
      metadata: { name: 'bdi-ghcr-io-acme-operator' },
      spec: {
        images: [{ glob: 'ghcr.io/acme/operator*' }],
        authorities: [
          {
            keyless: { identities: [{ issuer: keyless.issuer, subject: keyless.certificateIdentity }] },
            ctlog: { url: 'https://rekor.sigstore.dev' },
            attestations: [
              { name: 'cyclonedx', predicateType: 'https://cyclonedx.org/bom' },
              { name: 'slsaprovenance1', predicateType: 'https://slsa.dev/provenance/v1' },
              { name: 'vuln', predicateType: 'https://cosign.sigstore.dev/attestation/vuln/v1' },
              { name: 'openvex', predicateType: 'https://openvex.dev/ns' }
            ]
          }
        ]
      }
    })
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
    expect(clusterImagePolicy(keySpec)).toMatchObject({ spec: { authorities: [{ key: { data: PEM, hashAlgorithm: 'sha256' } }] } })
  })
  test('one YAML file, two documents, that parse back to the same objects', () => {
    const docs = parseAllDocuments(deployPoliciesYaml(spec)).map((d) => d.toJSON() as unknown)
    expect(docs).toEqual([clusterImagePolicy(spec), kyvernoPolicy(spec)])
  })
  test.each([
    ['ghcr.io/acme/operator', 'bdi-ghcr-io-acme-operator'],
    ['Registry.Example:5443/Team/App', 'bdi-registry-example-5443-team-app'],
    [`ghcr.io/${'x'.repeat(80)}`, `bdi-ghcr-io-${'x'.repeat(51)}`]
  ])('policyName %s', (image, name) => {
    expect(policyName(image)).toBe(name)
    expect(name.length).toBeLessThanOrEqual(63)
  })
})
