/**
 * The image slice: where the release goes and under which tags (`image`, `tags`, `version`, `push`,
 * `push-by-digest`, `merge-digests`, and the registry credentials).
 */
import type { GitHubContext } from '../lib/runner-env.js'
import { InputError } from '../lib/errors.js'
import type { ImageName, SemVer } from '../tags/refs.js'
import { deriveTags, isDigest, parseImageName, parseVersion, refVersion, validateTag } from '../tags/refs.js'
import type { InputReader } from './values.js'
import { bool, list } from './values.js'

/** Credentials for a registry besides the first image's, from `registry-auth`. */
/** `latest`: auto moves it only to the highest release. */
export type LatestMode = 'auto' | 'true' | 'false'

export interface RegistryCredential {
  host: string
  username: string
  password: string
}

export interface ImageInputs {
  /** The image built and pushed (the first of `images`). */
  image: ImageName
  /** The other names of `images`: each receives the same index, by digest, and is signed there. */
  copies: ImageName[]
  /** `registry-auth`: credentials for the copies' registries and the base images'. */
  registryAuth: RegistryCredential[]
  /** Tags (not full references) the release is pushed under. */
  tags: string[]
  /** The tags of each copy (by name), when its own history holds some floating tags back; settled after the login. */
  copyTags?: Record<string, string[]>
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

/** `image`, or `images` (one name a line, the first built): never both. */
function parseNames(read: InputReader, owner: string): [ImageName, ...ImageName[]] {
  const many = read('images').trim()
  if (!many) return [parseImageName(read('image'), owner)]
  if (read('image').trim()) throw new InputError('images', 'and `image` are both set: give one image in `image`, or every image in `images` (one a line; the first is built, the others receive copies)')
  const names = list(many, /\n/).map((n) => parseImageName(n, owner, 'images'))
  const seen = new Set<string>()
  for (const n of names) {
    if (seen.has(n.name)) throw new InputError('images', `lists ${n.name} twice`)
    seen.add(n.name)
  }
  const [first, ...rest] = names
  if (!first) throw new InputError('images', 'is empty: give at least one image name')
  return [first, ...rest]
}

/**
 * `registry-auth`: `HOST=USERNAME:TOKEN` lines, one per registry of the copies or of the base
 * images (a host neither uses is refused once the bases are known, at the login).
 */
function parseRegistryAuth(value: string, first: ImageName): RegistryCredential[] {
  const seen = new Set<string>()
  return list(value, /\n/).map((line) => {
    const eq = line.indexOf('=')
    const colon = line.indexOf(':', eq + 1)
    const host = eq > 0 ? line.slice(0, eq).trim().toLowerCase() : ''
    // Never echo the line: it holds a token.
    if (!host || colon < 0) throw new InputError('registry-auth', `a line is not HOST=USERNAME:TOKEN${host ? ` (the one for ${host})` : ''}`)
    const username = line.slice(eq + 1, colon).trim()
    const password = line.slice(colon + 1).trim()
    if (!username || !password) throw new InputError('registry-auth', `the line for ${host} needs both a username and a token: ${host}=USERNAME:TOKEN`)
    if (seen.has(host)) throw new InputError('registry-auth', `gives ${host} twice`)
    seen.add(host)
    if (host === first.registry) throw new InputError('registry-auth', `names ${host}, the first image's registry: its credentials are registry-username and registry-password`)
    return { host, username, password }
  })
}

export function parseImageInputs(read: InputReader, ctx: GitHubContext): ImageInputs {
  const [image, ...copies] = parseNames(read, ctx.owner)
  const registryAuth = parseRegistryAuth(read('registry-auth'), image)
  const mergeRaw = read('merge-digests').trim()
  const mergeDigests = mergeRaw ? parseMergeDigests(mergeRaw, image.name) : []
  const pushByDigest = bool(read, 'push-by-digest', false)
  if (mergeDigests.length && pushByDigest) throw new InputError('push-by-digest', 'cannot be used with `merge-digests`: the matrix jobs push by digest, the merge job merges')
  const push = bool(read, 'push', true)
  if (pushByDigest && !push) throw new InputError('push-by-digest', 'needs `push: true`: push: false (a pull-request run) builds and checks every platform locally and pushes nothing, so there is no digest to merge; leave push-by-digest out of that job')
  if (mergeDigests.length && !push) throw new InputError('merge-digests', 'is given with `push: false`: a merge job only pushes (an index of digests already in the registry); a pull-request run builds and checks locally, so leave merge-digests out of it, or set push: true')
  if (copies.length && pushByDigest) throw new InputError('images', 'lists several images, but push-by-digest legs push to the first only: give `images` to the merge job, which copies the merged index')
  if (copies.length && !push) throw new InputError('images', 'lists several images, but push is false: nothing would be copied')

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
    copies,
    registryAuth,
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
