/**
 * After the push: SBOM per platform, then the Sign, Attest and Verify steps, all by digest.
 * Returns what happened to each subject; main folds it into the report.
 */
import * as core from '../lib/log.js'
import * as path from 'node:path'
import type { VulnScan } from './attest.js'
import { attestAll, checkRekorLimit, predicatesFor } from './attest.js'
import { startNow } from '../lib/background.js'
import { cosignKeyArg, isKmsReference } from '../sigstore/key.js'
import type { Cosign } from '../sigstore/cosign-runner.js'
import { cosignRunner } from '../sigstore/cosign-runner.js'
import type { CosignOptions, Identity, PredicateType } from '../sigstore/cosign-argv.js'
import { consumerVerifyCommand, publicKeyArgv } from '../sigstore/cosign-argv.js'
import { ghTrustedRootCommand, ghUnavailable, ghVerifyCommand } from '../sigstore/gh-verify.js'
import { run } from '../lib/exec.js'
import { githubKeylessIdentity } from '../sigstore/keyless-signer.js'
import type { SupplyChainInputs } from '../inputs/supply-chain.js'
import type { Provenance, ProvenanceType } from './provenance.js'
import { missingProvenanceMessage, provenanceFiles } from './provenance.js'
import type { SbomResult } from './sbom.js'
import type { SbomArtifactOf } from './sbom-artifact.js'
import { SBOM_FORMATS, scanSboms, syftArgv } from './sbom.js'
import type { Subject } from './sign.js'
import { signDigests } from './sign.js'
import { cosign2TrustEnv } from '../sigstore/trust-roots.js'
import type { Tools } from '../tools/install.js'
import { verifyAttestations, verifySignatures } from './verify.js'

export interface SupplyChainSpec extends Omit<SupplyChainInputs, 'syftVersion' | 'toolsUrl' | 'attestationStore' | 'attestationStoreToken'> {
  name: string
  /** Every pushed digest: the index first (when there is one), then each platform. */
  subjects: Subject[]
  serverUrl: string
  workflowRef: string
  /** A re-run checks what is already signed and attested instead of adding it again. */
  rerun: boolean
  /** The provenance buildx recorded per platform, read back from the pushed index. */
  provenance?: Promise<Record<string, { type: ProvenanceType; predicate: unknown }>>
  /** SBOMs already made of these digests (a copy in another registry): attested as they are, syft not run again. */
  sboms?: SbomResult[]
  /** The SBOM scans started at the push, while the gates ran: reported in the SBOM phase, not run again. */
  sbomScans?: Promise<SbomResult[]>
  /** Added to each phase's log group: which image it works on, when there are several. */
  heading?: string
  /** The vulnerability gate's scans (`--type vuln`) and reachability OpenVEX (`--type openvex`), attested to each platform digest. */
  vulnScans?: VulnScan[]
  /** Which builder and driver built it, for the error when provenance is missing. */
  builder?: string
  /** The release's first tag, for the `gh attestation verify oci://NAME:TAG` command of the index. */
  tag?: string
  /** `tag-suffix`: names the variant's SBOM artifact. */
  tagSuffix?: string
  /**
   * Who signs, by key (or `keyless`), shared by the first image's chain and its copies: the
   * identity (the OIDC token's claims, or `cosign public-key`) is derived once per run, not per registry.
   */
  identities?: Map<string, Promise<Identity>>
}

export type Status = 'done' | 'verified' | 'skipped' | 'failed' | 'pending'

export interface SubjectOutcome extends Subject {
  signature: Status
  /** The SBOM attestation (CycloneDX or SPDX, by sbom-format). */
  attestation: Status
  /** The SLSA provenance attestation (each platform's on its digest; all of them on the index). */
  provenance: Status
  /** The vulnerability scan attestation (platform digests, when the gate ran and attests). */
  vulnerability?: Status
  sbom?: string
}

