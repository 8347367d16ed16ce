import * as fs from 'node:fs'
import * as path from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import type { ActionRun } from './support/harness.js'
import { runAction } from './support/harness.js'
import { docker, e2e, localBases, secretLeaks, goProgram, multiStageDockerfile, rawManifest, requireEnvironment, uniqueImage, workspace } from './support/env.js'

const run = requireEnvironment()

function creds(): Record<string, string> {
  return { 'registry-username': e2e.user, 'registry-password': e2e.password, ...localBases }
}

describe.runIf(run)('build and push (issue 2)', () => {
  let release: ActionRun
  let image: string

  beforeAll(async () => {
    image = uniqueImage('release')
    const ws = workspace({ ...goProgram, Dockerfile: multiStageDockerfile() })
    release = await runAction(
      { image, version: 'v1.4.2', sign: 'false', sbom: 'false', ...creds() },
      { workspace: ws }
    )
    if (release.exitCode !== 0) console.log(release.log)
  })

  test('no registry password in the log, the summary or the outputs', () => {
    const everything = [release.log, release.post?.log ?? '', release.summary, JSON.stringify(release.outputs)].join('\n')
    expect(secretLeaks(everything, [e2e.password])).toEqual([])
    expect(release.log).toContain(`::add-mask::${e2e.password}`)
  })

  test('pushes a two-platform index and reports its digest', () => {
    expect(release.exitCode).toBe(0)
    const digest = release.outputs.digest ?? ''
    expect(digest).toMatch(/^sha256:[a-f0-9]{64}$/)
    expect(release.outputs.image).toBe(`${image}@${digest}`)
    const index = rawManifest(`${image}@${digest}`)
    expect(index.mediaType).toBe('application/vnd.oci.image.index.v1+json')
    const pd = JSON.parse(release.outputs['platform-digests'] ?? '{}') as Record<string, string>
    expect(Object.keys(pd).sort()).toEqual(['linux/amd64', 'linux/arm64'])
    for (const [platform, d] of Object.entries(pd)) {
      const entry = index.manifests?.find((m) => m.digest === d)
      expect(`${entry?.platform?.os}/${entry?.platform?.architecture}`).toBe(platform)
    }
    expect((JSON.parse(release.outputs.metadata ?? '{}') as Record<string, unknown>)['containerimage.digest']).toBe(digest)
  })

  test('pushes the tags derived from version, each resolving to the digest', () => {
    const want = ['1.4.2', '1.4', '1', 'latest'].map((t) => `${image}:${t}`)
    expect(release.outputs.tags?.split('\n')).toEqual(want)
    for (const ref of want) {
      const out = docker(['buildx', 'imagetools', 'inspect', ref, '--format', '{{json .Manifest}}']).out
      expect((JSON.parse(out) as { digest: string }).digest).toBe(release.outputs.digest)
    }
  })

  test('the arm64 image runs under QEMU, as arm64, as nonroot; its RUN stage ran on arm64', () => {
    const out = docker(['run', '--rm', '--platform', 'linux/arm64', `${image}@${release.outputs.digest}`]).out
    // machine= is what `uname -m` printed in the probe stage: a real RUN under QEMU.
    expect(out.trim()).toBe('linux/arm64 uid=65532 machine=aarch64')
    const amd = docker(['run', '--rm', '--platform', 'linux/amd64', `${image}@${release.outputs.digest}`]).out
    expect(amd.trim()).toBe('linux/amd64 uid=65532 machine=x86_64')
  })

  test('sets the OCI labels and the index annotations', () => {
    const index = JSON.parse(docker(['buildx', 'imagetools', 'inspect', '--raw', `${image}@${release.outputs.digest}`]).out) as { annotations?: Record<string, string> }
    expect(index.annotations?.['org.opencontainers.image.description']).toBe('e2e-release from vmafx/example'.replace('e2e-release', image.split('/').pop() ?? ''))
    expect(index.annotations?.['org.opencontainers.image.source']).toBe('https://github.com/vmafx/example')
    const config = JSON.parse(docker(['buildx', 'imagetools', 'inspect', `${image}@${release.outputs.digest}`, '--format', '{{json (index .Image "linux/arm64").Config}}']).out) as { Labels: Record<string, string>; User: string }
    expect(config.Labels['org.opencontainers.image.version']).toBe('1.4.2')
    expect(config.Labels['org.opencontainers.image.revision']).toBe('0123456789abcdef0123456789abcdef01234567')
    expect(config.User).toBe('65532:65532')
  })

  test('the summary lists the image, digest, tags and platforms', () => {
    expect(release.summary).toContain(release.outputs.digest)
    expect(release.summary).toContain(`${image}:1.4.2`)
    expect(release.summary).toContain('linux/arm64')
  })

  test('post logs out and removes the credentials; the user docker config is untouched', () => {
    expect(release.post?.exitCode).toBe(0)
    const configDir = release.state.dockerConfig ?? ''
    expect(configDir).not.toBe('')
    expect(fs.existsSync(configDir)).toBe(false)
    const leftovers = fs.readdirSync(release.runnerTemp)
    expect(leftovers).toEqual([])
    const home = path.join(process.env.HOME ?? '/root', '.docker', 'config.json')
    if (fs.existsSync(home)) expect(fs.readFileSync(home, 'utf8')).not.toContain(e2e.registry)
  })
})

