/** One CycloneDX SBOM per platform manifest, by syft, straight from the registry. */
import * as fs from 'node:fs'
import { run } from '../lib/exec.js'
import { withRetry } from '../lib/retry.js'

/**
 * syft's documented CLI: `syft scan --from registry REF --platform P -o cyclonedx-json=FILE`.
 * `--from registry` reads the registry (with the docker config's credentials) and skips any
 * daemon; `--platform` picks the manifest even when REF is an index.
 */
export function syftArgv(ref: string, platform: string, outFile: string): string[] {
  return ['scan', '--from', 'registry', ref, '--platform', platform, '-o', `cyclonedx-json=${outFile}`, '-q']
}

export interface SbomResult {
  platform: string
  digest: string
  file: string
  bytes: number
}

/** `silent`: the scan runs while another phase logs; its command line is reported afterwards. */
export async function generateSbom(syft: string, name: string, platform: string, digest: string, outFile: string, env: Record<string, string>, silent = false): Promise<SbomResult> {
  const ref = `${name}@${digest}`
  // The digest was just pushed: "not found" is the registry catching up, so it is retried too.
  await withRetry(() => run(syft, syftArgv(ref, platform, outFile), { env: { ...env, SYFT_CHECK_FOR_APP_UPDATE: 'false' }, silent }), {
    what: `syft scan ${platform}`,
    alsoRetry: /not found|MANIFEST_UNKNOWN/i
  })
  const text = fs.readFileSync(outFile, 'utf8')
  let doc: { bomFormat?: string; specVersion?: string }
  try {
    doc = JSON.parse(text) as typeof doc
  } catch (err) {
    throw new Error(`syft wrote ${outFile} for ${platform}, but it is not JSON`, { cause: err })
  }
  if (doc.bomFormat !== 'CycloneDX') throw new Error(`syft wrote ${outFile} for ${platform}, but it is not a CycloneDX document (bomFormat: ${String(doc.bomFormat)})`)
  return { platform, digest, file: outFile, bytes: Buffer.byteLength(text) }
}

export function sbomFileName(platform: string): string {
  return `sbom-${platform.replace(/\//g, '-')}.cdx.json`
}