export interface SupplyChainResult {
  subjects: SubjectOutcome[]
  /** platform -> SBOM file. */
  sboms: Record<string, string>
  /** The SBOMs as made, for the copies of the same digests. */
  sbomResults: SbomResult[]
  signed: boolean
  /** The keyless identity signed as, for the summary (absent with a key). */
  signer?: string
  verifyCommands: string[]
  notes: string[]
  /** Set when a step failed; `subjects` then says how far each got. */
  failure?: Error
  /**
   * Who signed (for the deploy policies), the predicate types attested to the platform digests,
   * and those of them attested to every digest signed (the index too: the scans are not).
   */
  identity?: Identity
  attested?: PredicateType[]
  attestedToAll?: PredicateType[]
  /** Every statement attested (or found attested, on a re-run), by subject: what the attestation store receives. */
  predicates?: Array<Subject & { type: PredicateType }>
}

/** Uploads the SBOM files as a workflow artifact; resolves to the note for the summary, never rejects. */
export type UploadSboms = (files: string[], of: SbomArtifactOf) => Promise<string>

export async function supplyChain(spec: SupplyChainSpec, tools: Promise<Tools>, env: Record<string, string>, workDir: string, upload: UploadSboms): Promise<SupplyChainResult> {
  const result: SupplyChainResult = {
    subjects: spec.subjects.map((s) => ({
      ...s,
      signature: spec.sign ? 'pending' : 'skipped',
      attestation: spec.sign && spec.sbom ? 'pending' : 'skipped',
      provenance: spec.sign && spec.provenanceAttestation ? 'pending' : 'skipped',
      ...(spec.vulnScans?.length ? { vulnerability: spec.sign && s.subject !== 'index' ? ('pending' as const) : ('skipped' as const) } : {})
    })),
    sboms: {},
    sbomResults: [],
    signed: false,
    verifyCommands: [],
    notes: []
  }
  if (!spec.sbom && !spec.sign) return result
  try {
    await steps(spec, tools, env, workDir, result)
  } catch (err) {
    result.failure = err instanceof Error ? err : new Error(String(err))
    return result
  }
  // Last, once every signature and attestation is written and verified: the artifact is a copy of
  // what is attested, and a refused upload (a name taken in the run, an outage) is a warning that
  // cannot leave a digest signed but not attested. A copy's SBOMs are the first image's, uploaded with it.
  const first = spec.subjects[0]
  if (spec.sbomArtifact && !spec.sboms && result.sbomResults.length && first) {
    const attested = result.subjects.some((s) => s.attestation === 'done' || s.attestation === 'verified')
    result.notes.push(await upload(result.sbomResults.map((s) => s.file), { image: spec.name, digest: first.digest, tagSuffix: spec.tagSuffix, attested }))
  }
  return result
}

