/**
 * The SLSA provenance buildx recorded for each platform, read back from the pushed index (never
 * generated here) and written out as the predicate `cosign attest` signs onto that platform's digest.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import type { PredicateType } from './cosign.js'
import { normalizePlatform } from './platform.js'

export interface Provenance {
  platform: string
  digest: string
  type: Extract<PredicateType, 'slsaprovenance02' | 'slsaprovenance1'>
  file: string
}

/**
 * cosign's type for a predicate, by its shape: SLSA v1 has `buildDefinition` and `runDetails`
 * (BuildKit's `provenance: version=v1`); v0.2 has `buildType`, `builder` and `invocation`
 * (BuildKit's default). Anything else is not attested under a provenance type.
 */
export function provenanceType(predicate: unknown): Provenance['type'] | undefined {
  if (!predicate || typeof predicate !== 'object') return undefined
  const p = predicate as Record<string, unknown>
  if (p.buildDefinition && p.runDetails) return 'slsaprovenance1'
  if (typeof p.buildType === 'string' && p.builder && p.invocation) return 'slsaprovenance02'
  return undefined
}

/**
 * `imagetools inspect --format '{{json .Provenance}}'` of an index, per platform. buildx prints
 * `{"linux/amd64": {"SLSA": …}, …}`, or `{"SLSA": …}` for an index of one platform.
 */
export function provenanceByPlatform(inspected: unknown, platforms: string[]): Record<string, unknown> {
  if (!inspected || typeof inspected !== 'object') return {}
  const o = inspected as Record<string, { SLSA?: unknown } | undefined>
  if ('SLSA' in o) return platforms.length === 1 && platforms[0] ? { [platforms[0]]: (o as { SLSA: unknown }).SLSA } : {}
  const out: Record<string, unknown> = {}
  for (const [platform, entry] of Object.entries(o)) if (entry?.SLSA !== undefined) out[normalizePlatform(platform)] = entry.SLSA
  return out
}

export interface ProvenanceFiles {
  found: Provenance[]
  /** Platforms without a provenance buildx recorded (`provenance: false`, or an index without one). */
  missing: string[]
}

/** Writes each platform's predicate to `dir` and says which platforms had none. */
export function provenanceFiles(inspected: unknown, platforms: Record<string, string>, dir: string): ProvenanceFiles {
  const byPlatform = provenanceByPlatform(inspected, Object.keys(platforms))
  const found: Provenance[] = []
  const missing: string[] = []
  for (const [platform, digest] of Object.entries(platforms)) {
    const predicate = byPlatform[platform]
    const type = provenanceType(predicate)
    if (!type) {
      missing.push(platform)
      continue
    }
    fs.mkdirSync(dir, { recursive: true })
    const file = path.join(dir, `provenance-${platform.replace(/\//g, '-')}.json`)
    fs.writeFileSync(file, JSON.stringify(predicate))
    found.push({ platform, digest, type, file })
  }
  return { found, missing }
}
