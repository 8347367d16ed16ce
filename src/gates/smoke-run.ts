/**
 * The smoke run: each pushed platform image is pulled by digest and run once on this runner's
 * engine (QEMU for foreign platforms) under restricted-v2 constraints, before anything is signed.
 */
import * as core from '../lib/log.js'
import * as http from 'node:http'
import { errorMessage } from '../lib/errors.js'
import { lastLines, run } from '../lib/exec.js'
import type { SmokeSpec } from '../inputs/smoke.js'
import { withRetry } from '../lib/retry.js'
import type { ContainerSpec, SmokeEnd, SmokeResult } from './smoke-rules.js'
import { SMOKE_LABEL, describeRun, dockerTime, failureReason, openshiftUid, raceTimeout, reproduceCommand, smokeCreateArgv } from './smoke-rules.js'

const OUTPUT_LINES = 20
const PROBE_INTERVAL_MS = 50

/** One HTTP GET: the status, or a thrown error (refused, reset, timed out). */
export type HttpGet = (url: string) => Promise<number>

export interface SmokeOptions {
  /** Platform id → its manifest digest, in the order the inputs gave them. */
  platforms: Record<string, string>
  /** Architectures this runner executes natively. */
  native: readonly string[]
  env: Record<string, string>
  /** Unique per run: names the containers and the probe network, and labels them for post. */
  label: string
  /** Platform id → a reference on the engine to run instead of NAME@DIGEST (push: false: the image loaded from the local build). */
  refs?: Record<string, string>
  random?: () => number
  get?: HttpGet
  /**
   * Every platform at once (no startup-budget to judge): the start-up times printed are then
   * measured beside each other. Otherwise one after another, native ones first, so the native
   * start-up time that is judged is measured before QEMU loads the CPU.
   */
  together?: boolean
}

/** Runs every platform, native ones first (their startup times are measured before QEMU loads the CPU). */
export async function smokeRun(name: string, spec: SmokeSpec, o: SmokeOptions): Promise<SmokeResult[]> {
  const isNative = (platform: string) => o.native.includes(platform.split('/')[1] ?? '')
  const order = Object.entries(o.platforms).sort(([a], [b]) => Number(isNative(b)) - Number(isNative(a)))
  const network = spec.http ? `bdi-smoke-${o.label}` : 'none'
  if (spec.http) await docker(['network', 'create', '--internal', '--label', `${SMOKE_LABEL}=${o.label}`, network], o.env)
  try {
    const containers = order.map(([platform, digest], i): ContainerSpec => ({ name: `bdi-smoke-${o.label}-${i}`, label: o.label, platform, uid: openshiftUid(o.random), ref: o.refs?.[platform] ?? `${name}@${digest}`, args: spec.args, network }))
    const say = (result: SmokeResult) => {
      core.info(describeRun(result))
      if (result.output) core.info(result.output.replace(/^/gm, '  | '))
    }
    if (o.together) {
      // The log stays in platform order: each run's lines, once all have ended.
      const results = await Promise.all(containers.map((c) => runOne(c, spec, !isNative(c.platform), o)))
      results.forEach(say)
      return results
    }
    const results: SmokeResult[] = []
    for (const c of containers) {
      const result = await runOne(c, spec, !isNative(c.platform), o)
      say(result)
      results.push(result)
    }
    return results
  } finally {
    if (spec.http) await docker(['network', 'rm', network], o.env, true)
  }
}

async function runOne(c: ContainerSpec, spec: SmokeSpec, emulated: boolean, o: SmokeOptions): Promise<SmokeResult> {
  const present = (await docker(['image', 'inspect', '--format', '{{.Id}}', c.ref], o.env, true)).exitCode === 0
  core.info(present ? `${c.platform}: ${c.ref} is on the engine already` : `${c.platform}: pulling ${c.ref}`)
  if (!present) await withRetry(() => docker(['pull', '--quiet', '--platform', c.platform, c.ref], o.env), { what: `pulling ${c.ref} for the smoke run` })
  const command = reproduceCommand(c, spec.http?.port)
  try {
    await docker(smokeCreateArgv(c), o.env)
    const { end, startedAt, endedAt, seen } = await startAndWatch(c, spec, o)
    // Probe mode read the state once already (for the address); only an exit needs its end time.
    const state = seen && end.kind !== 'exited' ? seen : await inspect(c.name, o.env)
    const started = dockerTime(state.StartedAt ?? '') ?? startedAt
    const ended = end.kind === 'exited' ? (dockerTime(state.FinishedAt ?? '') ?? endedAt) : endedAt
    const failure = failureReason(end, spec)
    const output = await logs(c.name, o.env)
    const timedOutMs = end.kind === 'timeout' ? spec.timeoutMs : undefined
    return { platform: c.platform, uid: c.uid, command, failure, startupMs: failure ? undefined : Math.max(0, ended - started), timedOutMs, emulated, output }
  } finally {
    await docker(['rm', '--force', c.name], o.env, true)
    // A pull made for the smoke run only is not left on a (possibly self-hosted) runner.
    if (!present) await docker(['image', 'rm', c.ref], o.env, true)
  }
}

