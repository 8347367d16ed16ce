/** After the push: SBOM per platform, sign, attest, verify, all by digest; statuses into the report. */
import * as core from '@actions/core'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { uploadSboms } from './artifact.js'
import type { CosignOptions, Identity } from './cosign.js'
import { REKOR_MAX_REQUEST_BYTES, attestArgv, consumerVerifyCommand, publicKeyArgv, rekorRequestEstimate, signArgv, verifyArgv, verifyAttestationArgv } from './cosign.js'
import type { CosignKey } from './cosign-key.js'
import { run } from './exec.js'
import { githubKeylessIdentity } from './identity.js'
import { withRetry } from './retry.js'
import type { SbomResult } from './sbom.js'
import { generateSbom, sbomFileName } from './sbom.js'
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

  // The public key (one cosign run that decrypts the key) is derived while the SBOMs are made.
  const cosignEnv = { ...env, ...(spec.cosignPassword ? { COSIGN_PASSWORD: spec.cosignPassword } : {}) }
  const key = spec.sign && spec.cosignKey ? keyReference(spec.cosignKey, workDir) : undefined
  const identityReady = spec.sign && cosign ? identityFor(cosign, spec, key, workDir, cosignEnv) : undefined
  identityReady?.catch(() => undefined) // awaited before signing; a failure surfaces there

  let sboms: SbomResult[] = []
  if (spec.sbom) {
    if (!syft) throw new Error('syft was not installed')
    const dir = path.join(workDir, 'sbom')
    fs.mkdirSync(dir, { recursive: true })
    sboms = await core.group('SBOM per platform (syft)', () =>
      Promise.all(Object.entries(spec.platforms).map(([platform, digest]) => generateSbom(syft, spec.name, platform, digest, path.join(dir, sbomFileName(platform)), env)))
    )
    for (const s of sboms) {
      result.sboms[s.platform] = s.file
      const subject = spec.subjects.find((d) => d.subject === s.platform || (d.digest === s.digest && d.subject !== 'index'))
      if (subject) subject.sbom = s.file
      core.info(`${s.platform}: ${s.file} (${s.bytes} bytes)`)
    }
    if (spec.sbomArtifact) report.notes.push(await uploadSboms(sboms.map((s) => s.file), spec.name))
  }
  if (!spec.sign) {
    report.notes.push('sign: false: nothing was signed or attested')
    return result
  }
  if (!cosign || !identityReady) throw new Error('cosign was not installed')

  if (spec.transparencyLog) {
    for (const s of sboms) {
      if (rekorRequestEstimate(s.bytes) > REKOR_MAX_REQUEST_BYTES) {
        throw new Error(`The SBOM of ${s.platform} is ${s.bytes} bytes; attested with the transparency log on, its Rekor entry would exceed the ${REKOR_MAX_REQUEST_BYTES}-byte request limit of Rekor's public instance. Slim the image, or attest without the public log (cosign-key with transparency-log: false).`)
      }
    }
  }

  const options: CosignOptions = { major: spec.cosignMajor, key, transparencyLog: spec.transparencyLog }
  const identity = await identityReady
  const cmd = (args: string[], what: string) => withRetry(() => run(cosign, args, { env: cosignEnv }), { what })
  const quiet = (args: string[]) => run(cosign, args, { env: cosignEnv, silent: true, allowFailure: true }).then((r) => r.exitCode === 0)
  const ref = (digest: string) => `${spec.name}@${digest}`
  const index = spec.subjects.find((s) => s.subject === 'index')

  await core.group('Sign (cosign)', async () => {
    if (spec.rerun && (await allPass(spec.subjects.map((s) => verifyArgv(options, identity, ref(s.digest))), quiet))) {
      core.info('Re-run: every digest already carries a valid signature; not signing again')
    } else if (index) {
      await cmd(signArgv(options, ref(index.digest), true), `cosign sign ${index.digest}`)
    } else {
      for (const s of spec.subjects) await cmd(signArgv(options, ref(s.digest), false), `cosign sign ${s.digest}`)
    }
    for (const s of spec.subjects) s.signature = 'done'
  })
  result.signed = true

  if (sboms.length) {
    await core.group('Attest SBOMs (cosign)', async () => {
      const attest = async (digest: string, predicate: string) => {
        if (spec.rerun && (await quiet(verifyAttestationArgv(options, identity, ref(digest))))) {
          core.info(`Re-run: ${digest} already carries a valid CycloneDX attestation`)
          return
        }
        await cmd(attestArgv(options, ref(digest), predicate), `cosign attest ${digest}`)
      }
      const platformSubjects = spec.subjects.filter((s) => s.subject !== 'index')
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
        ...platformSubjects.map(async (s) => {
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
  if (!spec.verify) {
    report.notes.push('verify: false: signatures and attestations were not verified')
    return result
  }
  await core.group('Verify (cosign)', () =>
    Promise.all(
      spec.subjects.map(async (s) => {
        await checked(cosign, verifyArgv(options, identity, ref(s.digest)), cosignEnv, `signature of ${s.subject} ${s.digest}`)
        s.signature = 'verified'
        if (sboms.length) {
          await checked(cosign, verifyAttestationArgv(options, identity, ref(s.digest)), cosignEnv, `CycloneDX attestation of ${s.subject} ${s.digest}`)
          s.attestation = 'verified'
        }
      })
    )
  )
  return result
}

async function allPass(argvs: string[][], quiet: (a: string[]) => Promise<boolean>): Promise<boolean> {
  const results = await Promise.all(argvs.map(quiet))
  return results.every(Boolean)
}

async function checked(cosign: string, argv: string[], env: Record<string, string>, what: string): Promise<void> {
  try {
    await withRetry(() => run(cosign, argv, { env, silent: true }), { what: `verifying ${what}` })
    core.info(`Verified: ${what}`)
  } catch (err) {
    throw new Error(`Verification failed for the ${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
  }
}

/** Where cosign finds the private key: a 0600 file for PEM content (removed in post), else as given. */
function keyReference(key: CosignKey, workDir: string): string {
  if (key.kind === 'file') return key.path
  if (key.kind === 'ref') return key.ref
  const file = path.join(workDir, 'cosign.key')
  fs.writeFileSync(file, key.content, { mode: 0o600 })
  fs.chmodSync(file, 0o600)
  return file
}

async function identityFor(cosign: string, spec: SupplyChainSpec, key: string | undefined, workDir: string, env: Record<string, string>): Promise<Identity> {
  if (!key) return githubKeylessIdentity(spec.serverUrl, spec.workflowRef)
  if (/^(awskms|gcpkms|azurekms|hashivault|k8s):\/\//.test(key)) return { kind: 'key', publicKey: key }
  const pub = path.join(workDir, 'cosign.pub')
  await run(cosign, publicKeyArgv(key, pub), { env, silent: true })
  return { kind: 'key', publicKey: pub }
}
