/**
 * Floating tags never move backwards. A maintenance release (1.3.5 after 1.4.0) must not move
 * `latest`, `1` or `1.4`-style tags to older code, which docker/metadata-action's rules (and ours
 * before) did. Decided from the repository's existing version tags, read once before tagging.
 */
import * as core from '@actions/core'
import type { ImageInputs, LatestMode } from '../inputs/image.js'
import { withRetry } from '../lib/retry.js'
import type { RegistryApi } from '../registry/http-api.js'
import type { SemVer } from './refs.js'
import { versionTags } from './refs.js'

export interface HeldBack {
  tag: string
  reason: string
}

export interface FloatingDecision {
  /** The tags to push, in `versionTags` order. */
  tags: string[]
  heldBack: HeldBack[]
}

type Stable = [number, number, number]

/** `PREFIX1.4.2SUFFIX` (stable, exactly) -> [1, 4, 2]; anything else is not a release tag of this variant. */
function stableVersion(tag: string, prefix: string, suffix: string): Stable | undefined {
  if (!tag.startsWith(prefix) || !tag.endsWith(suffix) || tag.length < prefix.length + suffix.length) return undefined
  const m = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/.exec(tag.slice(prefix.length, tag.length - suffix.length))
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined
}

const compare = (a: Stable, b: Stable) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]

/**
 * The release's tags with each floating tag kept only when this version is the highest of its
 * range among `existing` (the repository's tags): `latest` of all stable releases, `N` of its
 * major, `N.M` of its minor. `latest: true` always moves latest; `false` never does. A re-run of
 * the same version moves everything (it is the highest it can be).
 */
export function floatingTags(v: SemVer, prefix: string, latest: LatestMode, existing: readonly string[], suffix = ''): FloatingDecision {
  const all = versionTags(v, prefix, suffix)
  if (v.prerelease) return { tags: all, heldBack: [] }
  const self: Stable = [v.major, v.minor, v.patch]
  // Each variant (suffix) floats on its own: 1.5.0 does not hold back 1.4.3-debug's tags.
  const versions = existing.map((t) => stableVersion(t, prefix, suffix)).filter((x): x is Stable => x !== undefined)
  const highest = (within: (x: Stable) => boolean) => versions.filter(within).sort(compare).pop()
  const show = (x: Stable) => `${prefix}${x.join('.')}${suffix}`
  const heldBack: HeldBack[] = []
  const hold = (tag: string, why: string): false => {
    heldBack.push({ tag, reason: `${tag} stays where it is: ${why}` })
    return false
  }
  const keep = (tag: string): boolean => {
    if (tag === prefix + v.text + suffix) return true
    if (tag === `latest${suffix}`) {
      if (latest === 'true') return true
      if (latest === 'false') return hold(tag, '`latest: false`')
      const top = highest(() => true)
      return top && compare(top, self) > 0 ? hold(tag, `${show(top)} is a higher release than ${v.text}`) : true
    }
    const minorTag = tag === `${prefix}${v.major}.${v.minor}${suffix}`
    const top = highest((x) => x[0] === v.major && (!minorTag || x[1] === v.minor))
    return top && compare(top, self) > 0 ? hold(tag, `${show(top)} is a higher ${minorTag ? `${v.major}.${v.minor}.x` : `${v.major}.x`} release than ${v.text}`) : true
  }
  return { tags: all.filter(keep), heldBack }
}

/** What `decideTags` needs of the image slice. */
export type TagInputs = Pick<ImageInputs, 'tags' | 'version' | 'tagsFromVersion' | 'latest' | 'tagPrefix' | 'tagSuffix' | 'push' | 'pushByDigest'>

/** Whether the release's floating tags need the repository's existing tags. */
export function needsExistingTags(o: TagInputs): boolean {
  return o.tagsFromVersion && o.push && !o.pushByDigest && o.version !== undefined && !o.version.prerelease
}

/** The tags to push: as given or derived, floating ones held back when a higher release holds them. */
export async function decideTags(o: TagInputs, existingTags: () => Promise<string[]>): Promise<FloatingDecision> {
  if (!needsExistingTags(o) || !o.version) return { tags: o.tags, heldBack: [] }
  return floatingTags(o.version, o.tagPrefix, o.latest, await existingTags(), o.tagSuffix)
}

/** The step: the tags to push, floating ones held back where a higher release holds them (read after the login). */
export async function releaseTags(run: { inputs: TagInputs & Pick<ImageInputs, 'image'>; api: Pick<RegistryApi, 'tags'>; report: { notes: string[] } }): Promise<string[]> {
  const { inputs } = run
  if (!needsExistingTags(inputs)) return inputs.tags
  const decided = await core.group('Tags', () => decideTags(inputs, () => withRetry(() => run.api.tags(), { what: `listing the tags of ${inputs.image.name}` })))
  for (const h of decided.heldBack) core.notice(h.reason)
  run.report.notes.push(...decided.heldBack.map((h) => h.reason))
  return decided.tags
}
