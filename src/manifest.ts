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
  layers?: Array<{ size: number }>
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
    const variant = p.architecture === 'arm64' && p.variant === 'v8' ? '' : (p.variant ?? '')
    out[[p.os, p.architecture, variant].filter(Boolean).join('/')] = d.digest
  }
  return out
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

/** Resolves the platform digests of a pushed image: an index's entries, or a single manifest's own. */
export async function resolvePlatformDigests(name: string, digest: string, platforms: string[], env: Record<string, string>): Promise<Record<string, string>> {
  const raw = await inspectRaw(`${name}@${digest}`, env)
  if (!isIndex(raw)) {
    if (platforms.length !== 1) throw new Error(`${name}@${digest} is a single manifest, but ${platforms.length} platforms were built`)
    return { [platforms[0] as string]: digest }
  }
  const found = platformDigests(raw)
  const missing = platforms.filter((p) => !found[p])
  if (missing.length) throw new Error(`the pushed index ${name}@${digest} lacks ${missing.join(', ')} (it has ${Object.keys(found).join(', ') || 'none'})`)
  return found
}
