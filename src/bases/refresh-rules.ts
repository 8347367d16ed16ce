/**
 * Scheduled base refreshes: every platform manifest records the bases it was built on (OCI
 * `org.opencontainers.image.base.*` for the final stage's base, and every base of the target's
 * stages in one annotation), so `rebuild: if-base-changed` can compare them with what the bases'
 * tags name now and build only when one moved.
 */
import type { ParsedDockerfile } from '../dockerfile/parse.js'
import { externalBases, finalStage } from '../dockerfile/parse.js'
import { stageChain } from '../dockerfile/parse.js'

export const BASE_NAME = 'org.opencontainers.image.base.name'
export const BASE_DIGEST = 'org.opencontainers.image.base.digest'
/** `{"REF": "sha256:…"}`: each base of the target's stages, by the digest this platform used. */
export const BASES = 'io.github.vmafx.build-distroless-image.bases'

export interface UsedBase {
  /** As the FROM names it, ARGs substituted. */
  ref: string
  /** A `--platform=$BUILDPLATFORM` stage: the build machine's image is used for every target. */
  onBuildPlatform: boolean
  /** The final stage starts from it. */
  final: boolean
}

/** The registry images the target's stages start from or read (not `scratch`, not other stages, not platform-dependent). */
export function usedBases(parsed: ParsedDockerfile, target: string): UsedBase[] {
  const last = finalStage(parsed, target)
  const finalBase = last ? stageChain(parsed, last).pop()?.image : undefined
  const out = new Map<string, UsedBase>()
  for (const { stage: s, image: ref, read, platformDependent } of externalBases(parsed, target)) {
    if (platformDependent) continue
    // An image read by COPY --from / RUN --mount is the target platform's, whatever the stage's --platform.
    const onBuild = !read && /^\$\{?BUILDPLATFORM\}?$/.test(s.platform)
    const known = out.get(ref)
    // Used on the target platform by any stage: the target's digest is the one that matters.
    out.set(ref, { ref, onBuildPlatform: (known?.onBuildPlatform ?? true) && onBuild, final: ref === finalBase })
  }
  return [...out.values()]
}

/** platform -> base ref -> the digest that platform's build used. */
export type BaseDigests = Record<string, Record<string, string>>

/**
 * Which digest of each base each platform uses: the target platform's manifest of a
 * multi-platform base, the build platform's for a `$BUILDPLATFORM` stage, the digest itself for a
 * single-platform base.
 */
export function baseDigestsFor(bases: UsedBase[], platforms: string[], buildPlatform: string, indexes: Record<string, Record<string, string> | string>): BaseDigests {
  const out: BaseDigests = {}
  for (const platform of platforms) {
    out[platform] = {}
    for (const b of bases) {
      const index = indexes[b.ref]
      if (index === undefined) continue
      const digest = typeof index === 'string' ? index : index[b.onBuildPlatform ? buildPlatform : platform]
      if (digest) out[platform][b.ref] = digest
    }
  }
  return out
}

/** buildx `--annotation` values recording the bases on each platform manifest. */
export function baseAnnotations(bases: UsedBase[], digests: BaseDigests): string[] {
  const final = bases.find((b) => b.final)
  return Object.entries(digests).flatMap(([platform, used]) => {
    const own = final && used[final.ref] ? [`manifest[${platform}]:${BASE_NAME}=${final.ref}`, `manifest[${platform}]:${BASE_DIGEST}=${used[final.ref]}`] : []
    return [...own, `manifest[${platform}]:${BASES}=${JSON.stringify(used)}`]
  })
}

/** What a platform manifest recorded (its annotations), or undefined when it recorded nothing. */
export function recordedBases(annotations: Record<string, string> | undefined): Record<string, string> | undefined {
  const raw = annotations?.[BASES]
  if (!raw) return undefined
  try {
    const parsed = JSON.parse(raw) as unknown
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, string>) : undefined
  } catch {
    return undefined
  }
}

export interface BaseChange {
  ref: string
  platform: string
  from?: string
  to: string
}

export type RefreshDecision = { rebuild: false; compared: string[] } | { rebuild: true; why: string; changes: BaseChange[] }

/** Rebuild when any platform's recorded base digest differs from now, or nothing was recorded. */
export function decideRefresh(current: BaseDigests, recorded: Record<string, Record<string, string> | undefined>): RefreshDecision {
  const changes: BaseChange[] = []
  for (const [platform, now] of Object.entries(current)) {
    const before = recorded[platform]
    if (!before) return { rebuild: true, why: `the image at the release tag records no bases for ${platform} (a first release, or built by another tool)`, changes: [] }
    for (const [ref, digest] of Object.entries(now)) if (before[ref] !== digest) changes.push({ ref, platform, from: before[ref], to: digest })
  }
  if (changes.length) return { rebuild: true, why: `${[...new Set(changes.map((c) => c.ref))].join(', ')} changed`, changes }
  return { rebuild: false, compared: [...new Set(Object.values(current).flatMap((m) => Object.keys(m)))] }
}