/** Starts the container and waits for its end: exit (args mode), first 2xx (probe mode), or the timeout. */
async function startAndWatch(c: ContainerSpec, spec: SmokeSpec, o: SmokeOptions): Promise<{ end: SmokeEnd; startedAt: number; endedAt: number; seen?: ContainerState }> {
  const startedAt = Date.now()
  const start = await docker(['start', c.name], o.env, true)
  if (start.exitCode !== 0) return { end: { kind: 'not-started', error: lastLines(start.stderr.trim(), 5) }, startedAt, endedAt: Date.now() }
  const exited = docker(['wait', c.name], o.env, true).then((r): SmokeEnd => ({ kind: 'exited', code: Number(r.stdout.trim() || -1) }))
  const deadline = Date.now() + spec.timeoutMs
  let end: SmokeEnd
  let seen: ContainerState | undefined
  if (spec.http) {
    seen = await inspect(c.name, o.env)
    end = await probe(`http://${seen.address ?? ''}:${spec.http.port}${spec.http.path}`, deadline, exited, o.get ?? httpGet)
  } else {
    const e = await raceTimeout(exited, spec.timeoutMs)
    end = e === 'timeout' ? { kind: 'timeout' } : e
  }
  const endedAt = Date.now()
  if (end.kind === 'timeout') await docker(['kill', c.name], o.env, true)
  return { end, startedAt, endedAt, seen }
}

/** Polls until a 2xx, or until the container exits; a refused connection just means "not yet". */
async function probe(url: string, deadline: number, exited: Promise<SmokeEnd>, get: HttpGet): Promise<SmokeEnd> {
  let last: string | undefined
  let ended: SmokeEnd | undefined
  void exited.then((e) => (ended = e))
  while (Date.now() < deadline) {
    if (ended) return ended
    try {
      const status = await get(url)
      if (status >= 200 && status < 300) return { kind: 'answered', status }
      last = `${url} answered ${status}`
    } catch (err) {
      last = `${url}: ${errorMessage(err)}`
    }
    await new Promise((r) => setTimeout(r, PROBE_INTERVAL_MS))
  }
  return ended ?? { kind: 'timeout', last }
}

function httpGet(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: 1000 }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('timeout', () => req.destroy(new Error('no answer within 1 s')))
    req.on('error', reject)
  })
}

interface ContainerState {
  StartedAt?: string
  FinishedAt?: string
  address?: string
}

async function inspect(name: string, env: Record<string, string>): Promise<ContainerState> {
  const r = await docker(['inspect', '--format', '{{json .State}}|{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', name], env)
  const [state = '{}', address = ''] = r.stdout.trim().split('|')
  return { ...(JSON.parse(state) as ContainerState), address }
}

/** The last lines of stdout and stderr, interleaved as written (docker's timestamps order them). */
async function logs(name: string, env: Record<string, string>): Promise<string> {
  const r = await docker(['logs', '--timestamps', '--tail', String(OUTPUT_LINES), name], env, true)
  const lines = [...r.stdout.split('\n'), ...r.stderr.split('\n')].filter((l) => l.trim())
  const stamped = lines.map((l) => {
    const space = l.indexOf(' ')
    return { at: dockerTime(l.slice(0, space)) ?? 0, text: l.slice(space + 1) }
  })
  stamped.sort((a, b) => a.at - b.at)
  return stamped
    .slice(-OUTPUT_LINES)
    .map((s) => s.text)
    .join('\n')
}

function docker(args: string[], env: Record<string, string>, allowFailure = false) {
  return run('docker', args, { env, silent: true, allowFailure })
}

/** For the post step: containers and the probe network a cancelled smoke run left behind. */
export async function removeSmokeLeftovers(label: string, env: Record<string, string>): Promise<void> {
  const filter = ['--filter', `label=${SMOKE_LABEL}=${label}`]
  const containers = (await docker(['ps', '--all', '--quiet', ...filter], env, true)).stdout.split('\n').filter(Boolean)
  if (containers.length) await docker(['rm', '--force', ...containers], env, true)
  const networks = (await docker(['network', 'ls', '--quiet', ...filter], env, true)).stdout.split('\n').filter(Boolean)
  if (networks.length) await docker(['network', 'rm', ...networks], env, true)
  if (containers.length || networks.length) core.info(`Removed what the smoke run left: ${containers.length} container(s), ${networks.length} network(s)`)
}
