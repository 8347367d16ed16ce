/**
 * The smoke run's rules, without running anything: which UID, the `docker create` argv that
 * imposes OpenShift's restricted-v2 constraints, how a run ended, and what the gate makes of it.
 */
import type { SmokeSpec } from '../inputs/smoke.js'
import type { PolicyMode } from '../inputs/policy.js'
import type { Rule, Verdict } from './verdict.js'

/**
 * OpenShift gives each namespace a block of 10000 UIDs from 1000000000-1999999999
 * (`openshift.io/sa.scc.uid-range`), and restricted-v2 runs a pod as the first UID of its block,
 * with GID 0: never the image's USER.
 */
export const OPENSHIFT_UID_FIRST = 1_000_000_000
export const OPENSHIFT_UID_BLOCK = 10_000
const OPENSHIFT_BLOCKS = 100_000

/** A UID as OpenShift would pick it, for a random namespace. */
export function openshiftUid(random: () => number = Math.random): number {
  const block = Math.min(OPENSHIFT_BLOCKS - 1, Math.max(0, Math.floor(random() * OPENSHIFT_BLOCKS)))
  return OPENSHIFT_UID_FIRST + block * OPENSHIFT_UID_BLOCK
}

/** Marks the run's containers and network, so the post step can remove what a cancelled run left. */
export const SMOKE_LABEL = 'io.github.vmafx.build-distroless-image.smoke'

export interface ContainerSpec {
  name: string
  label: string
  platform: string
  uid: number
  ref: string
  args: readonly string[]
  /** `none`, or the internal network the probe reaches the container on. */
  network: string
}