async function steps(spec: SupplyChainSpec, tools: Promise<Tools>, env: Record<string, string>, workDir: string, result: SupplyChainResult): Promise<void> {
  const { cosign: cosignBin, syft } = spec.sboms ? await tools : await core.group('Tools', () => tools)
  if (spec.sbom && !syft && !spec.sboms) throw new Error('syft was not installed')
  if (spec.sign && !cosignBin) throw new Error('cosign was not installed')
  const set = (field: Field, status: Status, which: (s: SubjectOutcome) => boolean = () => true) => {
    for (const s of result.subjects) if (which(s)) s[field] = status
  }

  // Signing needs neither the SBOMs nor the public key: the scans and the key derivation (one
  // cosign run that decrypts the key) go on while the digests are signed.
  const sbomsReady = startNow(spec.sboms ? Promise.resolve(spec.sbom ? spec.sboms : []) : spec.sbom && syft ? (spec.sbomScans ?? scanSboms(syft, spec.name, spec.subjects, spec.sbomFormat, env, workDir)) : Promise.resolve([]))
  const heading = spec.heading ? ` ${spec.heading}` : ''
  const cosign = spec.sign && cosignBin ? prepareCosign(cosignBin, spec, env, workDir) : undefined

  // Before the first signature: a release asked to carry provenance is never signed without it.
  const provenance = cosign && spec.provenanceAttestation ? await readProvenance(spec, workDir) : []

  if (cosign) {
    await core.group(`Sign (cosign)${heading}`, async () => {
      if (!cosign.options.key) {
        // Keyless: the token says who signs; show it before anything is signed as them.
        result.signer = signerLine(await cosign.identity, spec)
        core.info(`Signing keylessly as ${result.signer}${spec.sigstoreTrust ? ` through the Sigstore instance of ${spec.sigstoreTrust.trustedRootInput}` : ''}`)
      }
      await signDigests(cosign, spec.subjects, spec.rerun)
      set('signature', 'done')
    })
    result.signed = true
  }

  const sboms = !spec.sbom ? [] : spec.sboms ? spec.sboms : await core.group('SBOM per platform (syft)', () => reportSboms(sbomsReady, spec.name))
  result.sbomResults = sboms
  for (const s of sboms) {
    result.sboms[s.platform] = s.file
    for (const o of result.subjects) if (o.subject === s.platform || (o.digest === s.digest && o.subject !== 'index')) o.sbom = s.file
  }
  if (!cosign) {
    result.notes.push('sign: false: nothing was signed or attested')
    return
  }
  const identity = await cosign.identity
  result.identity = identity

  // Signatures are verified while the attestations are written (different tags of each digest).
  const signatureChecks = spec.verify ? startNow(verifySignatures(cosign, spec.subjects)) : undefined
  const scans = spec.vulnScans ?? []
  if (sboms.length || provenance.length || scans.length) {
    // The request limit is the public instance's; a private one sets its own.
    checkRekorLimit(sboms, spec.transparencyLog && !spec.sigstoreTrust)
    const what = [sboms.length ? 'SBOMs' : '', provenance.length ? 'provenance' : '', scans.some((v) => v.predicateFile) ? 'vulnerability scans' : '', scans.some((v) => v.vexFile) ? 'reachability (OpenVEX)' : ''].filter(Boolean).join(', ')
    await core.group(`Attest ${what} (cosign)${heading}`, async () => {
      const outcomes = await attestAll(cosign, spec.subjects, (s) => predicatesFor(s, sboms, provenance, scans), spec.rerun)
      outcomes.forEach((byType, i) => {
        const mine = (s: SubjectOutcome) => s === result.subjects[i]
        for (const [type, o] of byType) set(FIELD[type], o.status === 'fulfilled' ? 'done' : 'failed', mine)
      })
      throwFirst(outcomes.flatMap((m) => [...m.values()]))
      result.predicates = spec.subjects.flatMap((x) => predicatesFor(x, sboms, provenance, scans).map((p) => ({ subject: x.subject, digest: x.digest, type: p.type })))
      const platforms = spec.subjects.filter((x) => x.subject !== 'index')
      result.attested = [...new Set(platforms.flatMap((x) => predicatesFor(x, sboms, provenance, scans).map((p) => p.type)))]
      const typesOf = spec.subjects.map((x) => new Set(predicatesFor(x, sboms, provenance, scans).map((p) => p.type)))
      result.attestedToAll = result.attested.filter((t) => typesOf.every((types) => types.has(t)))
    })
  }

  // A copy's SBOMs carry the type they were made with; the first image's follow sbom-format.
  const sbomType = sboms[0]?.type ?? SBOM_FORMATS[spec.sbomFormat].type
  for (const s of spec.subjects) {
    result.verifyCommands.push(consumerVerifyCommand(cosign.options, identity, cosign.ref(s.digest)))
    if (sboms.length) result.verifyCommands.push(consumerVerifyCommand(cosign.options, identity, cosign.ref(s.digest), sbomType))
    const p = provenance.find((x) => x.digest === s.digest || s.subject === 'index')
    if (p) result.verifyCommands.push(consumerVerifyCommand(cosign.options, identity, cosign.ref(s.digest), p.type))
    if (s.subject !== 'index' && scans.some((v) => v.digest === s.digest && v.predicateFile)) result.verifyCommands.push(consumerVerifyCommand(cosign.options, identity, cosign.ref(s.digest), 'vuln'))
    if (s.subject !== 'index' && scans.some((v) => v.digest === s.digest && v.vexFile)) result.verifyCommands.push(consumerVerifyCommand(cosign.options, identity, cosign.ref(s.digest), 'openvex'))
  }
  result.verifyCommands.push(...ghCommands(spec, cosign.options, identity, sbomType, provenance, scans, result.notes))
  if (!signatureChecks) {
    result.notes.push('verify: false: signatures and attestations were not verified')
    return
  }
  await core.group(`Verify (cosign)${heading}`, async () => {
    const signatures = await signatureChecks
    mark(signatures, 'signature', spec.subjects)
    throwFirst(signatures)
    const index = spec.subjects.find((s) => s.subject === 'index')
    const provenanceSubjects = [...(index && provenance[0] ? [{ ...index, type: provenance[0].type }] : []), ...provenance.map((p) => ({ subject: p.platform, digest: p.digest, type: p.type }))]
    const scanSubjects = scans.filter((v) => v.predicateFile).map((v) => ({ subject: v.platform, digest: v.digest }))
    const vexSubjects = scans.filter((v) => v.vexFile).map((v) => ({ subject: v.platform, digest: v.digest }))
    const [attestations, provenances, vulns, vexes] = await Promise.all([
      sboms.length ? verifyAttestations(cosign, spec.subjects, sbomType) : [],
      verifyAttestations(cosign, provenanceSubjects),
      verifyAttestations(cosign, scanSubjects, 'vuln'),
      verifyAttestations(cosign, vexSubjects, 'openvex')
    ])
    mark(attestations, 'attestation', spec.subjects)
    mark(provenances, 'provenance', provenanceSubjects)
    // A platform with both is verified only when both are; a failure of either fails the chain below.
    mark(vulns, 'vulnerability', scanSubjects)
    mark(vexes, 'vulnerability', vexSubjects)
    throwFirst([...attestations, ...provenances, ...vulns, ...vexes])
  })

  function mark(outcomes: Array<PromiseSettledResult<string>>, field: Field, of: Subject[]): void {
    outcomes.forEach((o, i) => {
      if (o.status !== 'fulfilled') return
      core.info(`Verified: ${o.value}`)
      set(field, 'verified', (s) => s.digest === of[i]?.digest && s.subject === of[i]?.subject)
    })
  }
}

