/**
 * trivy's vulnerability database: restored from the Actions cache under a key that rolls daily,
 * else fetched from the first repository that answers (in the order given), then saved.
 */
import * as core from '@actions/core'
import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { errorMessage } from './errors.js'
import { run } from './exec.js'
import type { DbMetadata } from './trivy.js'
import { downloadDbArgv, parseDbMetadata } from './trivy.js'

/** The Actions cache as the DB uses it (`@actions/cache` in the action; tests give their own). */
export interface DbCache {
  available(): boolean
  /** Resolves to the key restored, or undefined on a miss. */
  restore(paths: string[], key: string): Promise<string | undefined>
  save(paths: string[], key: string): Promise<void>
}

/** A scanner that could not run: never a pass, never findings. */
export class ScannerError extends Error {}

export interface Db {
  cacheDir: string
  metadata: DbMetadata
  /** Where this DB came from: a repository, or the Actions cache (and the key). */
  source: string
  /** The repository it was downloaded from (by this run, or by the run that saved it to the cache). */
  repository?: string
}

/** A new key every UTC day, so the DB is at most a day old; the repositories are part of it. */
export function dbCacheKey(repositories: readonly string[], now: Date): string {
  const repos = createHash('sha256').update(repositories.join('\n')).digest('hex').slice(0, 12)
  return `trivy-db-v2-${now.toISOString().slice(0, 10)}-${repos}`
}

export async function prepareDb(trivy: string, repositories: readonly string[], cacheDir: string, cache: DbCache, now: Date, env: Record<string, string>): Promise<Db> {
  const dbDir = path.join(cacheDir, 'db')
  const key = dbCacheKey(repositories, now)
  const useCache = cache.available()
  if (useCache) {
    const hit = await cache.restore([dbDir], key).catch((err: unknown) => {
      core.warning(`Restoring the trivy DB from the Actions cache failed (${errorMessage(err)}); downloading it instead`)
      return undefined
    })
    const metadata = hit ? readMetadata(dbDir) : undefined
    if (hit && metadata) return { cacheDir, metadata, source: `the Actions cache (key ${hit})`, repository: readOrigin(dbDir) }
  } else {
    core.info('The Actions cache service is not available to this job: the trivy DB is downloaded, not cached')
  }
  const failures: string[] = []
  for (const repository of repositories) {
    const r = await run(trivy, downloadDbArgv(repository, cacheDir), { env, silent: true, allowFailure: true })
    const metadata = r.exitCode === 0 ? readMetadata(dbDir) : undefined
    if (metadata) {
      // Saved with the DB, so a run that restores it can still say (and attest) where it came from.
      fs.writeFileSync(path.join(dbDir, ORIGIN), JSON.stringify({ repository }))
      if (failures.length) core.info(`The trivy DB came from ${repository}, after: ${failures.join('; ')}`)
      if (useCache) await cache.save([dbDir], key).catch((err: unknown) => core.warning(`Saving the trivy DB to the Actions cache failed (${errorMessage(err)}); the next run downloads it again`))
      return { cacheDir, metadata, source: repository, repository }
    }
    const why = failureLine(r.exitCode, `${r.stdout}\n${r.stderr}`)
    failures.push(`${repository}: ${why}`)
    core.warning(`The trivy DB could not be fetched from ${repository}: ${why}${repository === repositories.at(-1) ? '' : '; trying the next repository'}`)
  }
  throw new ScannerError(`The scanner could not run: no trivy vulnerability DB could be fetched from ${repositories.join(', ')}.\n${failures.map((f) => `- ${f}`).join('\n')}\nNothing was scanned, so nothing is signed. Check trivy-db-repositories (and that this runner can reach them), then run the job again.`)
}

const ORIGIN = 'build-distroless-image-origin.json'

function readOrigin(dbDir: string): string | undefined {
  try {
    const { repository } = JSON.parse(fs.readFileSync(path.join(dbDir, ORIGIN), 'utf8')) as { repository?: unknown }
    return typeof repository === 'string' ? repository : undefined
  } catch {
    return undefined
  }
}

function readMetadata(dbDir: string): DbMetadata | undefined {
  try {
    if (!fs.existsSync(path.join(dbDir, 'trivy.db'))) return undefined
    return parseDbMetadata(fs.readFileSync(path.join(dbDir, 'metadata.json'), 'utf8'))
  } catch {
    return undefined
  }
}

/**
 * What went wrong, in one line: trivy's FATAL or ERROR line when it printed one (recent releases
 * do), else its exit code and last line (0.44 prints only INFO lines and exits 1).
 */
export function failureLine(exitCode: number, output: string): string {
  const lines = output.split('\n').map((l) => l.trim()).filter(Boolean)
  const error = [...lines].reverse().find((l) => /\b(FATAL|ERROR)\b/.test(l))
  if (error) return error
  const last = lines.at(-1)
  return `trivy exited with code ${exitCode}${last ? `; its last line: ${last}` : ' and printed nothing'}`
}
