/** After the push: SBOM per platform, sign, attest, verify, all by digest; statuses into the report. */
import { errorMessage } from './errors.js'
import * as core from '@actions/core'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { uploadSboms } from './artifact.js'
import type { CosignOptions, Identity } from './cosign.js'
import { REKOR_MAX_REQUEST_BYTES, attestArgv, consumerVerifyCommand, publicKeyArgv, rekorRequestEstimate, signArgv, verifyArgv, verifyAttestationArgv } from './cosign.js'
import type { CosignKey } from './cosign-key.js'
import { cosignKeyArg, isKmsReference } from './cosign-key.js'
import { run } from './exec.js'
import { githubKeylessIdentity } from './identity.js'
import { withRetry } from './retry.js'
import type { SigstoreTrust } from './sigstore-trust.js'
import { cosign2TrustEnv } from './sigstore-trust.js'
import type { SbomResult } from './sbom.js'
import { generateSbom, sbomFileName, syftArgv } from './sbom.js'
import type { DigestReport, Report } from './summary.js'

export interface Tools {
  cosign?: string
  syft?: string
}

export interface SupplyChainSpec {
  name: string
  /** Every pushed digest: the index first (when there is one), then each platform. */
  subjects: DigestReport[]
  /** platform -> manifest digest. */
  platforms: Record<string, string>
  sbom: boolean
  sbomArtifact: boolean
  sign: boolean
  verify: boolean
  cosignMajor: number
  cosignKey?: CosignKey
  cosignPassword: string
  transparencyLog: boolean
  sigstoreTrust?: SigstoreTrust
  serverUrl: string
  workflowRef: string
  /** A re-run checks what is already signed and attested instead of adding it again. */
  rerun: boolean
}

export interface SupplyChainResult {
  sboms: Record<string, string>
  signed: boolean
}

