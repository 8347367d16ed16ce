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
const IN_TOTO_LAYER = 'application/vnd.in-toto+json'

/** An attestation manifest that is not what buildx writes: refused, never skipped (a skip would sign without it). */
export class AttestationShapeError extends Error {}

/**
 * Each platform's recorded provenance predicate: buildx puts one attestation manifest per platform
 * in the index (`vnd.docker.reference.type: attestation-manifest`, `vnd.docker.reference.digest`:
 * the platform's digest), whose in-toto layers carry `in-toto.io/predicate-type`. Anything else
 * under that annotation (a subject that is not a platform of the index, a second one for a
 * platform, no layers, a layer that is not in-toto or names no predicate type, an unknown SLSA
 * version, two provenances) is an error: what the release says it carries must be what it carries.
 */
export type RecordedProvenance = Record<string, { type: ProvenanceType; predicate: unknown }>

export async function recordedProvenance(index: RawManifest, platforms: Record<string, string>, read: AttestationReader): Promise<RecordedProvenance> {
  const byDigest = new Map(Object.entries(platforms).map(([p, d]) => [d, p]))
  const out: RecordedProvenance = {}
  const seen = new Set<string>()
  const attestations = (index.manifests ?? []).flatMap((d) => {
    if (d.annotations?.['vnd.docker.reference.type'] !== ATTESTATION) return []
    const subject = d.annotations['vnd.docker.reference.digest'] ?? ''
    const platform = byDigest.get(subject)
    if (!platform) throw new AttestationShapeError(`the attestation manifest ${d.digest} is for ${subject || 'no subject (no vnd.docker.reference.digest)'}, which is not a platform image of the index: refusing to sign an index whose attestations do not match its images`)
    if (seen.has(platform)) throw new AttestationShapeError(`the index has two attestation manifests for ${platform} (${subject}): refusing to choose one`)
    seen.add(platform)
    return [{ d, platform }]
  })
  await Promise.all(
    attestations.map(async ({ d, platform }) => {
      const attestation = await read.manifest(d.digest)
      const layers = attestation.layers
      if (!Array.isArray(layers) || layers.length === 0) throw new AttestationShapeError(`the attestation manifest ${d.digest} of ${platform} has no layers`)
      for (const layer of layers) {
        const predicateType = layer.annotations?.['in-toto.io/predicate-type']
        if (!layer.digest || layer.mediaType !== IN_TOTO_LAYER || !predicateType) {
          throw new AttestationShapeError(`the attestation manifest ${d.digest} of ${platform} has a layer that is not an in-toto statement with a predicate type (mediaType ${layer.mediaType ?? 'none'}, digest ${layer.digest ?? 'none'})`)
        }
        const type = provenanceType(predicateType)
        if (!type) {
          if (predicateType.startsWith('https://slsa.dev/provenance/')) throw new AttestationShapeError(`the attestation manifest ${d.digest} of ${platform} carries SLSA provenance of a version cosign cannot attest: ${predicateType}`)
          continue
        }
        if (out[platform]) throw new AttestationShapeError(`the attestation manifest ${d.digest} of ${platform} carries two SLSA provenance statements: refusing to choose one`)
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

/**
 * The release was asked for provenance (`provenance-attestation: true`) and buildx recorded none
 * for these platforms: what to change, with the builder that built it.
 */
export function missingProvenanceMessage(missing: readonly string[], builder: string | undefined): string {
  return [
    `No SLSA provenance recorded by buildx for ${missing.join(', ')}, and provenance-attestation is true (the default): refusing to sign a release without the provenance it was asked to carry.`,
    `Built with ${builder ?? 'an unknown builder'}. buildx records provenance unless \`provenance: false\` (or mode=false) is given, BUILDX_NO_DEFAULT_ATTESTATIONS is set in the job's env, the builder's driver cannot export attestations (the docker driver on the classic image store), or a merge-digests line names a platform digest instead of its leg's index digest.`,
    'Fix that, or set provenance-attestation: false to release without provenance.'
  ].join('\n')
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

/**
 * The provenance buildx recorded for each platform: each manifest and blob one read, retried on
 * its own. A lone manifest (no index) has no attestation manifests, so none.
 */
export async function readProvenance(name: string, pushed: Pushed, tools: Pick<ImageTools, 'raw'>, api: Pick<RegistryApi, 'blobText'>): ReturnType<typeof recordedProvenance> {
  const index = await tools.raw(`${name}@${pushed.digest}`, { justPushed: true })
  if (!Array.isArray(index.manifests)) return {}
  return recordedProvenance(index, pushed.platforms, {
    manifest: (digest) => tools.raw(`${name}@${digest}`, { justPushed: true }),
    blob: (digest) => withRetry(() => api.blobText(digest), { what: `reading the provenance blob ${digest}` })
  })
}
