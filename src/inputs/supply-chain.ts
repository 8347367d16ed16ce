/** The supply-chain slice: SBOMs, signing, verification, a private Sigstore, and the tools that do them. */
import * as path from 'node:path'
import type { GitHubContext } from '../context.js'
import { parseCosignKey } from '../cosign-key.js'
import type { CosignKey } from '../cosign-key.js'
import { InputError } from '../errors.js'
import type { SigstoreTrust } from '../sigstore-trust.js'
import { readSigstoreTrust } from '../sigstore-trust.js'
import type { InputReader } from './values.js'
import { bool } from './values.js'

export const DEFAULT_COSIGN_VERSION = 'v3.1.2'
export const DEFAULT_SYFT_VERSION = 'v1.51.0'

export interface SupplyChainInputs {
  sbom: boolean
  sbomArtifact: boolean
  sign: boolean
  verify: boolean
  cosignKey?: CosignKey
  cosignPassword: string
  transparencyLog: boolean
  /** A private Sigstore instance to sign with and verify against (absent: the public one). */
  sigstoreTrust?: SigstoreTrust
  /** Without a leading v: `3.1.2`. */
  cosignVersion: string
  syftVersion: string
  /** Where the tool releases are downloaded from (a GitHub mirror), without a trailing slash. */
  toolsUrl: string
}

/** `release` says what the image slice asks for: a push, and per-platform digests for a later merge. */
export function parseSupplyChainInputs(read: InputReader, ctx: GitHubContext, release: { push: boolean; pushByDigest: boolean }): SupplyChainInputs {
  const workspace = path.resolve(ctx.workspace)
  const cosignKey = parseCosignKey(read('cosign-key'), workspace)
  // Per-platform digest pushes are signed, SBOM'd and attested once, on the merged index.
  const sign = bool(read, 'sign', !release.pushByDigest)
  const sbom = bool(read, 'sbom', !release.pushByDigest)
  const transparencyLog = bool(read, 'transparency-log', true)
  if (!transparencyLog && !cosignKey) {
    throw new InputError('transparency-log', 'false is only allowed with `cosign-key`: keyless signatures need the transparency log to be verifiable')
  }
  if (release.push && sign && !cosignKey && !ctx.idTokenAvailable) {
    throw new InputError('sign', 'keyless signing needs an OIDC token, and this job has none: add `permissions: { id-token: write }` to the job (or give `cosign-key`, or set `sign: false`)')
  }
  const cosignVersion = toolVersion('cosign-version', read('cosign-version') || DEFAULT_COSIGN_VERSION)
  const sigstoreTrust = readSigstoreTrust(read('sigstore-trusted-root'), read('sigstore-signing-config'), workspace, Number(cosignVersion.split('.')[0]))
  if (sigstoreTrust && !transparencyLog) {
    throw new InputError('sigstore-trusted-root', 'and sigstore-signing-config name a Sigstore instance, but transparency-log: false signs with the key alone and uses none: remove them, or turn the log on')
  }
  return {
    sbom,
    sbomArtifact: bool(read, 'sbom-artifact', true),
    sign,
    verify: bool(read, 'verify', true),
    cosignKey,
    cosignPassword: read('cosign-password'),
    transparencyLog,
    sigstoreTrust,
    cosignVersion,
    syftVersion: toolVersion('syft-version', read('syft-version') || DEFAULT_SYFT_VERSION),
    toolsUrl: toolsUrl(read('tools-url') || 'https://github.com')
  }
}

function toolVersion(name: string, value: string): string {
  const v = value.trim()
  if (!/^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(v)) throw new InputError(name, `"${v}" is not a release version such as v3.1.2`)
  return v.replace(/^v/, '')
}

function toolsUrl(value: string): string {
  let url: URL
  try {
    url = new URL(value.trim())
  } catch {
    throw new InputError('tools-url', `"${value}" is not a URL`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new InputError('tools-url', `"${value}" must be an http(s) URL`)
  return url.toString().replace(/\/+$/, '')
}
