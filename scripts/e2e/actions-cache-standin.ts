/**
 * A STAND-IN for the GitHub Actions cache service, for the e2e suite: the v1 REST protocol that
 * @actions/cache speaks when ACTIONS_CACHE_URL is set (GHES's cache service; github.com's is v2,
 * Twirp with Azure blob uploads, which cannot be had here). Entries live in memory, keyed by key
 * and version, as the service matches them. Not GitHub's service: it checks no token and no scope.
 *   GET   _apis/artifactcache/cache?keys=K1,K2&version=V -> 200 {cacheKey, archiveLocation} | 204
 *   POST  _apis/artifactcache/caches {key, version}       -> 201 {cacheId} | 409 (already exists)
 *   PATCH _apis/artifactcache/caches/ID (Content-Range: bytes S-E/*) -> 204
 *   POST  _apis/artifactcache/caches/ID {size}            -> 204 (committed; size checked)
 *   GET   archive/ID                                      -> the archive
 */
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'

interface Entry {
  key: string
  version: string
  chunks: Array<{ start: number; data: Buffer }>
  archive?: Buffer
}

export interface ActionsCacheStandin {
  /** ACTIONS_CACHE_URL, with the trailing slash @actions/cache expects. */
  url: string
  /** Every request, `METHOD path` (the query kept), in order. */
  requests: string[]
  /** Committed entries' keys. */
  keys(): string[]
  /** The env a job needs to use it. */
  env: Record<string, string>
  close(): Promise<void>
}

export async function startActionsCache(): Promise<ActionsCacheStandin> {
  const entries = new Map<number, Entry>()
  const requests: string[] = []
  let next = 1
  const body = async (req: http.IncomingMessage): Promise<Buffer> => {
    const parts: Buffer[] = []
    for await (const c of req) parts.push(c as Buffer)
    return Buffer.concat(parts)
  }
  const json = (res: http.ServerResponse, status: number, value: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(value))
  }
  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://stand-in')
      requests.push(`${req.method ?? ''} ${url.pathname}${url.search}`)
      const data = await body(req)
      const id = Number(/\/caches\/(\d+)$/.exec(url.pathname)?.[1] ?? /\/archive\/(\d+)$/.exec(url.pathname)?.[1])
      if (req.method === 'GET' && url.pathname.endsWith('/_apis/artifactcache/cache')) {
        const keys = (url.searchParams.get('keys') ?? '').split(',')
        const version = url.searchParams.get('version') ?? ''
        for (const key of keys) {
          const hit = [...entries.entries()].find(([, e]) => e.archive && e.key === key && e.version === version)
          if (hit) return json(res, 200, { cacheKey: hit[1].key, scope: 'refs/heads/main', archiveLocation: `${address}/archive/${hit[0]}` })
        }
        res.writeHead(204).end()
        return
      }
      if (req.method === 'POST' && url.pathname.endsWith('/_apis/artifactcache/caches')) {
        const { key, version } = JSON.parse(data.toString()) as { key: string; version: string }
        if ([...entries.values()].some((e) => e.key === key && e.version === version)) return json(res, 409, { message: `Cache already exists: ${key}` })
        entries.set(next, { key, version, chunks: [] })
        return json(res, 201, { cacheId: next++ })
      }
      const entry = entries.get(id)
      if (req.method === 'PATCH' && entry) {
        const start = Number(/^bytes (\d+)-\d+\/\*$/.exec(req.headers['content-range'] ?? '')?.[1] ?? NaN)
        if (Number.isNaN(start)) return json(res, 400, { message: 'Content-Range missing' })
        entry.chunks.push({ start, data })
        res.writeHead(204).end()
        return
      }
      if (req.method === 'POST' && entry) {
        const { size } = JSON.parse(data.toString()) as { size: number }
        const archive = Buffer.alloc(size)
        for (const c of entry.chunks) c.data.copy(archive, c.start)
        if (entry.chunks.reduce((n, c) => n + c.data.length, 0) !== size) return json(res, 400, { message: 'size does not match the uploaded chunks' })
        entry.archive = archive
        res.writeHead(204).end()
        return
      }
      if (req.method === 'GET' && entry?.archive) {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': entry.archive.length })
        res.end(entry.archive)
        return
      }
      json(res, 404, { message: 'not found' })
    })().catch((err: unknown) => json(res, 500, { message: String(err) }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url: `${address}/`,
    requests,
    keys: () => [...entries.values()].filter((e) => e.archive).map((e) => e.key),
    env: { ACTIONS_CACHE_URL: `${address}/`, ACTIONS_RUNTIME_TOKEN: 'e2e-cache-standin-token' },
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
