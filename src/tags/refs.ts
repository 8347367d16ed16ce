/** Image names, references, digests, versions and the tags derived from them. */
import { InputError } from '../lib/errors.js'

export interface ImageName {
  /** Registry host, with port when given: `ghcr.io`, `registry.example:5443`. */
  registry: string
  /** Repository path below the host: `vmafx/vmafx-operator`. */
  path: string
  /** `registry/path`. */
  name: string
}

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/
const HOST = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]{1,5})?$/
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/
/** A content digest as the action pushes, signs and returns it. */
const DIGEST_SOURCE = 'sha256:[a-f0-9]{64}'
const DIGEST = new RegExp(`^${DIGEST_SOURCE}$`)
const DIGEST_REF = new RegExp(`^[^@\\s]+@${DIGEST_SOURCE}$`)
/** An image reference as docker takes it, tag and digest optional; no comma (it goes into buildx --driver-opt lists). */
const IMAGE_REF = new RegExp(`^[a-z0-9][a-z0-9._-]*(?::[0-9]+)?(?:/[a-z0-9._-]+)*(?::[A-Za-z0-9_][A-Za-z0-9._-]{0,127})?(?:@${DIGEST_SOURCE})?$`)

export function isDigest(value: string): boolean {
  return DIGEST.test(value)
}

/** `NAME@sha256:…`: the only form that is signed or attested. */
export function isDigestRef(value: string): boolean {
  return DIGEST_REF.test(value)
}

export function isImageRef(value: string): boolean {
  return IMAGE_REF.test(value)
}

/**
 * Parses the `image` input. A bare NAME means ghcr.io/<owner>/NAME; anything with a slash must
 * start with a registry host, so `foo/bar` (Docker Hub by docker's rules) is refused as ambiguous.
 */
export function parseImageName(raw: string, owner: string, input = 'image'): ImageName {
  const value = raw.trim()
  if (!value) throw new InputError(input, 'is required: give an image name such as ghcr.io/OWNER/NAME or a bare NAME')
  if (value.includes('@')) {
    throw new InputError(input, `"${value}" contains a digest; give the name only (the action pushes and returns the digest)`)
  }
  const parts = value.split('/')
  const last = parts[parts.length - 1] ?? ''
  if (last.includes(':')) {
    throw new InputError(input, `"${value}" contains a tag; give the name only and put tags in \`tags\` or \`version\``)
  }
  let registry: string
  let pathParts: string[]
  if (parts.length === 1) {
    if (!owner) throw new InputError(input, `bare name "${value}" needs GITHUB_REPOSITORY_OWNER to expand to ghcr.io/OWNER/${value}; give the full name`)
    registry = 'ghcr.io'
    pathParts = [owner.toLowerCase(), value]
  } else {
    const first = parts[0] ?? ''
    if (!(first.includes('.') || first.includes(':') || first === 'localhost')) {
      throw new InputError(input, `"${value}" does not start with a registry host; write ghcr.io/${value} (or docker.io/${value} for Docker Hub)`)
    }
    if (!HOST.test(first)) throw new InputError(input, `"${first}" is not a valid registry host`)
    registry = first.toLowerCase()
    pathParts = parts.slice(1)
  }
  for (const component of pathParts) {
    if (component !== component.toLowerCase()) {
      throw new InputError(input, `"${value}" has upper-case letters; image names must be lower-case: ${registry}/${pathParts.join('/').toLowerCase()}`)
    }
    if (!PATH_COMPONENT.test(component)) {
      throw new InputError(input, `"${component}" in "${value}" is not a valid path component (lower-case letters, digits, and single ".", "_", "__" or "-" between them)`)
    }
  }
  const path = pathParts.join('/')
  if (`${registry}/${path}`.length > 255) throw new InputError(input, 'is longer than 255 characters')
  return { registry, path, name: `${registry}/${path}` }
}

export function validateTag(tag: string, input = 'tags'): string {
  if (tag.includes(':') || tag.includes('/')) {
    throw new InputError(input, `"${tag}" looks like a full reference; give the tag alone, e.g. "1.4.2"`)
  }
  if (!TAG.test(tag)) {
    throw new InputError(input, `"${tag}" is not a valid tag: letters, digits, "_", "." and "-", not starting with "." or "-", at most 128 characters`)
  }
  return tag
}

