/** The smoke-run slice: `smoke-args`, `smoke-http-port`, `smoke-http-path`, `smoke-timeout`, `startup-budget`. */
import { InputError } from '../lib/errors.js'
import type { InputReader } from './values.js'

/** How each platform's image is run once, under restricted-v2 constraints, before signing. */
export interface SmokeSpec {
  /** Arguments after the image's entrypoint; without `http`, the run must exit 0 with them. */
  args: string[]
  /** Probe mode: the container is started and `path` on `port` must answer 2xx. */
  http?: { port: number; path: string }
  timeoutMs: number
}

export interface SmokeInputs {
  /** Absent: the smoke run is off. */
  smoke?: SmokeSpec
  /** Fails the native platform(s) when startup takes longer, whatever the policy mode. */
  startupBudgetMs?: number
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 }

/** `1s`, `500ms`, `1.5s`, `2m`: milliseconds, or undefined when it is not such a duration. */
export function parseDuration(value: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m)$/.exec(value.trim())
  if (!m) return undefined
  const ms = Number(m[1]) * (UNITS[m[2] ?? ''] ?? 0)
  return ms > 0 ? Math.round(ms) : undefined
}

/**
 * The arguments, split on spaces and newlines. No shell ever sees them, so quotes would reach the
 * program literally: they are refused rather than passed on.
 */
function smokeArgs(raw: string): string[] {
  const args = raw.split(/\s+/).filter(Boolean)
  const quoted = args.find((a) => /["'`]/.test(a))
  if (quoted) throw new InputError('smoke-args', `"${quoted}" holds a quote, but no shell runs these arguments, so it would reach the program as is: give the arguments separated by spaces, without quotes`)
  return args
}

function unlessDefault(value: string, declared: string): string {
  const v = value.trim()
  return v === declared ? '' : v
}

function duration(name: string, value: string): number | undefined {
  const raw = value.trim()
  if (!raw) return undefined
  const ms = parseDuration(raw)
  if (ms === undefined) throw new InputError(name, `"${raw}" is not a duration such as 1s, 500ms or 2m`)
  return ms
}

/** action.yml's declared defaults: given as they are (the runner passes them), they count as not given. */
export const DEFAULT_SMOKE_TIMEOUT = '30s'
export const DEFAULT_SMOKE_TIMEOUT_MS = 30_000
export const DEFAULT_SMOKE_HTTP_PATH = '/'

export function parseSmokeInputs(read: InputReader): SmokeInputs {
  const args = smokeArgs(read('smoke-args'))
  const portRaw = read('smoke-http-port').trim()
  const pathRaw = unlessDefault(read('smoke-http-path'), DEFAULT_SMOKE_HTTP_PATH)
  const timeoutMs = duration('smoke-timeout', unlessDefault(read('smoke-timeout'), DEFAULT_SMOKE_TIMEOUT))
  const startupBudgetMs = duration('startup-budget', read('startup-budget'))
  let http: SmokeSpec['http']
  if (portRaw) {
    const port = Number(portRaw)
    if (!/^\d+$/.test(portRaw) || port < 1 || port > 65535) throw new InputError('smoke-http-port', `"${portRaw}" is not a TCP port (1-65535), e.g. 8080`)
    const path = pathRaw || '/'
    if (!path.startsWith('/') || /\s/.test(path)) throw new InputError('smoke-http-path', `"${pathRaw}" is not an HTTP path: start it with / and leave out spaces, e.g. /healthz`)
    http = { port, path }
  } else if (pathRaw) {
    throw new InputError('smoke-http-path', 'needs smoke-http-port: give the port the container listens on, e.g. 8080')
  }
  if (!args.length && !http) {
    const stray = timeoutMs !== undefined ? 'smoke-timeout' : startupBudgetMs !== undefined ? 'startup-budget' : undefined
    if (stray) throw new InputError(stray, 'applies to the smoke run, which is off: give smoke-args (a command that must exit 0) or smoke-http-port (a port to probe)')
    return {}
  }
  return { smoke: { args, http, timeoutMs: timeoutMs ?? DEFAULT_SMOKE_TIMEOUT_MS }, startupBudgetMs }
}
