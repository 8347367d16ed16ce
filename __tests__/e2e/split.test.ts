// Split mode, the workflow shape users copy: one action run per platform pushes by digest, a
// third merges, signs once, attests each platform's SBOM, verifies and tags. Run through real
// BuildKit daemons built from Debian's sources (scripts/e2e/buildkit.sh): a docker-container
// builder the action creates itself from `buildkit-image`, and a host buildkitd reached through
// `builder-endpoint` with mutual TLS.
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import type { ActionRun } from './support/harness.js'
import { runAction } from './support/harness.js'
import { cosign, docker, e2e, goProgram, keyPair, keySigning, localBases, multiStageDockerfile, requireEnvironment, uniqueImage, workspace } from './support/env.js'

const run = requireEnvironment()
const PASSWORD = 'e2e-split-password'
const tlsFile = (name: string) => fs.readFileSync(path.join(e2e.buildkitTls, name), 'utf8')

const builders: Array<[string, () => Record<string, string>, RegExp]> = [
  ['a docker-container builder the action creates from buildkit-image', () => ({ 'buildkit-image': e2e.buildkitImage }), /Building with builder build-distroless-image-\S+ \(driver docker-container, registry\.bdi\.test:5443\/e2e\/buildkit:recipe-[0-9a-f]+\)/],
  [
    'builder-endpoint: the host buildkitd over mutual TLS',
    () => ({ 'builder-endpoint': e2e.buildkitTcp, 'builder-tls-ca': tlsFile('ca.crt'), 'builder-tls-cert': tlsFile('client.crt'), 'builder-tls-key': tlsFile('client.key') }),
    /Building with builder build-distroless-image-\S+ \(driver remote, tcp:\/\/127\.0\.0\.1:\d+\)/
  ]
]

describe.runIf(run).each(builders)('split legs pushed by digest through %s, then one merge', (_name, builderInputs, builtWith) => {
  let image: string
  let keys: ReturnType<typeof keyPair>
  const legs: Record<string, ActionRun> = {}
  let merged: ActionRun
  let untaggedAfterLegs = false
  const creds = () => ({ 'registry-username': e2e.user, 'registry-password': e2e.password, ...localBases })

  beforeAll(async () => {
    keys = keyPair(PASSWORD)
    image = uniqueImage('split-digest')
    const ws = workspace({ ...goProgram, Dockerfile: multiStageDockerfile() })
    for (const platform of ['linux/amd64', 'linux/arm64']) {
      legs[platform] = await runAction({ image, platforms: platform, 'push-by-digest': 'true', ...creds(), ...builderInputs() }, { workspace: ws })
    }
    // Pushed by digest: before the merge the repository has no tag.
    untaggedAfterLegs = docker(['buildx', 'imagetools', 'inspect', `${image}:latest`], { allowFailure: true }).code !== 0
    const mergeDigests = Object.values(legs).map((r) => r.outputs.digest ?? '').join('\n')
    merged = await runAction({ image, version: 'v4.1.0', 'merge-digests': mergeDigests, ...creds(), ...keySigning(keys.key, PASSWORD) }, { workspace: workspace({}) })
  })

  test('each leg pushed its platform by digest, with no tag, and says which builder built it', () => {
    for (const [platform, r] of Object.entries(legs)) {
      expect(r.exitCode, r.log).toBe(0)
      expect(r.outputs.digest).toMatch(/^sha256:[a-f0-9]{64}$/)
      expect(Object.keys(JSON.parse(r.outputs['platform-digests'] ?? '{}') as object)).toEqual([platform])
      expect(r.log).toMatch(/push-by-digest=true/)
      expect(r.log).toMatch(builtWith)
      expect(r.summary).toContain('Built with:')
      expect(r.post?.exitCode, r.post?.log).toBe(0)
    }
    expect(untaggedAfterLegs).toBe(true)
  })

  test('the merge signs once, attests each SBOM, verifies and tags; the release runs on both platforms', () => {
    expect(merged.exitCode, merged.log).toBe(0)
    expect(merged.outputs.signed).toBe('true')
    const pd = JSON.parse(merged.outputs['platform-digests'] ?? '{}') as Record<string, string>
    expect(Object.keys(pd).sort()).toEqual(['linux/amd64', 'linux/arm64'])
    for (const [platform, leg] of Object.entries(legs)) {
      expect(pd[platform]).toBe((JSON.parse(leg.outputs['platform-digests'] ?? '{}') as Record<string, string>)[platform])
    }
    for (const digest of [merged.outputs.digest ?? '', ...Object.values(pd)]) {
      const v = cosign('cosign', ['verify', '--key', keys.pub, '--insecure-ignore-tlog=true', `${image}@${digest}`])
      expect(v.code, v.out).toBe(0)
      const a = cosign('cosign', ['verify-attestation', '--key', keys.pub, '--insecure-ignore-tlog=true', '--type', 'cyclonedx', `${image}@${digest}`])
      expect(a.code, a.out).toBe(0)
    }
    const out = docker(['buildx', 'imagetools', 'inspect', `${image}:4.1.0`, '--format', '{{json .Manifest}}']).out
    expect((JSON.parse(out) as { digest: string }).digest).toBe(merged.outputs.digest)
    expect(docker(['run', '--rm', '--platform', 'linux/arm64', `${image}:4.1.0`]).out.trim()).toBe('linux/arm64 uid=65532 machine=aarch64')
    expect(docker(['run', '--rm', '--platform', 'linux/amd64', `${image}:4.1.0`]).out.trim()).toBe('linux/amd64 uid=65532 machine=x86_64')
  })
})

