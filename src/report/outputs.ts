/**
 * The step's outputs, set in one place from what the run found out. main sets them once,
 * whatever happened: a failure after the push still leaves the digest outputs.
 */
import * as core from '../lib/log.js'

export interface RunOutputs {
  /** buildx's metadata, when something was built. */
  metadata?: unknown
  /** rebuild: if-base-changed: whether the build was skipped. */
  skipped?: boolean
  /** What the release points at: the pushed digest, the built one under push: false, or the existing one when skipped. */
  release?: { name: string; digest: string; tags: string[]; platforms: Record<string, string> }
  /** platform -> SBOM file. */
  sboms?: Record<string, string>
  /** image name -> name@digest, for every registry the index reached. */
  images?: Record<string, string>
  signed?: boolean
  /** The vulnerability gate's SARIF file, when vulnerability-sarif asked for one. */
  vulnerabilitySarif?: string
  /** The policy-controller and Kyverno admission policies for what was signed (a YAML file). */
  deployPolicies?: string
  /** The IDs of the attestations this attempt stored in GitHub's attestation store. */
  attestationIds?: number[]
}

export function setOutputs(o: RunOutputs): void {
  if (o.metadata !== undefined) core.setOutput('metadata', JSON.stringify(o.metadata))
  if (o.skipped !== undefined) core.setOutput('skipped', String(o.skipped))
  if (o.release) {
    core.setOutput('digest', o.release.digest)
    core.setOutput('image', `${o.release.name}@${o.release.digest}`)
    core.setOutput('tags', o.release.tags.join('\n'))
    core.setOutput('platform-digests', JSON.stringify(o.release.platforms))
  }
  if (o.sboms) core.setOutput('sbom', JSON.stringify(o.sboms))
  if (o.images) core.setOutput('images', JSON.stringify(o.images))
  if (o.signed !== undefined) core.setOutput('signed', String(o.signed))
  if (o.vulnerabilitySarif) core.setOutput('vulnerability-sarif', o.vulnerabilitySarif)
  if (o.deployPolicies) core.setOutput('deploy-policies', o.deployPolicies)
  if (o.attestationIds) core.setOutput('attestation-ids', o.attestationIds.join('\n'))
}
