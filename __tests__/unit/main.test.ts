// main() with @actions/core and the modules that reach docker or a registry mocked (as
// actions/typescript-action tests its main): every output of every path, and what the summary says.
// The inputs, the Dockerfile, the policy gate and the labels are the real ones.
import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { beforeEach, describe, expect, test, vi } from 'vitest'
import type * as BuildModule from '../../src/build/buildx.js'
import type * as LoginModule from '../../src/registry/login.js'
import type { GitHubContext } from '../../src/lib/runner-env.js'
import type { Pushed } from '../../src/registry/manifest.js'
import type { SmokeResult } from '../../src/gates/smoke-rules.js'
import type { GateScans } from '../../src/gates/vulnerability-scan.js'
import type { SupplyChainResult } from '../../src/supply-chain/chain.js'
import { ELF } from './registry/oci-layout-fixture.js'

const outputs: Record<string, string> = {}
const summary: string[] = []
const calls: string[] = []
vi.mock('@actions/core', () => {
  const s = {
    addHeading: (t: string) => (summary.push(t), s),
    addRaw: (t: string) => (summary.push(t), s),
    addTable: (rows: unknown[]) => (summary.push(JSON.stringify(rows)), s),
    addList: (items: string[]) => (summary.push(items.join('\n')), s),
    addCodeBlock: (t: string) => (summary.push(t), s),
    write: () => Promise.resolve(s)
  }
  return {
    setOutput: vi.fn((k: string, v: string) => (outputs[k] = v)),
    info: vi.fn(),
    error: vi.fn(),
    notice: vi.fn(),
    warning: vi.fn(),
    startGroup: vi.fn(),
    endGroup: vi.fn(),
    group: vi.fn((_n: string, fn: () => Promise<unknown>) => fn()),
    setSecret: vi.fn(),
    summary: s
  }
})
vi.mock('../../src/lib/post-state.js', () => ({ save: vi.fn() }))
// The only command main runs itself: cosign verifying the bases (with the cosign the tools install gave).
const cosignRuns: string[][] = []
let baseSignature = true
let onInterrupt: () => void = () => undefined
vi.mock('../../src/lib/exec.js', () => ({
  interruptChildren: vi.fn(() => (onInterrupt(), 1)),
  run: vi.fn((file: string, args: string[]) => {
    calls.push(`${file} ${args[0] ?? ''}`)
    cosignRuns.push(args)
    return baseSignature ? Promise.resolve({ exitCode: 0, stdout: '[]', stderr: '' }) : Promise.reject(new Error('cosign verify exited with code 1:\nError: no matching signatures'))
  })
}))
vi.mock('../../src/registry/login.js', async (original) => ({
  // The one choice of credentials per registry, as it is (the docker config it may read is /cfg, which holds none).
  credentialsFor: (await original<typeof LoginModule>()).credentialsFor,
  createDockerConfig: vi.fn(() => '/cfg'),
  dockerEnv: vi.fn(() => ({ DOCKER_CONFIG: '/cfg' })),
  hasCredentials: vi.fn((_dir: string, host: string) => host === 'docker.io'),
  configCredentials: vi.fn(() => undefined),
  login: vi.fn((_dir: string, host: string, _user: string, password: string) => (calls.push(host === 'ghcr.io' ? 'login' : `login ${host}`), password === 'wrong' ? Promise.reject(new Error(`Login to ${host} failed: ${host} refused the credentials: check the registry-auth line for ${host}.`)) : Promise.resolve())),
  userDockerConfigDir: vi.fn(() => '/home/runner/.docker'),
  RegistryAuthError: class RegistryAuthError extends Error {}
}))
// The push check's registry answers: every credential can push unless a test says otherwise.
let pushRefusedFor: string | undefined
vi.mock('../../src/registry/push-access.js', () => ({
  checkPushAccess: vi.fn((host: string, repository: string) => (calls.push(`push check ${host}/${repository}`), Promise.resolve(host === pushRefusedFor ? { kind: 'refused', why: 'the registry refused the username and password (HTTP 401)' } : { kind: 'ok', how: 'a token with push' }))),
  configCredential: vi.fn((_config: unknown, host: string) => Promise.resolve(host === 'docker.io' ? { username: 'bot', password: 'from-an-earlier-login' } : undefined))
}))
// The base read check's answers: every base can be read unless a test says otherwise.
let pullRefusedFor: string | undefined
vi.mock('../../src/registry/pull-access.js', async (original) => ({
  ...(await original<object>()),
  checkPullAccess: vi.fn((base: { registry: string; repository: string }) => (calls.push(`pull check ${base.registry}/${base.repository}`), Promise.resolve(base.registry === pullRefusedFor ? { kind: 'refused', why: 'the registry asks for a username and password (Basic), and there is none for it' } : { kind: 'ok', how: 'the manifest reads' })))
}))
vi.mock('../../src/build/qemu.js', () => ({
  binfmtReader: vi.fn(),
  runsOnTarget: vi.fn(() => false),
  planQemu: vi.fn(() => ({ install: [], reasons: ['QEMU skipped: every RUN runs on the build platform'] })),
  installQemu: vi.fn(() => Promise.resolve())
}))
vi.mock('../../src/build/builder.js', () => ({
  probeBuilder: vi.fn(() => Promise.resolve({ current: { name: 'default', driver: 'docker', platforms: [] }, containerdStore: true })),
  prepareBuilder: vi.fn(() => Promise.resolve({ description: 'builder default (driver docker)' }))
}))
const IDX = 'sha256:' + '1'.repeat(64)
const AMD = 'sha256:' + '2'.repeat(64)
const ARM = 'sha256:' + '3'.repeat(64)
const OLD = 'sha256:' + '4'.repeat(64)
vi.mock('../../src/build/buildx.js', async (original) => ({
  ...(await original<typeof BuildModule>()),
  build: vi.fn(async (spec: { localLayout?: string }) => {
    calls.push('build')
    // push: false: buildx writes every platform to an OCI layout, which the local checks read.
    if (spec.localLayout) {
      const { writeLayout } = await import('./registry/oci-layout-fixture.js')
      localBuild = await writeLayout(spec.localLayout, localBinaries)
    }
    return { digest: IDX, mediaType: 'application/vnd.oci.image.index.v1+json', raw: { 'containerimage.digest': IDX } }
  })
}))
let localBinaries: Record<string, { content: Buffer; mode?: number }> = {}
let localBuild: { digest: string; platforms: Record<string, string> } = { digest: '', platforms: {} }
// The pushed index as buildx writes it: each platform with its attestation manifest, whose one
// layer is the SLSA v0.2 statement (provenance-attestation: true, the default, needs it).
const STATEMENT = JSON.stringify({ _type: 'https://in-toto.io/Statement/v0.1', predicateType: 'https://slsa.dev/provenance/v0.2', predicate: { builder: { id: '' } } })
const STATEMENT_DIGEST = `sha256:${createHash('sha256').update(STATEMENT).digest('hex')}`
const ATT = { [AMD]: 'sha256:' + '5'.repeat(64), [ARM]: 'sha256:' + '6'.repeat(64) }
const INDEX_WITH_PROVENANCE = {
  manifests: [AMD, ARM].map((d) => ({ digest: ATT[d] ?? '', annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': d } }))
}
function defaultRaw(ref: string): Promise<Record<string, unknown>> {
  if (ref.endsWith(IDX) || ref.endsWith(OLD)) return Promise.resolve(INDEX_WITH_PROVENANCE)
  if (Object.values(ATT).some((d) => ref.endsWith(d))) return Promise.resolve({ layers: [{ size: STATEMENT.length, digest: STATEMENT_DIGEST, mediaType: 'application/vnd.in-toto+json', annotations: { 'in-toto.io/predicate-type': 'https://slsa.dev/provenance/v0.2' } }] })
  return Promise.resolve({ layers: [{ size: 100 }] })
}
const registry = {
  pushed: vi.fn((_n: string, digest: string): Promise<Required<Pushed>> => Promise.resolve({ digest, platforms: { 'linux/amd64': AMD, 'linux/arm64': ARM }, configs: { 'linux/amd64': { config: { User: user } }, 'linux/arm64': { config: { User: user } } } })),
  find: vi.fn((): Promise<Pushed | undefined> => Promise.resolve(undefined)),
  versionAt: vi.fn((_ref: string): Promise<{ exists: boolean; version?: string }> => Promise.resolve({ exists: false })),
  create: vi.fn((_spec: { tags: string[]; sources: string[] }, _what: string) => (calls.push('imagetools create'), Promise.resolve())),
  createByDigest: vi.fn((_name: string, _spec: { sources: string[] }, _what: string) => (calls.push('imagetools create by digest'), Promise.resolve(IDX))),
  raw: vi.fn(defaultRaw),
  config: vi.fn(),
  digest: vi.fn(() => Promise.resolve(IDX)),
  platformsOf: vi.fn((_n: string, digest: string) => Promise.resolve({ digest, platforms: digest === AMD ? { 'linux/amd64': AMD } : { 'linux/arm64': ARM } }))
}
vi.mock('../../src/registry/imagetools.js', () => ({
  ImageTools: class {
    constructor() {
      return registry
    }
  }
}))
vi.mock('../../src/registry/http-api.js', () => ({
  RegistryApi: class {
    blob = vi.fn()
    blobText = vi.fn(() => Promise.resolve(STATEMENT))
    tags = vi.fn(() => Promise.resolve(existingTags))
    // The tags move by a manifest PUT each (tags/publish-step), after the gates.
    manifestBytes = vi.fn(() => Promise.resolve({ body: Buffer.from('{}'), mediaType: 'application/vnd.oci.image.index.v1+json' }))
    putManifest = vi.fn((tag: string) => (calls.push(`tag ${tag}`), Promise.resolve()))
  }
}))
vi.mock('../../src/tools/install.js', () => ({ startToolInstall: vi.fn(() => Promise.resolve({ cosign: '/tc/cosign', syft: '/tc/syft', trivy: '/tc/trivy' })) }))
let gateScans: GateScans | undefined
vi.mock('../../src/gates/vulnerability-scan.js', async (original) => ({
  ...(await original<object>()),
  scanPlatforms: vi.fn(() => (calls.push('vulnerability gate'), Promise.resolve(gateScans))),
  // Started after the login, so the DB arrives while the image builds.
  loadDb: vi.fn(() => (calls.push('trivy DB'), Promise.resolve({ cacheDir: '/c', metadata: { version: 2, updatedAt: '2026-12-07T00:00:00Z' }, source: 'r', integrity: { checked: true, against: 'r' } })))
}))
vi.mock('../../src/gates/vulnerability-db-cache.js', () => ({ actionsCache: {} }))
vi.mock('../../src/supply-chain/sbom-artifact.js', () => ({ uploadSboms: vi.fn() }))
// The SBOM scans start at the push, while the gates run (the chain, mocked below, reports them).
vi.mock('../../src/supply-chain/sbom.js', async (original) => ({
  ...(await original<object>()),
  scanSboms: vi.fn(() => (calls.push('sbom scans'), Promise.resolve([])))
}))
let smokeResults: SmokeResult[] = []
vi.mock('../../src/gates/smoke-run.js', () => ({ smokeRun: vi.fn(() => (calls.push('smoke run'), Promise.resolve(smokeResults))) }))
let chain: Partial<SupplyChainResult> = {}
let existingTags: string[] = []
vi.mock('../../src/supply-chain/chain.js', () => ({
  supplyChain: vi.fn((spec: { subjects: Array<{ subject: string; digest: string }> }) => {
    calls.push('supply chain')
    const sign = (s: { subject: string; digest: string }) => ({ ...s, signature: 'verified' as const, attestation: 'verified' as const })
    return Promise.resolve({ subjects: spec.subjects.map(sign), sboms: { 'linux/amd64': '/w/sbom-linux-amd64.cdx.json', 'linux/arm64': '/w/sbom-linux-arm64.cdx.json' }, signed: true, verifyCommands: ['cosign verify …'], notes: [], ...chain })
  })
}))

const { main } = await import('../../src/main.js')
const { parseInputs } = await import('../../src/inputs/index.js')
const { supplyChain } = await import('../../src/supply-chain/chain.js')
const { build } = await import('../../src/build/buildx.js')

let user = '65532:65532'
let ws: string
const ctx = (over: Partial<GitHubContext> = {}): GitHubContext => ({
  workspace: ws,
  repository: 'vmafx/op',
  owner: 'vmafx',
  ref: 'refs/tags/v1.4.2',
  sha: 'a'.repeat(40),
  serverUrl: 'https://github.com',
  apiUrl: 'https://api.github.com',
  workflowRef: 'vmafx/op/.github/workflows/release.yml@refs/tags/v1.4.2',
  runId: '7',
  runAttempt: 1,
  idTokenAvailable: true,
  runnerTemp: fs.mkdtempSync(path.join(os.tmpdir(), 'main-tmp-')),
  nodeArch: 'x64',
  noDefaultAttestations: false,
  sourceDate: '2026-11-20T10:00:00.000Z',
  ...over
})
const inputs = (values: Record<string, string>, c: GitHubContext) => parseInputs((n) => ({ image: 'ghcr.io/vmafx/op', ...values })[n] ?? '', c)
const N = 'ghcr.io/vmafx/op'
const TAGS = ['1.4.2', '1.4', '1', 'latest'].map((t) => `${N}:${t}`)

beforeEach(() => {
  vi.clearAllMocks()
  for (const k of Object.keys(outputs)) delete outputs[k]
  summary.length = 0
  calls.length = 0
  chain = {}
  smokeResults = []
  gateScans = undefined
  existingTags = []
  pushRefusedFor = undefined
  pullRefusedFor = undefined
  cosignRuns.length = 0
  baseSignature = true
  registry.raw.mockImplementation(defaultRaw)
  user = '65532:65532'
  localBinaries = { 'linux/amd64': { content: ELF.amd64 }, 'linux/arm64': { content: ELF.arm64 } }
  ws = fs.mkdtempSync(path.join(os.tmpdir(), 'main-ws-'))
  fs.writeFileSync(path.join(ws, 'Dockerfile'), 'FROM gcr.io/distroless/static-debian13:nonroot\nCOPY app /app\nENTRYPOINT ["/app"]\n')
})

describe('main', () => {
  test('a release: every output, in order: login, build, then the supply chain', async () => {
    const c = ctx()
    await main(inputs({}, c), c, new Date('2026-11-28T00:00:00Z'))
    expect(outputs).toEqual({
      metadata: JSON.stringify({ 'containerimage.digest': IDX }),
      digest: IDX,
      image: `${N}@${IDX}`,
      tags: TAGS.join('\n'),
      'platform-digests': JSON.stringify({ 'linux/amd64': AMD, 'linux/arm64': ARM }),
      sbom: JSON.stringify({ 'linux/amd64': '/w/sbom-linux-amd64.cdx.json', 'linux/arm64': '/w/sbom-linux-arm64.cdx.json' }),
      images: JSON.stringify({ [N]: `${N}@${IDX}` }),
      signed: 'true',
      skipped: 'false'
    })
    // pushed by digest; the tags set once the checks passed, then signed
    expect(calls).toEqual(['login', 'pull check gcr.io/distroless/static-debian13', '/tc/cosign verify', 'build', 'sbom scans', 'imagetools create', 'supply chain'])
    expect(vi.mocked(build).mock.calls[0]?.[0]).toMatchObject({ pushByDigest: { name: N } })
    expect(registry.create.mock.calls.map((a) => a[0])).toEqual([{ tags: TAGS, sources: [`${N}@${IDX}`], carbonCopy: true }])
    // the distroless base was verified by digest against Google's keyless identity, then pinned
    expect(cosignRuns).toEqual([['verify', '--certificate-identity', 'keyless@distroless.iam.gserviceaccount.com', '--certificate-oidc-issuer', 'https://accounts.google.com', '--output', 'json', `gcr.io/distroless/static-debian13@${IDX}`]])
    expect(vi.mocked(build).mock.calls[0]?.[0].buildContexts).toEqual([['gcr.io/distroless/static-debian13:nonroot', `docker-image://gcr.io/distroless/static-debian13@${IDX}`]])
    expect(summary.join('\n')).toContain('Verified base images')
    // the supply chain gets the index first, then each platform, and the run's identity
    expect(vi.mocked(supplyChain).mock.calls[0]?.[0]).toMatchObject({
      name: N,
      subjects: [{ subject: 'index', digest: IDX }, { subject: 'linux/amd64', digest: AMD }, { subject: 'linux/arm64', digest: ARM }],
      workflowRef: c.workflowRef,
      rerun: false
    })
    // buildx's provenance is read from the pushed index, by digest, checked, and handed over
    expect(registry.raw).toHaveBeenCalledWith(`${N}@${IDX}`, { justPushed: true })
    await expect(vi.mocked(supplyChain).mock.calls[0]?.[0].provenance).resolves.toEqual({ 'linux/amd64': { type: 'slsaprovenance02', predicate: { builder: { id: '' } } }, 'linux/arm64': { type: 'slsaprovenance02', predicate: { builder: { id: '' } } } })
    // the build gets the labels derived from the run, not from input parsing
    const spec = vi.mocked(build).mock.calls[0]?.[0]
    expect(spec?.tags).toEqual(TAGS)
    expect(Object.fromEntries(spec?.labels ?? [])).toMatchObject({ 'org.opencontainers.image.version': '1.4.2', 'org.opencontainers.image.created': '2026-11-20T10:00:00.000Z' })
    expect(spec?.indexAnnotations).toEqual([['org.opencontainers.image.description', 'op from vmafx/op'], ['org.opencontainers.image.source', 'https://github.com/vmafx/op']])
    expect(summary.join('\n')).toContain(`<strong>Digest:</strong> <code>${IDX}</code>`)
    expect(summary.join('\n')).toContain('QEMU skipped: every RUN runs on the build platform')
  })

  test('push: false builds every platform to a local layout and sets the build outputs only; nothing is signed', async () => {
    const c = ctx()
    await main(inputs({ push: 'false' }, c), c)
    expect(outputs).toEqual({ metadata: JSON.stringify({ 'containerimage.digest': IDX }), digest: IDX, image: `${N}@${IDX}`, tags: '', 'platform-digests': JSON.stringify(localBuild.platforms) })
    expect(vi.mocked(build).mock.calls[0]?.[0]).toMatchObject({ push: false, pushByDigest: undefined, localLayout: expect.stringMatching(/oci-layout$/) as unknown })
    expect(supplyChain).not.toHaveBeenCalled()
    expect(registry.pushed).not.toHaveBeenCalled()
    expect(summary.join('\n')).toContain('(built, not pushed)')
    expect(summary.join('\n')).toContain('push: false: no registry written, so nothing was pushed, signed, attested or tagged, and no SBOM was made')
  })

  test('a base that does not verify stops the release before the build; nothing is pushed', async () => {
    baseSignature = false
    const c = ctx()
    await expect(main(inputs({}, c), c)).rejects.toThrow(
      `Base image verification failed, so nothing was built or pushed:\n- base gcr.io/distroless/static-debian13:nonroot (stage #0) resolved to ${IDX} and is not signed by keyless@distroless.iam.gserviceaccount.com (issuer https://accounts.google.com): cosign verify exited with code 1:\nError: no matching signatures`
    )
    expect(build).not.toHaveBeenCalled()
    expect(supplyChain).not.toHaveBeenCalled()
    expect(outputs.digest).toBeUndefined()
  })

  test('a tool download failing during the build stops the build before it pushes; the error says why and that nothing is left unsigned', async () => {
    const { startToolInstall } = await import('../../src/tools/install.js')
    const { interruptChildren } = await import('../../src/lib/exec.js')
    vi.mocked(startToolInstall).mockImplementationOnce(() => {
      const failed = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('sha256 mismatch for syft_1.52.0_linux_amd64.tar.gz')), 10))
      failed.catch(() => undefined)
      return failed
    })
    vi.mocked(build).mockImplementationOnce(() => new Promise((_, reject) => (onInterrupt = () => reject(new Error('docker buildx build exited with code 1:\nERROR: failed to solve: Canceled: context canceled')))))
    const c = ctx()
    await expect(main(inputs({ 'verify-bases': 'off' }, c), c)).rejects.toThrow(
      'sha256 mismatch for syft_1.52.0_linux_amd64.tar.gz\nThe build was stopped before it pushed: nothing was pushed, so nothing is left unsigned.'
    )
    // the build was found by its metadata file, which is unique to the run
    expect(vi.mocked(interruptChildren).mock.calls[0]?.[0]).toBe(vi.mocked(build).mock.calls[0]?.[0].metadataFile)
    expect(supplyChain).not.toHaveBeenCalled()
    expect(outputs.digest).toBeUndefined()
  })

  test('a tool download that failed before the build starts: nothing is built', async () => {
    const { startToolInstall } = await import('../../src/tools/install.js')
    vi.mocked(startToolInstall).mockImplementationOnce(() => {
      const failed = Promise.reject(new Error('cosign v0.9.9: HTTP 404'))
      failed.catch(() => undefined)
      return failed
    })
    const c = ctx()
    await expect(main(inputs({ 'verify-bases': 'off' }, c), c)).rejects.toThrow('cosign v0.9.9: HTTP 404\nNothing was built or pushed.')
    expect(build).not.toHaveBeenCalled()
  })

  test('verify-bases: off checks nothing; the base is still resolved once, pinned and recorded', async () => {
    const c = ctx()
    await main(inputs({ 'verify-bases': 'off' }, c), c)
    expect(cosignRuns).toEqual([])
    const spec = vi.mocked(build).mock.calls[0]?.[0]
    expect(spec?.buildContexts).toEqual([['gcr.io/distroless/static-debian13:nonroot', `docker-image://gcr.io/distroless/static-debian13@${IDX}`]])
    expect(spec?.annotations).toEqual([
      'manifest[linux/amd64]:org.opencontainers.image.base.name=gcr.io/distroless/static-debian13:nonroot',
      `manifest[linux/amd64]:org.opencontainers.image.base.digest=${IDX}`,
      `manifest[linux/amd64]:io.github.vmafx.build-distroless-image.bases={"gcr.io/distroless/static-debian13:nonroot":"${IDX}"}`,
      'manifest[linux/arm64]:org.opencontainers.image.base.name=gcr.io/distroless/static-debian13:nonroot',
      `manifest[linux/arm64]:org.opencontainers.image.base.digest=${IDX}`,
      `manifest[linux/arm64]:io.github.vmafx.build-distroless-image.bases={"gcr.io/distroless/static-debian13:nonroot":"${IDX}"}`
    ])
  })

  test('a base this runner cannot read: a warning, neither pinned nor recorded, the build goes on; if-base-changed cannot compare and fails', async () => {
    const core = await import('@actions/core')
    registry.raw.mockImplementation((ref: string) => (ref.startsWith('gcr.io/') ? Promise.reject(new Error('denied: requested access to the resource is denied')) : defaultRaw(ref)))
    const c = ctx()
    await main(inputs({ 'verify-bases': 'off' }, c), c)
    expect(vi.mocked(core.warning)).toHaveBeenCalledWith(expect.stringContaining('gcr.io/distroless/static-debian13:nonroot could not be read from this runner, so it is neither pinned nor recorded'))
    expect(vi.mocked(build).mock.calls[0]?.[0].buildContexts).toEqual([])
    const c2 = ctx()
    await expect(main(inputs({ 'verify-bases': 'off', rebuild: 'if-base-changed' }, c2), c2)).rejects.toThrow('rebuild: if-base-changed cannot compare gcr.io/distroless/static-debian13:nonroot: this runner cannot read it (denied: requested access to the resource is denied)')
  })

  test('rebuild: if-base-changed with every base as recorded: nothing is built, pushed or signed; skipped is true', async () => {
    const recorded = { annotations: { 'io.github.vmafx.build-distroless-image.bases': `{"gcr.io/distroless/static-debian13:nonroot":"${IDX}"}` } }
    registry.find.mockResolvedValueOnce({ digest: OLD, platforms: { 'linux/amd64': AMD, 'linux/arm64': ARM } })
    registry.raw.mockImplementation((ref: string) => (ref.endsWith(AMD) || ref.endsWith(ARM) ? Promise.resolve(recorded) : defaultRaw(ref)))
    const c = ctx()
    await main(inputs({ 'verify-bases': 'off', rebuild: 'if-base-changed' }, c), c)
    expect(build).not.toHaveBeenCalled()
    expect(supplyChain).not.toHaveBeenCalled()
    // Nothing to build: no download started that it would not use (the run ends with its registry reads).
    const { startToolInstall } = await import('../../src/tools/install.js')
    expect(vi.mocked(startToolInstall).mock.calls.map((call) => [call[0].push, call[0].vulnerabilityGate])).toEqual([[false, 'off']])
    expect(outputs).toMatchObject({ skipped: 'true', digest: OLD, 'platform-digests': JSON.stringify({ 'linux/amd64': AMD, 'linux/arm64': ARM }) })
    expect(summary.join('\n')).toContain(`rebuild: if-base-changed: nothing built or pushed; every base (gcr.io/distroless/static-debian13:nonroot) is as ${N}:1.4.2 recorded it`)
  })

  test('rebuild: if-base-changed with a moved base: built, and the summary names the base with its old and new digest', async () => {
    const recorded = { annotations: { 'io.github.vmafx.build-distroless-image.bases': `{"gcr.io/distroless/static-debian13:nonroot":"${OLD}"}` } }
    registry.find.mockResolvedValueOnce({ digest: OLD, platforms: { 'linux/amd64': AMD, 'linux/arm64': ARM } })
    registry.raw.mockImplementation((ref: string) => (ref.endsWith(AMD) || ref.endsWith(ARM) ? Promise.resolve(recorded) : defaultRaw(ref)))
    const c = ctx()
    await main(inputs({ 'verify-bases': 'off', rebuild: 'if-base-changed' }, c), c)
    expect(build).toHaveBeenCalled()
    expect(outputs.skipped).toBe('false')
    // The downloads held back start once the build is decided, before it runs.
    const { startToolInstall } = await import('../../src/tools/install.js')
    expect(vi.mocked(startToolInstall).mock.calls.map((call) => call[0].push)).toEqual([false, true])
    expect(supplyChain).toHaveBeenCalled()
    expect(summary.join('\n')).toContain(`rebuild: if-base-changed: built, because gcr.io/distroless/static-debian13:nonroot changed; linux/amd64 gcr.io/distroless/static-debian13:nonroot: ${OLD} -&gt; ${IDX}`)
  })

  test('a supply chain failure: the digest outputs stand, signed stays false, the error lists what is unsigned', async () => {
    chain = { failure: new Error('cosign sign exited with code 1'), signed: false, subjects: [{ subject: 'index', digest: IDX, signature: 'failed', attestation: 'pending', provenance: 'skipped' }, { subject: 'linux/amd64', digest: AMD, signature: 'done', attestation: 'pending', provenance: 'pending' }] }
    const c = ctx()
    await expect(main(inputs({}, c), c)).rejects.toThrow(`cosign sign exited with code 1\nPushed but not signed or attested: index ${N}@${IDX}, linux/amd64 ${N}@${AMD}. The digest outputs are set; re-run the job to finish signing.`)
    expect(outputs).toMatchObject({ digest: IDX, signed: 'false' })
    expect(outputs.sbom).toBeUndefined()
    expect(summary.join('\n')).toContain('⚠️ Pushed but not signed or attested')
  })

  test('a pushed image the gate refuses: nothing is signed, no tag moves, the error and summary say so', async () => {
    user = 'root'
    const c = ctx()
    await expect(main(inputs({}, c), c)).rejects.toThrow(`Not signed or attested. No tag was moved: ${N}@${IDX} is in the registry by digest only; 1.4.2, 1.4, 1, latest stay where they were, in every registry.`)
    expect(supplyChain).not.toHaveBeenCalled()
    expect(registry.create).not.toHaveBeenCalled()
    expect(outputs).toMatchObject({ digest: IDX, signed: 'false', tags: '' })
    expect(summary.join('\n')).toContain('⛔ Pushed, refused by the checks')
  })

  describe('several registries', () => {
    const images = 'ghcr.io/vmafx/op\nquay.io/vmafx/op\ndocker.io/vmafx/op'

    test('every login before the build; one build; each copy by digest, then its own supply chain with the first SBOMs', async () => {
      const c = ctx()
      await main(inputs({ image: '', images, 'registry-auth': 'quay.io=bot:QUAYTOKEN' }, c), c)
      // every credential checked for push before the build: ghcr.io has none here (anonymous), quay.io its registry-auth line, docker.io an earlier login's
      expect(calls).toEqual(['login', 'login quay.io', 'push check quay.io/vmafx/op', 'push check docker.io/vmafx/op', 'pull check gcr.io/distroless/static-debian13', '/tc/cosign verify', 'build', 'sbom scans', 'imagetools create', 'supply chain', 'imagetools create', 'tag 1.4.2', 'tag 1.4', 'tag 1', 'tag latest', 'supply chain', 'imagetools create', 'imagetools create', 'supply chain'])
      // quay.io (a registry-auth line the action holds) is tagged by manifest PUTs; docker.io (an earlier login step's, which the action's own client cannot read here) by imagetools.
      expect(registry.create.mock.calls.map((a) => a[0])).toEqual([
        { tags: TAGS, sources: [`${N}@${IDX}`], carbonCopy: true },
        { tags: [`quay.io/vmafx/op@${IDX}`], sources: [`${N}@${IDX}`], carbonCopy: true },
        { tags: [`docker.io/vmafx/op@${IDX}`], sources: [`${N}@${IDX}`], carbonCopy: true },
        { tags: ['1.4.2', '1.4', '1', 'latest'].map((t) => `docker.io/vmafx/op:${t}`), sources: [`docker.io/vmafx/op@${IDX}`], carbonCopy: true }
      ])
      const specs = vi.mocked(supplyChain).mock.calls.map((a) => a[0])
      expect(specs.map((x) => [x.name, x.heading, x.sbomArtifact])).toEqual([
        [N, undefined, true],
        ['quay.io/vmafx/op', 'in quay.io', false],
        ['docker.io/vmafx/op', 'in docker.io', false]
      ])
      expect(JSON.parse(outputs.images ?? '')).toEqual({ [N]: `${N}@${IDX}`, 'quay.io/vmafx/op': `quay.io/vmafx/op@${IDX}`, 'docker.io/vmafx/op': `docker.io/vmafx/op@${IDX}` })
      expect(outputs).toMatchObject({ image: `${N}@${IDX}`, signed: 'true' })
      const text = summary.join('\n')
      for (const h of [`ghcr.io: ${N}`, 'quay.io: quay.io/vmafx/op', 'docker.io: docker.io/vmafx/op']) expect(text).toContain(h)
    })

    test('the copies are signed while the first image is: a copy\'s chain starts before the first one ends, and gets the SBOMs made at the push', async () => {
      let firstEnded = false
      let copyStartedFirst = false
      const sbomsMade = [{ platform: 'linux/amd64', digest: AMD, file: '/w/sbom/linux-amd64.cdx.json', bytes: 9, type: 'cyclonedx' as const }]
      const { scanSboms } = await import('../../src/supply-chain/sbom.js')
      vi.mocked(scanSboms).mockResolvedValueOnce(sbomsMade)
      const real = vi.mocked(supplyChain).getMockImplementation()
      let releaseFirst: () => void = () => undefined
      vi.mocked(supplyChain).mockImplementationOnce(async (spec, ...rest) => {
        await new Promise<void>((r) => (releaseFirst = r))
        firstEnded = true
        return real ? real(spec, ...rest) : Promise.reject(new Error('no mock'))
      })
      vi.mocked(supplyChain).mockImplementationOnce((spec, ...rest) => {
        copyStartedFirst = !firstEnded
        releaseFirst()
        return real ? real(spec, ...rest) : Promise.reject(new Error('no mock'))
      })
      const c = ctx()
      await main(inputs({ image: '', images, 'registry-auth': 'quay.io=bot:QUAYTOKEN' }, c), c)
      expect(copyStartedFirst).toBe(true)
      const specs = vi.mocked(supplyChain).mock.calls.map((a) => a[0])
      expect(await specs[0]?.sbomScans).toEqual(sbomsMade)
      expect(specs.slice(1).map((x) => x.sboms)).toEqual([sbomsMade, sbomsMade])
      expect(outputs).toMatchObject({ signed: 'true' })
    })

    test('a registry without credentials is refused before any login, naming the host', async () => {
      const c = ctx()
      await expect(main(inputs({ image: '', images: 'ghcr.io/vmafx/op\nquay.io/vmafx/op' }, c), c)).rejects.toThrow(/^Input `registry-auth`: has no credentials for quay.io \(in `images`\): add a line quay.io=USERNAME:TOKEN/)
      expect(calls).toEqual([])
    })

    test('a wrong token for the second registry fails before anything is built or pushed', async () => {
      const c = ctx()
      await expect(main(inputs({ image: '', images: 'ghcr.io/vmafx/op\nquay.io/vmafx/op', 'registry-auth': 'quay.io=bot:wrong' }, c), c)).rejects.toThrow('Login to quay.io failed: quay.io refused the credentials: check the registry-auth line for quay.io.')
      expect(calls).toEqual(['login', 'login quay.io'])
    })

    // Issue 30 part 8: a credential an earlier login step left was first tried at the copy, after the release was pushed.
    test('a docker-config credential that cannot push is refused before the build, by host and by where it came from', async () => {
      pushRefusedFor = 'docker.io'
      const c = ctx()
      await expect(main(inputs({ image: '', images, 'registry-auth': 'quay.io=bot:QUAYTOKEN' }, c), c)).rejects.toThrow('A registry credential would fail the push (checked before anything is built; nothing was pushed):\n- docker.io/vmafx/op, with the docker config an earlier step logged in with (/home/runner/.docker/config.json): the registry refused the username and password (HTTP 401); log in to docker.io again in that step (docker/login-action) with a token that can push there, or give a registry-auth line for it')
      expect(calls).toEqual(['login', 'login quay.io', 'push check quay.io/vmafx/op', 'push check docker.io/vmafx/op'])
      expect(build).not.toHaveBeenCalled()
    })

    test.each<[string, string, RegExp]>([
      ['the first registry, with registry-username and registry-password', 'ghcr.io', /- ghcr\.io\/vmafx\/op, with registry-username and registry-password: .*; give registry-username and registry-password that can push there/],
      ['a copy, with its registry-auth line', 'quay.io', /- quay\.io\/vmafx\/op, with the registry-auth line for quay\.io: .*; give that line a token that can push there/]
    ])('%s: a credential that cannot push is refused before the build', async (_name, host, error) => {
      pushRefusedFor = host
      const c = ctx()
      await expect(main(inputs({ image: '', images, 'registry-password': 'ghs_token', 'registry-username': 'me', 'registry-auth': 'quay.io=bot:QUAYTOKEN' }, c), c)).rejects.toThrow(error)
      expect(build).not.toHaveBeenCalled()
    })

    // Issue 34 part 6: BuildKit's 401 from the bases' registry came back naming the push registry.
    test('a base registry that refuses the pull fails before cosign and the build, naming that registry and that there was no credential', async () => {
      pullRefusedFor = 'gcr.io'
      const c = ctx()
      await expect(main(inputs({}, c), c)).rejects.toThrow(/^A base image's registry refused the pull \(checked before anything is built; nothing was built or pushed\):\n- gcr\.io refused to let the builder read base gcr\.io\/distroless\/static-debian13:nonroot, with no credential \(nothing in registry-auth or in the job's docker config for gcr\.io\): .*; add a registry-auth line gcr\.io=USERNAME:TOKEN/)
      expect(calls).toEqual(['login', 'pull check gcr.io/distroless/static-debian13'])
      expect(build).not.toHaveBeenCalled()
    })

    test('a registry-auth line for the bases\' registry is accepted (no image there) and used for the read', async () => {
      const c = ctx()
      await main(inputs({ 'registry-auth': 'gcr.io=reader:READTOKEN' }, c), c)
      expect(calls.slice(0, 3)).toEqual(['login', 'login gcr.io', 'pull check gcr.io/distroless/static-debian13'])
      const { checkPullAccess } = await import('../../src/registry/pull-access.js')
      expect(vi.mocked(checkPullAccess).mock.calls[0]?.[1]).toEqual({ username: 'reader', password: 'READTOKEN' })
    })

    test('a copy that fails names its registry; the outputs say where the index is', async () => {
      // the first call tags the first image; the second is the copy to quay.io
      registry.create.mockImplementationOnce(() => (calls.push('imagetools create'), Promise.resolve())).mockImplementationOnce(() => Promise.reject(new Error('docker buildx exited with code 1:\nunauthorized')))
      const c = ctx()
      await expect(main(inputs({ image: '', images, 'registry-auth': 'quay.io=bot:QUAYTOKEN' }, c), c)).rejects.toThrow(/^Publishing to one registry failed:\n- quay.io: copying the index to quay.io failed: docker buildx exited with code 1:\nunauthorized\n {2}Pushed but not signed or attested there: quay.io\/vmafx\/op: not copied/)
      expect(JSON.parse(outputs.images ?? '')).toEqual({ [N]: `${N}@${IDX}`, 'docker.io/vmafx/op': `docker.io/vmafx/op@${IDX}` })
      expect(outputs.signed).toBe('false')
    })
  })

  describe('the smoke run', () => {
    const passed = (platform: string, emulated: boolean, startupMs: number): SmokeResult => ({ platform, uid: 1_000_660_000, command: `docker run … ${platform}`, startupMs, emulated, output: 'v1.4.2' })

    test('off: nothing runs, and the summary says it was skipped', async () => {
      const c = ctx()
      await main(inputs({}, c), c)
      expect(calls).not.toContain('smoke run')
      expect(summary.join('\n')).toContain('Smoke run: skipped (give smoke-args or smoke-http-port')
    })

    test('after the push and the policy checks, before signing; startup times in the summary, emulated marked', async () => {
      smokeResults = [passed('linux/amd64', false, 120), passed('linux/arm64', true, 640)]
      const c = ctx()
      await main(inputs({ 'smoke-args': '--version', 'startup-budget': '1s' }, c), c)
      expect(calls).toEqual(['login', 'pull check gcr.io/distroless/static-debian13', '/tc/cosign verify', 'build', 'sbom scans', 'smoke run', 'imagetools create', 'supply chain'])
      const { smokeRun } = await import('../../src/gates/smoke-run.js')
      expect(vi.mocked(smokeRun).mock.calls[0]?.slice(0, 2)).toEqual([N, { args: ['--version'], http: undefined, timeoutMs: 30_000 }])
      expect(vi.mocked(smokeRun).mock.calls[0]?.[2]).toMatchObject({ platforms: { 'linux/amd64': AMD, 'linux/arm64': ARM }, native: ['amd64', '386'] })
      const text = summary.join('\n')
      expect(text).toContain('"120 ms"')
      expect(text).toContain('"640 ms (emulated)"')
      expect(outputs.signed).toBe('true')
    })

    test('a failure: nothing is signed or tagged, the error names platform and UID, and says no tag moved', async () => {
      smokeResults = [passed('linux/amd64', false, 120), { ...passed('linux/arm64', true, 0), startupMs: undefined, failure: 'exited with code 1', output: 'open /etc/app/key: permission denied' }]
      const c = ctx()
      const err = main(inputs({ 'smoke-args': '--version' }, c), c)
      await expect(err).rejects.toThrow(/linux\/arm64: the smoke run as UID 1000660000 \(GID 0, restricted-v2\) failed: exited with code 1\.[^]*open \/etc\/app\/key: permission denied[^]*Not signed or attested\. No tag was moved: /)
      expect(supplyChain).not.toHaveBeenCalled()
      expect(registry.create).not.toHaveBeenCalled()
      expect(outputs).toMatchObject({ digest: IDX, signed: 'false' })
      expect(summary.join('\n')).toContain('❌ exited with code 1')
    })

    test('policy: warn signs despite a failure, and warns', async () => {
      smokeResults = [{ ...passed('linux/amd64', false, 120), failure: 'exited with code 1' }]
      const c = ctx()
      await main(inputs({ 'smoke-args': '--version', policy: 'warn' }, c), c)
      expect(supplyChain).toHaveBeenCalled()
      const core = await import('@actions/core')
      expect(vi.mocked(core.warning).mock.calls.map((w) => String(w[0])).join('\n')).toMatch(/linux\/amd64: the smoke run as UID 1000660000 .* failed: exited with code 1/)
    })

    test('native startup over startup-budget fails, even under policy: warn', async () => {
      smokeResults = [passed('linux/amd64', false, 1500)]
      const c = ctx()
      await expect(main(inputs({ 'smoke-args': '--version', 'startup-budget': '1s', policy: 'warn' }, c), c)).rejects.toThrow(/linux\/amd64: startup took 1\.5 s, over startup-budget 1 s/)
      expect(supplyChain).not.toHaveBeenCalled()
    })
  })

  describe('the vulnerability gate', () => {
    const db = { updatedAt: '2026-11-28T06:00:00Z', source: 'ghcr.io/aquasecurity/trivy-db' }
    const high = { target: 't', pkg: 'base-files', installed: '13.8', id: 'CVE-2099-0001', severity: 'HIGH' as const, fixed: '99.0' }
    const scans = (amd: GateScans['scans'][number]['findings']): GateScans => ({
      gate: 'high',
      severities: ['CRITICAL', 'HIGH'],
      db,
      scans: [
        { platform: 'linux/amd64', digest: AMD, findings: amd, predicateFile: '/w/vuln/linux-amd64.vuln.json', reportFile: '/w/vuln/linux-amd64.trivy.json' },
        { platform: 'linux/arm64', digest: ARM, findings: [], predicateFile: '/w/vuln/linux-arm64.vuln.json', reportFile: '/w/vuln/linux-arm64.trivy.json' }
      ]
    })

    test('off: trivy never runs', async () => {
      const c = ctx()
      await main(inputs({}, c), c)
      expect(calls).not.toContain('vulnerability gate')
      expect(vi.mocked(supplyChain).mock.calls[0]?.[0].vulnScans).toBeUndefined()
    })

    test('the DB fetched while the image builds; the scan beside the smoke run, before signing; each platform digest scanned; the scans handed on to be attested', async () => {
      gateScans = scans([])
      const c = ctx()
      await main(inputs({ 'smoke-args': '--version', 'vulnerability-gate': 'high' }, c), c)
      expect(calls).toEqual(['login', 'pull check gcr.io/distroless/static-debian13', '/tc/cosign verify', 'trivy DB', 'build', 'sbom scans', 'smoke run', 'vulnerability gate', 'imagetools create', 'supply chain'])
      const { scanPlatforms } = await import('../../src/gates/vulnerability-scan.js')
      const [name, platforms, given, context] = vi.mocked(scanPlatforms).mock.calls[0] ?? []
      expect([name, platforms, given?.vulnerabilityGate]).toEqual([N, { 'linux/amd64': AMD, 'linux/arm64': ARM }, 'high'])
      expect(context).toMatchObject({ trivy: '/tc/trivy', cacheDir: path.join(os.homedir(), '.cache', 'build-distroless-image', 'trivy') })
      expect(vi.mocked(supplyChain).mock.calls[0]?.[0].vulnScans).toEqual([
        { platform: 'linux/amd64', digest: AMD, predicateFile: '/w/vuln/linux-amd64.vuln.json' },
        { platform: 'linux/arm64', digest: ARM, predicateFile: '/w/vuln/linux-arm64.vuln.json' }
      ])
      expect(summary.join('\n')).toContain('linux/amd64: ✅ no findings')
    })

    test('vulnerability-attestation: false scans and gates, attests nothing', async () => {
      gateScans = scans([])
      const c = ctx()
      await main(inputs({ 'vulnerability-gate': 'high', 'vulnerability-attestation': 'false' }, c), c)
      expect(calls).toContain('vulnerability gate')
      expect(vi.mocked(supplyChain).mock.calls[0]?.[0].vulnScans).toBeUndefined()
    })

    test('a finding: nothing signed or tagged; counts in the error; the table in the summary', async () => {
      gateScans = scans([high])
      const c = ctx()
      await expect(main(inputs({ 'vulnerability-gate': 'high' }, c), c)).rejects.toThrow(/^Vulnerability gate \(high\): 1 HIGH at or above HIGH \(linux\/amd64: 1 HIGH\)\.[^]*Not signed or attested\. No tag was moved: ghcr\.io\/vmafx\/op@sha256:1{64} is in the registry by digest only; 1\.4\.2, /)
      expect(supplyChain).not.toHaveBeenCalled()
      expect(registry.create).not.toHaveBeenCalled()
      expect(outputs).toMatchObject({ digest: IDX, signed: 'false' })
      const text = summary.join('\n')
      expect(text).toContain('trivy DB built 2026-11-28T06:00:00Z, from ghcr.io/aquasecurity/trivy-db')
      expect(text).toMatch(/"base-files","13\.8","CVE-2099-0001","HIGH","99\.0"/)
    })

    test('warn: a warning, and the release is signed', async () => {
      gateScans = { ...scans([high]), gate: 'warn' }
      const c = ctx()
      await main(inputs({ 'vulnerability-gate': 'warn' }, c), c)
      expect(supplyChain).toHaveBeenCalled()
      const core = await import('@actions/core')
      expect(vi.mocked(core.warning).mock.calls.map((w) => String(w[0]))).toContain('Vulnerabilities found (vulnerability-gate: warn, so the release goes on): linux/amd64: 1 HIGH')
    })
  })

  test('a Dockerfile the policy refuses fails before the login', async () => {
    fs.writeFileSync(path.join(ws, 'Dockerfile'), 'FROM debian:13\nENTRYPOINT ["/app"]\n')
    const c = ctx()
    await expect(main(inputs({}, c), c)).rejects.toThrow(/^Policy refuses this Dockerfile:\n- Dockerfile:1 \(stage #0\): the final image is built on "debian:13", which is not distroless/)
    expect(calls).toEqual([])
    expect(outputs).toEqual({})
  })

  test('merge-digests: no build; one index from the matrix pushes, signed as usual', async () => {
    const c = ctx({ workspace: fs.mkdtempSync(path.join(os.tmpdir(), 'main-empty-')) })
    await main(inputs({ 'merge-digests': `${AMD}\n${ARM}` }, c), c)
    // merged by digest, tagged after the checks, then signed
    expect(calls).toEqual(['login', 'imagetools create by digest', 'sbom scans', 'imagetools create', 'supply chain'])
    expect(registry.createByDigest).toHaveBeenCalledWith(N, { indexAnnotations: [['org.opencontainers.image.description', 'op from vmafx/op'], ['org.opencontainers.image.source', 'https://github.com/vmafx/op']], sources: [`${N}@${AMD}`, `${N}@${ARM}`] }, 'docker buildx imagetools create')
    expect(registry.create).toHaveBeenCalledWith({ tags: TAGS, sources: [`${N}@${IDX}`], carbonCopy: true }, `tagging ${N}@${IDX}`)
    expect(outputs).toMatchObject({ digest: IDX, 'platform-digests': JSON.stringify({ 'linux/amd64': AMD, 'linux/arm64': ARM }), signed: 'true' })
    expect(outputs.metadata).toBeUndefined()
  })

  // Issue 30: the default provenance-attestation: true signed a release whose provenance was missing.
  test.each<[string, (ref: string) => Promise<Record<string, unknown>>, RegExp]>([
    ['an index without attestation manifests', (ref) => (ref.endsWith(IDX) ? Promise.resolve({ manifests: [] }) : defaultRaw(ref)), /^No SLSA provenance recorded by buildx for linux\/amd64, linux\/arm64, and provenance-attestation is true \(the default\)[\s\S]*Built with builder default \(driver docker\)\./],
    ['a lone manifest (no index)', (ref) => (ref.endsWith(IDX) ? Promise.resolve({ layers: [{ size: 1 }] }) : defaultRaw(ref)), /^No SLSA provenance recorded by buildx for linux\/amd64, linux\/arm64/],
    ['an attestation manifest for an image the index does not hold', (ref) => (ref.endsWith(IDX) ? Promise.resolve({ manifests: [{ digest: ATT[AMD], annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': OLD } }] }) : defaultRaw(ref)), /^Provenance: the attestation manifest sha256:5{64} is for sha256:4{64}, which is not a platform image of the index/]
  ])('provenance-attestation: true and %s: refused before the gates, nothing signed, no tag moved', async (_name, raw, error) => {
    registry.raw.mockImplementation(raw)
    const c = ctx()
    const run = main(inputs({}, c), c)
    await expect(run).rejects.toThrow(error)
    await expect(run).rejects.toThrow(`Not signed or attested. No tag was moved: ${N}@${IDX} is in the registry by digest only; 1.4.2, 1.4, 1, latest stay where they were, in every registry.`)
    expect(registry.create).not.toHaveBeenCalled()
    expect(supplyChain).not.toHaveBeenCalled()
    expect(outputs.signed).toBe('false')
  })

  test('provenance-attestation: false and no provenance: signed, the index never read for it', async () => {
    registry.raw.mockImplementation((ref: string) => (ref.endsWith(IDX) ? Promise.resolve({ manifests: [] }) : defaultRaw(ref)))
    const c = ctx()
    await main(inputs({ 'provenance-attestation': 'false' }, c), c)
    expect(outputs.signed).toBe('true')
    expect(vi.mocked(supplyChain).mock.calls[0]?.[0].provenance).toBeUndefined()
  })

  test('a re-run whose platform images equal the earlier ones keeps the earlier digest', async () => {
    registry.find.mockResolvedValueOnce({ digest: OLD, platforms: { 'linux/amd64': AMD, 'linux/arm64': ARM } })
    const c = ctx({ runAttempt: 2 })
    await main(inputs({}, c), c)
    expect(registry.find).toHaveBeenCalledWith(`${N}:1.4.2`)
    // the tags go to the earlier index, once the checks passed on it
    expect(registry.create.mock.calls).toEqual([[{ tags: TAGS, sources: [`${N}@${OLD}`], carbonCopy: true }, `tagging ${N}@${OLD}`]])
    expect(outputs).toMatchObject({ digest: OLD, image: `${N}@${OLD}` })
    expect(vi.mocked(supplyChain).mock.calls[0]?.[0]).toMatchObject({ rerun: true, subjects: [{ subject: 'index', digest: OLD }, { subject: 'linux/amd64', digest: AMD }, { subject: 'linux/arm64', digest: ARM }] })
  })

  test('a maintenance release: the floating tags a higher release holds stay there, and the summary says so', async () => {
    existingTags = ['1.3.4', '1.4.0', '1.4', '1', 'latest']
    const c = ctx({ ref: 'refs/tags/v1.3.5' })
    await main(inputs({}, c), c)
    expect(outputs.tags).toBe([`${N}:1.3.5`, `${N}:1.3`].join('\n'))
    expect(vi.mocked(build).mock.calls[0]?.[0].tags).toEqual([`${N}:1.3.5`, `${N}:1.3`])
    expect(summary.join('\n')).toContain('latest stays where it is: 1.4.0 is a higher release than 1.3.5')
    expect(summary.join('\n')).toContain('1 stays where it is: 1.4.0 is a higher 1.x release than 1.3.5')
  })

  test('build secrets: inline values reach buildx as 0600 files in the temp dir, env secrets by name; no value in argv', async () => {
    const c = ctx()
    await main(inputs({ secrets: 'NPM_TOKEN=npm_s3cret', 'secret-envs': 'aws=AWS_CREDS', 'github-token': 'ghs_t0ken' }, c), c)
    const spec = vi.mocked(build).mock.calls[0]?.[0]
    const [npm, aws, git] = spec?.secrets ?? []
    expect(aws).toEqual({ id: 'aws', env: 'AWS_CREDS' })
    for (const [s, value] of [[npm, 'npm_s3cret'], [git, 'ghs_t0ken']] as const) {
      expect(s?.src?.startsWith(path.join(c.runnerTemp, 'build-distroless-image-'))).toBe(true)
      expect(fs.statSync(s?.src ?? '').mode & 0o777).toBe(0o600)
      expect(fs.readFileSync(s?.src ?? '', 'utf8')).toBe(value)
    }
    const { buildArgv } = await vi.importActual<typeof BuildModule>('../../src/build/buildx.js')
    const argv = buildArgv(spec ?? ({} as never)).join(' ')
    expect(argv).toContain(`--secret id=NPM_TOKEN,src=${npm?.src ?? ''}`)
    expect(argv).not.toContain('npm_s3cret')
    expect(argv).not.toContain('ghs_t0ken')
  })

  test('push-by-digest: no tags, one platform, not signed here', async () => {
    registry.pushed.mockResolvedValueOnce({ digest: AMD, platforms: { 'linux/amd64': AMD }, configs: { 'linux/amd64': { config: { User: '65532' } } } })
    const c = ctx()
    await main(inputs({ 'push-by-digest': 'true', platforms: 'linux/amd64' }, c), c)
    expect(outputs).toMatchObject({ digest: AMD, tags: '', 'platform-digests': JSON.stringify({ 'linux/amd64': AMD }) })
    expect(vi.mocked(build).mock.calls[0]?.[0]).toMatchObject({ pushByDigest: { name: N } })
    expect(summary.join('\n')).toContain('push-by-digest: not signed here')
  })

  describe('push: false (a pull request): the gates on the local build, nothing pushed or signed', () => {
    const clean = (gate: GateScans['gate']): GateScans => ({
      gate,
      severities: ['CRITICAL', 'HIGH'],
      db: { updatedAt: '2026-11-01T06:00:00Z', source: 'ghcr.io/aquasecurity/trivy-db:2' },
      scans: ['linux/amd64', 'linux/arm64'].map((platform) => ({ platform, digest: localBuild.platforms[platform] ?? '', findings: [], predicateFile: `/w/${platform}.json`, reportFile: `/w/${platform}-report.json` }))
    })
    const ran = (platform: string): SmokeResult => ({ platform, uid: 1_000_660_000, command: `docker run … ${platform}`, startupMs: 80, emulated: false, output: 'v1.4.2' })

    test.each<[string, Record<string, string>, string[], string[]]>([
      ['no smoke or scan asked for: the policy and architecture on every platform; no push check, no tool but the base check', { 'registry-username': 'u', 'registry-password': 'p' }, ['login', 'pull check gcr.io/distroless/static-debian13', '/tc/cosign verify', 'build'], [
        'linux/amd64: built, policy and architecture checked',
        'linux/arm64: built, policy and architecture checked',
        'Smoke run: skipped (give smoke-args or smoke-http-port to run the native platform before merging)'
      ]],
      ['smoke and scan: the native platform loaded and run, then removed; every platform scanned', { 'smoke-args': '--version', 'vulnerability-gate': 'high' }, ['login', 'pull check gcr.io/distroless/static-debian13', '/tc/cosign verify', 'build', 'docker load', 'smoke run', 'docker image', 'vulnerability gate'], [
        'linux/amd64: built, policy and architecture checked, smoke run passed, vulnerabilities scanned',
        'linux/arm64: built, policy and architecture checked, vulnerabilities scanned; not run: not native to this x64 runner'
      ]]
    ])('%s', async (_name, given, expectedCalls, notes) => {
      smokeResults = [ran('linux/amd64')]
      gateScans = clean('high')
      const c = ctx()
      await main(inputs({ push: 'false', ...given }, c), c)
      expect(calls).toEqual(expectedCalls)
      for (const n of [...notes, 'push: false: no registry written, so nothing was pushed, signed, attested or tagged, and no SBOM was made']) expect(summary.join('\n')).toContain(n)
      expect(supplyChain).not.toHaveBeenCalled()
      expect(registry.create).not.toHaveBeenCalled()
      expect(outputs.signed).toBeUndefined()
      if (!given['smoke-args']) return
      // Only native platforms run: no QEMU asked for on their account.
      const { planQemu } = await import('../../src/build/qemu.js')
      expect(vi.mocked(planQemu).mock.calls[0]?.[4]).toBe(false)
      const { smokeRun } = await import('../../src/gates/smoke-run.js')
      const options = vi.mocked(smokeRun).mock.calls[0]?.[2]
      // Only the native platform runs, as the image docker load named, not NAME@DIGEST from a registry.
      expect(options?.platforms).toEqual({ 'linux/amd64': localBuild.platforms['linux/amd64'] })
      expect(options?.refs).toEqual({ 'linux/amd64': 'build-distroless-image.local/op:7-amd64' })
      const { run } = await import('../../src/lib/exec.js')
      const argv = vi.mocked(run).mock.calls.map((call) => call[1].join(' '))
      expect(argv).toContainEqual(expect.stringMatching(/^load --input \S+\/local\/linux-amd64\.tar$/))
      expect(argv).toContain('image rm build-distroless-image.local/op:7-amd64')
      const { scanPlatforms } = await import('../../src/gates/vulnerability-scan.js')
      const context = vi.mocked(scanPlatforms).mock.calls[0]?.[3]
      expect(Object.keys(context?.layouts ?? {})).toEqual(['linux/amd64', 'linux/arm64'])
      for (const dir of Object.values(context?.layouts ?? {})) expect(fs.existsSync(path.join(dir, 'index.json'))).toBe(true)
    })

    test.each<[string, () => void, Record<string, string>, RegExp, string[]]>([
      ['an arm64 binary in the amd64 image: the architecture check, before the smoke run', () => (localBinaries['linux/amd64'] = { content: ELF.arm64 }), { 'smoke-args': '--version' }, /^Policy refuses the image built \(push: false\):\n- linux\/amd64: the image's main binary \/app is AArch64/, ['login', 'pull check gcr.io/distroless/static-debian13', '/tc/cosign verify', 'build']],
      ['a 0644 entrypoint: the architecture check', () => (localBinaries['linux/arm64'] = { content: ELF.arm64, mode: 0o644 }), {}, /linux\/arm64: the image's entrypoint \/app cannot start: \/app is not executable \(mode 0644\)/, ['login', 'pull check gcr.io/distroless/static-debian13', '/tc/cosign verify', 'build']],
      ['the smoke run failing', () => (smokeResults = [{ ...ran('linux/amd64'), startupMs: undefined, failure: 'exited with code 1' }]), { 'smoke-args': '--version' }, /linux\/amd64: the smoke run as UID 1000660000 \(GID 0, restricted-v2\) failed: exited with code 1/, ['login', 'pull check gcr.io/distroless/static-debian13', '/tc/cosign verify', 'build', 'docker load', 'smoke run', 'docker image']],
      ['findings at the vulnerability gate', () => (gateScans = { ...clean('high'), scans: clean('high').scans.map((s) => ({ ...s, findings: [{ target: 't', pkg: 'base-files', installed: '13.8', id: 'CVE-2099-0001', severity: 'HIGH' as const, fixed: '99.0' }] })) }), { 'vulnerability-gate': 'high' }, /^Vulnerability gate \(high\): 2 HIGH at or above HIGH/, ['login', 'pull check gcr.io/distroless/static-debian13', '/tc/cosign verify', 'build', 'vulnerability gate']]
    ])('a bad image fails the pull request naming the gate: %s; nothing is pushed or signed', async (_name, breakIt, given, error, expectedCalls) => {
      smokeResults = [ran('linux/amd64')]
      gateScans = clean('high')
      breakIt()
      const c = ctx()
      const failed = main(inputs({ push: 'false', ...given }, c), c)
      await expect(failed).rejects.toThrow(error)
      await expect(failed).rejects.toThrow(/\nNothing was pushed \(push: false\), so nothing is signed, attested or tagged\.$/)
      expect(calls).toEqual(expectedCalls)
      expect(supplyChain).not.toHaveBeenCalled()
      expect(registry.create).not.toHaveBeenCalled()
    })
  })
})
