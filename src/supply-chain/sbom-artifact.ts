/** Uploads the SBOMs as a workflow artifact. @actions/artifact is loaded only when used (it is large). */
import * as core from '@actions/core'
import * as path from 'node:path'

export async function uploadSboms(files: string[], image: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (files.length === 0) return 'no SBOMs to upload'
  if (!env.ACTIONS_RUNTIME_TOKEN) return 'SBOM artifact not uploaded: no Actions runtime token (not running on a GitHub runner)'
  const { DefaultArtifactClient } = await import('@actions/artifact')
  const client = new DefaultArtifactClient()
  const name = `sbom-${image.replace(/[^A-Za-z0-9._-]+/g, '-')}`.slice(0, 200)
  const root = path.dirname(files[0] as string)
  const { id, size } = await client.uploadArtifact(name, files, root, { retentionDays: undefined })
  core.info(`Uploaded SBOM artifact ${name} (id ${String(id)}, ${String(size)} bytes)`)
  return `SBOMs uploaded as artifact \`${name}\``
}
