/**
 * Re-runs keep the digest. A rebuild yields the same platform images (same sources, same
 * SOURCE_DATE_EPOCH, build cache) but a new index, because buildx's provenance records each build
 * invocation. So a re-run reads the index an earlier attempt pushed under the first tag and,
 * when its platform images are the ones just built, points the tags back at it.
 */
import * as core from '../lib/log.js'
import type { ImageTools } from '../registry/imagetools.js'
import type { Pushed } from '../registry/manifest.js'

/**
 * The index an earlier attempt left under the first tag (read before the build moves the tag),
 * when it differs from the one just built but holds the same platform images.
 */
export function keptRelease(earlier: Pushed | undefined, built: Pushed): Pushed | undefined {
  if (!earlier || earlier.digest === built.digest || !samePlatforms(earlier.platforms, built.platforms)) return undefined
  return earlier
}

export function samePlatforms(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a)
  return keys.length > 0 && keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k])
}

/**
 * Points every tag at `digest`: the index (or lone manifest) written again as it is, one manifest
 * PUT per tag, no blob uploaded (the source is in the same repository).
 */
export async function retag(name: string, tags: string[], digest: string, tools: Pick<ImageTools, 'create'>, what = 're-tagging the earlier index'): Promise<void> {
  await tools.create({ tags: tags.map((t) => `${name}:${t}`), sources: [`${name}@${digest}`], carbonCopy: true }, what)
  core.info(`${tags.join(', ')} point at ${name}@${digest}`)
}