type Field = 'signature' | 'attestation' | 'provenance' | 'vulnerability'
// The scan and its reachability OpenVEX share the summary's vulnerability column.
const FIELD: Record<PredicateType, Field> = { cyclonedx: 'attestation', spdxjson: 'attestation', slsaprovenance02: 'provenance', slsaprovenance1: 'provenance', vuln: 'vulnerability', openvex: 'vulnerability' }

function throwFirst(outcomes: Array<PromiseSettledResult<unknown>>): void {
  const failed = outcomes.find((o) => o.status === 'rejected')
  if (failed) throw failed.reason
}

/**
 * The same checks with the GitHub CLI, beside the cosign commands: every subject's provenance and
 * SBOM, each platform's scan; the index by its tag, as a consumer names it. None when gh cannot
 * verify this release (a key, cosign 2): a note says why.
 */
function ghCommands(spec: SupplyChainSpec, options: CosignOptions, identity: Identity, sbomType: PredicateType, provenance: Provenance[], scans: VulnScan[], notes: string[]): string[] {
  if (identity.kind !== 'keyless') return []
  const why = ghUnavailable(options, identity)
  if (why) {
    notes.push(why)
    return []
  }
  const commands = options.trust ? [ghTrustedRootCommand(options.trust.trustedRootInput)] : []
  for (const s of spec.subjects) {
    const ref = s.subject === 'index' && spec.tag ? `${spec.name}:${spec.tag}` : `${spec.name}@${s.digest}`
    const p = provenance.find((x) => x.digest === s.digest || s.subject === 'index')
    if (p) commands.push(ghVerifyCommand(options, identity, ref, p.type))
    if (spec.sbom) commands.push(ghVerifyCommand(options, identity, ref, sbomType))
    if (s.subject !== 'index' && scans.some((v) => v.digest === s.digest)) commands.push(ghVerifyCommand(options, identity, ref, 'vuln'))
  }
  return commands
}