describe.runIf(run)('a wrong remote BuildKit endpoint or certificate fails fast, naming the input, before any build', () => {
  const stranger = () => {
    // A client certificate from a CA the host buildkitd does not know.
    const dir = workspace({ 'ext.cnf': 'extendedKeyUsage=clientAuth\n' })
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' })
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=other CA', '-keyout', 'ca.key', '-out', 'ca.crt')
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=stranger', '-keyout', 'client.key', '-out', 'client.csr')
    ssl('x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'ext.cnf', '-out', 'client.crt')
    return { cert: fs.readFileSync(path.join(dir, 'client.crt'), 'utf8'), key: fs.readFileSync(path.join(dir, 'client.key'), 'utf8') }
  }
  test.each<[string, () => Record<string, string>, RegExp]>([
    ['a client certificate from another CA', () => {
      const s = stranger()
      return { 'builder-endpoint': e2e.buildkitTcp, 'builder-tls-ca': tlsFile('ca.crt'), 'builder-tls-cert': s.cert, 'builder-tls-key': s.key }
    }, /Input `builder-tls-cert`: the BuildKit at 127\.0\.0\.1:\d+ (refused the TLS handshake|closed the connection)/],
    ['a port nothing listens on', () => ({ 'builder-endpoint': 'tcp://127.0.0.1:1', 'builder-tls-ca': tlsFile('ca.crt'), 'builder-tls-cert': tlsFile('client.crt'), 'builder-tls-key': tlsFile('client.key') }), /Input `builder-endpoint`: cannot reach 127\.0\.0\.1:1 \(ECONNREFUSED/]
  ])('%s', async (_name, inputs, message) => {
    const image = uniqueImage('bad-endpoint')
    const started = Date.now()
    const r = await runAction({ image, platforms: 'linux/amd64', 'push-by-digest': 'true', 'registry-username': e2e.user, 'registry-password': e2e.password, ...localBases, ...inputs() }, { workspace: workspace({ ...goProgram, Dockerfile: multiStageDockerfile() }) })
    expect(r.exitCode).toBe(1)
    expect(r.log).toMatch(message)
    expect(Date.now() - started).toBeLessThan(15_000)
    expect(r.log).not.toMatch(/\[command\]\S*docker buildx (create|build)/)
  })
})
