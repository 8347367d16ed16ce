/** cosign's command lines, for 2.x and 3.x, signing and attesting by digest only. */

import { isDigestRef } from '../tags/refs.js'
import type { SigstoreTrust } from './trust-roots.js'

export const GITHUB_OIDC_ISSUER = 'https://token.actions.githubusercontent.com'

export interface CosignOptions {
  major: number
  /** Private key path or KMS reference; absent for keyless. */
  key?: string
  transparencyLog: boolean
  /** A private Sigstore instance (sigstore-trusted-root / sigstore-signing-config). */
  trust?: Pick<SigstoreTrust, 'trustedRoot' | 'signingConfig' | 'trustedRootInput' | 'fulcioUrl' | 'rekorUrl'>
}

/** `owner`: the source repository's owner the token names (the certificate's 1.16), for gh's --owner. */
export type Identity = { kind: 'key'; publicKey: string } | { kind: 'keyless'; certificateIdentity: string; issuer: string; owner?: string }

function byDigest(ref: string): string {
  if (!isDigestRef(ref)) throw new Error(`refusing to sign or attest "${ref}": only NAME@sha256:DIGEST references are signed, never tags`)
  return ref
}

function signingFlags(o: CosignOptions): string[] {
  const flags = ['--yes']
  if (o.key) flags.push('--key', o.key)
  if (!o.transparencyLog) {
    // cosign 3 takes the Rekor URL from the signing config and refuses --tlog-upload=false unless
    // that is off too. cosign 2.6 has the flag as well, but off by default, so 2.x needs only this.
    if (o.major >= 3) flags.push('--use-signing-config=false')
    flags.push('--tlog-upload=false')
  }
  if (o.trust) {
    // cosign 3 reads both files; cosign 2 has URL flags (and env for the keys, see trust-roots.ts).
    if (o.major >= 3) flags.push('--signing-config', o.trust.signingConfig, '--trusted-root', o.trust.trustedRoot)
    else flags.push('--fulcio-url', o.trust.fulcioUrl, ...(o.trust.rekorUrl ? ['--rekor-url', o.trust.rekorUrl] : []))
  }
  return flags
}

/** Signs a digest; `recursive` on an index also signs every manifest it lists. */
export function signArgv(o: CosignOptions, ref: string, recursive: boolean): string[] {
  return ['sign', ...signingFlags(o), ...(recursive ? ['--recursive'] : []), byDigest(ref)]
}

/**
 * cosign's predicate types the action attests (`cosign attest --help`): CycloneDX or SPDX JSON SBOMs
 * (`spdxjson`: https://spdx.dev/Document, what GitHub's dependency graph reads), and the
 * SLSA provenance buildx records, v0.2 by default or v1 with `provenance: version=v1`, and the
 * vulnerability gate's scan (`vuln`, cosign's own vuln predicate), and govulncheck's reachability as
 * OpenVEX (`openvex`, predicate type https://openvex.dev/ns).
 */
export type PredicateType = 'cyclonedx' | 'spdxjson' | 'slsaprovenance02' | 'slsaprovenance1' | 'vuln' | 'openvex'

/** The SBOM predicate types, by the `sbom-format` input. */
export type SbomPredicateType = Extract<PredicateType, 'cyclonedx' | 'spdxjson'>


/** The in-toto predicate type cosign writes for each `--type` (`cosign attest --help`). */
export const PREDICATE_URI: Record<PredicateType, string> = {
  cyclonedx: 'https://cyclonedx.org/bom',
  spdxjson: 'https://spdx.dev/Document',
  slsaprovenance02: 'https://slsa.dev/provenance/v0.2',
  slsaprovenance1: 'https://slsa.dev/provenance/v1',
  vuln: 'https://cosign.sigstore.dev/attestation/vuln/v1',
  openvex: 'https://openvex.dev/ns'
}

export function attestArgv(o: CosignOptions, ref: string, predicate: string, type: PredicateType = 'cyclonedx'): string[] {
  return ['attest', ...signingFlags(o), '--type', type, '--predicate', predicate, byDigest(ref)]
}

function verifyFlags(o: CosignOptions, id: Identity): string[] {
  const flags = id.kind === 'key' ? ['--key', id.publicKey] : ['--certificate-identity', id.certificateIdentity, '--certificate-oidc-issuer', id.issuer]
  if (!o.transparencyLog) flags.push('--insecure-ignore-tlog=true')
  if (o.trust) {
    if (o.major >= 3) flags.push('--trusted-root', o.trust.trustedRoot)
    else if (o.trust.rekorUrl) flags.push('--rekor-url', o.trust.rekorUrl)
  }
  return flags
}

export function verifyArgv(o: CosignOptions, id: Identity, ref: string): string[] {
  return ['verify', ...verifyFlags(o, id), '--output', 'json', byDigest(ref)]
}

export function verifyAttestationArgv(o: CosignOptions, id: Identity, ref: string, type: PredicateType = 'cyclonedx'): string[] {
  return ['verify-attestation', ...verifyFlags(o, id), '--type', type, '--output', 'json', byDigest(ref)]
}

export function publicKeyArgv(key: string, outfile: string): string[] {
  return ['public-key', '--key', key, '--outfile', outfile]
}

/** The command a consumer runs to check the image, for the summary. */
export function consumerVerifyCommand(o: CosignOptions, id: Identity, ref: string, attestation?: PredicateType): string {
  const who = id.kind === 'key' ? ['--key', 'cosign.pub'] : ['--certificate-identity', id.certificateIdentity, '--certificate-oidc-issuer', id.issuer]
  const tlog = o.transparencyLog ? [] : ['--insecure-ignore-tlog=true']
  // The trusted root as the workflow named it: cosign 3 verifies cosign 2's signatures with it too.
  const root = o.trust ? ['--trusted-root', o.trust.trustedRootInput] : []
  return ['cosign', attestation ? 'verify-attestation' : 'verify', ...(attestation ? ['--type', attestation] : []), ...who, ...tlog, ...root, ref].map(shellWord).join(' ')
}

/** Quotes a word for sh only when it needs it, so the common command reads plainly. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`
}

/** The Fulcio certificate of a GitHub Actions job names the workflow file it ran from. */
export function keylessIdentity(serverUrl: string, jobWorkflowRef: string, owner?: string): Identity {
  return { kind: 'keyless', certificateIdentity: `${serverUrl}/${jobWorkflowRef}`, issuer: GITHUB_OIDC_ISSUER, ...(owner ? { owner } : {}) }
}

/**
 * Rekor's public ingress refuses request bodies over 32 MB (sigstore/rekor#264); cosign then
 * retries and gives up with no reason. The predicate travels base64-encoded twice (in-toto
 * statement in a DSSE envelope, envelope in the entry), so the limit on the SBOM is about 18 MB.
 */
export const REKOR_MAX_REQUEST_BYTES = 32_000_000

export function rekorRequestEstimate(predicateBytes: number): number {
  return Math.ceil(((predicateBytes * 4) / 3) * (4 / 3)) + 16_384
}