export interface SemVer {
  major: number
  minor: number
  patch: number
  prerelease: string
  /** The version without a leading `v` or component prefix: `1.4.2`, `1.5.0-rc.1`. */
  text: string
}

const SEMVER = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/

/**
 * Parses a release version: `1.4.2`, `v1.4.2`, or release-please's monorepo forms
 * `component-v1.4.2` and `component/v1.4.2`. Returns undefined when it is not one.
 */
export function parseVersion(raw: string): SemVer | undefined {
  let value = raw.trim()
  const prefixed = /^.+?[-/](v\d+\.\d+\.\d+.*)$/.exec(value)
  if (!SEMVER.test(value) && prefixed?.[1]) value = prefixed[1]
  const m = SEMVER.exec(value)
  if (!m) return undefined
  const [, major, minor, patch, pre] = m
  const text = value.replace(/^v/, '')
  return { major: Number(major), minor: Number(minor), patch: Number(patch), prerelease: pre ?? '', text }
}

/**
 * Tags for a release version: 1.4.2, 1.4, 1, latest (with `prefix`: v1.4.2, v1.4, v1, latest); a
 * pre-release gets only its own tag; 0.x gets no `0`.
 */
export function versionTags(v: SemVer, prefix = '', suffix = ''): string[] {
  if (v.prerelease) return [prefix + v.text + suffix]
  const tags = [v.text, `${v.major}.${v.minor}`]
  // A `0` tag would float across breaking 0.x releases, so 0.x gets none (as docker/metadata-action).
  if (v.major > 0) tags.push(String(v.major))
  return [...tags.map((t) => prefix + t + suffix), `latest${suffix}`]
}

/** Makes a branch or tag name usable as an image tag. */
export function tagSafe(name: string): string {
  const safe = name
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/^[.-]+/, '')
    .slice(0, 128)
    .replace(/[.-]+$/, '')
  return safe || 'untagged'
}

export interface GitRef {
  ref: string
  sha: string
}

/** The release version a tag ref names (`refs/tags/v1.4.2`, `refs/tags/op/v1.4.2`), if any. */
export function refVersion(ref: string): SemVer | undefined {
  return ref.startsWith('refs/tags/') ? parseVersion(ref.slice('refs/tags/'.length)) : undefined
}

/** The tags to push when the `tags` input is empty. */
export function deriveTags(version: SemVer | undefined, git: GitRef, prefix = '', suffix = ''): string[] {
  const release = version ?? refVersion(git.ref)
  if (release) return versionTags(release, prefix, suffix)
  if (suffix) return deriveTags(undefined, git).map((t) => t + suffix)
  const sha = git.sha ? `sha-${git.sha.slice(0, 7)}` : ''
  const withSha = (t: string) => (sha ? [t, sha] : [t])
  if (git.ref.startsWith('refs/tags/')) return [tagSafe(git.ref.slice('refs/tags/'.length))]
  if (git.ref.startsWith('refs/heads/')) return withSha(tagSafe(git.ref.slice('refs/heads/'.length)))
  const pr = /^refs\/pull\/(\d+)\//.exec(git.ref)
  if (pr) return withSha(`pr-${pr[1]}`)
  if (sha) return [sha]
  throw new InputError('tags', `cannot derive tags from ref "${git.ref}" without a commit sha; give \`tags\` or \`version\``)
}

/** The reference without tag or digest: `gcr.io/distroless/static-debian13`. */
export function imageName(image: string): string {
  const noDigest = image.split('@')[0] ?? image
  const colon = noDigest.lastIndexOf(':')
  return colon > noDigest.lastIndexOf('/') ? noDigest.slice(0, colon) : noDigest
}

/** The tag of a reference, or '' when it has none. */
export function imageTag(image: string): string {
  const noDigest = image.split('@')[0] ?? image
  const colon = noDigest.lastIndexOf(':')
  return colon > noDigest.lastIndexOf('/') ? noDigest.slice(colon + 1) : ''
}

/** A pattern (`*` matches anything) matches the whole reference or its name. */
export function matchesPattern(image: string, pattern: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`)
  return re.test(image) || re.test(imageName(image))
}
