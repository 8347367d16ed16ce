/** One SBOM per platform manifest (CycloneDX or SPDX JSON), by syft, straight from the registry. */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { run } from '../lib/exec.js'
import { withRetry } from '../lib/retry.js'
import type { SbomFormat } from '../inputs/supply-chain.js'
import type { SbomPredicateType } from '../sigstore/cosign-argv.js'

/** syft's output format, cosign's predicate type and the file suffix, per `sbom-format`. */
export const SBOM_FORMATS: Record<SbomFormat, { syft: string; type: SbomPredicateType; suffix: string; label: string }> = {
  cyclonedx: { syft: 'cyclonedx-json', type: 'cyclonedx', suffix: 'cdx.json', label: 'CycloneDX' },
  spdx: { syft: 'spdx-json', type: 'spdxjson', suffix: 'spdx.json', label: 'SPDX' }
}

/**
 * syft's documented CLI: `syft scan --from registry REF --platform P -o cyclonedx-json=FILE` (or `spdx-json=FILE`).
 * `--from registry` reads the registry (with the docker config's credentials) and skips any
 * daemon; `--platform` picks the manifest even when REF is an index.
 */
export function syftArgv(ref: string, platform: string, outFile: string, format: SbomFormat = 'cyclonedx'): string[] {
  return ['scan', '--from', 'registry', ref, '--platform', platform, '-o', `${SBOM_FORMATS[format].syft}=${outFile}`, '-q']
}

export interface SbomResult {
  platform: string
  digest: string
  file: string
  bytes: number
  /** cosign's predicate type for this document. */
  type: SbomPredicateType
}

/** `silent`: the scan runs while another phase logs; its command line is reported afterwards. */
export async function generateSbom(syft: string, name: string, platform: string, digest: string, outFile: string, env: Record<string, string>, silent = false, format: SbomFormat = 'cyclonedx'): Promise<SbomResult> {
  const ref = `${name}@${digest}`
  // The digest was just pushed: "not found" is the registry catching up, so it is retried too.
  await withRetry(() => run(syft, syftArgv(ref, platform, outFile, format), { env: { ...env, SYFT_CHECK_FOR_APP_UPDATE: 'false' }, silent }), {
    what: `syft scan ${platform}`,
    alsoRetry: /not found|MANIFEST_UNKNOWN/i
  })
  const text = fs.readFileSync(outFile, 'utf8')
  let doc: { bomFormat?: string; spdxVersion?: string }
  try {
    doc = JSON.parse(text) as typeof doc
  } catch (err) {
    throw new Error(`syft wrote ${outFile} for ${platform}, but it is not JSON`, { cause: err })
  }
  checkDocument(doc, format, `syft wrote ${outFile} for ${platform}, but it`)
  return { platform, digest, file: outFile, bytes: Buffer.byteLength(text), type: SBOM_FORMATS[format].type }
}

/** What is attested must be the format the predicate type says: CycloneDX's bomFormat, SPDX's spdxVersion. */
export function checkDocument(doc: { bomFormat?: string; spdxVersion?: string }, format: SbomFormat, what: string): void {
  if (format === 'cyclonedx' && doc.bomFormat !== 'CycloneDX') throw new Error(`${what} is not a CycloneDX document (bomFormat: ${String(doc.bomFormat)})`)
  if (format === 'spdx' && !/^SPDX-2\.\d+$/.test(String(doc.spdxVersion))) throw new Error(`${what} is not an SPDX 2.x JSON document (spdxVersion: ${String(doc.spdxVersion)})`)
}

export function sbomFileName(platform: string, format: SbomFormat = 'cyclonedx'): string {
  return `sbom-${platform.replace(/\//g, '-')}.${SBOM_FORMATS[format].suffix}`
}

/** Every platform's SBOM at once, silently (another phase logs meanwhile); the SBOM phase reports them. */
export function scanSboms(syft: string, name: string, subjects: ReadonlyArray<{ subject: string; digest: string }>, format: SbomFormat, env: Record<string, string>, workDir: string): Promise<SbomResult[]> {
  const dir = path.join(workDir, 'sbom')
  fs.mkdirSync(dir, { recursive: true })
  const platforms = subjects.filter((s) => s.subject !== 'index')
  return Promise.all(platforms.map((p) => generateSbom(syft, name, p.subject, p.digest, path.join(dir, sbomFileName(p.subject, format)), env, true, format)))
}
