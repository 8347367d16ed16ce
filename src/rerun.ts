/**
 * Re-runs keep the digest. A rebuild yields the same platform images (same sources, same
 * SOURCE_DATE_EPOCH, build cache) but a new index, because buildx's provenance records each build
 * invocation. So a re-run reads the index an earlier attempt pushed under the first tag and,
 * when its platform images are the ones just built, points the tags back at it.
 */
import * as core from '@actions/core'
import { run } from './exec.js'
import type { RawManifest } from './manifest.js'
import { platformDigests } from './manifest.js'
import { withRetry } from './retry.js'

export interface Release {
  digest: string
  platforms: Record<string, string>
}

export async function previousRelease(ref: string, env: Record<string, string>): Promise<Release | undefined> {
  const r = await run('docker', ['buildx', 'imagetools', 'inspect', ref, '--format', '{{json .Manifest}}'], { env, silent: true, allowFailure: true })
  if (r.exitCode !== 0) return undefined
  const m = JSON.parse(r.stdout) as RawManifest & { digest: string }
  return { digest: m.digest, platforms: platformDigests(m) }
}

export function samePlatforms(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a)
  return keys.length > 0 && keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k])
}

/** Points every tag at `digest`; copying one index with imagetools keeps its digest. */
export async function retag(name: string, tags: string[], digest: string, env: Record<string, string>): Promise<void> {
  const argv = ['buildx', 'imagetools', 'create', ...tags.flatMap((t) => ['--tag', `${name}:${t}`]), `${name}@${digest}`]
  await withRetry(() => run('docker', argv, { env }), { what: 're-tagging the earlier index' })
  core.info(`Tags point back at ${name}@${digest}`)
}
