/**
 * Uploads the SBOMs as a workflow artifact. @actions/artifact is loaded only when used (it is large).
 *
 * The artifact is a convenience copy: the SBOMs that count are attested to the digests in the
 * registry. So the upload runs after the attestations and a failed upload never fails the release;
 * it is a warning and a line in the summary.
 */
import * as core from '../lib/log.js'
import * as path from 'node:path'

/** What tells one job's SBOMs from another's in the same workflow run. */
export interface SbomArtifactOf {
  image: string
  /** The digest the SBOMs belong to: the index (or the single platform's manifest). */
  digest: string
  /** `tag-suffix` (a variant such as `-debug`), for a name a person can read. */
  tagSuffix?: string
  /** The SBOMs were attested to the digests before the upload (so a failed upload loses only the copy). */
  attested?: boolean
}

/**
 * `sbom-<image><tag-suffix>-sha256-<first 12 of the digest>`. The v4 artifact service refuses a
 * second artifact of a name in a run (409), and the jobs of a matrix share the run: the digest makes
 * the name unique per job output (variant, platforms, target, build args all change it), while two
 * jobs that made the same digest would upload the same SBOMs anyway. Characters the service refuses
 * (`/`, `:` ...) become `-`.
 */
export function sbomArtifactName(of: SbomArtifactOf): string {
  const [algorithm = 'sha256', hex = ''] = of.digest.split(':')
  const base = `sbom-${of.image}${of.tagSuffix ?? ''}`.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 200)
  return `${base}-${algorithm}-${hex.slice(0, 12)}`
}

export async function uploadSboms(files: string[], of: SbomArtifactOf, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (files.length === 0) return 'no SBOMs to upload'
  if (!env.ACTIONS_RUNTIME_TOKEN) return 'SBOM artifact not uploaded: no Actions runtime token (not running on a GitHub runner)'
  const name = sbomArtifactName(of)
  try {
    const { DefaultArtifactClient } = await import('@actions/artifact')
    const client = new DefaultArtifactClient()
    const root = path.dirname(files[0] as string)
    const { id, size } = await client.uploadArtifact(name, files, root, { retentionDays: undefined })
    core.info(`Uploaded SBOM artifact ${name} (id ${String(id)}, ${String(size)} bytes)`)
    return `SBOMs uploaded as artifact \`${name}\``
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    // The name carries the digest: an artifact of that name holds this digest's SBOMs, uploaded by
    // an earlier attempt of this job (artifact names are per run, not per attempt) or by another job.
    if (/\(409\) Conflict/.test(message)) {
      core.info(`SBOM artifact ${name} is already in this workflow run (an earlier attempt, or another job that made the same digest, uploaded it)`)
      return `SBOM artifact \`${name}\` was already in this workflow run (uploaded for the same digest by an earlier attempt or another job)`
    }
    const kept = of.attested ? 'The SBOMs are attested to the digests (cosign verify-attestation --type cyclonedx); only the workflow-artifact copy is missing.' : 'The SBOM files are still on the runner for the later steps of this job (the `sbom` output).'
    const line = `SBOM artifact \`${name}\` not uploaded: ${message}. ${kept}`
    core.warning(line)
    return line
  }
}
