/** Reading what was pushed: the index, and each real platform's manifest digest. */
import { run } from './exec.js'
import { withRetry } from './retry.js'

interface Descriptor {
  mediaType?: string
  digest: string
  platform?: { os?: string; architecture?: string; variant?: string }
  annotations?: Record<string, string>
}

export interface RawManifest {
  mediaType?: string
  manifests?: Descriptor[]
  config?: { digest: string }
  layers?: Array<{ size: number; digest?: string; mediaType?: string }>
}

const INDEX_TYPES = ['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']

export function isIndex(m: RawManifest): boolean {
  return INDEX_TYPES.includes(m.mediaType ?? '') || Array.isArray(m.manifests)
}

/**
 * Maps `os/arch[/variant]` to manifest digest, leaving out buildx's attestation manifests
 * (`unknown/unknown`, `vnd.docker.reference.type: attestation-manifest`).
 */
export function platformDigests(index: RawManifest): Record<string, string> {
  const out: Record<string, string> = {}
  for (const d of index.manifests ?? []) {
    if (d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest') continue
    const p = d.platform
    if (!p?.os || !p.architecture || p.os === 'unknown' || p.architecture === 'unknown') continue
    out[normalizePlatform([p.os, p.architecture, p.variant].filter(Boolean).join('/'))] = d.digest
  }
  return out
}

/** `os/arch[/variant]` as the inputs spell it: arm64's default variant v8 left out. */
export function normalizePlatform(platform: string): string {
  return platform.replace(/^([^/]+)\/arm64\/v8$/, '$1/arm64')
}

/**
 * `docker buildx imagetools inspect --raw REF`, retried on transient registry errors. Every digest
 * read here was just pushed, so "not found" is a registry catching up (or a reset connection the
 * resolver reported as such), not an answer.
 */
export async function inspectRaw(ref: string, env: Record<string, string>): Promise<RawManifest> {
  const { stdout } = await withRetry(() => run('docker', ['buildx', 'imagetools', 'inspect', '--raw', ref], { env, silent: true }), {
    what: `reading ${ref}`,
    alsoRetry: /not found/i
  })
  return JSON.parse(stdout) as RawManifest
}

/** An image config as buildx prints it (`.Image`): only what the action reads. */
export interface ImageConfig {
  config?: { User?: string; Entrypoint?: string[] | null; Cmd?: string[] | null; Env?: string[] | null; WorkingDir?: string }
}

/** What the action reads of a push: each platform's manifest digest and config. */
export interface PushedImage {
  platforms: Record<string, string>
  configs: Record<string, ImageConfig>
}

/**
 * `imagetools inspect REF --format '{{json .}}'`: for an index, its manifest list and every
 * platform's config in one call; for a lone manifest, its descriptor and config.
 */
export function parsePushed(json: string, ref: string, platforms: string[]): PushedImage {
  const out = JSON.parse(json) as { manifest?: RawManifest & { digest?: string }; image?: ImageConfig | Record<string, ImageConfig> }
  const manifest = out.manifest ?? {}
  if (!isIndex(manifest)) {
    if (platforms.length !== 1) throw new Error(`${ref} is a single manifest, but ${platforms.length} platforms were built`)
    const platform = platforms[0] as string
    return { platforms: { [platform]: manifest.digest ?? ref.slice(ref.indexOf('@') + 1) }, configs: { [platform]: (out.image ?? {}) } }
  }
  const found = platformDigests(manifest)
  const missing = platforms.filter((p) => !found[p])
  if (missing.length) throw new Error(`the pushed index ${ref} lacks ${missing.join(', ')} (it has ${Object.keys(found).join(', ') || 'none'})`)
  const image = out.image ?? {}
  const configs: Record<string, ImageConfig> = {}
  // buildx prints one config, not a map, when the index holds a single image.
  if (['config', 'os', 'architecture'].some((k) => k in image)) {
    const only = Object.keys(found)
    if (only.length === 1) configs[only[0] as string] = image
  } else {
    for (const [key, config] of Object.entries(image as Record<string, ImageConfig>)) configs[normalizePlatform(key)] = config
  }
  return { platforms: found, configs }
}

/** Reads a just-pushed image once: platform digests and configs ("not found" retried, see inspectRaw). */
export async function inspectPushed(name: string, digest: string, platforms: string[], env: Record<string, string>): Promise<PushedImage> {
  const ref = `${name}@${digest}`
  const { stdout } = await withRetry(() => run('docker', ['buildx', 'imagetools', 'inspect', ref, '--format', '{{json .}}'], { env, silent: true }), {
    what: `reading ${ref}`,
    alsoRetry: /not found/i
  })
  return parsePushed(stdout, ref, platforms)
}
