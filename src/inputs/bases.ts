/** The base-image slice: which bases are verified before the build, and against whom. */
import { InputError } from '../lib/errors.js'
import type { Pem } from '../lib/pem.js'
import { parsePem } from '../lib/pem.js'
import type { InputReader } from './values.js'

export type VerifyBases = 'distroless' | 'all' | 'off'

/** A keyless publisher: bases whose name matches `pattern` must be signed by `identity` at `issuer`. */
export interface BaseIdentity {
  pattern: string
  identity: string
  issuer: string
}

export interface BasesInputs {
  verifyBases: VerifyBases
  baseIdentities: BaseIdentity[]
  /** A cosign public key for key-signed bases. */
  baseKey?: Pem
}

export function parseBasesInputs(read: InputReader, workspace: string): BasesInputs {
  const mode = read('verify-bases').trim() || 'distroless'
  if (mode !== 'distroless' && mode !== 'all' && mode !== 'off') throw new InputError('verify-bases', `"${mode}" is not one of distroless, all, off`)
  const baseKey = parseBaseKey(read('base-key'), workspace)
  const baseIdentities = parseIdentities(read('base-identities'))
  if (mode === 'off' && (baseKey || baseIdentities.length)) {
    throw new InputError('verify-bases', 'is off, but base-key or base-identities is given: remove them, or set verify-bases to distroless or all')
  }
  if (baseKey && mode !== 'all') {
    throw new InputError('base-key', `is used with verify-bases: all (every base not covered by an identity is checked against it), but verify-bases is ${mode}`)
  }
  return { verifyBases: mode, baseIdentities, baseKey }
}

function parseBaseKey(raw: string, workspace: string): Pem | undefined {
  const key = parsePem('base-key', raw, workspace, 'a PEM public key nor an existing file')
  if (key?.kind === 'pem' && !/^-----BEGIN PUBLIC KEY-----/.test(key.content)) {
    throw new InputError('base-key', 'is not a public key: give the publisher\'s cosign.pub (-----BEGIN PUBLIC KEY-----), never a private key')
  }
  return key
}

/** `IMAGE_GLOB IDENTITY ISSUER` per line; `#` starts a comment. */
function parseIdentities(raw: string): BaseIdentity[] {
  const out: BaseIdentity[] = []
  raw.split('\n').forEach((line, i) => {
    const text = line.replace(/#.*$/, '').trim()
    if (!text) return
    const [pattern, identity, issuer, ...rest] = text.split(/\s+/)
    if (!pattern || !identity || !issuer || rest.length) {
      throw new InputError('base-identities', `line ${i + 1} is not "IMAGE_GLOB IDENTITY ISSUER", e.g. "cgr.dev/chainguard/* https://github.com/chainguard-images/images/.github/workflows/release.yaml@refs/heads/main https://token.actions.githubusercontent.com"`)
    }
    if (!/^https:\/\/\S+$/.test(issuer)) throw new InputError('base-identities', `line ${i + 1}: the issuer "${issuer}" is not an https URL`)
    out.push({ pattern, identity, issuer })
  })
  return out
}
