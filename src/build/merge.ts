/**
 * `merge-digests`: the per-platform images pushed by digest from matrix jobs, merged into one
 * index with `docker buildx imagetools create`, annotated and pushed by digest (tagged once the
 * gates passed); no build.
 */
import * as core from '../lib/log.js'
import type { ImageInputs } from '../inputs/image.js'
import type { BuildInputs } from '../inputs/build.js'
import type { GitHubContext } from '../lib/runner-env.js'
import type { ImageTools } from '../registry/imagetools.js'
import type { Pushed } from '../registry/manifest.js'
import { imageLabels } from './labels.js'
import { errorMessage } from '../lib/errors.js'

/** Reads each digest from the registry: an index lists its platforms, a manifest's config names it. */
export async function resolveSources(name: string, digests: string[], tools: Pick<ImageTools, 'platformsOf'>): Promise<Pushed[]> {
  return Promise.all(
    digests.map((digest) =>
      tools.platformsOf(name, digest).catch((err: unknown) => {
        throw new Error(`merge-digests: ${name}@${digest} cannot be read from the registry (was it pushed, and to this image?): ${errorMessage(err)}`, { cause: err })
      })
    )
  )
}

/** Every platform once across the sources; returns the merged platform -> digest map. */
export function mergedPlatforms(sources: Pushed[]): Record<string, string> {
  const out: Record<string, string> = {}
  const from: Record<string, string> = {}
  for (const s of sources) {
    for (const [platform, digest] of Object.entries(s.platforms)) {
      if (out[platform]) throw new Error(`merge-digests: ${platform} is in both ${from[platform]} and ${s.digest}; each platform must come from one job`)
      out[platform] = digest
      from[platform] = s.digest
    }
  }
  if (Object.keys(out).length === 0) throw new Error('merge-digests: the digests hold no platform images')
  return out
}

/**
 * Merges the digests into one index, pushed by digest with no tag (the tags move after the gates
 * passed on it); returns it and what the summary says.
 */
export async function mergeDigests(
  name: string,
  digests: string[],
  indexAnnotations: Array<[string, string]>,
  tools: Pick<ImageTools, 'platformsOf' | 'createByDigest'>
): Promise<{ pushed: Pushed; note: string }> {
  const sources = await resolveSources(name, digests, tools)
  const platforms = mergedPlatforms(sources)
  const digest = await tools.createByDigest(name, { indexAnnotations, sources: digests.map((d) => `${name}@${d}`) }, 'docker buildx imagetools create')
  return { pushed: { digest, platforms }, note: `Merged ${sources.length} pushes (${Object.keys(platforms).join(', ')}) into ${digest}` }
}

/** The step in place of the build: the matrix jobs' digests merged into one index. */
export async function mergeStep(run: { inputs: ImageInputs & BuildInputs; ctx: GitHubContext; now: Date; tools: Pick<ImageTools, 'platformsOf' | 'createByDigest'>; report: { notes: string[] } }): Promise<Pushed> {
  const { inputs } = run
  return core.group(`Merge ${inputs.mergeDigests.length} digests into one index`, async () => {
    const { indexAnnotations } = imageLabels({ ...inputs, imagePath: inputs.image.path }, run.ctx, run.now)
    const { pushed, note } = await mergeDigests(inputs.image.name, inputs.mergeDigests, indexAnnotations, run.tools)
    run.report.notes.push(note)
    return pushed
  })
}
