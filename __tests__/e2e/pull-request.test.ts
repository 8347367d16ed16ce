// The pull-request path (issue 34, part 1): one `with:` block, run as a pull request (push: false)
// and as a release (push: true), on the real engine, BuildKit, registry and trivy (with the fixture
// DB the e2e registry serves, as in vulnerability.test.ts). The pull-request run checks the
// build (policy and architecture on every platform, the smoke run on the native one, trivy on
// every platform) from the local OCI layout and leaves nothing in the registry; the release run
// releases. Two pull-request runs with a bad image fail naming the gate, and push nothing.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { ActionsCacheStandin } from '../../scripts/e2e/actions-cache-standin.js'
import { startActionsCache } from '../../scripts/e2e/actions-cache-standin.js'
import { RegistryApi } from '../../src/registry/http-api.js'
import { runAction } from './support/harness.js'
import { cosign, docker, e2e, keyPair, keySigning, localBases, requireEnvironment, uniqueImage, workspace } from './support/env.js'

const run = requireEnvironment()
const R = e2e.registry
const PASSWORD = 'e2e-pr-password-5e02'

// The vulnerability suite's worker: a vendored module trivy's fixture DB marks HIGH (with a fix),
// on e2e/static, whose base-files (HIGH, fixed) and tzdata (CRITICAL, no fix) the DB lists too.
const worker = (chmod = '0755') => ({
  'go.mod': 'module example.com/worker\n\ngo 1.24\n\nrequire example.com/fixture/vulnerable v0.1.0\n',
  'vendor/modules.txt': '# example.com/fixture/vulnerable v0.1.0\n## explicit\nexample.com/fixture/vulnerable\n',
  'vendor/example.com/fixture/vulnerable/vulnerable.go': 'package vulnerable\n\nfunc Name() string { return "vulnerable v0.1.0" }\n',
  'main.go': 'package main\n\nimport (\n\t"fmt"\n\t"runtime"\n\n\t"example.com/fixture/vulnerable"\n)\n\nfunc main() { fmt.Println("worker with", vulnerable.Name(), "on", runtime.GOARCH) }\n',
  Dockerfile: `FROM --platform=$BUILDPLATFORM ${R}/e2e/golang:1.24 AS build
ARG TARGETOS TARGETARCH
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -mod=vendor -trimpath -o /out/worker .
FROM ${R}/e2e/static:nonroot
COPY --from=build --chmod=${chmod} /out/worker /worker
USER 65532:65532
ENTRYPOINT ["/worker"]
`
})

/** What the registry holds of a repository: its tags, or none when it was never pushed to. */
async function tagsOf(image: string): Promise<string[]> {
  const repository = image.slice(R.length + 1)
  return new RegistryApi({ registry: R, repository, username: e2e.user, password: e2e.password }).tags().catch((err: unknown) => {
    if (/404|NAME_UNKNOWN|not found/i.test(String(err))) return []
    throw err
  })
}

