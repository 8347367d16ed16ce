// The trivy DB: the Actions cache first (daily key), else the repositories in order, each failure
// named; trivy's argv asserted exactly with the exec wrapper mocked.
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { beforeEach, describe, expect, test, vi } from 'vitest'
import type * as Exec from '../../src/lib/exec.js'
import type { DbCache } from '../../src/gates/vulnerability-db.js'

const calls: string[][] = []
let answers: Array<(args: string[]) => { exitCode: number; stdout?: string; stderr?: string }> = []
vi.mock('../../src/lib/exec.js', async (importOriginal) => ({
  ...(await importOriginal<typeof Exec>()),
  run: vi.fn((_file: string, args: string[]) => {
    calls.push(args)
    const next = answers.shift()
    return Promise.resolve({ stdout: '', stderr: '', ...(next ? next(args) : { exitCode: 0 }) })
  })
}))
const warnings: string[] = []
vi.mock('@actions/core', async (importOriginal) => ({ ...(await importOriginal<object>()), warning: (m: string) => warnings.push(m), info: () => undefined }))
const { ScannerError, dbCacheKey, failureLine, prepareDb } = await import('../../src/gates/vulnerability-db.js')

const META = '{"Version":2,"NextUpdate":"2999-01-01T00:00:00Z","UpdatedAt":"2026-11-28T06:00:00Z","DownloadedAt":"2026-11-29T09:00:00Z"}'
const NOW = new Date('2026-11-29T09:30:00Z')
const REPOS = ['mirror.gcr.io/aquasec/trivy-db', 'ghcr.io/aquasecurity/trivy-db']
let dir = ''
/** What trivy --download-db-only leaves in the cache dir. */
const downloads = (args: string[]) => {
  const db = path.join(args[args.indexOf('--cache-dir') + 1] ?? '', 'db')
  fs.mkdirSync(db, { recursive: true })
  fs.writeFileSync(path.join(db, 'trivy.db'), 'bolt')
  fs.writeFileSync(path.join(db, 'metadata.json'), META)
  return { exitCode: 0 }
}
const fails = (stderr: string) => () => ({ exitCode: 1, stderr })

function fakeCache(o: { available?: boolean; hit?: boolean; restoreFails?: boolean } = {}): DbCache & { saved: string[]; restored: string[] } {
  const saved: string[] = []
  const restored: string[] = []
  return {
    saved,
    restored,
    available: () => o.available ?? true,
    restore: (paths, key) => {
      restored.push(key)
      if (o.restoreFails) return Promise.reject(new Error('cache service 503'))
      if (!o.hit) return Promise.resolve(undefined)
      downloads(['--cache-dir', path.dirname(paths[0] ?? '')])
      fs.writeFileSync(path.join(paths[0] ?? '', 'build-distroless-image-origin.json'), '{"repository":"ghcr.io/aquasecurity/trivy-db"}')
      return Promise.resolve(key)
    },
    save: (_paths, key) => (saved.push(key), Promise.resolve())
  }
}

beforeEach(() => {
  calls.length = 0
  warnings.length = 0
  answers = []
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-vuln-db-'))
})

describe('dbCacheKey', () => {
  test('rolls with the UTC day, and with the repository list', () => {
    const key = dbCacheKey(REPOS, NOW)
    expect(key).toMatch(/^trivy-db-v2-2026-11-29-[a-f0-9]{12}$/)
    expect(dbCacheKey(REPOS, new Date('2026-11-29T23:59:59Z'))).toBe(key)
    expect(dbCacheKey(REPOS, new Date('2026-11-30T00:00:00Z'))).toMatch(/^trivy-db-v2-2026-11-30-/)
    expect(dbCacheKey([...REPOS].reverse(), NOW)).not.toBe(key)
  })
})

