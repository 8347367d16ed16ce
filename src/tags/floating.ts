/**
 * Floating tags never move backwards. A maintenance release (1.3.5 after 1.4.0) must not move
 * `latest`, `1` or `1.4`-style tags to older code, which docker/metadata-action's rules (and ours
 * before) did. Decided, in each registry of `images`, from the repository's version tags and from
 * the version the image under each floating tag records, read once before the build.
 */
import * as core from '../lib/log.js'
import type { ImageInputs, LatestMode } from '../inputs/image.js'
import { withRetry } from '../lib/retry.js'
import { RegistryApi } from '../registry/http-api.js'
import type { ImageTools } from '../registry/imagetools.js'
import { credentialsFor } from '../registry/login.js'
import type { SemVer } from './refs.js'
import { parseVersion, versionTags } from './refs.js'

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

/** A stable release seen in the repository, and how it was seen (its tag, or where a floating tag points). */
interface Seen {
  version: Stable
  shown: string
}

/**
 * What each floating tag points at now: the version its image records (the
 * `org.opencontainers.image.version` label), or undefined when it records none. Read before moving
 * it, because a retention policy may have deleted the version tags a higher release had.
 */
export type CurrentTargets = Record<string, string | undefined>

/**
 * The release's tags with each floating tag kept only when this version is the highest of its
 * range: `latest` of all stable releases, `N` of its major, `N.M` of its minor. The releases seen
 * are the repository's version tags (`existing`) and the version the floating tag's current image
 * records (`current`). `latest` has no prefix, so it is compared with every stable release of the
 * variant whether tagged without a prefix, with `v`, or with `prefix`; `vN` and `vN.M` carry the
 * prefix and float among the prefixed tags. `latest: true` always moves latest; `false` never does.
 * A re-run of the same version moves everything (it is the highest it can be).
 */
export function floatingTags(v: SemVer, prefix: string, latest: LatestMode, existing: readonly string[], suffix = '', current: CurrentTargets = {}): FloatingDecision {
  const all = versionTags(v, prefix, suffix)
  if (v.prerelease) return { tags: all, heldBack: [] }
  const self: Stable = [v.major, v.minor, v.patch]
  // Each variant (suffix) floats on its own: 1.5.0 does not hold back 1.4.3-debug's tags.
  const tagged = (prefixes: string[]): Seen[] =>
    existing.flatMap((t) => {
      const p = prefixes.find((x) => stableVersion(t, x, suffix))
      const version = p === undefined ? undefined : stableVersion(t, p, suffix)
      return version ? [{ version, shown: t }] : []
    })
  const prefixed = tagged([prefix])
  const anyPrefix = tagged([...new Set([prefix, '', 'v'])].sort((a, b) => b.length - a.length))
  const pointedAt = (tag: string): Seen[] => {
    const recorded = current[tag] === undefined ? undefined : parseVersion(current[tag])
    return recorded && !recorded.prerelease ? [{ version: [recorded.major, recorded.minor, recorded.patch], shown: `${tag} (${recorded.text}, as its image records)` }] : []
  }
  const highest = (seen: Seen[], within: (x: Stable) => boolean) => seen.filter((s) => within(s.version)).sort((a, b) => compare(a.version, b.version)).pop()
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
      // Where the tag points goes first: on a tie, the version tag is the one named.
      const top = highest([...pointedAt(tag), ...anyPrefix], () => true)
      return top && compare(top.version, self) > 0 ? hold(tag, `${top.shown} is a higher release than ${v.text}`) : true
    }
    const minorTag = tag === `${prefix}${v.major}.${v.minor}${suffix}`
    const top = highest([...pointedAt(tag), ...prefixed], (x) => x[0] === v.major && (!minorTag || x[1] === v.minor))
    return top && compare(top.version, self) > 0 ? hold(tag, `${top.shown} is a higher ${minorTag ? `${v.major}.${v.minor}.x` : `${v.major}.x`} release than ${v.text}`) : true
  }
  return { tags: all.filter(keep), heldBack }
}

