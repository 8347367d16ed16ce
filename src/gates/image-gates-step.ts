/**
 * The gates that read or run the pushed image: the smoke run and the vulnerability scan (with
 * reachability), side by side. They are independent, so neither waits for the other; each logs
 * its own groups, held and printed whole (smoke first), and both verdicts reach the summary even
 * when one refuses. Nothing is tagged or signed until both have passed.
 */
import * as core from '../lib/log.js'
import type { Held } from '../lib/log.js'
import type { Pushed } from '../registry/manifest.js'
import type { VulnScan } from '../supply-chain/attest.js'
import { smokeStep } from './smoke-step.js'
import type { Db } from './vulnerability-db.js'
import { vulnerabilityStep } from './vulnerability-step.js'

type SmokeRun = Parameters<typeof smokeStep>[0]
type ScanRun = Parameters<typeof vulnerabilityStep>[0]

/**
 * `smoke`: whether this release has a Dockerfile's image to run (a merge job runs none).
 * `db`: the trivy DB started during the build. With a `startup-budget` the smoke run goes first,
 * alone: its native start-up time is a verdict, and a scan beside it would be part of that time.
 */
export async function imageGatesStep(run: SmokeRun & ScanRun, pushed: Pushed, smoke: boolean, db: Held<Db> | undefined): Promise<VulnScan[] | undefined> {
  const smoked = core.hold(() => (smoke ? smokeStep(run, pushed) : Promise.resolve()))
  if (run.inputs.smoke && run.inputs.startupBudgetMs !== undefined) await smoked.settled
  const scanned = core.hold(() => vulnerabilityStep(run, pushed, db))
  const smokeOutcome = await smoked.collect().then(
    () => undefined,
    (err: unknown) => (err instanceof Error ? err : new Error(String(err)))
  )
  const scanOutcome = await scanned.collect().then(
    (scans) => ({ scans }),
    (err: unknown) => ({ err })
  )
  if (smokeOutcome !== undefined) {
    // Both refused: the first is the job's error, the second is said too.
    if ('err' in scanOutcome) core.error(scanOutcome.err instanceof Error ? scanOutcome.err.message : String(scanOutcome.err))
    throw smokeOutcome
  }
  if ('err' in scanOutcome) throw scanOutcome.err
  return scanOutcome.scans
}
