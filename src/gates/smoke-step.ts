/** The smoke gate's step: each platform run once under restricted-v2 constraints, after the push and before signing. */
import * as core from '../lib/log.js'
import { nativeArches } from '../build/platform.js'
import type { ImageInputs } from '../inputs/image.js'
import type { PolicyInputs } from '../inputs/policy.js'
import type { SmokeInputs } from '../inputs/smoke.js'
import * as state from '../lib/post-state.js'
import type { GitHubContext } from '../lib/runner-env.js'
import type { Pushed } from '../registry/manifest.js'
import type { PushedGateRun } from './policy-step.js'
import type { SmokeReport } from './smoke-rules.js'
import { describeIsolation, smokeVerdict } from './smoke-rules.js'
import { smokeRun } from './smoke-run.js'
import { applyVerdict } from './verdict.js'

export async function smokeStep(
  run: PushedGateRun<ImageInputs & SmokeInputs & PolicyInputs> & { ctx: Pick<GitHubContext, 'runId' | 'nodeArch'>; env: Record<string, string>; report: { smoke?: SmokeReport } },
  pushed: Pushed
): Promise<void> {
  const { inputs, report } = run
  if (!inputs.smoke) {
    report.notes.push('Smoke run: skipped (give smoke-args or smoke-http-port to run each platform under restricted-v2 constraints before signing)')
    return
  }
  const spec = inputs.smoke
  const label = `${run.ctx.runId || process.pid}-${Date.now().toString(36)}`
  state.save({ smokeLabel: label })
  const isolation = describeIsolation(spec)
  const results = await core.group('Smoke run (restricted-v2)', () => {
    core.info(`Each platform runs once with ${isolation}${inputs.startupBudgetMs === undefined ? '; all at once (no startup-budget to judge)' : '; one after another, native first (startup-budget is judged on the native start-up)'}`)
    return smokeRun(inputs.image.name, spec, { platforms: pushed.platforms, native: nativeArches(run.ctx.nodeArch), env: run.env, label, together: inputs.startupBudgetMs === undefined })
  })
  report.smoke = { runs: results, isolation, budgetMs: inputs.startupBudgetMs }
  applyVerdict(smokeVerdict(results, inputs.policy, inputs.startupBudgetMs), report.notes, run.refuse)
}
