// Registry requests, counted from the distribution registry's access log (combined log format,
// one line per request: `127.0.0.1 - - [date] "GET /v2/... HTTP/2.0" 200 ...`).
import * as fs from 'node:fs'

export interface RequestCounts {
  total: number
  /** 401 answers: the token/basic-auth challenges a client has to take before it is let in. */
  challenges: number
  byMethod: Record<string, number>
  /** Blob uploads started (POST /blobs/uploads/), i.e. layers and configs actually sent. */
  uploads: number
  manifestPuts: number
}

const LINE = /^\S+ - \S+ \[[^\]]+\] "(\w+) (\S+) [^"]*" (\d{3}) /

export function logOffset(file: string): number {
  return fs.statSync(file).size
}

export async function countRequests(file: string, from: number): Promise<RequestCounts> {
  // The registry writes the access line as the response completes; give the last one a moment.
  await new Promise((r) => setTimeout(r, 300))
  const text = fs.readFileSync(file).subarray(from).toString('utf8')
  const counts: RequestCounts = { total: 0, challenges: 0, byMethod: {}, uploads: 0, manifestPuts: 0 }
  for (const line of text.split('\n')) {
    const m = LINE.exec(line)
    if (!m) continue
    const [, method = '', uri = '', status = ''] = m
    counts.total++
    counts.byMethod[method] = (counts.byMethod[method] ?? 0) + 1
    if (status === '401') counts.challenges++
    if (method === 'POST' && uri.includes('/blobs/uploads/')) counts.uploads++
    if (method === 'PUT' && uri.includes('/manifests/')) counts.manifestPuts++
  }
  return counts
}
