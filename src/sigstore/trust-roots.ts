/**
 * A private Sigstore instance: the `sigstore-trusted-root` and `sigstore-signing-config` inputs,
 * in the formats cosign 3 takes (`--trusted-root`, `--signing-config`), and what cosign 2 needs
 * instead: its documented env (SIGSTORE_ROOT_FILE, SIGSTORE_REKOR_PUBLIC_KEY,
 * SIGSTORE_CT_LOG_PUBLIC_KEY_FILE) and `--fulcio-url` / `--rekor-url`.
 */
import * as crypto from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { InputError, errorMessage } from '../lib/errors.js'

export const TRUSTED_ROOT_MEDIA_TYPE = 'application/vnd.dev.sigstore.trustedroot+json;version=0.1'
export const SIGNING_CONFIG_MEDIA_TYPE = 'application/vnd.dev.sigstore.signingconfig.v0.2+json'

export interface SigstoreTrust {
  /** Absolute paths, for cosign. */
  trustedRoot: string
  signingConfig: string
  /** The paths as the workflow gave them, for the verify commands a consumer copies. */
  trustedRootInput: string
  /** For cosign 2. */
  fulcioUrl: string
  rekorUrl?: string
  fulcioRoots: string
  rekorKey?: string
  ctlogKey?: string
}

interface ValidFor {
  start?: string
  end?: string
}
interface KeyEntry {
  baseUrl?: string
  publicKey?: { rawBytes?: string; validFor?: ValidFor }
}
interface TrustedRoot {
  mediaType?: string
  tlogs?: KeyEntry[]
  ctlogs?: KeyEntry[]
  certificateAuthorities?: Array<{ uri?: string; certChain?: { certificates?: Array<{ rawBytes?: string }> }; validFor?: ValidFor }>
}
interface Service {
  url?: string
  majorApiVersion?: number
  validFor?: ValidFor
}
interface SigningConfig {
  mediaType?: string
  caUrls?: Service[]
  rekorTlogUrls?: Service[]
}

function readJson(input: string, value: string, workspace: string): { file: string; json: unknown } {
  const file = path.resolve(workspace, value)
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch {
    throw new InputError(input, `names no readable file (looked for ${file}); give the path of the JSON file in the workspace`)
  }
  try {
    return { file, json: JSON.parse(text) as unknown }
  } catch (err) {
    throw new InputError(input, `${value} is not JSON (${errorMessage(err)})`)
  }
}

/**
 * Valid now: started (a `start` in the future is a key or CA not yet in force, never one to trust
 * early) and not ended. An unparsable date is never current.
 */
export const current = (v: ValidFor | undefined, now: Date): boolean => {
  const started = !v?.start || new Date(v.start).getTime() <= now.getTime()
  const notEnded = !v?.end || new Date(v.end).getTime() > now.getTime()
  return started && notEnded
}

function pem(der: Buffer, label: string): string {
  return `-----BEGIN ${label}-----\n${der.toString('base64').match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END ${label}-----\n`
}

function publicKeyPem(input: string, entry: KeyEntry | undefined, what: string): string | undefined {
  const raw = entry?.publicKey?.rawBytes
  if (!raw) return undefined
  try {
    return crypto.createPublicKey({ key: Buffer.from(raw, 'base64'), format: 'der', type: 'spki' }).export({ format: 'pem', type: 'spki' }).toString()
  } catch {
    throw new InputError(input, `the ${what} public key is not a DER SubjectPublicKeyInfo in base64`)
  }
}

