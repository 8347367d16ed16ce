/**
 * The image slice: where the release goes and under which tags (`image`, `tags`, `version`, `push`,
 * `push-by-digest`, `merge-digests`, and the registry credentials).
 */
import type { GitHubContext } from '../context.js'
import { InputError } from '../errors.js'
import type { ImageName, SemVer } from '../refs.js'
import type { LatestMode } from '../floating-tags.js'
import { deriveTags, isDigest, parseImageName, parseVersion, refVersion, validateTag } from '../refs.js'
import type { InputReader } from './values.js'
import { bool, list } from './values.js'

export interface ImageInputs {
  image: ImageName
  /** Tags (not full references) the release is pushed under. */
  tags: string[]
  /** The release version (the `version` input, else a tag ref's): the version label, and the tags when `tags` is empty. */
  version?: SemVer
  /** The tags were derived from `version`: its floating tags follow the never-backwards rule. */
  tagsFromVersion: boolean
  /** `latest`: auto (only for the highest stable release), true, false. */
  latest: LatestMode
  /** Put before every version tag (`v` -> v1.4.2, v1.4, v1); never before latest. */
  tagPrefix: string
  /** Put after every derived tag, latest included (`-debug` -> 1.4.2-debug, latest-debug): a variant beside the release. */
  tagSuffix: string
  push: boolean
  /** One platform pushed by digest, for a later merge. */
  pushByDigest: boolean
  /** Digests to merge into one index (merge mode: no build). */
  mergeDigests: string[]
  registryUsername: string
  registryPassword: string
}

export function parseImageInputs(read: InputReader, ctx: GitHubContext): ImageInputs {
  const image = parseImageName(read('image'), ctx.owner)
  const mergeRaw = read('merge-digests').trim()
  const mergeDigests = mergeRaw ? parseMergeDigests(mergeRaw, image.name) : []
  const pushByDigest = bool(read, 'push-by-digest', false)
  if (mergeDigests.length && pushByDigest) throw new InputError('push-by-digest', 'cannot be used with `merge-digests`: the matrix jobs push by digest, the merge job merges')
  const push = bool(read, 'push', true)
  if (pushByDigest && !push) throw new InputError('push-by-digest', 'needs `push: true`')

  const versionRaw = read('version').trim()
  let version: SemVer | undefined
  if (versionRaw) {
    version = parseVersion(versionRaw)
    if (!version) throw new InputError('version', `"${versionRaw}" is not a release version such as v1.4.2, 1.5.0-rc.1 or component-v1.4.2`)
  }
  version ??= refVersion(ctx.ref)
  const tagPrefix = read('tag-prefix').trim()
  if (tagPrefix && !/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/.test(tagPrefix)) {
    throw new InputError('tag-prefix', `"${tagPrefix}" cannot start a tag: letters, digits, "_", "." and "-", not starting with "." or "-" (e.g. v)`)
  }
  const tagSuffix = read('tag-suffix').trim()
  if (tagSuffix && !/^[A-Za-z0-9_.-]{1,63}$/.test(tagSuffix)) {
    throw new InputError('tag-suffix', `"${tagSuffix}" cannot end a tag: letters, digits, "_", "." and "-" (e.g. -debug)`)
  }
  const latest = read('latest').trim() || 'auto'
  if (latest !== 'auto' && latest !== 'true' && latest !== 'false') throw new InputError('latest', `"${latest}" is not one of auto, true, false`)
  const explicitTags = list(read('tags')).map((t) => validateTag(t))
  if (new Set(explicitTags).size !== explicitTags.length) throw new InputError('tags', 'lists a tag twice')
  if (explicitTags.length && tagSuffix) throw new InputError('tag-suffix', 'applies to the tags the action derives; with `tags` given, write the suffix into them')
  const tagsFromVersion = explicitTags.length === 0 && version !== undefined
  const tags = explicitTags.length ? explicitTags : deriveTags(version, { ref: ctx.ref, sha: ctx.sha }, tagPrefix, tagSuffix)
  // The prefix and suffix must still leave valid tags (at most 128 characters).
  if (explicitTags.length === 0) for (const t of tags) validateTag(t, tagSuffix && !tagPrefix ? 'tag-suffix' : 'tag-prefix')

  return {
    image,
    tags,
    version,
    tagsFromVersion,
    latest,
    tagPrefix,
    tagSuffix,
    push,
    pushByDigest,
    mergeDigests,
    registryUsername: read('registry-username').trim(),
    registryPassword: read('registry-password')
  }
}

/**
 * `merge-digests`: one entry a line, each `sha256:…`, `NAME@sha256:…`, or a `platform-digests`
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
