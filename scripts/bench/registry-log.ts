// Registry requests, counted from the distribution registry's access log (combined log format,
// one line per request: `127.0.0.1 - - [date] "GET /v2/... HTTP/2.0" 200 123 "" "user agent"`),
// and the response times from its application log lines (`msg="response completed" ...
// http.request.uri=... http.request.useragent=... http.response.duration=2.3ms`), both in one file.
import * as fs from 'node:fs'

export interface RequestCounts {
  total: number
  /** 401 answers: the token/basic-auth challenges a client has to take before it is let in. */
  challenges: number
  byMethod: Record<string, number>
  /** Blob uploads started (POST /blobs/uploads/), i.e. layers and configs actually sent. */
  uploads: number
  manifestPuts: number
  /** GET of /v2/NAME/manifests/REF (answered 200 or not); HEADs are counted apart. */
  manifestGets: number
  manifestHeads: number
  /** Manifest GETs answered (not 401) of the same URI more than once in the window: [uri, times, which clients how often]. */
  repeatedManifestGets: Array<[string, number, string]>
  /** By client: the User-Agent's first word (`build-distroless-image`, `buildkit`, `docker`, `cosign`, `trivy`, ...). */
  byClient: Record<string, { total: number; manifestGets: number }>
  /** Sum of the registry's response durations for the counted requests (they overlap: not wall time). */
  responseMs: number
  /** First to last counted request, by the registry's clock (0 with fewer than two). */
  spanMs: number
}

/** Which lines count: the request URI and User-Agent. Absent: every line in the window. */
export type RequestFilter = (uri: string, userAgent: string) => boolean

const LINE = /^\S+ - \S+ \[[^\]]+\] "(\w+) (\S+) [^"]*" (\d{3}) \S+ "(?:[^"\\]|\\.)*" "((?:[^"\\]|\\.)*)"/
const LINE_NO_UA = /^\S+ - \S+ \[[^\]]+\] "(\w+) (\S+) [^"]*" (\d{3}) /
const COMPLETED = /^time="([^"]+)" level=\w+ msg="response completed" /
const field = (line: string, name: string): string => {
  const m = new RegExp(` ${name.replace(/\./g, '\\.')}=("(?:[^"\\\\]|\\\\.)*"|\\S+)`).exec(line)
  const v = m?.[1] ?? ''
  return v.startsWith('"') ? v.slice(1, -1).replace(/\\(.)/g, '$1') : v
}

/** Go's time.Duration as the registry prints it (`2.313408ms`, `1.2s`, `850µs`), in ms. */
function durationMs(d: string): number {
  const m = /^([\d.]+)(ns|µs|us|ms|s|m)$/.exec(d)
  if (!m) return 0
  const scale: Record<string, number> = { ns: 1e-6, µs: 1e-3, us: 1e-3, ms: 1, s: 1000, m: 60_000 }
  return Number(m[1]) * (scale[m[2] ?? ''] ?? 0)
}

/** The client, from its User-Agent: `build-distroless-image (run 1, attempt 1)` → build-distroless-image. */
export function clientOf(userAgent: string): string {
  const word = userAgent.split(/\s/)[0] ?? ''
  // syft names itself by its path: /…/syft/1.52.0/x64/syft
  const name = word.startsWith('/') ? (/\/([^/]+)\/v?\d[^/]*\/[^/]+\/[^/]+$/.exec(word)?.[1] ?? word.split('/').pop() ?? '') : word.split('/')[0]
  return name || '(none)'
}

export function logOffset(file: string): number {
  return fs.existsSync(file) ? fs.statSync(file).size : 0
}

export function emptyCounts(): RequestCounts {
  return { total: 0, challenges: 0, byMethod: {}, uploads: 0, manifestPuts: 0, manifestGets: 0, manifestHeads: 0, repeatedManifestGets: [], byClient: {}, responseMs: 0, spanMs: 0 }
}