export function parseTrustedRoot(json: unknown, input = 'sigstore-trusted-root', now = new Date()): Pick<SigstoreTrust, 'fulcioRoots' | 'rekorKey' | 'ctlogKey'> {
  const root = json as TrustedRoot
  if (root?.mediaType !== TRUSTED_ROOT_MEDIA_TYPE) {
    throw new InputError(input, `is not a Sigstore trusted root: mediaType must be "${TRUSTED_ROOT_MEDIA_TYPE}" (got ${JSON.stringify(root?.mediaType)}); get it with \`cosign trusted-root create\` or from your instance's TUF repository`)
  }
  const certs = (root.certificateAuthorities ?? []).filter((c) => current(c.validFor, now)).flatMap((c) => c.certChain?.certificates ?? [])
  if (!certs.length || certs.some((c) => !c.rawBytes)) throw new InputError(input, 'has no current certificate authority with a certificate chain: keyless certificates could not be checked')
  const fulcioRoots = certs.map((c) => pem(Buffer.from(c.rawBytes ?? '', 'base64'), 'CERTIFICATE')).join('')
  const live = (list: KeyEntry[] | undefined) => (list ?? []).find((e) => current(e.publicKey?.validFor, now))
  return { fulcioRoots, rekorKey: publicKeyPem(input, live(root.tlogs), 'transparency log'), ctlogKey: publicKeyPem(input, live(root.ctlogs), 'CT log') }
}

export function parseSigningConfig(json: unknown, input = 'sigstore-signing-config', now = new Date()): Pick<SigstoreTrust, 'fulcioUrl' | 'rekorUrl'> {
  const config = json as SigningConfig
  if (config?.mediaType !== SIGNING_CONFIG_MEDIA_TYPE) {
    throw new InputError(input, `is not a Sigstore signing config v0.2: mediaType must be "${SIGNING_CONFIG_MEDIA_TYPE}" (got ${JSON.stringify(config?.mediaType)})`)
  }
  const fulcio = (config.caUrls ?? []).find((s) => s.url && current(s.validFor, now))
  if (!fulcio?.url) throw new InputError(input, 'has no current caUrls entry: keyless signing needs a Fulcio URL')
  const rekor = (config.rekorTlogUrls ?? []).find((s) => s.url && s.majorApiVersion === 1 && current(s.validFor, now))
  return { fulcioUrl: fulcio.url, rekorUrl: rekor?.url }
}

/** Both inputs or neither: a signing config without its trust root signs what cannot be verified. */
export function readSigstoreTrust(trustedRootInput: string, signingConfigInput: string, workspace: string, cosignMajor: number): SigstoreTrust | undefined {
  const tr = trustedRootInput.trim()
  const sc = signingConfigInput.trim()
  if (!tr && !sc) return undefined
  if (!tr) throw new InputError('sigstore-trusted-root', 'is empty, but sigstore-signing-config is given: give the trusted root of the same Sigstore instance, or neither for the public one')
  if (!sc) throw new InputError('sigstore-signing-config', 'is empty, but sigstore-trusted-root is given: give the signing config of the same Sigstore instance, or neither for the public one')
  const root = readJson('sigstore-trusted-root', tr, workspace)
  const config = readJson('sigstore-signing-config', sc, workspace)
  const trust: SigstoreTrust = { trustedRoot: root.file, signingConfig: config.file, trustedRootInput: tr, ...parseTrustedRoot(root.json), ...parseSigningConfig(config.json) }
  if (cosignMajor < 3 && !trust.rekorUrl) {
    throw new InputError('sigstore-signing-config', 'lists no Rekor v1 log (rekorTlogUrls with majorApiVersion 1), and cosign 2 can only write to one: use cosign-version v3 or later')
  }
  if (cosignMajor < 3 && !trust.rekorKey) throw new InputError('sigstore-trusted-root', 'has no current transparency log key, which cosign 2 needs to check Rekor')
  return trust
}

/** cosign 2's env for a private instance: the trust root as the PEM files it reads. */
export function cosign2TrustEnv(trust: SigstoreTrust, dir: string): Record<string, string> {
  const write = (name: string, content: string) => {
    const file = path.join(dir, name)
    fs.writeFileSync(file, content)
    return file
  }
  const env: Record<string, string> = { SIGSTORE_ROOT_FILE: write('sigstore-fulcio-roots.pem', trust.fulcioRoots) }
  if (trust.rekorKey) env.SIGSTORE_REKOR_PUBLIC_KEY = write('sigstore-rekor.pub', trust.rekorKey)
  if (trust.ctlogKey) env.SIGSTORE_CT_LOG_PUBLIC_KEY_FILE = write('sigstore-ctlog.pub', trust.ctlogKey)
  return env
}
