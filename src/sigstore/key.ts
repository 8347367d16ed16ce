/** The `cosign-key` input: PEM content, a file, or a KMS/env key reference. */
import { InputError } from '../lib/errors.js'
import type { Pem } from '../lib/pem.js'
import { isPemContent, parsePem, pemFile } from '../lib/pem.js'

export type CosignKey = Pem | { kind: 'ref'; ref: string }

/** Keys held by a KMS (cosign's `--key` docs): cosign verifies with the same reference. */
const KMS_SCHEMES = ['awskms://', 'gcpkms://', 'azurekms://', 'hashivault://', 'k8s://']
/** References cosign resolves itself; `env://` holds the private key, so its public key is derived. */
const REF_SCHEMES = ['env://', ...KMS_SCHEMES]

export function isKeyReference(value: string): boolean {
  return REF_SCHEMES.some((s) => value.startsWith(s))
}

export function isKmsReference(value: string): boolean {
  return KMS_SCHEMES.some((s) => value.startsWith(s))
}

export function parseCosignKey(raw: string, workspace: string): CosignKey | undefined {
  const value = raw.trim()
  if (!value) return undefined
  if (isPemContent(value)) {
    if (!/-----END [A-Z ]+-----\s*$/.test(value)) {
      throw new InputError('cosign-key', 'looks like a PEM key but has no END line: pass the whole key, e.g. `${{ secrets.COSIGN_KEY }}`')
    }
    if (/PUBLIC KEY/.test(value.split('\n')[0] ?? '')) {
      throw new InputError('cosign-key', 'is a public key; signing needs the private key (cosign.key)')
    }
  }
  if (isKeyReference(value)) return { kind: 'ref', ref: value }
  if (/^[a-z0-9]+:\/\//.test(value)) {
    throw new InputError('cosign-key', `unknown key reference scheme in "${value.split('://')[0]}://"; use one of ${REF_SCHEMES.join(', ')}, a file path, or the PEM content`)
  }
  return parsePem('cosign-key', value, workspace, `PEM content, a key reference (${REF_SCHEMES.join(', ')}) nor an existing file`)
}

/** Where cosign finds the private key: a 0600 file for PEM content (removed in post), else as given. */
export function cosignKeyArg(key: CosignKey, dir: string): string {
  return key.kind === 'ref' ? key.ref : pemFile(key, dir, 'cosign.key')
}
