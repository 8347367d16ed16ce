// Split and merge: each platform built by its own action run and pushed by digest, then one run
// merges, tags, signs, attests and verifies; the release verifies exactly like a single-job one.
import { beforeAll, describe, expect, test } from 'vitest'
import type { ActionRun } from './support/harness.js'
import { runAction } from './support/harness.js'
import { cosign, docker, e2e, goProgram, keyPair, keySigning, localBases, multiStageDockerfile, rawManifest, requireEnvironment, uniqueImage, workspace } from './support/env.js'

const run = requireEnvironment()
const PASSWORD = 'e2e-merge-password'

describe.runIf(run)('per-platform builds merged and signed once (issue 6)', () => {
  let image: string
  let keys: ReturnType<typeof keyPair>
  let legs: Record<string, ActionRun>
  let merged: ActionRun
  const creds = () => ({ 'registry-username': e2e.user, 'registry-password': e2e.password, ...localBases })
  const signing = () => keySigning(keys.key, PASSWORD)

  beforeAll(async () => {
    keys = keyPair(PASSWORD)
    image = uniqueImage('split')
    const ws = workspace({ ...goProgram, Dockerfile: multiStageDockerfile() })
    legs = {}
    for (const platform of ['linux/amd64', 'linux/arm64']) {
      legs[platform] = await runAction({ image, platforms: platform, tags: `leg-${platform.split('/')[1]}`, sign: 'false', sbom: 'false', ...creds() }, { workspace: ws })
    }
    // Both legs hand over their index digests, so each brings its provenance (required by default).
    const mergeDigests = `${legs['linux/amd64']?.outputs.digest}\n${legs['linux/arm64']?.outputs.digest}`
    // The merge job has no checkout: an empty workspace.
    merged = await runAction({ image, version: 'v3.0.0', 'merge-digests': mergeDigests, ...creds(), ...signing() }, { workspace: workspace({}) })
    if (merged.exitCode !== 0) console.log(merged.log)
  })

  test('each leg pushed one platform, unsigned', () => {
    for (const [platform, r] of Object.entries(legs)) {
      expect(r.exitCode, r.log).toBe(0)
      expect(r.outputs.digest).toMatch(/^sha256:[a-f0-9]{64}$/)
      expect(Object.keys(JSON.parse(r.outputs['platform-digests'] ?? '{}') as object)).toEqual([platform])
      expect(r.outputs.signed).toBe('false')
      expect(r.log).not.toMatch(/\[command\]\S*cosign /)
    }
  })

  test('the merged index has both platforms, the same images the legs pushed', () => {
    expect(merged.exitCode).toBe(0)
    const pd = JSON.parse(merged.outputs['platform-digests'] ?? '{}') as Record<string, string>
    expect(Object.keys(pd).sort()).toEqual(['linux/amd64', 'linux/arm64'])
    for (const [platform, leg] of Object.entries(legs)) {
      expect(pd[platform]).toBe((JSON.parse(leg.outputs['platform-digests'] ?? '{}') as Record<string, string>)[platform])
    }
    const index = rawManifest(`${image}@${merged.outputs.digest}`)
    const real = (index.manifests ?? []).filter((m) => m.platform?.architecture !== 'unknown').map((m) => `${m.platform?.os}/${m.platform?.architecture}`)
    expect(real.sort()).toEqual(['linux/amd64', 'linux/arm64'])
    expect(merged.log).not.toContain('buildx build')
  })

  test('the tags resolve to the merged digest and carry the index annotations', () => {
    expect(merged.outputs.tags?.split('\n')).toEqual(['3.0.0', '3.0', '3', 'latest'].map((t) => `${image}:${t}`))
    for (const tag of ['3.0.0', '3', 'latest']) {
      const out = docker(['buildx', 'imagetools', 'inspect', `${image}:${tag}`, '--format', '{{json .Manifest}}']).out
      expect((JSON.parse(out) as { digest: string }).digest).toBe(merged.outputs.digest)
    }
    const index = JSON.parse(docker(['buildx', 'imagetools', 'inspect', '--raw', `${image}@${merged.outputs.digest}`]).out) as { annotations?: Record<string, string> }
    expect(index.annotations?.['org.opencontainers.image.source']).toBe('https://github.com/vmafx/example')
  })

  test('signatures and SBOM attestations verify for the index and both platforms, as in a single-job release', () => {
    expect(merged.outputs.signed).toBe('true')
    const pd = JSON.parse(merged.outputs['platform-digests'] ?? '{}') as Record<string, string>
    for (const digest of [merged.outputs.digest ?? '', ...Object.values(pd)]) {
      const v = cosign('cosign', ['verify', '--key', keys.pub, '--insecure-ignore-tlog=true', `${image}@${digest}`])
      expect(v.code, v.out).toBe(0)
      const a = cosign('cosign', ['verify-attestation', '--key', keys.pub, '--insecure-ignore-tlog=true', '--type', 'cyclonedx', `${image}@${digest}`])
      expect(a.code, a.out).toBe(0)
    }
    expect(docker(['run', '--rm', '--platform', 'linux/arm64', `${image}:3.0.0`]).out.trim()).toBe('linux/arm64 uid=65532 machine=aarch64')
  })

  test('a leg given by its index digest brings its SLSA provenance, attested to its platform', () => {
    const pd = JSON.parse(merged.outputs['platform-digests'] ?? '{}') as Record<string, string>
    expect(Object.keys(pd).sort()).toEqual(['linux/amd64', 'linux/arm64'])
    for (const platform of ['linux/amd64', 'linux/arm64']) {
      const v = cosign('cosign', ['verify-attestation', '--key', keys.pub, '--insecure-ignore-tlog=true', '--type', 'slsaprovenance1', `${image}@${pd[platform] ?? ''}`])
      expect(v.code, `${platform}: ${v.out}`).toBe(0)
    }
  })

  test('a leg given by its platform-digests JSON has no provenance: refused under the default, naming the cause, nothing signed; accepted with provenance-attestation: false', async () => {
    const mixed = `${legs['linux/amd64']?.outputs.digest}\n${legs['linux/arm64']?.outputs['platform-digests']}`
    const refused = await runAction({ image, tags: 'platform-form', 'merge-digests': mixed, ...creds(), ...signing() }, { workspace: workspace({}) })
    expect(refused.exitCode).toBe(1)
    expect(refused.log).toContain('No SLSA provenance recorded by buildx for linux/arm64')
    expect(refused.log).toContain('a merge-digests line names a platform digest instead of its leg')
    expect(refused.outputs.signed).toBe('false')
    expect(refused.log).not.toMatch(/\[command\]\S*cosign (sign|attest) /)
    const accepted = await runAction({ image, tags: 'platform-form', 'merge-digests': mixed, 'provenance-attestation': 'false', sign: 'false', sbom: 'false', ...creds() }, { workspace: workspace({}) })
    expect(accepted.exitCode, accepted.log).toBe(0)
    expect(Object.keys(JSON.parse(accepted.outputs['platform-digests'] ?? '{}') as Record<string, string>).sort()).toEqual(['linux/amd64', 'linux/arm64'])
  })

  test.each([
    ['a platform from two digests', () => `${legs['linux/amd64']?.outputs.digest}\n${legs['linux/amd64']?.outputs['platform-digests']}`, /merge-digests: linux\/amd64 is in both sha256:[a-f0-9]{64} and sha256:[a-f0-9]{64}; each platform must come from one job/],
    ['a digest that is not in the registry', () => `${legs['linux/amd64']?.outputs.digest}\nsha256:${'0'.repeat(64)}`, /merge-digests: .*@sha256:0{64} cannot be read from the registry/],
    ['a mix of images', () => `${legs['linux/amd64']?.outputs.digest}\n${e2e.registry}/e2e/busybox@${legs['linux/arm64']?.outputs.digest}`, /Input `merge-digests`: line 2 names .*e2e\/busybox, but image is/]
  ])('refuses %s', async (_name, digests, message) => {
    const r = await runAction({ image, tags: 'refused', 'merge-digests': digests(), sign: 'false', sbom: 'false', ...creds() }, { workspace: workspace({}) })
    expect(r.exitCode).toBe(1)
    expect(r.log).toMatch(message)
    expect(docker(['buildx', 'imagetools', 'inspect', `${image}:refused`], { allowFailure: true }).code).not.toBe(0)
  })
})