export async function countRequests(file: string, from: number, filter?: RequestFilter): Promise<RequestCounts> {
  // The registry writes the access line as the response completes; give the last one a moment.
  await new Promise((r) => setTimeout(r, 300))
  const counts = emptyCounts()
  if (!file || !fs.existsSync(file)) return counts
  const text = fs.readFileSync(file).subarray(from).toString('utf8')
  const gets = new Map<string, number>()
  const getters = new Map<string, Map<string, number>>()
  let first = Infinity
  let last = -Infinity
  for (const line of text.split('\n')) {
    const done = COMPLETED.exec(line)
    if (done) {
      const uri = field(line, 'http.request.uri')
      if (filter && !filter(uri, field(line, 'http.request.useragent'))) continue
      counts.responseMs += durationMs(field(line, 'http.response.duration'))
      const at = Date.parse(done[1] ?? '')
      if (Number.isFinite(at)) {
        first = Math.min(first, at)
        last = Math.max(last, at)
      }
      continue
    }
    const m = LINE.exec(line) ?? LINE_NO_UA.exec(line)
    if (!m) continue
    const [, method = '', uri = '', status = '', ua = ''] = m
    const userAgent = ua.replace(/\\(.)/g, '$1')
    if (filter && !filter(uri, userAgent)) continue
    counts.total++
    counts.byMethod[method] = (counts.byMethod[method] ?? 0) + 1
    const client = (counts.byClient[clientOf(userAgent)] ??= { total: 0, manifestGets: 0 })
    client.total++
    if (status === '401') counts.challenges++
    if (method === 'POST' && uri.includes('/blobs/uploads/')) counts.uploads++
    if (uri.includes('/manifests/')) {
      if (method === 'PUT') counts.manifestPuts++
      if (method === 'HEAD') counts.manifestHeads++
      if (method === 'GET') {
        counts.manifestGets++
        client.manifestGets++
      }
      // A 401 is the auth challenge before the read, not a read: it is not a repeat.
      if (method === 'GET' && status !== '401') {
        gets.set(uri, (gets.get(uri) ?? 0) + 1)
        const by = getters.get(uri) ?? new Map<string, number>()
        by.set(clientOf(userAgent), (by.get(clientOf(userAgent)) ?? 0) + 1)
        getters.set(uri, by)
      }
    }
  }
  counts.repeatedManifestGets = [...gets]
    .filter(([, n]) => n > 1)
    .sort((a, b) => b[1] - a[1])
    .map(([uri, n]): [string, number, string] => [uri, n, [...(getters.get(uri) ?? [])].map(([c, k]) => `${c} ${k}`).join(', ')])
  counts.responseMs = Math.round(counts.responseMs)
  counts.spanMs = last > first ? last - first : 0
  return counts
}

/** Two windows (two registries' logs) as one release's requests. */
export function addCounts(a: RequestCounts, b: RequestCounts): RequestCounts {
  const byMethod = { ...a.byMethod }
  for (const [k, v] of Object.entries(b.byMethod)) byMethod[k] = (byMethod[k] ?? 0) + v
  const byClient: RequestCounts['byClient'] = {}
  for (const c of [a.byClient, b.byClient]) {
    for (const [k, v] of Object.entries(c)) {
      const t = (byClient[k] ??= { total: 0, manifestGets: 0 })
      t.total += v.total
      t.manifestGets += v.manifestGets
    }
  }
  return {
    total: a.total + b.total,
    challenges: a.challenges + b.challenges,
    byMethod,
    uploads: a.uploads + b.uploads,
    manifestPuts: a.manifestPuts + b.manifestPuts,
    manifestGets: a.manifestGets + b.manifestGets,
    manifestHeads: a.manifestHeads + b.manifestHeads,
    repeatedManifestGets: [...a.repeatedManifestGets, ...b.repeatedManifestGets],
    byClient,
    responseMs: a.responseMs + b.responseMs,
    spanMs: Math.max(a.spanMs, b.spanMs)
  }
}
