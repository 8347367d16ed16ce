import { errorText } from './errors.js'
import * as core from './log.js'

/** Registry failures worth another try: server errors, resets, timeouts. */
const TRANSIENT = [
  /\b50[0234]\b/,
  /service unavailable/i,
  /bad gateway/i,
  /gateway time-?out/i,
  /connection reset/i,
  /ECONNRESET/,
  /connection refused/i,
  /broken pipe/i,
  /i\/o timeout/i,
  /TLS handshake timeout/i,
  /timeout awaiting response headers/i,
  /context deadline exceeded/i,
  /unexpected EOF/i,
  /:\s*EOF\s*$/m,
  /too many requests/i,
  /\b429\b/
]

/** Failures that another try cannot fix: credentials and permissions. */
const AUTH = [
  /unauthorized/i,
  /authentication required/i,
  /\bdenied\b/i,
  /\b401\b/,
  /\b403\b/,
  /forbidden/i,
  /installation not allowed to Create organization package/i,
  /incorrect username or password/i
]

export type FailureKind = 'auth' | 'transient' | 'other'

export function classifyFailure(text: string): FailureKind {
  if (AUTH.some((re) => re.test(text))) return 'auth'
  if (TRANSIENT.some((re) => re.test(text))) return 'transient'
  return 'other'
}

/** What to tell the user about an auth failure, naming the fix when it is known. */
export function authHint(text: string, registry: string): string {
  if (/installation not allowed to Create organization package/i.test(text)) {
    return `${registry} refused to create the package: the workflow lacks the \`packages: write\` permission. Add \`permissions: { packages: write }\` to the job.`
  }
  if (registry === 'ghcr.io') {
    return `${registry} refused the credentials. With the default registry-password (github.token) the job needs \`permissions: { packages: write }\`; for a package owned elsewhere, give a token that can write it.`
  }
  return `${registry} refused the credentials: check registry-username and registry-password.`
}

export interface RetryOptions {
  attempts?: number
  /** Delay before the second attempt; doubles each time. */
  baseDelayMs?: number
  what: string
  sleep?: (ms: number) => Promise<void>
  /** Failures to retry besides the transient ones, e.g. "not found" when reading what was just pushed. */
  alsoRetry?: RegExp
  /** True when the work was stopped on purpose: its failure is final, never retried. */
  stopped?: () => boolean
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Retries `fn` while its failures are transient; auth and other failures are thrown at once. */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const attempts = opts.attempts ?? 4
  const base = opts.baseDelayMs ?? 2000
  const sleep = opts.sleep ?? defaultSleep
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt)
    } catch (err) {
      const text = errorText(err)
      const retryable = !opts.stopped?.() && (classifyFailure(text) === 'transient' || (opts.alsoRetry?.test(text) ?? false))
      if (!retryable || attempt >= attempts) throw err
      const delay = base * 2 ** (attempt - 1)
      core.warning(`${opts.what} failed with a transient error (attempt ${attempt} of ${attempts}); retrying in ${Math.round(delay / 1000)}s: ${firstLine(text)}`)
      await sleep(delay)
    }
  }
}

function firstLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean)
  return lines.find((l) => classifyFailure(l) === 'transient') ?? lines[0] ?? ''
}
