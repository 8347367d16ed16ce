/**
 * Admission policies for exactly what this release signed: a Sigstore policy-controller
 * `ClusterImagePolicy` and a Kyverno `ClusterPolicy` (verifyImages), requiring, for this image's
 * name, the signer actually used and each attestation type the release made. Pinned by tests
 * against the CRDs' published schemas (policy-controller v1beta1, Kyverno v1). No I/O here.
 */
import { stringify } from 'yaml'
import type { Identity, PredicateType } from '../sigstore/cosign-argv.js'
import { PREDICATE_URI } from '../sigstore/cosign-argv.js'

export interface PolicySpec {
  /** The image name, without tag or digest. */
  name: string
  /** The signer: a public key's PEM, or the keyless certificate identity and issuer. */
  signer: { kind: 'key'; pem: string } | Extract<Identity, { kind: 'keyless' }>
  /** The predicate types attested to the platform digests. */
  attested: PredicateType[]
  transparencyLog: boolean
  /** A private Rekor (sigstore-trusted-root); the public one otherwise. */
  rekorUrl?: string
}

/** A Kubernetes object name: lowercase alphanumerics and dashes, at most 63 characters. */
export function policyName(image: string): string {
  const slug = image.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '')
  return `bdi-${slug}`.slice(0, 63).replace(/-+$/, '')
}

export function clusterImagePolicy(p: PolicySpec): unknown {
  const authority = {
    name: 'release-signer',
    ...(p.signer.kind === 'key'
      ? { key: { data: p.signer.pem, hashAlgorithm: 'sha256' } }
      : { keyless: { url: 'https://fulcio.sigstore.dev', identities: [{ issuer: p.signer.issuer, subject: p.signer.certificateIdentity }] } }),
    ...(p.transparencyLog ? { ctlog: { url: p.rekorUrl ?? 'https://rekor.sigstore.dev' } } : {}),
    ...(p.attested.length ? { attestations: unique(p.attested).map((t) => ({ name: t, predicateType: PREDICATE_URI[t] })) } : {})
  }
  return {
    apiVersion: 'policy.sigstore.dev/v1beta1',
    kind: 'ClusterImagePolicy',
    metadata: { name: policyName(p.name) },
    spec: { mode: 'enforce', images: [{ glob: `${p.name}*` }], authorities: [authority] }
  }
}

export function kyvernoPolicy(p: PolicySpec): unknown {
  const rekor = p.transparencyLog ? { url: p.rekorUrl ?? 'https://rekor.sigstore.dev' } : { ignoreTlog: true }
  const entry = p.signer.kind === 'key' ? { keys: { publicKeys: p.signer.pem, rekor, ...(p.transparencyLog ? {} : { ctlog: { ignoreSCT: true } }) } } : { keyless: { subject: p.signer.certificateIdentity, issuer: p.signer.issuer, rekor } }
  const attestors = [{ entries: [entry] }]
  return {
    apiVersion: 'kyverno.io/v1',
    kind: 'ClusterPolicy',
    metadata: { name: policyName(p.name) },
    spec: {
      background: false,
      webhookTimeoutSeconds: 30,
      rules: [
        {
          name: 'verify-release',
          match: { any: [{ resources: { kinds: ['Pod'] } }] },
          verifyImages: [
            {
              imageReferences: [`${p.name}*`],
              failureAction: 'Enforce',
              mutateDigest: true,
              verifyDigest: true,
              required: true,
              attestors,
              ...(p.attested.length ? { attestations: unique(p.attested).map((t) => ({ type: PREDICATE_URI[t], attestors })) } : {})
            }
          ]
        }
      ]
    }
  }
}

/** Both policies as one multi-document YAML file. */
export function deployPoliciesYaml(p: PolicySpec): string {
  const header = `# Admission policies for ${p.name}, as build-distroless-image signed and attested it.\n`
  return `${header}---\n${stringify(clusterImagePolicy(p))}---\n${stringify(kyvernoPolicy(p))}`
}

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)]
}
