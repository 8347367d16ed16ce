/**
 * `merge-digests`: the per-platform images pushed by digest from matrix jobs, merged into one
 * index with `docker buildx imagetools create`, tagged and annotated; no build.
 */
import type { ImageTools, Pushed } from './imagetools.js'
import { InputError, errorMessage } from './errors.js'
import { isDigest } from './refs.js'

/**
 * Parses the input: one entry a line, each `sha256:…`, `NAME@sha256:…`, or a `platform-digests`
 * JSON object. Returns the digests, refusing another image's references and repeats.
 */
export function parseMergeDigests(value: string, imageName: string): string[] {
  const digests: string[] = []
  const add = (entry: string, where: string) => {
    let digest = entry
    const at = entry.lastIndexOf('@')
    if (at > 0) {
      const name = entry.slice(0, at)
      if (name !== imageName) throw new InputError('merge-digests', `${where} names ${name}, but image is ${imageName}: every digest must be of the same image`)
      digest = entry.slice(at + 1)
    }
    if (!isDigest(digest)) throw new InputError('merge-digests', `${where} "${entry}" is not a sha256: digest`)
    if (digests.includes(digest)) throw new InputError('merge-digests', `${digest} is listed twice`)
    digests.push(digest)
  }
  const lines = value.split('\n').map((l) => l.trim()).filter(Boolean)
  lines.forEach((line, i) => {
    if (line.startsWith('{')) {
      let obj: unknown
      try {
        obj = JSON.parse(line)
      } catch {
        throw new InputError('merge-digests', `line ${i + 1} starts like a platform-digests JSON object but is not valid JSON`)
      }
      if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new InputError('merge-digests', `line ${i + 1} is not a platform-digests object`)
      for (const [platform, digest] of Object.entries(obj)) add(String(digest), `line ${i + 1} (${platform})`)
    } else {
      add(line, `line ${i + 1}`)
    }
  })
  if (digests.length === 0) throw new InputError('merge-digests', 'is empty')
  return digests
}

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

/** Merges the digests into one index under every tag; returns it and what the summary says. */
export async function mergeDigests(
  name: string,
  digests: string[],
  tags: string[],
  indexAnnotations: Array<[string, string]>,
  tools: Pick<ImageTools, 'platformsOf' | 'create' | 'digest'>
): Promise<{ pushed: Pushed; note: string }> {
  const sources = await resolveSources(name, digests, tools)
  const platforms = mergedPlatforms(sources)
  const refs = tags.map((t) => `${name}:${t}`)
  await tools.create({ tags: refs, indexAnnotations, sources: digests.map((d) => `${name}@${d}`) }, 'docker buildx imagetools create')
  const digest = await tools.digest(refs[0] ?? '', { justPushed: true })
  return { pushed: { digest, platforms }, note: `Merged ${sources.length} pushes (${Object.keys(platforms).join(', ')}) into ${digest}` }
}
