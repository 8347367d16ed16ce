/**
 * Admission policies for exactly what this release signed: Sigstore policy-controller
 * `ClusterImagePolicy`s and a Kyverno `ClusterPolicy` (verifyImages), requiring, for this image's
 * name, the signer actually used and each attestation type every signed digest carries. Pinned by
 * unit tests against the CRDs' published schemas (policy-controller v1beta1, Kyverno v1), and in
 * the e2e by policy-controller's own policy-tester against real releases. No I/O here.
 */
import { stringify } from 'yaml'
import type { Identity, PredicateType } from '../sigstore/cosign-argv.js'
import { PREDICATE_URI } from '../sigstore/cosign-argv.js'

export interface PolicySpec {
  /** The image name, without tag or digest. */
  name: string
  /** The signer: a public key's PEM, or the keyless certificate identity and issuer. */
  signer: { kind: 'key'; pem: string } | Extract<Identity, { kind: 'keyless' }>
  /**
   * The predicate types attested to every digest signed: the index a tag names and each
   * platform's. An admission controller checks the attestations of the digest the Pod names.
   */
  attested: PredicateType[]
  transparencyLog: boolean
  /** A private Rekor (sigstore-trusted-root); the public one otherwise. */
  rekorUrl?: string
  /**
   * How cosign stored the signatures and attestations: `bundle` (cosign 3: Sigstore bundles in OCI
   * referrers) or `legacy` (cosign 2: the `sha256-<hex>.sig` and `.att` tags).
   */
  signatureFormat: 'legacy' | 'bundle'
}

/** A Kubernetes object name: lowercase alphanumerics and dashes, at most 63 characters, the suffix kept whole. */
export function policyName(image: string, suffix = ''): string {
  const slug = image.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '')
  return `${`bdi-${slug}`.slice(0, 63 - suffix.length).replace(/-+$/, '')}${suffix}`
}

/**
 * Why policy-controller cannot be given a policy for this release, if it cannot: its key
 * authorities read only cosign 2's layout (v0.13.1 refuses `signatureFormat: bundle` on anything
 * but a keyless authority), so a key-signed cosign 3 release would be refused whatever it carried.
 */
export function policyControllerGap(p: PolicySpec): string | undefined {
  if (p.signer.kind === 'key' && p.signatureFormat === 'bundle') {
    return 'no ClusterImagePolicy: policy-controller (v0.13.1) verifies a key\'s signatures only in cosign 2\'s layout (the .sig and .att tags), and cosign 3 attached Sigstore bundles (OCI referrers); sign keyless, or with cosign-version v2, for policy-controller'
  }
  return undefined
}

/**
 * cosign 3's signature of an image: a Sigstore bundle whose DSSE envelope holds an in-toto
 * statement of this predicate type. policy-controller v0.13.1 answers "bundle support for image
 * signatures is not yet implemented" to a bundle authority without attestations, so the signature
 * is required as this attestation.
 */
export const COSIGN_SIGN_PREDICATE = 'https://sigstore.dev/cosign/sign/v1'

/**
 * policy-controller's policies: one requiring the signature, one requiring the attestations. An
 * authority that lists attestations verifies only those, and a policy admits an image when any one
 * of its authorities does, while every policy that matches the image must admit it: so the
 * signature and the attestations are two policies, not two authorities of one. None when
 * `policyControllerGap` says so.
 */
export function clusterImagePolicies(p: PolicySpec): unknown[] {
  if (policyControllerGap(p)) return []
  const signer = {
    ...(p.signer.kind === 'key'
      ? { key: { data: p.signer.pem, hashAlgorithm: 'sha256' } }
      : { keyless: { url: 'https://fulcio.sigstore.dev', identities: [{ issuer: p.signer.issuer, subject: p.signer.certificateIdentity }] } }),
    ...(p.transparencyLog ? { ctlog: { url: p.rekorUrl ?? 'https://rekor.sigstore.dev' } } : {}),
    ...(p.signatureFormat === 'bundle' ? { signatureFormat: 'bundle' } : {})
  }
  const policy = (name: string, authority: Record<string, unknown>) => ({
    apiVersion: 'policy.sigstore.dev/v1beta1',
    kind: 'ClusterImagePolicy',
    metadata: { name },
    spec: { mode: 'enforce', images: [{ glob: `${p.name}*` }], authorities: [authority] }
  })
  const attested = unique(p.attested)
  return [
    policy(policyName(p.name), { name: 'release-signer', ...signer, ...(p.signatureFormat === 'bundle' ? { attestations: [{ name: 'signature', predicateType: COSIGN_SIGN_PREDICATE }] } : {}) }),
    ...(attested.length ? [policy(policyName(p.name, '-attestations'), { name: 'release-attestations', ...signer, attestations: attested.map((t) => ({ name: t, predicateType: PREDICATE_URI[t] })) })] : [])
  ]
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

/** The policies as one multi-document YAML file; a comment says why policy-controller has none. */
export function deployPoliciesYaml(p: PolicySpec): string {
  const gap = policyControllerGap(p)
  const header = `# Admission policies for ${p.name}, as build-distroless-image signed and attested it.\n${gap ? `# ${gap}.\n` : ''}`
  return `${header}${[...clusterImagePolicies(p), kyvernoPolicy(p)].map((d) => `---\n${stringify(d)}`).join('')}`
}

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)]
}