/** restricted-v2, as far as a container runtime can impose it. */
function constraints(uid: number): string[] {
  return ['--user', `${uid}:0`, '--read-only', '--tmpfs', '/tmp:rw,nosuid,nodev,size=64m', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges']
}

/** `docker create`: the image was pulled before, so nothing is pulled here (a pull is not startup). */
export function smokeCreateArgv(c: ContainerSpec): string[] {
  return ['create', '--name', c.name, '--label', `${SMOKE_LABEL}=${c.label}`, '--platform', c.platform, '--pull', 'never', ...constraints(c.uid), '--network', c.network, c.ref, ...c.args]
}

/** The same run as one command a user can paste to reproduce it (probe mode publishes the port). */
export function reproduceCommand(c: ContainerSpec, port?: number): string {
  const network = port ? ['-p', `127.0.0.1:${port}:${port}`] : ['--network', 'none']
  const argv = ['docker', 'run', '--rm', '--platform', c.platform, ...constraints(c.uid), ...network, c.ref, ...c.args]
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ')
}

/** How a run ended. */
export type SmokeEnd = { kind: 'exited'; code: number } | { kind: 'answered'; status: number } | { kind: 'timeout'; last?: string } | { kind: 'not-started'; error: string }

/** Why the run failed, or undefined when it passed. */
export function failureReason(end: SmokeEnd, spec: Pick<SmokeSpec, 'http' | 'timeoutMs'>): string | undefined {
  const within = `within ${formatMs(spec.timeoutMs)} (smoke-timeout)`
  const probe = spec.http ? `port ${spec.http.port} ${spec.http.path}` : ''
  switch (end.kind) {
    case 'answered':
      return end.status >= 200 && end.status < 300 ? undefined : `${probe} answered ${end.status}`
    case 'exited':
      if (spec.http) return `exited with code ${end.code} before ${probe} answered 2xx`
      return end.code === 0 ? undefined : `exited with code ${end.code}`
    case 'timeout':
      return spec.http ? `${probe} did not answer 2xx ${within}${end.last ? `; last attempt: ${end.last}` : ''}; the container was stopped` : `did not exit ${within}; the container was stopped`
    case 'not-started':
      return `could not start: ${end.error}`
  }
}

/** Resolves to the promise's value, or to 'timeout' after `ms`; the timer never outlives the race. */
export async function raceTimeout<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)))
  try {
    return await Promise.race([p, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** Docker's RFC 3339 times carry nanoseconds, which Date.parse does not take: milliseconds since the epoch, fractions kept. */
export function dockerTime(value: string): number | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$/.exec(value)
  if (!m) return undefined
  const whole = Date.parse(`${m[1]}${m[3]}`)
  if (Number.isNaN(whole) || whole <= 0) return undefined
  return whole + Number(`0${m[2] ?? ''}`) * 1000
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${Number((ms / 1000).toFixed(2))} s`
}

/**
 * What each run was given, exactly as `smokeCreateArgv` gives it (the summary says this, so it must
 * not claim more). /dev/shm stays writable, as in a pod; in probe mode the network is the
 * runner's way in, and Docker leaves the runner's own address on it reachable from the container.
 */
export function describeIsolation(spec: Pick<SmokeSpec, 'http'>): string {
  const network = spec.http
    ? `an internal network of its own (\`docker network create --internal\`), removed afterwards: the runner reaches port ${spec.http.port} on it; no route leads beyond it, but the runner's own address on it (the bridge) is reachable, so is anything the runner listens on all interfaces`
    : 'no network (`--network none`: loopback only)'
  return `a random UID with GID 0; read-only root filesystem, writable only /tmp (64 MB, nosuid, nodev) and /dev/shm (64 MB, as in a pod); no capabilities (an empty bounding set); no privilege escalation (no-new-privileges: a setuid file runs as the caller); ${network}`
}

/**
 * startup-budget's reach: the native runs it judged, and why it judged none when it judged none. A
 * native run stopped at smoke-timeout took at least that long: over a budget no longer than the
 * timeout, so it is judged too (else `policy: warn` would sign a service slower than the budget).
 */
export function budgetReach(results: readonly SmokeResult[], budgetMs: number): { judged: SmokeResult[]; notJudged?: string } {
  const judged = results.filter((r) => !r.emulated && (r.startupMs !== undefined || (r.timedOutMs ?? 0) >= budgetMs))
  if (judged.length) return { judged }
  const failedNative = results.filter((r) => !r.emulated).map((r) => r.platform)
  const emulated = results.filter((r) => r.emulated).map((r) => r.platform)
  const qemu = emulated.length ? `; ${emulated.join(', ')} ran under QEMU, whose startup times say little about the release` : ''
  // A native run that failed has no startup time: the failure, not the budget, is what to fix.
  if (failedNative.length) return { judged, notJudged: `the native run of ${failedNative.join(', ')} failed, so there is no native startup time${qemu}` }
  return { judged, notJudged: `no platform of this release runs natively on this runner${qemu}; build on a runner of a release platform's architecture to judge it` }
}

/** One platform's run. */
export interface SmokeResult {
  platform: string
  uid: number
  /** What was run, as a command that reproduces it. */
  command: string
  /** Why it failed; absent when it passed. */
  failure?: string
  /** Container start to exit 0 or to the first 2xx. */
  startupMs?: number
  /** Set when the run was stopped at smoke-timeout: startup took at least this long. */
  timedOutMs?: number
  /** Run under QEMU: its startup time says little about the release. */
  emulated: boolean
  /** The container's last output lines. */
  output: string
}

/** What the summary shows of the smoke run: each platform's run, what it was given, the budget. */
export interface SmokeReport {
  runs: SmokeResult[]
  /** `describeIsolation` of the spec the runs were given. */
  isolation: string
  budgetMs?: number
}

/** One line for the log and the summary notes. */
export function describeRun(r: SmokeResult): string {
  const time = r.startupMs === undefined ? '' : `, startup ${formatMs(r.startupMs)}${r.emulated ? ' (emulated under QEMU)' : ' (native)'}`
  return `${r.platform}: ${r.failure ? 'failed' : 'passed'} as UID ${r.uid}, GID 0${time}${r.failure ? `: ${r.failure}` : ''}`
}

/**
 * A failed run refuses the image (a warning under `policy: warn`); startup over the budget on a
 * native platform refuses it whatever the mode, as max-image-size does. Emulated figures are never
 * held against the budget.
 */
export function smokeVerdict(results: readonly SmokeResult[], mode: PolicyMode, budgetMs?: number): Verdict {
  const notes: string[] = []
  const warnings: string[] = []
  const refusals: string[] = []
  const rules: Rule[] = []
  for (const r of results) {
    if (!r.failure) continue
    const text = `${r.platform}: the smoke run as UID ${r.uid} (GID 0, restricted-v2) failed: ${r.failure}.\n  Command: ${r.command}${r.output ? `\n  Last output:\n${indent(r.output)}` : '\n  (no output)'}`
    if (mode === 'warn') {
      warnings.push(text)
      notes.push(`policy: warn: ${describeRun(r)}`)
    } else {
      refusals.push(text)
      rules.push('smoke')
    }
  }
  if (budgetMs !== undefined) {
    const { judged, notJudged } = budgetReach(results, budgetMs)
    if (notJudged) warnings.push(`startup-budget ${formatMs(budgetMs)} was not judged: ${notJudged}`)
    for (const r of judged) {
      if (r.startupMs !== undefined && r.startupMs <= budgetMs) continue
      const took = r.startupMs === undefined ? `did not start within smoke-timeout ${formatMs(r.timedOutMs ?? 0)}` : `startup took ${formatMs(r.startupMs)}`
      refusals.push(`${r.platform}: ${took}, over startup-budget ${formatMs(budgetMs)} (${r.startupMs === undefined ? 'run' : 'measured'} natively, as UID ${r.uid})`)
      rules.push('startup-budget')
    }
  }
  const rule = rules[0]
  return { notes, warnings, refusal: rule ? { rule, message: `The smoke run refuses the pushed image:\n- ${refusals.join('\n- ')}` } : undefined }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n')
}