/** What `decideTags` needs of the image slice. */
export type TagInputs = Pick<ImageInputs, 'tags' | 'version' | 'tagsFromVersion' | 'latest' | 'tagPrefix' | 'tagSuffix' | 'push' | 'pushByDigest'>

/** Whether the release's floating tags need the repository's existing tags. */
export function needsExistingTags(o: TagInputs): boolean {
  return o.tagsFromVersion && o.push && !o.pushByDigest && o.version !== undefined && !o.version.prerelease
}

/** What the rule reads of one repository: its tags, and the version the image under a tag records. */
export interface RepositoryView {
  tags: () => Promise<string[]>
  /** The `org.opencontainers.image.version` of the image `tag` points at, or undefined. */
  versionAt: (tag: string) => Promise<string | undefined>
}

/**
 * The tags to push: as given or derived, floating ones held back when a higher release holds them,
 * by its version tag or by where the floating tag points now (each floating tag that exists is read).
 */
export async function decideTags(o: TagInputs, repo: RepositoryView): Promise<FloatingDecision> {
  if (!needsExistingTags(o) || !o.version) return { tags: o.tags, heldBack: [] }
  const existing = await repo.tags()
  const own = o.tagPrefix + o.version.text + o.tagSuffix
  const floating = o.tags.filter((t) => t !== own && existing.includes(t))
  const current: CurrentTargets = Object.fromEntries(await Promise.all(floating.map(async (t) => [t, await repo.versionAt(t)] as const)))
  return floatingTags(o.version, o.tagPrefix, o.latest, existing, o.tagSuffix, current)
}

export interface ReleaseTags {
  tags: string[]
  /** Each other registry of `images` decides its floating tags from its own history. */
  copyTags: Record<string, string[]>
}

export interface TagsRun {
  inputs: TagInputs & Pick<ImageInputs, 'image' | 'copies' | 'registryAuth' | 'registryUsername' | 'registryPassword'>
  api: Pick<RegistryApi, 'tags'>
  tools: Pick<ImageTools, 'versionAt'>
  /** The action's docker config: credentials an earlier login step left for a copy's registry. */
  configDir: string
  report: { notes: string[] }
}

/** The step: each registry's tags, floating ones held back where a higher release holds them (read after the login). */
export async function releaseTags(run: TagsRun): Promise<ReleaseTags> {
  const { inputs } = run
  if (!needsExistingTags(inputs)) return { tags: inputs.tags, copyTags: {} }
  const view = (name: string, api: Pick<RegistryApi, 'tags'>): RepositoryView => ({
    tags: () => withRetry(() => api.tags(), { what: `listing the tags of ${name}` }),
    versionAt: async (tag) => (await run.tools.versionAt(`${name}:${tag}`)).version
  })
  return core.group('Tags', async () => {
    const tags = settle(run, '', await decideTags(inputs, view(inputs.image.name, run.api)))
    const copyTags: Record<string, string[]> = {}
    for (const to of inputs.copies) {
      const api = new RegistryApi({ registry: to.registry, repository: to.path, ...copyCredentials(run, to.registry) })
      copyTags[to.name] = settle(run, `${to.registry}: `, await decideTags(inputs, view(to.name, api)))
    }
    return { tags, copyTags }
  })
}

function settle(run: TagsRun, where: string, decided: FloatingDecision): string[] {
  for (const h of decided.heldBack) core.notice(where + h.reason)
  run.report.notes.push(...decided.heldBack.map((h) => where + h.reason))
  return decided.tags
}

/** A copy's registry: its `registry-auth` line, else what an earlier login step left in the docker config. */
function copyCredentials(run: TagsRun, host: string): { username?: string; password?: string } {
  return credentialsFor(run.inputs, run.configDir, host) ?? {}
}
