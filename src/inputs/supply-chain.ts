/** The supply-chain slice: SBOMs, signing, verification, a private Sigstore, and the tools that do them. */
import * as path from 'node:path'
import type { GitHubContext } from '../lib/runner-env.js'
import { parseCosignKey } from '../sigstore/key.js'
import type { CosignKey } from '../sigstore/key.js'
import { InputError } from '../lib/errors.js'
import type { SigstoreTrust } from '../sigstore/trust-roots.js'
import { readSigstoreTrust } from '../sigstore/trust-roots.js'
import type { InputReader } from './values.js'
import { autoBool, bool } from './values.js'

export const DEFAULT_COSIGN_VERSION = 'v3.1.3'
export const DEFAULT_SYFT_VERSION = 'v1.52.0'

/** `sbom-format`: CycloneDX JSON (the default) or SPDX JSON (sbom-action's default, what GitHub's dependency graph reads). */
export const SBOM_FORMAT_VALUES = ['cyclonedx', 'spdx'] as const
export type SbomFormat = (typeof SBOM_FORMAT_VALUES)[number]

export interface SupplyChainInputs {
  sbom: boolean
  sbomFormat: SbomFormat
  sbomArtifact: boolean
  sign: boolean
  verify: boolean
  /** Attest buildx's SLSA provenance to each platform digest. */
  provenanceAttestation: boolean
  cosignKey?: CosignKey
  cosignPassword: string
  transparencyLog: boolean
  /** A private Sigstore instance to sign with and verify against (absent: the public one). */
  sigstoreTrust?: SigstoreTrust
  /** Without a leading v: `3.1.3`. */
  cosignVersion: string
  /** cosign-version's major (2 or 3), parsed once: the flags and trust files differ by line. */
  cosignMajor: number
  syftVersion: string
  /** Where the tool releases are downloaded from (a GitHub mirror), without a trailing slash. */
  toolsUrl: string
  /** The workflow's own sha256 per release asset name (`tools-checksums`). */
  toolsChecksums?: Record<string, string>
  /** `attestation-store`: upload every attestation bundle to GitHub's attestation store as well. */
  attestationStore: boolean
  /** `attestation-store-token`: the token the store is written with (github.token by default). */
  attestationStoreToken: string
}

/** `release` says what the image slice asks for: a push, and per-platform digests for a later merge. */
export function parseSupplyChainInputs(read: InputReader, ctx: GitHubContext, release: { push: boolean; pushByDigest: boolean }): SupplyChainInputs {
  const workspace = path.resolve(ctx.workspace)
  const cosignKey = parseCosignKey(read('cosign-key'), workspace)
  // Per-platform digest pushes are signed, SBOM'd and attested once, on the merged index: `auto`.
  const sign = autoBool(read, 'sign', !release.pushByDigest)
  const sbom = autoBool(read, 'sbom', !release.pushByDigest)
  const transparencyLog = bool(read, 'transparency-log', true)
  if (!transparencyLog && !cosignKey) {
    throw new InputError('transparency-log', 'false is only allowed with `cosign-key`: keyless signatures need the transparency log to be verifiable')
  }
  if (release.push && sign && !cosignKey && !ctx.idTokenAvailable) {
    throw new InputError('sign', 'keyless signing needs an OIDC token, and this job has none: add `permissions: { id-token: write }` to the job (or give `cosign-key`, or set `sign: false`)')
  }
  const cosignVersion = toolVersion('cosign-version', read('cosign-version') || DEFAULT_COSIGN_VERSION)
  const cosignMajor = cosignLine(cosignVersion)
  const sigstoreTrust = readSigstoreTrust(read('sigstore-trusted-root'), read('sigstore-signing-config'), workspace, cosignMajor)
  if (sigstoreTrust && !transparencyLog) {
    throw new InputError('sigstore-trusted-root', 'and sigstore-signing-config name a Sigstore instance, but transparency-log: false signs with the key alone and uses none: remove them, or turn the log on')
  }
  const attestationStore = bool(read, 'attestation-store', false)
  const attestationStoreToken = read('attestation-store-token').trim()
  if (attestationStore) checkAttestationStore({ cosignKey, cosignMajor, token: attestationStoreToken, repository: ctx.repository })
  return {
    sbom,
    sbomFormat: sbomFormat(read('sbom-format')),
    sbomArtifact: bool(read, 'sbom-artifact', true),
    sign,
    verify: bool(read, 'verify', true),
    provenanceAttestation: bool(read, 'provenance-attestation', true),
    cosignKey,
    cosignPassword: read('cosign-password'),
    transparencyLog,
    sigstoreTrust,
    cosignVersion,
    cosignMajor,
    syftVersion: syftLine(toolVersion('syft-version', read('syft-version') || DEFAULT_SYFT_VERSION)),
    toolsUrl: toolsUrl(read('tools-url') || 'https://github.com'),
    toolsChecksums: toolsChecksums(read('tools-checksums')),
    attestationStore,
    attestationStoreToken
  }
}

