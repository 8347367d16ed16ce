// Issue 34 part 2's wall: the builder the action creates has a trust store of its own, so a
// registry behind a private CA fails the build with x509 however well the runner trusts it. The
// suite's BuildKit image carries the e2e CA (it copies the host's bundle); here a variant with
// Debian's CA bundle alone (scripts/e2e/buildkit.sh, BDI_BUILDKIT_NOCA_IMAGE) meets the e2e
// registry as a runner meets Harbor behind a corporate CA. Pushed by digest, the path that
// creates a docker-container builder from buildkit-image.
import * as fs from 'node:fs'
import { describe, expect, test } from 'vitest'
import { runAction } from './support/harness.js'
import { docker, e2e, goProgram, localBases, multiStageDockerfile, requireEnvironment, uniqueImage, workspace } from './support/env.js'

const run = requireEnvironment()
const R = e2e.registry
const leg = (image: string, over: Record<string, string>) => ({
  image,
  platforms: 'linux/amd64',
  'push-by-digest': 'true',
  'buildkit-image': e2e.buildkitNocaImage,
  'registry-username': e2e.user,
  'registry-password': e2e.password,
  ...localBases,
  ...over
})
/** buildkitd.toml as a user writes it: the registry's CA, a file on the runner. */
const trustRegistry = () => `[registry."${R}"]\n  ca = ["${process.env.BDI_REGISTRY_CA ?? ''}"]\n`

describe.runIf(run)('buildkitd-config: a registry with a private CA (issue 34)', () => {
  test('the CA-less image really lacks the CA: without buildkitd-config the build fails with x509, naming the registry and the input; nothing is pushed', async () => {
    expect(e2e.buildkitNocaImage).toMatch(/\/e2e\/buildkit-noca:recipe-[0-9a-f]+$/)
    const image = uniqueImage('noca')
    const before = fs.statSync(e2e.registryLog).size
    const r = await runAction(leg(image, {}), { workspace: workspace({ ...goProgram, Dockerfile: multiStageDockerfile() }) })
    expect(r.exitCode, r.log).toBe(1)
    expect(r.log).toMatch(/Building with builder build-distroless-image-\S+ \(driver docker-container, registry\.bdi\.test:5443\/e2e\/buildkit-noca:recipe-[0-9a-f]+\)/)
    expect(r.log).toMatch(/x509: certificate signed by unknown authority/)
    expect(r.log).toContain(`::error::BuildKit could not pull ${R}/e2e/`)
    expect(r.log).toContain(`the builder does not trust ${R}'s certificate`)
    expect(r.log).toContain(`give it ${R}'s CA with buildkitd-config-inline, e.g. [registry."${R}"] ca = [`)
    // The build never reached the release's repository.
    const path = image.slice(R.length + 1)
    expect(fs.readFileSync(e2e.registryLog, 'utf8').slice(before)).not.toContain(`/v2/${path}/`)
    expect(r.post?.exitCode, r.post?.log).toBe(0)
  })

  test('buildkitd-config-inline with the registry CA: the same build pulls, builds and pushes by digest', async () => {
    const image = uniqueImage('noca-trusted')
    const r = await runAction(leg(image, { 'buildkitd-config-inline': trustRegistry() }), { workspace: workspace({ ...goProgram, Dockerfile: multiStageDockerfile() }) })
    expect(r.exitCode, r.log).toBe(0)
    expect(r.log).toMatch(/--buildkitd-config \S+\/buildkitd\.toml --bootstrap/)
    expect(r.log).toMatch(/Building with builder build-distroless-image-\S+ \(driver docker-container, registry\.bdi\.test:5443\/e2e\/buildkit-noca:recipe-[0-9a-f]+, with buildkitd-config\)/)
    const digest = r.outputs.digest ?? ''
    expect(digest).toMatch(/^sha256:[a-f0-9]{64}$/)
    expect(docker(['buildx', 'imagetools', 'inspect', `${image}@${digest}`]).code).toBe(0)
    // The builder the action created is gone after post, and its config file with the run dir.
    expect(r.post?.exitCode, r.post?.log).toBe(0)
    expect(docker(['buildx', 'ls']).out).not.toContain(r.state.builder ?? 'no builder in state')
  })

  test('buildkitd-config as a file in the workspace, with the default builder (no push by digest): the action creates its own builder from buildkit-image and it trusts the registry', async () => {
    const image = uniqueImage('noca-file')
    const ws = workspace({ ...goProgram, Dockerfile: multiStageDockerfile(), '.github/buildkitd.toml': trustRegistry() })
    const r = await runAction(leg(image, { 'push-by-digest': 'false', tags: 'v1', sign: 'false', sbom: 'false', 'buildkitd-config': '.github/buildkitd.toml' }), { workspace: ws })
    expect(r.exitCode, r.log).toBe(0)
    expect(r.log).toContain('buildkitd-config is given, and a running builder keeps the configuration it started with: creating a docker-container builder with it')
    expect(docker(['buildx', 'imagetools', 'inspect', `${image}:v1`]).code).toBe(0)
  })
})
