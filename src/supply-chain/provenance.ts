/**
 * The SLSA provenance buildx recorded for each platform, read back from the pushed index's
 * attestation manifests (never generated here), and written out as the predicate `cosign attest`
 * signs onto that platform's digest.
 */
import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import type { PredicateType } from '../sigstore/cosign-argv.js'
import type { ImageTools } from '../registry/imagetools.js'
import type { Pushed } from '../registry/manifest.js'
import type { RawManifest } from '../registry/manifest.js'
import type { RegistryApi } from '../registry/http-api.js'
import { withRetry } from '../lib/retry.js'

export type ProvenanceType = Extract<PredicateType, 'slsaprovenance02' | 'slsaprovenance1'>

export interface Provenance {
  platform: string
  digest: string
  type: ProvenanceType
  file: string
}

/**
 * cosign's `--type` for an in-toto predicate type (`cosign attest --help`): BuildKit writes SLSA
 * v0.2 by default and v1 with `provenance: version=v1`. Anything else is not provenance.
 */
export function provenanceType(predicateType: string | undefined): ProvenanceType | undefined {
  if (predicateType === 'https://slsa.dev/provenance/v0.2') return 'slsaprovenance02'
  if (predicateType === 'https://slsa.dev/provenance/v1') return 'slsaprovenance1'
  return undefined
}

/** One request each, retried by the caller's reader: a manifest, and a blob's text. */
export interface AttestationReader {
  manifest(digest: string): Promise<RawManifest>
  blob(digest: string): Promise<string>
}

const ATTESTATION = 'attestation-manifest'

/**
 * Each platform's recorded provenance predicate: buildx puts one attestation manifest per platform
 * in the index (`vnd.docker.reference.type: attestation-manifest`, `vnd.docker.reference.digest`:
 * the platform's digest), whose in-toto layers carry `in-toto.io/predicate-type`.
 */
export async function recordedProvenance(index: RawManifest, platforms: Record<string, string>, read: AttestationReader): Promise<Record<string, { type: ProvenanceType; predicate: unknown }>> {
  const byDigest = new Map(Object.entries(platforms).map(([p, d]) => [d, p]))
  const out: Record<string, { type: ProvenanceType; predicate: unknown }> = {}
  await Promise.all(
    (index.manifests ?? []).map(async (d) => {
      if (d.annotations?.['vnd.docker.reference.type'] !== ATTESTATION) return
      const platform = byDigest.get(d.annotations['vnd.docker.reference.digest'] ?? '')
      if (!platform) return
      const attestation = await read.manifest(d.digest)
      for (const layer of attestation.layers ?? []) {
        const type = provenanceType(layer.annotations?.['in-toto.io/predicate-type'])
        if (!type || !layer.digest) continue
        const text = await read.blob(layer.digest)
        const actual = `sha256:${createHash('sha256').update(text).digest('hex')}`
        if (actual !== layer.digest) throw new Error(`the provenance blob ${layer.digest} of ${platform} read back as ${actual}: refusing to attest it`)
        const statement = JSON.parse(text) as { predicateType?: string; predicate?: unknown }
        if (provenanceType(statement.predicateType) !== type) throw new Error(`the provenance blob ${layer.digest} of ${platform} is not the ${type} statement its annotation says`)
        out[platform] = { type, predicate: statement.predicate }
      }
    })
  )
  return out
}

export interface ProvenanceFiles {
  found: Provenance[]
  /** Platforms without a provenance buildx recorded (`provenance: false`, or an image without an index). */
  missing: string[]
}

/** Writes each platform's predicate to `dir` and says which platforms had none. */
export function provenanceFiles(recorded: Record<string, { type: ProvenanceType; predicate: unknown }>, platforms: Record<string, string>, dir: string): ProvenanceFiles {
  const found: Provenance[] = []
  const missing: string[] = []
  for (const [platform, digest] of Object.entries(platforms)) {
    const r = recorded[platform]
    if (!r) {
      missing.push(platform)
      continue
    }
    fs.mkdirSync(dir, { recursive: true })
    const file = path.join(dir, `provenance-${platform.replace(/\//g, '-')}.json`)
    fs.writeFileSync(file, JSON.stringify(r.predicate))
    found.push({ platform, digest, type: r.type, file })
  }
  return { found, missing }
}

/** The provenance buildx recorded for each platform: each manifest and blob one read, retried on its own. */
export async function readProvenance(name: string, pushed: Pushed, tools: Pick<ImageTools, 'raw'>, api: Pick<RegistryApi, 'blobText'>): ReturnType<typeof recordedProvenance> {
  const index = await tools.raw(`${name}@${pushed.digest}`, { justPushed: true })
  return recordedProvenance(index, pushed.platforms, {
    manifest: (digest) => tools.raw(`${name}@${digest}`, { justPushed: true }),
    blob: (digest) => withRetry(() => api.blobText(digest), { what: `reading the provenance blob ${digest}` })
  })
}
