/** The `cosign-key` input: PEM content, a file, or a KMS/env key reference. */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { InputError } from './refs.js'

export type CosignKey =
  | { kind: 'pem'; content: string }
  | { kind: 'file'; path: string }
  | { kind: 'ref'; ref: string }

const REF_SCHEMES = ['env://', 'awskms://', 'gcpkms://', 'azurekms://', 'hashivault://', 'k8s://']

export function parseCosignKey(raw: string, workspace: string): CosignKey | undefined {
  const value = raw.trim()
  if (!value) return undefined
  if (value.startsWith('-----BEGIN')) {
    if (!/-----END [A-Z ]+-----\s*$/.test(value)) {
      throw new InputError('cosign-key', 'looks like a PEM key but has no END line: pass the whole key, e.g. `${{ secrets.COSIGN_KEY }}`')
    }
    if (/PUBLIC KEY/.test(value.split('\n')[0] ?? '')) {
      throw new InputError('cosign-key', 'is a public key; signing needs the private key (cosign.key)')
    }
    return { kind: 'pem', content: value + '\n' }
  }
  const scheme = REF_SCHEMES.find((s) => value.startsWith(s))
  if (scheme) return { kind: 'ref', ref: value }
  if (/^[a-z0-9]+:\/\//.test(value)) {
    throw new InputError('cosign-key', `unknown key reference scheme in "${value.split('://')[0]}://"; use one of ${REF_SCHEMES.join(', ')}, a file path, or the PEM content`)
  }
  const file = path.resolve(workspace, value)
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
    throw new InputError('cosign-key', `is neither PEM content, a key reference (${REF_SCHEMES.join(', ')}) nor an existing file (looked for ${file})`)
  }
  return { kind: 'file', path: file }
}
