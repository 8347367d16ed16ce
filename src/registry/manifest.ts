/** Manifests and indexes as the registry holds them, and what the action reads of them. */
import { normalizePlatform, platformId } from '../build/platform.js'

/** A digest and its platform manifests: what was pushed, merged, or released by an earlier attempt. */
export interface Pushed {
  digest: string
  /** `os/arch[/variant]` -> manifest digest; attestation manifests left out. */
  platforms: Record<string, string>
  /** Platform configs, when the read that found the digests brought them. */
  configs?: Record<string, ImageConfig>
}

interface Descriptor {
  mediaType?: string
  digest: string
  platform?: { os?: string; architecture?: string; variant?: string }
  annotations?: Record<string, string>
}

export interface RawManifest {
  mediaType?: string
  annotations?: Record<string, string>
  manifests?: Descriptor[]
  config?: { digest: string }
  layers?: Array<{ size: number; digest?: string; mediaType?: string; annotations?: Record<string, string> }>
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
    out[platformId(p.os, p.architecture, p.variant)] = d.digest
  }
  return out
}

/** An image config as buildx prints it (`.Image`): only what the action reads. */
export interface ImageConfig {
  config?: { User?: string; Entrypoint?: string[] | null; Cmd?: string[] | null; Env?: string[] | null; WorkingDir?: string; Labels?: Record<string, string> | null }
}

/**
 * `imagetools inspect REF --format '{{json .}}'`: for an index, its manifest list and every
 * platform's config in one call; for a lone manifest, its descriptor and config.
 */
export function parsePushed(json: string, ref: string, platforms: string[]): Required<Pushed> {
  const out = JSON.parse(json) as { manifest?: RawManifest & { digest?: string }; image?: ImageConfig | Record<string, ImageConfig> }
  const manifest = out.manifest ?? {}
  const digest = manifest.digest ?? ref.slice(ref.indexOf('@') + 1)
  if (!isIndex(manifest)) {
    if (platforms.length !== 1) throw new Error(`${ref} is a single manifest, but ${platforms.length} platforms were built`)
    const platform = platforms[0] as string
    return { digest, platforms: { [platform]: digest }, configs: { [platform]: (out.image ?? {}) } }
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
  return { digest, platforms: found, configs }
}

