/**
 * The `gh attestation verify` commands a consumer runs (GitHub CLI 2.49 or later), for the summary
 * beside the cosign ones. gh reads the Sigstore bundles cosign 3 attaches to each digest as OCI
 * referrers (`--bundle-from-oci`) and judges the Fulcio certificate: the source repository owner
 * (`--owner`), the workflow that signed (`--signer-workflow`) and the predicate type.
 */
import type { CosignOptions, Identity, PredicateType } from './cosign-argv.js'
import { PREDICATE_URI } from './cosign-argv.js'

/** gh's default `--predicate-type`: the flag is left out for it. */
const GH_DEFAULT_PREDICATE = PREDICATE_URI.slsaprovenance1

/**
 * gh reads `--custom-trusted-root` as JSON lines (one trusted root a line, only lines ending in a
 * newline), not the trusted_root.json cosign takes (indented, or one line without the newline, as
 * `cosign trusted-root create` writes it): the summary converts it first.
 */
export const GH_TRUSTED_ROOT = 'trusted_root.jsonl'

export function ghTrustedRootCommand(trustedRootInput: string): string {
  return `jq -c . ${shellWord(trustedRootInput)} > ${GH_TRUSTED_ROOT}`
}

/**
 * Why a keyless release has no gh command, or undefined when it has. (A key-signed release has
 * none and needs no note: gh judges Fulcio certificates only.)
 */
export function ghUnavailable(o: Pick<CosignOptions, 'major'>, id: Identity): string | undefined {
  if (id.kind === 'key') return undefined
  if (o.major < 3) return 'gh attestation verify --bundle-from-oci cannot verify this release: cosign 2 attaches its signatures in its own layout, not as Sigstore bundles in OCI referrers, which gh reads. Sign with cosign 3 (the default cosign-version) for gh, and verify with cosign meanwhile'
  if (!id.owner) return 'gh attestation verify: the OIDC token named no repository_owner, so there is no --owner to give'
  return undefined
}

/**
 * `gh attestation verify oci://REF --bundle-from-oci --owner O --signer-workflow HOST/O/R/PATH`,
 * with `--predicate-type` unless it is gh's default (SLSA v1), and the private instance's root.
 */
export function ghVerifyCommand(o: Pick<CosignOptions, 'trust'>, id: Extract<Identity, { kind: 'keyless' }>, ref: string, predicate: PredicateType): string {
  // The SAN without the scheme and the @ref: gh matches it as a prefix, so any ref of that workflow passes.
  const workflow = id.certificateIdentity.replace(/^https:\/\//, '').replace(/@.*$/, '')
  return [
    'gh', 'attestation', 'verify', `oci://${ref}`,
    '--bundle-from-oci',
    '--owner', id.owner ?? '',
    '--signer-workflow', workflow,
    ...(PREDICATE_URI[predicate] === GH_DEFAULT_PREDICATE ? [] : ['--predicate-type', PREDICATE_URI[predicate]]),
    ...(o.trust ? ['--custom-trusted-root', GH_TRUSTED_ROOT] : [])
  ].map(shellWord).join(' ')
}

function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`
}
