/**
 * The main step, as a pipeline: check the Dockerfile, log in, build and push (or merge), check
 * what was pushed, then the supply chain. Each step is a call into its stage; the steps share
 * one Run, and report/outputs sets the outputs once, at the end, whatever happened.
 */
import * as core from './lib/log.js'
import { planBases, targetBases } from './bases/verify-rules.js'
import { verifyBasesStep } from './bases/verify-step.js'
import { recordBases } from './bases/refresh-step.js'
import { buildAndPush } from './build/build-step.js'
import { probeBuilder } from './build/builder.js'
import { mergeStep } from './build/merge.js'
import { loadDockerfile } from './dockerfile/parse.js'
import { dockerfileGate } from './gates/policy-step.js'
import { checkLocalBuild } from './gates/local-step.js'
import { imageGatesStep } from './gates/image-gates-step.js'
import type { Refusal } from './gates/verdict.js'
import { applyVerdict } from './gates/verdict.js'
import { startVulnerabilityDb } from './gates/vulnerability-step.js'
import type { Inputs } from './inputs/index.js'
import { startNow } from './lib/background.js'
import { errorMessage } from './lib/errors.js'
import type { GitHubContext } from './lib/runner-env.js'
import { logIn } from './registry/login-step.js'
import type { RunOutputs } from './report/outputs.js'
import { setOutputs } from './report/outputs.js'
import type { Report } from './report/summary.js'
import { newReport, writeSummary } from './report/summary.js'
import { buildDecided, recordPush, startRun } from './run.js'
import { provenanceStep, signRelease, startSboms } from './supply-chain/release-step.js'
import { storeStep } from './supply-chain/store-step.js'
import { releaseTags } from './tags/floating.js'
import { publishTags } from './tags/publish-step.js'

export async function main(inputs: Inputs, ctx: GitHubContext, now = new Date()): Promise<void> {
  const report = newReport(inputs.image.name)
  const outputs: RunOutputs = {}
  try {
    await release(inputs, ctx, report, outputs, now)
  } catch (err) {
    report.error = errorMessage(err)
    throw err
  } finally {
    setOutputs(outputs)
    await writeSummary(report).catch((e: unknown) => core.warning(`Could not write the job summary: ${String(e)}`))
  }
}

async function release(given: Inputs, ctx: GitHubContext, report: Report, outputs: RunOutputs, now: Date): Promise<void> {
  const dockerfile = given.mergeDigests.length ? undefined : loadDockerfile(given)
  if (dockerfile) applyVerdict(dockerfileGate(dockerfile.parsed, { ...given, dockerfileName: dockerfile.label }), report.notes, refuseBeforeBuild)
  // Which bases are verified, and how, is decided before anything happens (verify-bases: all refuses here).
  const bases = dockerfile ? targetBases(dockerfile.parsed, given.target, given.buildContexts) : undefined
  const basePlan = bases ? planBases(bases, given) : undefined
  const run = startRun(given, ctx, report, outputs, now, Boolean(basePlan?.verify.length))
  // The builder is looked at while the login runs; a failure surfaces in the Builder phase.
  const probe = dockerfile && !given.builderEndpoint ? startNow(probeBuilder(run.env, given.platforms.length > 1 || !given.push)) : undefined
  await logIn(given, run.configDir, bases?.bases.map((b) => b.ref))
  run.inputs = { ...run.inputs, ...(await releaseTags(run)) }

  if (dockerfile) {
    run.inputs = await verifyBasesStep(run, basePlan, refuseBeforeBuild)
    const pinned = await recordBases(run, dockerfile.parsed)
    if (!pinned) return
    run.inputs = pinned
    buildDecided(run)
  }
  // Fetched while the image builds, as the tools are (push: false scans its local build instead).
  const vulnerabilityDb = given.push ? startVulnerabilityDb(run) : undefined
  const pushed = dockerfile ? await buildAndPush(run, dockerfile, probe) : await mergeStep(run)
  // push: false (a pull request): the same gates on the local build, and nothing pushed or signed.
  if (!pushed && dockerfile && !given.push) await checkLocalBuild(run)
  if (!pushed) return
  recordPush(run, pushed)

  const provenance = await provenanceStep(run, pushed)
  // SBOMs need no gate to pass, only signing does: made while the gates run.
  const sboms = startSboms(run, pushed)
  const vulnScans = await imageGatesStep(run, pushed, Boolean(dockerfile), vulnerabilityDb)
  // Every gate passed on the digest: only now do the tags move, then it is signed.
  await publishTags(run, pushed)
  const signed = await signRelease(run, pushed, vulnScans, provenance, sboms)
  await storeStep(run, signed)
}

/** A check refused the Dockerfile or a base before anything was built. */
function refuseBeforeBuild(r: Refusal): never {
  throw new Error(r.message)
}
