// The README's two-variant matrix (main and -debug) uploads its SBOMs as workflow artifacts in one
// run (issue 34, part 3). The artifact service is the named stand-in of
// scripts/e2e/actions-artifact-standin.ts, which refuses a second artifact of a name in a run with
// 409 as github.com's v4 service does; everything else is real: the build, the TLS registry,
// cosign and syft.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { ArtifactStandin } from '../../scripts/e2e/actions-artifact-standin.js'
import { startArtifactService, unzip } from '../../scripts/e2e/actions-artifact-standin.js'
import { sbomArtifactName } from '../../src/supply-chain/sbom-artifact.js'
import { runAction } from './support/harness.js'
import { cosign, docker, e2e, keyPair, keySigning, requireEnvironment, uniqueImage, workspace } from './support/env.js'

const run = requireEnvironment()
const R = e2e.registry
const PASSWORD = 'e2e-artifact-5b2'

const program = {
  'go.mod': 'module example.com/operator\n\ngo 1.24\n',
  'main.go': 'package main\n\nimport "fmt"\n\nfunc main() {\n\tfmt.Println("operator")\n}\n'
}

describe.runIf(run)('the SBOM artifact of each matrix job (issue 34)', () => {
  let service: ArtifactStandin
  let keys: ReturnType<typeof keyPair>
  beforeAll(async () => {
    service = await startArtifactService()
    keys = keyPair(PASSWORD)
  })
  afterAll(() => service.close())

  /** One matrix job of workflow run RUN: the README's `with:` block, key-signed against the local registry. */
  const job = (runId: string, image: string, variant: 'main' | 'debug', env: Record<string, string> = {}) =>
    runAction(
      {
        image,
        dockerfile: 'static',
        version: 'v2.0.0',
        platforms: 'linux/amd64',
        'allowed-bases': `${R}/e2e/*`,
        'registry-username': e2e.user,
        'registry-password': e2e.password,
        ...keySigning(keys.key, PASSWORD),
        'sbom-artifact': 'true',
        ...(variant === 'debug'
          ? { target: 'debug', 'tag-suffix': '-debug', 'build-args': `BUILDER_IMAGE=${R}/e2e/golang:1.24\nDEBUG_IMAGE=${R}/e2e/busybox:1` }
          : { 'build-args': `BUILDER_IMAGE=${R}/e2e/golang:1.24\nRUNTIME_IMAGE=${R}/e2e/static:nonroot` })
      },
      { workspace: workspace(program), env: { ...service.job(runId).env, ...env } }
    )

  /** Every digest of a release carries a verified signature and a verified CycloneDX attestation. */
  const attested = (image: string, outputs: Record<string, string>) => {
    const digests = [outputs.digest ?? '', ...Object.values(JSON.parse(outputs['platform-digests'] ?? '{}') as Record<string, string>)]
    expect(digests.filter(Boolean).length).toBeGreaterThan(0)
    for (const d of digests) {
      const ref = `${image}@${d}`
      expect(cosign('cosign', ['verify', '--key', keys.pub, '--insecure-ignore-tlog=true', ref]).code, ref).toBe(0)
      expect(cosign('cosign', ['verify-attestation', '--key', keys.pub, '--insecure-ignore-tlog=true', '--type', 'cyclonedx', ref]).code, ref).toBe(0)
    }
  }
  const digestOf = (ref: string) => (JSON.parse(docker(['buildx', 'imagetools', 'inspect', ref, '--format', '{{json .Manifest}}']).out) as { digest: string }).digest

  test('main and -debug in one run: two artifacts, each the SBOMs of its own digest, both releases signed and attested; a re-run of a job finds its artifact there and still finishes', async () => {
    const image = uniqueImage('sbom-artifact')
    const runId = 'run-matrix'
    const main = await job(runId, image, 'main')
    expect(main.exitCode, main.log).toBe(0)
    const debug = await job(runId, image, 'debug')
    expect(debug.exitCode, debug.log).toBe(0)
    expect(main.outputs.digest).not.toBe(debug.outputs.digest)

    const names = [sbomArtifactName({ image, digest: main.outputs.digest ?? '' }), sbomArtifactName({ image, digest: debug.outputs.digest ?? '', tagSuffix: '-debug' })]
    expect(names[1]).toMatch(/-debug-sha256-[0-9a-f]{12}$/)
    const stored = service.artifacts(runId)
    expect(stored.map((a) => a.name)).toEqual(names)
    // each artifact holds its job's SBOM, the one the job's `sbom` output names, as the job wrote it
    for (const [i, r] of [main, debug].entries()) {
      const files = unzip(stored[i]?.zip ?? Buffer.alloc(0))
      expect(Object.keys(files)).toEqual(['sbom-linux-amd64.cdx.json'])
      expect(JSON.parse(files['sbom-linux-amd64.cdx.json']?.toString() ?? '{}')).toMatchObject({ bomFormat: 'CycloneDX' })
      expect(r.summary).toContain(`SBOMs uploaded as artifact \`${names[i] ?? ''}\``)
      expect(r.log).not.toMatch(/::warning::SBOM artifact/)
    }
    expect(JSON.stringify(JSON.parse(unzip(stored[1]?.zip ?? Buffer.alloc(0))['sbom-linux-amd64.cdx.json']?.toString() ?? '{}'))).toContain('busybox')
    attested(image, main.outputs)
    attested(image, debug.outputs)
    expect(digestOf(`${image}:2.0.0`)).toBe(main.outputs.digest)
    expect(digestOf(`${image}:2.0.0-debug`)).toBe(debug.outputs.digest)

    // "Re-run jobs" on the debug leg: the same run, a new job, the same digest; the name is taken.
    const rerun = await job(runId, image, 'debug', { GITHUB_RUN_ATTEMPT: '2' })
    expect(rerun.exitCode, rerun.log).toBe(0)
    expect(rerun.outputs.digest).toBe(debug.outputs.digest)
    expect(rerun.summary).toContain(`SBOM artifact \`${names[1] ?? ''}\` was already in this workflow run`)
    expect(rerun.log).not.toMatch(/::warning::SBOM artifact/)
    expect(service.artifacts(runId).map((a) => a.name)).toEqual(names)
    attested(image, rerun.outputs)
  })

  test('an artifact service that refuses the upload cannot leave the release half attested: every digest signed, attested and tagged, the failure a warning', async () => {
    const image = uniqueImage('sbom-artifact-refused')
    service.failFinalize(true)
    try {
      const r = await job('run-refused', image, 'main')
      expect(r.exitCode, r.log).toBe(0)
      const name = sbomArtifactName({ image, digest: r.outputs.digest ?? '' })
      expect(r.log).toMatch(new RegExp(`::warning::SBOM artifact \`${name.replace(/[.]/g, '\\.')}\` not uploaded: Failed to FinalizeArtifact: .*\\(403\\) Forbidden`))
      expect(r.summary).toContain('only the workflow-artifact copy is missing')
      expect(service.artifacts('run-refused')).toEqual([])
      // the upload ran after the attestations and their verification
      expect(r.log.indexOf('::group::Verify (cosign)')).toBeGreaterThan(-1)
      expect(r.log.indexOf('Finalizing artifact upload')).toBeGreaterThan(r.log.indexOf('::group::Verify (cosign)'))
      attested(image, r.outputs)
      expect(digestOf(`${image}:2.0.0`)).toBe(r.outputs.digest)
      expect(r.outputs.signed).toBe('true')
    } finally {
      service.failFinalize(false)
    }
  })
})