/**
 * GitHub's store holds Sigstore bundles that `gh attestation verify` can judge: keyless (a Fulcio
 * certificate), written by cosign 3 as OCI referrers, where the action reads them back.
 */
function checkAttestationStore(o: { cosignKey?: CosignKey; cosignMajor: number; token: string; repository: string }): void {
  if (o.cosignKey) throw new InputError('attestation-store', 'true needs keyless signing: GitHub\'s attestation store and `gh attestation verify` judge Fulcio certificates, and cosign-key signs with a key. Remove cosign-key, or set attestation-store: false')
  if (o.cosignMajor < 3) throw new InputError('attestation-store', 'true needs cosign 3: the bundles uploaded are the ones cosign 3 attaches to each digest as OCI referrers, and cosign 2 writes none. Use the default cosign-version, or set attestation-store: false')
  if (!o.token) throw new InputError('attestation-store-token', 'is empty, and attestation-store: true writes to GitHub\'s API with it: leave it at its default (github.token, with `permissions: { attestations: write }`) or give a token that can write attestations')
  if (!/^[^/\s]+\/[^/\s]+$/.test(o.repository)) throw new InputError('attestation-store', `true stores the attestations in the job's repository, and GITHUB_REPOSITORY ("${o.repository}") names none`)
}

function sbomFormat(value: string): SbomFormat {
  const v = (value.trim() || 'cyclonedx').toLowerCase()
  if (!(SBOM_FORMAT_VALUES as readonly string[]).includes(v)) throw new InputError('sbom-format', `"${value.trim()}" is not an SBOM format the action makes: give cyclonedx (the default) or spdx (SPDX JSON)`)
  return v as SbomFormat
}

/**
 * `<sha256>  <asset>` lines, the format of the releases' own checksums files, so a mirror's
 * file can be pasted. Blank lines and `#` comments are skipped; anything else is an error.
 */
function toolsChecksums(value: string): Record<string, string> {
  const pins: Record<string, string> = {}
  for (const [i, raw] of value.split('\n').entries()) {
    const line = raw.trim()
    if (!line || line.startsWith('#')) continue
    const m = /^([a-fA-F0-9]{64})\s+\*?([A-Za-z0-9._-]+)$/.exec(line)
    if (!m?.[1] || !m[2]) {
      throw new InputError('tools-checksums', `line ${i + 1} ("${line.slice(0, 80)}") is not "<sha256>  <asset>": give one 64-hex sha256 and the release asset's file name per line, as in the release's checksums file`)
    }
    const [, sha, asset] = m
    if (pins[asset] && pins[asset] !== sha.toLowerCase()) throw new InputError('tools-checksums', `${asset} is pinned twice, to different sha256s: keep one line`)
    pins[asset] = sha.toLowerCase()
  }
  return pins
}

export function toolVersion(name: string, value: string): string {
  const v = value.trim()
  if (!/^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(v)) throw new InputError(name, `"${v}" is not a release version such as v3.1.3`)
  return v.replace(/^v/, '')
}

/** The cosign lines whose flags sigstore/cosign-argv.ts knows (`--use-signing-config` is 3.x's, bundles 2.x's). */
export const COSIGN_MAJORS = [2, 3]

/** The version's major, when it is a line the action can drive. */
function cosignLine(version: string): number {
  const major = Number(version.split('.')[0])
  if (!COSIGN_MAJORS.includes(major)) {
    throw new InputError('cosign-version', `v${version} is not a cosign the action can drive: give a 2.x or 3.x release (the default is ${DEFAULT_COSIGN_VERSION})`)
  }
  return major
}

/** `syft scan --from registry REF -o cyclonedx-json=FILE` is the CLI of syft 1.x. */
export const SYFT_MIN_VERSION = '1.0.0'

function syftLine(version: string): string {
  const core = (v: string) => v.split('-')[0]?.split('.').map(Number) ?? []
  const [a = 0, b = 0, c = 0] = core(version)
  const [x = 0, y = 0, z = 0] = core(SYFT_MIN_VERSION)
  if (a * 1e6 + b * 1e3 + c < x * 1e6 + y * 1e3 + z) {
    throw new InputError('syft-version', `v${version} is older than ${SYFT_MIN_VERSION}, the first syft with the CLI the action drives (syft scan --from registry … -o cyclonedx-json=FILE): give ${SYFT_MIN_VERSION} or later (the default is ${DEFAULT_SYFT_VERSION})`)
  }
  return version
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