/** cosign's options, env (password, cosign 2's trust files) and the identity, derived once. */
function prepareCosign(bin: string, spec: SupplyChainSpec, env: Record<string, string>, workDir: string): Cosign {
  const cosignEnv = {
    ...env,
    ...(spec.cosignPassword ? { COSIGN_PASSWORD: spec.cosignPassword } : {}),
    ...(spec.sigstoreTrust && spec.cosignMajor < 3 ? cosign2TrustEnv(spec.sigstoreTrust, workDir) : {})
  }
  const key = spec.cosignKey ? cosignKeyArg(spec.cosignKey, workDir) : undefined
  const options: CosignOptions = { major: spec.cosignMajor, key, transparencyLog: spec.transparencyLog, trust: spec.sigstoreTrust }
  const once = key ?? 'keyless'
  const identity = spec.identities?.get(once) ?? startNow(identityFor(bin, spec, key, workDir, cosignEnv))
  spec.identities?.set(once, identity)
  return cosignRunner(bin, spec.name, cosignEnv, options, identity)
}

/** Each platform's SLSA provenance as buildx recorded it; a platform without one fails the chain before anything is signed. */
async function readProvenance(spec: SupplyChainSpec, workDir: string): Promise<Provenance[]> {
  const platforms = Object.fromEntries(spec.subjects.filter((s) => s.subject !== 'index').map((s) => [s.subject, s.digest]))
  const { found, missing } = provenanceFiles(await (spec.provenance ?? Promise.resolve({})), platforms, path.join(workDir, 'provenance'))
  if (missing.length) throw new Error(missingProvenanceMessage(missing, spec.builder))
  return found
}

/** The certificate identity, and why it is not the caller's workflow when a reusable one ran. */
function signerLine(id: Identity, spec: SupplyChainSpec): string {
  if (id.kind === 'key') return 'key'
  const caller = `${spec.serverUrl}/${spec.workflowRef}`
  const reusable = spec.workflowRef && id.certificateIdentity !== caller ? ` (the reusable workflow this job ran, called from ${caller})` : ''
  return `${id.certificateIdentity}, issuer ${id.issuer}${reusable}`
}

async function reportSboms(ready: Promise<SbomResult[]>, name: string): Promise<SbomResult[]> {
  const list = await ready
  for (const s of list) core.info(`${s.platform}: syft ${syftArgv(`${name}@${s.digest}`, s.platform, s.file, s.type === 'spdxjson' ? 'spdx' : 'cyclonedx').join(' ')} -> ${s.bytes} bytes`)
  return list
}

async function identityFor(cosign: string, spec: SupplyChainSpec, key: string | undefined, workDir: string, env: Record<string, string>): Promise<Identity> {
  if (!key) return githubKeylessIdentity(spec.serverUrl, spec.workflowRef)
  if (isKmsReference(key)) return { kind: 'key', publicKey: key }
  const pub = path.join(workDir, 'cosign.pub')
  await run(cosign, publicKeyArgv(key, pub), { env, silent: true })
  return { kind: 'key', publicKey: pub }
}