describe.runIf(run)('pull-request path: push: false checks locally and pushes nothing (issue 34)', () => {
  const keys = run ? keyPair(PASSWORD) : { key: '', pub: '', dir: '' }
  let cache: ActionsCacheStandin
  beforeAll(async () => {
    if (!e2e.trivyVersion || !e2e.trivyDb) throw new Error('BDI_TRIVY_VERSION and BDI_TRIVY_DB are not set: scripts/e2e/trivy.sh writes them into the e2e env file')
    cache = await startActionsCache()
  })
  afterAll(() => cache.close())

  // The README's `with:` block: only `push` differs between the two jobs (github.event_name != 'pull_request').
  const withBlock = (image: string, push: boolean, extra: Record<string, string> = {}) => ({
    image,
    version: 'v3.1.0',
    platforms: 'linux/amd64,linux/arm64',
    'registry-username': e2e.user,
    'registry-password': e2e.password,
    ...keySigning(keys.key, PASSWORD),
    ...localBases,
    'smoke-args': '--version',
    'vulnerability-gate': 'critical',
    'only-fixed': 'true',
    'trivy-db-repositories': e2e.trivyDb,
    push: String(push),
    ...extra
  })

  test('one with: block: the pull request checks and pushes nothing, the release releases', async () => {
    const image = uniqueImage('pr-release')
    const ws = workspace(worker())
    const pr = await runAction(withBlock(image, false), { workspace: ws, env: cache.env, runPost: true })
    expect(pr.exitCode, pr.log).toBe(0)
    // Every platform built and checked from the layout; the native one loaded and run; trivy on both.
    expect(pr.log).toMatch(/--output type=oci,dest=\S+oci-layout,tar=false/)
    expect(pr.log).toContain('linux/amd64: /worker is x86-64 (ELF64, little-endian), as the platform needs')
    expect(pr.log).toContain('linux/arm64: /worker is AArch64 (ELF64, little-endian), as the platform needs')
    const loaded = /linux\/amd64: loaded into the engine as build-distroless-image\.local\/\S+ \(packed in \d+ ms, loaded in \d+ ms\)/.exec(pr.log)
    expect(loaded, pr.log).not.toBeNull()
    // The figures src/gates/local-step.ts cites.
    console.info(loaded?.[0])
    expect(pr.log).toContain('worker with vulnerable v0.1.0 on amd64')
    expect(pr.log).toMatch(/linux\/arm64: not run: this x64 runner does not run it natively/)
    expect(pr.log).toMatch(/trivy DB built \S+ \(schema 2\), from /)
    expect(pr.summary).toContain('linux/amd64: built, policy and architecture checked, smoke run passed, vulnerabilities scanned')
    expect(pr.summary).toContain('linux/arm64: built, policy and architecture checked, vulnerabilities scanned; not run: not native to this x64 runner')
    expect(pr.summary).toContain('push: false: no registry written, so nothing was pushed, signed, attested or tagged, and no SBOM was made')
    expect(pr.log).not.toMatch(/cosign.* sign |syft /)
    expect(pr.outputs.signed ?? 'false').toBe('false')
    // Nothing of the image reached the registry: no repository, so no tag; no loaded image left on the engine.
    expect(await tagsOf(image)).toEqual([])
    expect(docker(['buildx', 'imagetools', 'inspect', `${image}:3.1.0`], { allowFailure: true }).code).not.toBe(0)
    expect(docker(['image', 'ls', '--quiet', '--filter', 'reference=build-distroless-image.local/*']).out.trim()).toBe('')

    // The same block as a release: pushed, gated, tagged and signed.
    const release = await runAction(withBlock(image, true), { workspace: ws, env: cache.env, runPost: true })
    expect(release.exitCode, release.log).toBe(0)
    expect(release.outputs.signed).toBe('true')
    expect(await tagsOf(image)).toEqual(expect.arrayContaining(['3', '3.1', '3.1.0', 'latest']))
    const verified = cosign('cosign', ['verify', '--key', keys.pub, '--insecure-ignore-tlog=true', `${image}@${release.outputs.digest ?? ''}`])
    expect(verified.code, verified.out).toBe(0)
  })

  test('a pull request whose entrypoint cannot start fails at the architecture check, pushing nothing', async () => {
    const image = uniqueImage('pr-noexec')
    const pr = await runAction(withBlock(image, false), { workspace: workspace(worker('0644')), env: cache.env, runPost: true })
    expect(pr.exitCode, pr.log).toBe(1)
    const error = pr.log.split('\n').find((l) => l.startsWith('::error::')) ?? ''
    expect(error).toContain('Policy refuses the image built (push: false)')
    expect(error).toContain('linux/amd64: the image')
    expect(error).toContain('/worker is not executable (mode 0644)')
    expect(error).toContain('Nothing was pushed (push: false), so nothing is signed, attested or tagged.')
    // Refused before the smoke run and the scan.
    expect(pr.log).not.toContain('loaded into the engine')
    expect(await tagsOf(image)).toEqual([])
  })

  test('a pull request with findings at the gate fails at the vulnerability gate, pushing nothing', async () => {
    const image = uniqueImage('pr-vuln')
    const pr = await runAction(withBlock(image, false, { 'vulnerability-gate': 'high', 'only-fixed': 'false' }), { workspace: workspace(worker()), env: cache.env, runPost: true })
    expect(pr.exitCode, pr.log).toBe(1)
    const error = pr.log.split('\n').find((l) => l.startsWith('::error::')) ?? ''
    expect(error).toContain('Vulnerability gate (high): 2 CRITICAL, 4 HIGH at or above HIGH (linux/amd64: 1 CRITICAL, 2 HIGH; linux/arm64: 1 CRITICAL, 2 HIGH)')
    expect(error).toContain('Nothing was pushed (push: false)')
    expect(pr.summary).toMatch(/<td>example\.com\/fixture\/vulnerable<\/td><td>v0\.1\.0<\/td><td>CVE-2099-0003<\/td>/)
    expect(await tagsOf(image)).toEqual([])
  })
})