describe.runIf(run)('refusals (issue 2)', () => {
  test('a wrong registry password is refused before the build, and nothing is pushed', async () => {
    const image = uniqueImage('wrongpw')
    const ws = workspace({ ...goProgram, Dockerfile: multiStageDockerfile() })
    const r = await runAction({ image, sign: 'false', sbom: 'false', 'registry-username': e2e.user, 'registry-password': 'not-the-password', ...localBases }, { workspace: ws })
    expect(r.exitCode).toBe(1)
    expect(r.log).toMatch(/::error::Login to registry\.bdi\.test:5443 failed: check registry-username and registry-password/)
    expect(secretLeaks(r.log + r.summary, ['not-the-password'])).toEqual([])
    expect(r.log).not.toContain('buildx build')
    expect(r.outputs.digest).toBeUndefined()
    expect(docker(['buildx', 'imagetools', 'inspect', `${image}:main`], { allowFailure: true }).code).not.toBe(0)
    expect(r.post?.exitCode).toBe(0)
  })

  test('one platform without provenance pushes a manifest carrying the description and source', async () => {
    const image = uniqueImage('single')
    const r = await runAction({ image, platforms: 'linux/arm64', provenance: 'false', sign: 'false', sbom: 'false', ...creds() }, { workspace: workspace({ ...goProgram, Dockerfile: multiStageDockerfile() }) })
    expect(r.exitCode, r.log).toBe(0)
    const m = JSON.parse(docker(['buildx', 'imagetools', 'inspect', '--raw', `${image}@${r.outputs.digest}`]).out) as { mediaType: string; annotations?: Record<string, string> }
    expect(m.mediaType).toMatch(/^application\/vnd\.(oci\.image\.manifest\.v1|docker\.distribution\.manifest\.v2)\+json$/)
    expect(m.annotations?.['org.opencontainers.image.description']).toMatch(/ from vmafx\/example$/)
    expect(m.annotations?.['org.opencontainers.image.source']).toBe('https://github.com/vmafx/example')
    expect(JSON.parse(r.outputs['platform-digests'] ?? '{}')).toEqual({ 'linux/arm64': r.outputs.digest })
  })

  test('push: false builds every platform and pushes nothing', async () => {
    const image = uniqueImage('nopush')
    const ws = workspace({ ...goProgram, Dockerfile: multiStageDockerfile() })
    const r = await runAction({ image, push: 'false', sign: 'false', sbom: 'false', ...creds() }, { workspace: ws })
    expect(r.exitCode).toBe(0)
    expect(r.log).toContain('--platform linux/amd64,linux/arm64')
    // Every platform into a local OCI layout for the local checks (the pull-request path), none pushed.
    expect(r.log).toMatch(/--output type=oci,dest=\S+,tar=false/)
    expect(r.outputs.digest).toMatch(/^sha256:/)
    expect(r.outputs.tags).toBe('')
    expect(docker(['buildx', 'imagetools', 'inspect', `${image}:main`], { allowFailure: true }).code).not.toBe(0)
  })

  test.each([
    ['image', { image: 'GHCR.io/Vmafx/Op' }, /Input `image`: .*/],
    ['image', { image: `${e2e.registry}/Upper/case` }, /Input `image`: .*lower-case/],
    ['image', { image: `${e2e.registry}/e2e/x:1.0` }, /Input `image`: .*contains a tag/],
    ['platforms', { platforms: 'linux/amd64,linux/arm65' }, /Input `platforms`: "linux\/arm65": unknown architecture/],
    ['dockerfile', { dockerfile: '../../etc/passwd' }, /Input `dockerfile`: .*outside the workspace/],
    ['context', { context: 'missing' }, /Input `context`: directory "missing" does not exist/],
    ['target', { target: 'nope' }, /Input `target`: "nope" is not a stage of Dockerfile; its stages are: build, probe, runtime/],
    ['push', { push: 'yes' }, /Input `push`: "yes" is not a boolean/],
    ['build-args', { 'build-args': 'NOEQUALS' }, /Input `build-args`: "NOEQUALS" is not KEY=VALUE/],
    ['tags', { tags: 'v1 bad' }, /Input `tags`: "v1 bad" is not a valid tag/],
    ['version', { version: 'one.two' }, /Input `version`: "one.two" is not a release version/]
  ])('bad %s is refused within seconds, before the registry is contacted', async (_name, bad, message) => {
    const image = uniqueImage('bad')
    const ws = workspace({ ...goProgram, Dockerfile: multiStageDockerfile() })
    const before = fs.statSync(e2e.registryLog).size
    const r = await runAction({ image, sign: 'false', sbom: 'false', ...creds(), ...bad }, { workspace: ws })
    expect(r.exitCode).toBe(1)
    expect(r.log).toMatch(message)
    expect(r.durationMs).toBeLessThan(5000)
    const registryLog = fs.readFileSync(e2e.registryLog, 'utf8').slice(before)
    expect(registryLog).not.toMatch(/"(GET|HEAD|POST|PUT) \/v2\//)
  })
})
