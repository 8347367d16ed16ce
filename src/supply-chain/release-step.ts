/**
 * The supply chain's step: the pushed digests SBOM'd, signed, attested and verified, then the
 * index copied to the other registries of `images`, each with its own signatures.
 */
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
import { readProvenance } from './provenance.js'
import { uploadSboms } from './sbom-artifact.js'
import { subjectsOf } from './sign.js'

export interface ReleaseRun {
  inputs: ImageInputs & SupplyChainInputs
  ctx: Pick<GitHubContext, 'serverUrl' | 'workflowRef' | 'runAttempt'>
  env: Record<string, string>
  workDir: string
  tools: Pick<ImageTools, 'raw' | 'create' | 'digest'>
  api: Pick<RegistryApi, 'blobText'>
  installs: Promise<Tools>
  report: Pick<Report, 'digests' | 'notes' | 'verifyCommands' | 'signer' | 'copies'>
  outputs: RunOutputs
}

export async function signRelease(run: ReleaseRun, pushed: Pushed, vulnScans: VulnScan[] | undefined): Promise<void> {
  const { inputs, ctx, report } = run
  const name = inputs.image.name
  const subjects = subjectsOf(pushed)
  if (inputs.pushByDigest && !inputs.sign) report.notes.push('push-by-digest: not signed here; the merge job signs, SBOMs and attests the merged index')

  // buildx's provenance rides in the index's attestation manifests; a lone manifest has none.
  const provenance = inputs.sign && inputs.provenanceAttestation && subjects[0]?.subject === 'index' ? startNow(readProvenance(name, pushed, run.tools, run.api)) : undefined
  const chain: Omit<SupplyChainSpec, 'name' | 'subjects'> = { ...inputs, serverUrl: ctx.serverUrl, workflowRef: ctx.workflowRef, rerun: ctx.runAttempt > 1, provenance, vulnScans }
  const runChain = (spec: SupplyChainSpec) => supplyChain(spec, run.installs, run.env, run.workDir, uploadSboms)
  const result = await runChain({ ...chain, name, subjects })
  report.digests = result.subjects
  report.notes.push(...result.notes)
  report.verifyCommands.push(...result.verifyCommands)
  report.signer = result.signer
  if (result.failure) {
    const open = unfinished(report)
    if (open.length === 0) throw result.failure
    const list = open.map((d) => `${d.subject} ${name}@${d.digest}`).join(', ')
    throw new Error(`${result.failure.message}\nPushed but not signed or attested: ${list}. The digest outputs are set; re-run the job to finish signing.`, { cause: result.failure })
  }
  run.outputs.sboms = result.sboms
  if (!inputs.copies.length) {
    run.outputs.images = { [name]: `${name}@${pushed.digest}` }
    run.outputs.signed = result.signed
    return
  }
  const copies = await publishCopies(inputs.copies, { from: name, digest: pushed.digest, tags: inputs.tags, tagsOf: inputs.copyTags, subjects, chain: { ...chain, sboms: result.sbomResults } }, run.tools, runChain)
  report.copies = copies
  run.outputs.images = { [name]: `${name}@${pushed.digest}`, ...Object.fromEntries(copies.filter((c) => c.copied).map((c) => [c.name, `${c.name}@${pushed.digest}`])) }
  const failure = copiesFailure(copies)
  run.outputs.signed = result.signed && !failure
  if (failure) throw failure
}