describe('prepareDb', () => {
  test('a cache hit: no trivy run, the origin read back', async () => {
    const cache = fakeCache({ hit: true })
    const db = await prepareDb('/tc/trivy', REPOS, dir, cache, NOW, {})
    expect(calls).toEqual([])
    expect(db).toEqual({ cacheDir: dir, metadata: { version: 2, updatedAt: '2026-11-28T06:00:00Z', nextUpdate: '2999-01-01T00:00:00Z' }, source: `the Actions cache (key ${dbCacheKey(REPOS, NOW)})`, repository: 'ghcr.io/aquasecurity/trivy-db' })
    expect(cache.saved).toEqual([])
  })

  test('a miss: the first repository, then saved under the day key', async () => {
    const cache = fakeCache()
    answers = [downloads]
    const db = await prepareDb('/tc/trivy', REPOS, dir, cache, NOW, {})
    expect(calls).toEqual([['image', '--download-db-only', '--db-repository', 'mirror.gcr.io/aquasec/trivy-db', '--cache-dir', dir, '--no-progress']])
    expect(db.source).toBe('mirror.gcr.io/aquasec/trivy-db')
    expect(cache.saved).toEqual([dbCacheKey(REPOS, NOW)])
  })

  test('a repository that fails (rate-limited) is named, and the next one tried', async () => {
    answers = [fails('2026-11-29T09:30:01Z\tFATAL\tinit error: DB error: failed to download vulnerability DB: TOOMANYREQUESTS: retry-after: 0'), downloads]
    const db = await prepareDb('/tc/trivy', REPOS, dir, fakeCache(), NOW, {})
    expect(calls.map((a) => a[3])).toEqual(REPOS)
    expect(db.repository).toBe('ghcr.io/aquasecurity/trivy-db')
    expect(warnings).toEqual(['The trivy DB could not be fetched from mirror.gcr.io/aquasec/trivy-db: 2026-11-29T09:30:01Z\tFATAL\tinit error: DB error: failed to download vulnerability DB: TOOMANYREQUESTS: retry-after: 0; trying the next repository'])
  })

  test('every repository failing is a scanner error naming each, never a pass', async () => {
    answers = [fails('INFO\tDownloading DB...'), fails('')]
    const err = await prepareDb('/tc/trivy', REPOS, dir, fakeCache(), NOW, {}).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ScannerError)
    expect((err as Error).message).toBe(
      'The scanner could not run: no trivy vulnerability DB could be fetched from mirror.gcr.io/aquasec/trivy-db, ghcr.io/aquasecurity/trivy-db.\n' +
        '- mirror.gcr.io/aquasec/trivy-db: trivy exited with code 1; its last line: INFO\tDownloading DB...\n' +
        '- ghcr.io/aquasecurity/trivy-db: trivy exited with code 1 and printed nothing\n' +
        'Nothing was scanned, so nothing is signed. Check trivy-db-repositories (and that this runner can reach them), then run the job again.'
    )
  })

  test('exit 0 without a DB in the cache dir is not a DB', async () => {
    answers = [() => ({ exitCode: 0 })]
    await expect(prepareDb('/tc/trivy', REPOS.slice(0, 1), dir, fakeCache(), NOW, {})).rejects.toThrow(/no trivy vulnerability DB could be fetched/)
  })

  test('no cache service (off GitHub): downloaded, nothing restored or saved', async () => {
    const cache = fakeCache({ available: false })
    answers = [downloads]
    await prepareDb('/tc/trivy', REPOS, dir, cache, NOW, {})
    expect(cache.restored).toEqual([])
    expect(cache.saved).toEqual([])
  })

  test('a cache service failure is a warning, and the DB is downloaded', async () => {
    answers = [downloads]
    const db = await prepareDb('/tc/trivy', REPOS, dir, fakeCache({ restoreFails: true }), NOW, {})
    expect(db.source).toBe('mirror.gcr.io/aquasec/trivy-db')
    expect(warnings[0]).toMatch(/^Restoring the trivy DB from the Actions cache failed \(cache service 503\)/)
  })
})

describe('failureLine', () => {
  test.each([
    ['a FATAL line (recent trivy)', 'INFO\tNeed to update DB\n2026-11-29T09:30:01Z\tFATAL\tinit error: unauthorized\n', '2026-11-29T09:30:01Z\tFATAL\tinit error: unauthorized'],
    ['only INFO lines (trivy 0.44 on any failure)', 'INFO\tDB Repository: x\nINFO\tDownloading DB...\n', 'trivy exited with code 1; its last line: INFO\tDownloading DB...'],
    ['nothing at all', '', 'trivy exited with code 1 and printed nothing']
  ])('%s', (_name, output, line) => {
    expect(failureLine(1, output)).toBe(line)
  })
})