export async function supplyChain(spec: SupplyChainSpec, tools: Promise<Tools>, env: Record<string, string>, workDir: string, report: Report): Promise<SupplyChainResult> {
  const result: SupplyChainResult = { sboms: {}, signed: false }
  if (!spec.sbom && !spec.sign) return result
  for (const s of spec.subjects) {
    if (spec.sign) s.signature = 'pending'
    if (spec.sign && spec.sbom) s.attestation = 'pending'
  }
  const { cosign, syft } = await core.group('Tools', () => tools)
  if (spec.sbom && !syft) throw new Error('syft was not installed')
  if (spec.sign && !cosign) throw new Error('cosign was not installed')

  // Signing needs neither the SBOMs nor the public key: the scans and the key derivation (one
  // cosign run that decrypts the key) go on while the digests are signed.
  const sbomsReady = spec.sbom && syft ? scanAll(syft, spec, env, workDir) : Promise.resolve([])
  sbomsReady.catch(() => undefined) // awaited below; a failure surfaces there
  const cosignEnv = {
    ...env,
    ...(spec.cosignPassword ? { COSIGN_PASSWORD: spec.cosignPassword } : {}),
    ...(spec.sign && spec.sigstoreTrust && spec.cosignMajor < 3 ? cosign2TrustEnv(spec.sigstoreTrust, workDir) : {})
  }
  const key = spec.sign && spec.cosignKey ? cosignKeyArg(spec.cosignKey, workDir) : undefined
  const options: CosignOptions = { major: spec.cosignMajor, key, transparencyLog: spec.transparencyLog, trust: spec.sigstoreTrust }
  const identityReady = spec.sign && cosign ? identityFor(cosign, spec, key, workDir, cosignEnv) : Promise.resolve(undefined)
  identityReady.catch(() => undefined)
  const ref = (digest: string) => `${spec.name}@${digest}`
  const index = spec.subjects.find((s) => s.subject === 'index')
  const cmd = (args: string[], what: string) => withRetry(() => run(cosign ?? '', args, { env: cosignEnv }), { what })
  const quiet = (args: string[]) => run(cosign ?? '', args, { env: cosignEnv, silent: true, allowFailure: true }).then((r) => r.exitCode === 0)

  if (spec.sign) {
    await core.group('Sign (cosign)', async () => {
      if (!key) {
        // Keyless: the token says who signs; show it before anything is signed as them.
        const id = need(await identityReady)
        report.signer = signerLine(id, spec)
        core.info(`Signing keylessly as ${report.signer}${spec.sigstoreTrust ? ` through the Sigstore instance of ${spec.sigstoreTrust.trustedRootInput}` : ''}`)
      }
      // A re-run checks first, so the public key is needed before signing only then.
      const allSigned = async () => {
        const id = need(await identityReady)
        return allPass(spec.subjects.map((s) => verifyArgv(options, id, ref(s.digest))), quiet)
      }
      if (spec.rerun && (await allSigned())) {
        core.info('Re-run: every digest already carries a valid signature; not signing again')
      } else if (index) {
        await cmd(signArgv(options, ref(index.digest), true), `cosign sign ${index.digest}`)
      } else {
        for (const s of spec.subjects) await cmd(signArgv(options, ref(s.digest), false), `cosign sign ${s.digest}`)
      }
      for (const s of spec.subjects) s.signature = 'done'
    })
    result.signed = true
  }

  const sboms = spec.sbom
    ? await core.group('SBOM per platform (syft)', async () => {
        const list = await sbomsReady
        for (const s of list) core.info(`${s.platform}: syft ${syftArgv(ref(s.digest), s.platform, s.file).join(' ')} -> ${s.bytes} bytes`)
        return list
      })
    : []
  for (const s of sboms) {
    result.sboms[s.platform] = s.file
    const subject = spec.subjects.find((d) => d.subject === s.platform || (d.digest === s.digest && d.subject !== 'index'))
    if (subject) subject.sbom = s.file
  }
  if (spec.sbomArtifact && sboms.length) report.notes.push(await uploadSboms(sboms.map((s) => s.file), spec.name))
  if (!spec.sign || !cosign) {
    report.notes.push('sign: false: nothing was signed or attested')
    return result
  }
  const identity = need(await identityReady)

  // Signatures are verified while the attestations are written (different tags of each digest).
  // allSettled: started now, never an unhandled rejection; a failure is thrown in the Verify phase.
  const signatureChecks = spec.verify ? Promise.allSettled(spec.subjects.map((s) => checked(cosign, verifyArgv(options, identity, ref(s.digest)), cosignEnv, `signature of ${s.subject} ${s.digest}`))) : undefined

  if (sboms.length) {
    // The request limit is the public instance's; a private one sets its own.
    if (spec.transparencyLog && !spec.sigstoreTrust) {
      for (const s of sboms) {
        if (rekorRequestEstimate(s.bytes) > REKOR_MAX_REQUEST_BYTES) {
          throw new Error(`The SBOM of ${s.platform} is ${s.bytes} bytes; attested with the transparency log on, its Rekor entry would exceed the ${REKOR_MAX_REQUEST_BYTES}-byte request limit of Rekor's public instance. Slim the image, or attest without the public log (cosign-key with transparency-log: false).`)
        }
      }
    }
    await core.group('Attest SBOMs (cosign)', async () => {
      const attest = async (digest: string, predicate: string) => {
        if (spec.rerun && (await quiet(verifyAttestationArgv(options, identity, ref(digest))))) {
          core.info(`Re-run: ${digest} already carries a valid CycloneDX attestation`)
          return
        }
        await cmd(attestArgv(options, ref(digest), predicate), `cosign attest ${digest}`)
      }
      // Different digests in parallel; attestations to one digest one at a time (each rewrites its .att).
      const indexChain = async () => {
        if (!index) return
        index.attestation = 'failed'
        if (!(spec.rerun && (await quiet(verifyAttestationArgv(options, identity, ref(index.digest)))))) {
          for (const s of sboms) await cmd(attestArgv(options, ref(index.digest), s.file), `cosign attest ${index.digest} (${s.platform} SBOM)`)
        }
        index.attestation = 'done'
      }
      await Promise.all([
        ...spec.subjects
          .filter((s) => s.subject !== 'index')
          .map(async (s) => {
            s.attestation = 'failed'
            await attest(s.digest, s.sbom ?? '')
            s.attestation = 'done'
          }),
        indexChain()
      ])
    })
  }

  for (const s of spec.subjects) {
    report.verifyCommands.push(consumerVerifyCommand(options, identity, ref(s.digest)))
    if (sboms.length) report.verifyCommands.push(consumerVerifyCommand(options, identity, ref(s.digest), true))
  }
  if (!signatureChecks) {
    report.notes.push('verify: false: signatures and attestations were not verified')
    return result
  }
  await core.group('Verify (cosign)', async () => {
    const signatures = await signatureChecks
    spec.subjects.forEach((s, i) => {
      const r = signatures[i]
      if (r?.status === 'rejected') throw r.reason
      core.info(`Verified: ${r?.value ?? ''}`)
      s.signature = 'verified'
    })
    if (!sboms.length) return
    await Promise.all(
      spec.subjects.map(async (s) => {
        core.info(`Verified: ${await checked(cosign, verifyAttestationArgv(options, identity, ref(s.digest)), cosignEnv, `CycloneDX attestation of ${s.subject} ${s.digest}`)}`)
        s.attestation = 'verified'
      })
    )
  })
  return result
}

