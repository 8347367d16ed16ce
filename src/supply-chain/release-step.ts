/**
 * The supply chain's step: the pushed digests SBOM'd, signed, attested and verified, then the
 * index copied to the other registries of `images`, each with its own signatures.
 */
import * as core from '../lib/log.js'
import type { BuildInputs } from '../inputs/build.js'
import type { ImageInputs } from '../inputs/image.js'
import type { SupplyChainInputs } from '../inputs/supply-chain.js'
import { startNow } from '../lib/background.js'
import type { GitHubContext } from '../lib/runner-env.js'
import type { RegistryApi } from '../registry/http-api.js'
import type { ImageTools } from '../registry/imagetools.js'
import type { Pushed } from '../registry/manifest.js'
import type { RunOutputs } from '../report/outputs.js'
import type { Report } from '../report/summary.js'
import { unfinished } from '../report/summary.js'
import type { Tools } from '../tools/install.js'
import type { VulnScan } from './attest.js'
import type { SupplyChainSpec } from './chain.js'
import { supplyChain } from './chain.js'
import { copiesFailure, publishCopies } from './copies.js'
import { credentialsFor } from '../registry/login.js'
import type { Refusal } from '../gates/verdict.js'
import type { RecordedProvenance } from './provenance.js'
import { AttestationShapeError, missingProvenanceMessage, readProvenance } from './provenance.js'
import { uploadSboms } from './sbom-artifact.js'
import type { SbomResult } from './sbom.js'
import { scanSboms } from './sbom.js'
import type { Subject } from './sign.js'
import { subjectsOf } from './sign.js'
import type { Identity, PredicateType } from '../sigstore/cosign-argv.js'
import type { ImageName } from '../tags/refs.js'
import { writeDeployPolicies } from './deploy-policies-file.js'

export interface ReleaseRun {
  inputs: ImageInputs & SupplyChainInputs
  ctx: Pick<GitHubContext, 'serverUrl' | 'workflowRef' | 'runAttempt'>
  env: Record<string, string>
  workDir: string
  /** The action's docker config: the copies' registries are tagged with the credentials it holds. */
  configDir: string
  tools: Pick<ImageTools, 'raw' | 'create' | 'digest'>
  api: Pick<RegistryApi, 'blobText'>
  installs: Promise<Tools>
  report: Pick<Report, 'digests' | 'notes' | 'verifyCommands' | 'signer' | 'copies' | 'builder'>
  outputs: RunOutputs
}

/**
 * Before any gate or signature: the provenance buildx recorded for every platform, when the release
 * is to be signed with it (`provenance-attestation: true`). A platform without one, or an
 * attestation manifest of a shape buildx does not write, refuses the release.
 */
export async function provenanceStep(run: Pick<ReleaseRun, 'tools' | 'api'> & { inputs: ReleaseRun['inputs'] & Partial<Pick<BuildInputs, 'provenance'>>; report: { builder?: string }; refuse: (r: Refusal) => never }, pushed: Pushed): Promise<RecordedProvenance | undefined> {
  const { inputs } = run
  if (!inputs.sign || !inputs.provenanceAttestation) return undefined
  let recorded: RecordedProvenance
  try {
    recorded = await readProvenance(inputs.image.name, pushed, run.tools, run.api)
  } catch (err) {
    if (!(err instanceof AttestationShapeError)) throw err
    run.refuse({ rule: 'provenance', message: `Provenance: ${err.message}` })
  }
  const missing = Object.keys(pushed.platforms).filter((p) => !recorded[p])
  // A merge job built nothing: the legs' builders recorded (or did not record) the provenance.
  const builder = run.report.builder ?? (inputs.mergeDigests.length ? 'the merge-digests jobs\' builders' : undefined)
  if (missing.length) run.refuse({ rule: 'provenance', message: missingProvenanceMessage(missing, builder) })
  const old = olderThanAsked(inputs.provenance, recorded)
  if (old.length) core.warning(`provenance asked for SLSA v1 (${inputs.provenance ?? ''}), but ${builder ?? 'the builder'} recorded SLSA v0.2 for ${old.join(', ')}: its BuildKit predates SLSA v1 provenance. It is attested as slsaprovenance02, and \`gh attestation verify\` then needs --predicate-type https://slsa.dev/provenance/v0.2. For v1 use a newer BuildKit (this action is tested with v0.26).`)
  return recorded
}

/** The platforms whose recorded provenance is v0.2 when v1 was asked for (`version=v1`). */
export function olderThanAsked(asked: string | undefined, recorded: RecordedProvenance): string[] {
  if (!asked || !/(^|,)version=v1(,|$)/.test(asked)) return []
  return Object.entries(recorded).filter(([, r]) => r.type === 'slsaprovenance02').map(([p]) => p)
}

