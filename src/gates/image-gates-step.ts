/**
 * The gates on the pushed image, side by side: the policy and architecture check of what was
 * pushed, the smoke run, and the vulnerability scan (with reachability). They are independent, so
 * none waits for another; each logs its own groups, held and printed whole in that order, and
 * every verdict reaches the summary even when one refuses. Nothing is tagged or signed until all
 * of them have passed.
 */
import * as core from '../lib/log.js'
import type { Held } from '../lib/log.js'
import type { Pushed } from '../registry/manifest.js'
import type { VulnScan } from '../supply-chain/attest.js'
import { checkPushedImages } from './policy-step.js'
import { smokeStep } from './smoke-step.js'
import type { Db } from './vulnerability-db.js'
import { vulnerabilityStep } from './vulnerability-step.js'

type PolicyRun = Parameters<typeof checkPushedImages>[0]
type SmokeRun = Parameters<typeof smokeStep>[0]
type ScanRun = Parameters<typeof vulnerabilityStep>[0]

/**
 * `smoke`: whether this release has a Dockerfile's image to run (a merge job runs none).
 * `db`: the trivy DB started during the build. With a `startup-budget` the smoke run goes alone,
 * after the policy check and before the scan: its native start-up time is a verdict, and work
 * beside it would be part of that time.
 */
export async function imageGatesStep(run: PolicyRun & SmokeRun & ScanRun, pushed: Pushed, smoke: boolean, db: Held<Db> | undefined): Promise<VulnScan[] | undefined> {
  const alone = Boolean(run.inputs.smoke && run.inputs.startupBudgetMs !== undefined)
  const policy = core.hold(() => checkPushedImages(run, pushed))
  if (alone) await policy.settled
  const smoked = core.hold(() => (smoke ? smokeStep(run, pushed) : Promise.resolve()))
  if (alone) await smoked.settled
  const scanned = core.hold(() => vulnerabilityStep(run, pushed, db))
  const outcomes = [await settle(policy), await settle(smoked), await settle(scanned)]
  const [first, ...more] = outcomes.flatMap((o) => ('error' in o ? [o.error] : []))
  if (first) {
    // Several refused: the first is the job's error, the others are said too.
    for (const e of more) core.error(e.message)
    throw first
  }
  const scans = outcomes[2]
  return scans && 'value' in scans ? (scans.value as VulnScan[] | undefined) : undefined
}

/** Collects a held gate (printing its log) into its outcome. */
function settle<T>(gate: Held<T>): Promise<{ value: T } | { error: Error }> {
  return gate.collect().then(
    (value) => ({ value }),
    (err: unknown) => ({ error: err instanceof Error ? err : new Error(String(err)) })
  )
}