/** The certificate identity, and why it is not the caller's workflow when a reusable one ran. */
function signerLine(id: Identity, spec: SupplyChainSpec): string {
  if (id.kind === 'key') return 'key'
  const caller = `${spec.serverUrl}/${spec.workflowRef}`
  const reusable = spec.workflowRef && id.certificateIdentity !== caller ? ` (the reusable workflow this job ran, called from ${caller})` : ''
  return `${id.certificateIdentity}, issuer ${id.issuer}${reusable}`
}

function need<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('cosign was not installed')
  return value
}

/** Every SBOM at once, silently (the signing logs meanwhile); the SBOM phase reports them. */
function scanAll(syft: string, spec: SupplyChainSpec, env: Record<string, string>, workDir: string): Promise<SbomResult[]> {
  const dir = path.join(workDir, 'sbom')
  fs.mkdirSync(dir, { recursive: true })
  return Promise.all(Object.entries(spec.platforms).map(([platform, digest]) => generateSbom(syft, spec.name, platform, digest, path.join(dir, sbomFileName(platform)), env, true)))
}

async function allPass(argvs: string[][], quiet: (a: string[]) => Promise<boolean>): Promise<boolean> {
  const results = await Promise.all(argvs.map(quiet))
  return results.every(Boolean)
}

/** Runs a verification; resolves to what was verified (the caller logs it in its phase). */
async function checked(cosign: string, argv: string[], env: Record<string, string>, what: string): Promise<string> {
  try {
    await withRetry(() => run(cosign, argv, { env, silent: true }), { what: `verifying ${what}` })
    return what
  } catch (err) {
    throw new Error(`Verification failed for the ${what}: ${errorMessage(err)}`, { cause: err })
  }
}

async function identityFor(cosign: string, spec: SupplyChainSpec, key: string | undefined, workDir: string, env: Record<string, string>): Promise<Identity> {
  if (!key) return githubKeylessIdentity(spec.serverUrl, spec.workflowRef)
  if (isKmsReference(key)) return { kind: 'key', publicKey: key }
  const pub = path.join(workDir, 'cosign.pub')
  await run(cosign, publicKeyArgv(key, pub), { env, silent: true })
  return { kind: 'key', publicKey: pub }
}