/** What was signed and attested, and where: what the attestation store step uploads. Absent when nothing was signed. */
export interface Signed {
  identity: Identity
  predicates: Array<Subject & { type: PredicateType }>
  /** The first image and every copy the index reached, each carrying its own bundles. */
  images: ImageName[]
}

/**
 * Right after the push: an SBOM needs no gate to pass, only signing does, so syft reads each
 * platform while the gates run. A refused release never uses them (post removes the run's dir).
 */
export function startSboms(run: Pick<ReleaseRun, 'inputs' | 'installs' | 'env' | 'workDir'>, pushed: Pushed): Promise<SbomResult[]> | undefined {
  const { inputs } = run
  if (!inputs.sbom) return undefined
  return startNow(
    run.installs.then(({ syft }) => {
      if (!syft) throw new Error('syft was not installed')
      return scanSboms(syft, inputs.image.name, subjectsOf(pushed), inputs.sbomFormat, run.env, run.workDir)
    })
  )
}

export async function signRelease(run: ReleaseRun, pushed: Pushed, vulnScans: VulnScan[] | undefined, recorded?: RecordedProvenance, sbomScans = startSboms(run, pushed)): Promise<Signed | undefined> {
  const { inputs, ctx, report } = run
  const name = inputs.image.name
  const subjects = subjectsOf(pushed)
  if (inputs.pushByDigest && !inputs.sign) report.notes.push('push-by-digest: not signed here; the merge job signs, SBOMs and attests the merged index')

  // Read and checked by provenanceStep before the gates; read here only when that did not run.
  const provenance = inputs.sign && inputs.provenanceAttestation ? (recorded ? Promise.resolve(recorded) : startNow(readProvenance(name, pushed, run.tools, run.api))) : undefined
  const chain: Omit<SupplyChainSpec, 'name' | 'subjects'> = { ...inputs, tag: inputs.tags[0], builder: report.builder, serverUrl: ctx.serverUrl, workflowRef: ctx.workflowRef, rerun: ctx.runAttempt > 1, provenance, vulnScans, identities: new Map() }
  const runChain = (spec: SupplyChainSpec) => supplyChain(spec, run.installs, run.env, run.workDir, uploadSboms)
  // The copies are signed in their own registries while the first image is; their log is held and
  // printed whole after the first image's. They wait for the SBOMs (a failed scan copies nothing).
  const others = inputs.copies.length
    ? core.hold(async () => {
        const sboms = sbomScans ? await sbomScans : undefined
        return publishCopies(inputs.copies, { from: name, digest: pushed.digest, tags: inputs.tags, tagsOf: inputs.copyTags, subjects, chain: { ...chain, sboms }, credentialOf: (registry) => credentialsFor(inputs, run.configDir, registry) }, run.tools, runChain)
      })
    : undefined
  const result = await runChain({ ...chain, name, subjects, sbomScans })
  const copied = others ? await others.collect().then((copies) => ({ copies }), (error: unknown) => ({ error })) : { copies: [] }
  report.digests = result.subjects
  report.notes.push(...result.notes)
  report.verifyCommands.push(...result.verifyCommands)
  report.signer = result.signer
  if ('copies' in copied && copied.copies.length) report.copies = copied.copies
  if (result.failure) {
    const open = unfinished(report)
    if (open.length === 0) throw result.failure
    const list = open.map((d) => `${d.subject} ${name}@${d.digest}`).join(', ')
    const copiesToo = 'copies' in copied ? copiesFailure(copied.copies) : undefined
    throw new Error(`${result.failure.message}\nPushed but not signed or attested: ${list}. The digest outputs are set; re-run the job to finish signing.${copiesToo ? `\n${copiesToo.message}` : ''}`, { cause: result.failure })
  }
  if ('error' in copied) throw copied.error
  run.outputs.sboms = result.sboms
  if (result.signed) run.outputs.deployPolicies = writeDeployPolicies(result, { name, transparencyLog: inputs.transparencyLog, rekorUrl: inputs.sigstoreTrust?.rekorUrl, privateSigstore: Boolean(inputs.sigstoreTrust), cosignMajor: inputs.cosignMajor, workDir: run.workDir }, report.notes)
  const signed = (images: ImageName[]): Signed | undefined => (result.signed && result.identity ? { identity: result.identity, predicates: result.predicates ?? [], images } : undefined)
  const { copies } = copied
  run.outputs.images = { [name]: `${name}@${pushed.digest}`, ...Object.fromEntries(copies.filter((c) => c.copied).map((c) => [c.name, `${c.name}@${pushed.digest}`])) }
  const failure = copiesFailure(copies)
  run.outputs.signed = result.signed && !failure
  if (failure) throw failure
  return signed([inputs.image, ...inputs.copies.filter((c) => copies.some((o) => o.name === c.name && o.copied))])
}
