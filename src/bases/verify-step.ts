/** The "Verify base images" step: before the build, each base the target uses checked with cosign, then pinned. */
import * as core from '../lib/log.js'
import type { BasePlan, VerifiedBase } from './verify-rules.js'
import { pinnedContexts, verifyBases } from './verify-rules.js'
import { run } from '../lib/exec.js'
import type { BasesInputs } from '../inputs/bases.js'
import type { BuildInputs } from '../inputs/build.js'
import type { SupplyChainInputs } from '../inputs/supply-chain.js'
import { pemFile } from '../lib/pem.js'
import { withRetry } from '../lib/retry.js'
import type { Tools } from '../tools/install.js'
import type { Refusal, Verdict } from '../gates/verdict.js'
import { applyVerdict } from '../gates/verdict.js'
import type { ImageTools } from '../registry/imagetools.js'

export interface BaseCheckResult {
  /** The build contexts to build with: the user's, and each verified base pinned to its digest. */
  buildContexts: Array<[string, string]>
  verified: VerifiedBase[]
  /** Which bases went unverified, and why (a failed verification throws). */
  verdict: Verdict
}

type BaseInputs = Pick<BuildInputs & BasesInputs & SupplyChainInputs, 'buildContexts' | 'verifyBases' | 'baseKey' | 'transparencyLog' | 'sigstoreTrust' | 'cosignMajor'>

export async function checkBaseImages(plan: BasePlan, inputs: BaseInputs, tools: Promise<Tools>, env: Record<string, string>, digest: (ref: string) => Promise<string>, workDir: string): Promise<BaseCheckResult> {
  const notes: string[] = []
  if (plan.unchecked.length) {
    for (const u of plan.unchecked) core.info(`Base not verified: ${u.ref}: ${u.why}`)
    notes.push(`Bases not verified (verify-bases: ${inputs.verifyBases}): ${plan.unchecked.map((u) => u.ref).join(', ')}`)
  }
  if (!plan.verify.length) return { buildContexts: inputs.buildContexts, verified: [], verdict: { notes, warnings: [] } }
  const verified = await core.group('Verify base images (cosign)', async () => {
    const { cosign } = await tools
    if (!cosign) throw new Error('cosign was not installed')
    const list = await verifyBases(plan, {
      digest,
      cosign: (args) => withRetry(() => run(cosign, args, { env, silent: true }), { what: `cosign verify ${args[args.length - 1] ?? ''}` }).then(() => undefined),
      options: {
        publicKey: inputs.baseKey ? pemFile(inputs.baseKey, workDir, 'base-key.pub') : undefined,
        transparencyLog: inputs.transparencyLog,
        trustedRoot: inputs.cosignMajor >= 3 ? inputs.sigstoreTrust?.trustedRoot : undefined
      }
    })
    for (const b of list) core.info(`Verified base ${b.ref}: ${b.digest}, signed by ${b.signer}; the build uses this digest`)
    return list
  })
  return { buildContexts: pinnedContexts(inputs.buildContexts, verified), verified: verified.map(({ ref, digest: d, stages, signer }) => ({ ref, digest: d, stages, signer })), verdict: { notes, warnings: [] } }
}

/** The step: the bases verified before the build; the inputs come back with the build contexts that pin them. */
export async function verifyBasesStep<I extends BaseInputs>(
  run: { inputs: I; installs: Promise<Tools>; env: Record<string, string>; tools: Pick<ImageTools, 'digest'>; workDir: string; report: { notes: string[]; bases?: VerifiedBase[] } },
  plan: BasePlan | undefined,
  refuse: (r: Refusal) => never
): Promise<I> {
  if (!plan) return run.inputs
  const checked = await checkBaseImages(plan, run.inputs, run.installs, run.env, (ref) => run.tools.digest(ref), run.workDir)
  applyVerdict(checked.verdict, run.report.notes, refuse)
  run.report.bases = checked.verified
  return { ...run.inputs, buildContexts: checked.buildContexts }
}
