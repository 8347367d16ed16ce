/** The end-to-end environment brought up by scripts/e2e/up.sh, and helpers to look at the registry. */
import { execFileSync, spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

export const e2e = {
  registry: process.env.BDI_REGISTRY ?? '',
  user: process.env.BDI_REGISTRY_USER ?? '',
  password: process.env.BDI_REGISTRY_PASSWORD_FILE ? fs.readFileSync(process.env.BDI_REGISTRY_PASSWORD_FILE, 'utf8').trim() : '',
  registryLog: process.env.BDI_REGISTRY_LOG ?? '',
  /** The second registry (its own host, certificate and credentials), for `images`. */
  registry2: process.env.BDI_REGISTRY2 ?? '',
  user2: process.env.BDI_REGISTRY2_USER ?? '',
  password2: process.env.BDI_REGISTRY2_PASSWORD_FILE ? fs.readFileSync(process.env.BDI_REGISTRY2_PASSWORD_FILE, 'utf8').trim() : '',
  registry2Log: process.env.BDI_REGISTRY2_LOG ?? '',
  state: process.env.BDI_STATE ?? '',
  mirror: process.env.BDI_MIRROR_URL ?? '',
  mirrorLog: process.env.BDI_MIRROR_LOG ?? '',
  mirrorRoot: process.env.BDI_MIRROR_ROOT ?? '',
  /** The action's default cosign, syft and trivy, built from their modules (scripts/e2e/gotools.sh). */
  cosign3: process.env.BDI_COSIGN3_VERSION ?? '',
  /** Debian trixie's cosign 2, for the cosign-2 line. */
  cosign2: process.env.BDI_COSIGN2_VERSION ?? '',
  syft: process.env.BDI_SYFT_VERSION ?? '',
  /**
   * The good tree's sha256 lines: the built tools are not the release assets whose sums are
   * compiled into the action, so every run that downloads from the mirror pins them this way.
   */
  toolsChecksums: Buffer.from(process.env.BDI_TOOLS_CHECKSUMS ?? '', 'base64').toString('utf8'),
  /** BuildKit built from Debian's sources (scripts/e2e/buildkit.sh): an image, and a host daemon. */
  buildkitImage: process.env.BDI_BUILDKIT_IMAGE ?? '',
  /** The builder most releases build on (scripts/e2e/buildkit.sh), as the runner's current builder. */
  suiteBuilder: process.env.BDI_SUITE_BUILDER ?? '',
  /** The same image with Debian's CA bundle alone: it does not trust the e2e registries (buildkitd-config). */
  buildkitNocaImage: process.env.BDI_BUILDKIT_NOCA_IMAGE ?? '',
  buildkitTcp: process.env.BDI_BUILDKIT_TCP ?? '',
  buildkitTls: process.env.BDI_BUILDKIT_TLS_DIR ?? '',
  /** The real trivy (built at the action's default; in the mirror's release layout) and the fixture DB's repository. */
  trivyVersion: process.env.BDI_TRIVY_VERSION ?? '',
  trivyDb: process.env.BDI_TRIVY_DB ?? ''
}

/**
 * `tools-checksums` for the mirror's good tree, leaving out the assets named (a run that asks for
 * another version of that tool checks it against the checksums file beside it instead).
 */
export function toolsChecksums(...without: string[]): string {
  return e2e.toolsChecksums
    .split('\n')
    .filter((l) => l.trim() && !without.some((a) => l.trim().endsWith(` ${a}`)))
    .join('\n')
}

/**
 * Inputs for a key-signed release without the transparency log, with the action's default cosign
 * and syft (built from source) from the local mirror: what the suite's signing cases share.
 */
/**
 * A statically linked x86-64 program of this runner that exits 0 (gcc -static, built once per
 * process): it starts on a base with no C library, as a CGO-off Go binary does. The runner's own
 * /bin/true is dynamically linked, and the architecture check refuses it on such a base (its
 * loader is not in the image).
 */
let staticTrueFile: string | undefined
export function staticTrue(): Buffer {
  if (!staticTrueFile) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'static-true-'))
    fs.writeFileSync(path.join(dir, 'true.c'), 'int main(void) { return 0; }\n')
    execFileSync('gcc', ['-static', '-Os', '-o', path.join(dir, 'true'), path.join(dir, 'true.c')])
    staticTrueFile = path.join(dir, 'true')
  }
  return fs.readFileSync(staticTrueFile)
}

export function keySigning(key: string, password: string): Record<string, string> {
  return {
    'cosign-key': key,
    'cosign-password': password,
    'transparency-log': 'false',
    'tools-url': `${e2e.mirror}/good`,
    'tools-checksums': e2e.toolsChecksums,
    'sbom-artifact': 'false'
  }
}

/** Real cosign binaries for checking what the action did: the default 3.x (built) and trixie's 2.x. */
export function cosign(bin: 'cosign' | 'cosign2', args: string[], env: Record<string, string> = {}): { code: number; out: string } {
  try {
    const out = execFileSync(bin, args, { env: { ...process.env, DOCKER_CONFIG: testerDockerConfig, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 })
    return { code: 0, out }
  } catch (err) {
    const e = err as { status?: number; stdout?: string; stderr?: string }
    return { code: e.status ?? 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` }
  }
}

/** A password-protected cosign key pair made by real cosign. */
export function keyPair(password: string): { dir: string; key: string; pub: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-keys-'))
  execFileSync('cosign', ['generate-key-pair'], { cwd: dir, env: { ...process.env, COSIGN_PASSWORD: password }, stdio: 'ignore' })
  return { dir, key: fs.readFileSync(path.join(dir, 'cosign.key'), 'utf8'), pub: path.join(dir, 'cosign.pub') }
}

/** Mirror requests since a byte offset of its log (python's http.server access log). */
export function mirrorRequests(since: number): string[] {
  return fs.readFileSync(e2e.mirrorLog, 'utf8').slice(since).split('\n').filter((l) => l.includes('"GET '))
}

/**
 * The mirror's good tree under a path of the caller's own (a symlink), so that its requests can be
 * told from those of the files running beside it in the other lane.
 */
export function ownMirror(label: string): { url: string; requests: (since: number) => string[] } {
  const name = `good-${label}-${Date.now().toString(36)}`
  fs.symlinkSync('good', path.join(e2e.mirrorRoot, name))
  return { url: `${e2e.mirror}/${name}`, requests: (since) => mirrorRequests(since).filter((l) => l.includes(`/${name}/`)) }
}

export const available = Boolean(e2e.registry && e2e.password)

/** The suite's Debian-made distroless equivalents, accepted by the policy as a user would list them. */
export const localBases = { 'allowed-bases': `${e2e.registry}/e2e/*` }

/** Outside CI a machine without the environment skips loudly; on CI that is a failure. */
export function requireEnvironment(): boolean {
  if (available) return true
  const msg = 'END-TO-END TESTS SKIPPED: no e2e environment (run `npm test`, which brings it up, or scripts/e2e/up.sh)'
  if (process.env.CI === 'true') throw new Error(`${msg}; on CI they must run`)
  console.warn(`\n${'!'.repeat(msg.length)}\n${msg}\n${'!'.repeat(msg.length)}\n`)
  return false
}

/** A docker config the tests (not the action) use to look at the registry. */
export const testerDockerConfig = (() => {
  if (!available) return ''
  const dir = path.join(e2e.state, 'docker-config-tester')
  fs.mkdirSync(dir, { recursive: true })
  execFileSync('docker', ['login', '-u', e2e.user, '--password-stdin', e2e.registry], { input: e2e.password, env: { ...process.env, DOCKER_CONFIG: dir }, stdio: ['pipe', 'ignore', 'ignore'] })
  if (e2e.registry2) execFileSync('docker', ['login', '-u', e2e.user2, '--password-stdin', e2e.registry2], { input: e2e.password2, env: { ...process.env, DOCKER_CONFIG: dir }, stdio: ['pipe', 'ignore', 'ignore'] })
  return dir
})()

/**
 * policy-controller's policy-tester (scripts/e2e/gotools.sh): a file of ClusterImagePolicies against
 * one image, as its webhook judges a Pod's image; with TRUSTROOT, a TrustRoot file their
 * `trustRootRef`s name.
 */
export function policyTester(policyFile: string, image: string, trustRoot?: string): { code: number; out: string } {
  const args = ['-policy', policyFile, '-image', image, '-log-level', 'warn', ...(trustRoot ? ['-trustroot', trustRoot] : [])]
  const r = spawnSync(path.join(e2e.state, 'gotools', 'policy-tester'), args, { env: { ...process.env, DOCKER_CONFIG: testerDockerConfig }, encoding: 'utf8' })
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` }
}

export function docker(args: string[], opts: { allowFailure?: boolean } = {}): { code: number; out: string } {
  try {
    const out = execFileSync('docker', args, { env: { ...process.env, DOCKER_CONFIG: testerDockerConfig }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 })
    return { code: 0, out }
  } catch (err) {
    if (!opts.allowFailure) throw err
    const e = err as { status?: number; stdout?: string; stderr?: string }
    return { code: e.status ?? 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` }
  }
}

export function rawManifest(ref: string): { mediaType?: string; manifests?: Array<{ digest: string; platform?: { architecture: string; os: string } }>; config?: { digest: string } } {
  return JSON.parse(docker(['buildx', 'imagetools', 'inspect', '--raw', ref]).out) as ReturnType<typeof rawManifest>
}

/** A fresh workspace holding the given files. */
export function workspace(files: Record<string, string | Buffer>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-ws-'))
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true })
    fs.writeFileSync(path.join(dir, name), content)
  }
  return dir
}

/** A unique repository path per test, so runs never see each other's pushes. */
export function uniqueImage(name: string): string {
  return `${e2e.registry}/e2e-${name}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`
}

export const goProgram = {
  'go.mod': 'module example.com/hello\n\ngo 1.24\n',
  // Prints its platform, its uid, and what `uname -m` said in the image's RUN stage (if any).
  'main.go': 'package main\n\nimport (\n\t"fmt"\n\t"os"\n\t"runtime"\n\t"strings"\n)\n\nfunc main() {\n\tm, _ := os.ReadFile("/machine")\n\tfmt.Printf("%s/%s uid=%d machine=%s\\n", runtime.GOOS, runtime.GOARCH, os.Getuid(), strings.TrimSpace(string(m)))\n}\n'
}

/**
 * A program that links a module (vendored, so its version reaches the build info without a
 * module proxy): what an SBOM of the binary must list beside the main module.
 */
export const goProgramWithModule = {
  'go.mod': 'module example.com/hello\n\ngo 1.24\n\nrequire example.com/fixture/greeting v0.3.1\n',
  'vendor/modules.txt': '# example.com/fixture/greeting v0.3.1\n## explicit\nexample.com/fixture/greeting\n',
  'vendor/example.com/fixture/greeting/greeting.go': 'package greeting\n\nfunc Hello() string { return "hello" }\n',
  'main.go': goProgram['main.go'].replace('import (\n', 'import (\n\t"example.com/fixture/greeting"\n').replace('func main() {\n', 'func main() {\n\t_ = greeting.Hello()\n')
}

/** Multi-stage: cross-compiled Go on $BUILDPLATFORM, a stage that RUNs on the target (QEMU), distroless-like runtime. */
export function multiStageDockerfile(): string {
  return `ARG GO_IMAGE=${e2e.registry}/e2e/golang:1.24
FROM --platform=$BUILDPLATFORM \${GO_IMAGE} AS build
ARG TARGETOS TARGETARCH
WORKDIR /src
COPY go.mod main.go ./
RUN --mount=type=cache,target=/root/.cache/go-build CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -o /out/hello .

FROM ${e2e.registry}/e2e/busybox:1 AS probe
RUN uname -m > /machine

FROM ${e2e.registry}/e2e/static:nonroot AS runtime
COPY --from=build /out/hello /hello
COPY --from=probe /machine /machine
USER 65532:65532
ENTRYPOINT ["/hello"]
`
}

/**
 * Where a secret shows in what the runner would print or keep: everything but the `::add-mask::`
 * commands (the runner consumes those and masks the value everywhere else).
 */
export function secretLeaks(text: string, secrets: string[]): string[] {
  const visible = text.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n')
  return secrets.filter((s) => s && visible.includes(s))
}

/** The local Sigstore stand-in (scripts/e2e/sigstore-standin.mjs), over HTTPS with the e2e CA. */
export const sigstore = {
  url: process.env.BDI_SIGSTORE_URL ?? '',
  trustedRoot: process.env.BDI_SIGSTORE_TRUSTED_ROOT ?? '',
  signingConfig: process.env.BDI_SIGSTORE_SIGNING_CONFIG ?? '',
  requestLog: process.env.BDI_SIGSTORE_REQUEST_LOG ?? ''
}

/** A workspace with the Go program, and the stand-in's trust files where a repository would keep them. */
export function keylessWorkspace(dockerfile = multiStageDockerfile()): string {
  return workspace({
    ...goProgram,
    Dockerfile: dockerfile,
    '.sigstore/trusted_root.json': fs.readFileSync(sigstore.trustedRoot, 'utf8'),
    '.sigstore/signing_config.json': fs.readFileSync(sigstore.signingConfig, 'utf8')
  })
}

/**
 * Inputs of a keyless release through the Sigstore stand-in (its trust files as keylessWorkspace
 * writes them): the local bases, the registry login, the tools mirror; `over` adds or replaces.
 */
export function keylessInputs(image: string, over: Record<string, string> = {}): Record<string, string> {
  return {
    image,
    ...localBases,
    'registry-username': e2e.user,
    'registry-password': e2e.password,
    'sigstore-trusted-root': '.sigstore/trusted_root.json',
    'sigstore-signing-config': '.sigstore/signing_config.json',
    'tools-url': `${e2e.mirror}/good`,
    'tools-checksums': e2e.toolsChecksums,
    'sbom-artifact': 'false',
    ...over
  }
}

function standin(method: 'GET' | 'POST', pathAndQuery: string, body?: unknown): unknown {
  const args = ['-fsS', '--cacert', process.env.BDI_REGISTRY_CA ?? '', '-X', method, `${sigstore.url}${pathAndQuery}`]
  if (body !== undefined) args.push('-H', 'content-type: application/json', '-d', JSON.stringify(body))
  return JSON.parse(execFileSync('curl', args, { encoding: 'utf8' })) as unknown
}

/** GitHub Actions' OIDC claims for a job of REPO at REF; `jobWorkflow` differs for a reusable workflow. */
export function githubClaims(repo: string, ref: string, jobWorkflow = `${repo}/.github/workflows/release.yml@${ref}`): Record<string, string> {
  return {
    sub: `repo:${repo}:ref:${ref}`,
    repository: repo,
    repository_owner: repo.split('/')[0] ?? '',
    ref,
    sha: 'c0ffee0000000000000000000000000000000000',
    event_name: 'push',
    workflow: 'release',
    workflow_ref: `${repo}/.github/workflows/release.yml@${ref}`,
    job_workflow_ref: jobWorkflow,
    // What gh attestation verify reads from the certificate (Fulcio 1.10, 1.15-1.17, 1.19, 1.22).
    job_workflow_sha: 'c0ffee0000000000000000000000000000000000',
    workflow_sha: 'c0ffee0000000000000000000000000000000000',
    repository_id: '74',
    repository_owner_id: '65',
    repository_visibility: 'private',
    runner_environment: 'github-hosted',
    run_id: '4242',
    run_attempt: '1'
  }
}

/**
 * One job's `id-token: write`: the runner env that lets the action (and cosign) ask the stand-in
 * for an ID token, the way ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN work in a job, and the tokens it
 * was handed. The runner trusts its token service; here that is the e2e CA.
 */
export function idTokenJob(claims: Record<string, string>): { env: Record<string, string>; tokens: () => string[] } {
  const job = standin('POST', '/_standin/jobs', { claims }) as { url: string; token: string }
  const id = new URL(job.url).searchParams.get('job') ?? ''
  return {
    env: { ACTIONS_ID_TOKEN_REQUEST_URL: job.url, ACTIONS_ID_TOKEN_REQUEST_TOKEN: job.token, NODE_EXTRA_CA_CERTS: process.env.BDI_REGISTRY_CA ?? '' },
    tokens: () => [...(standin('GET', `/_standin/tokens?job=${id}`) as string[]), job.token]
  }
}

export function sigstoreStats(): { tokens: number; certificates: number; rekorEntries: number; rejected: string[] } {
  return standin('GET', '/_standin/stats') as { tokens: number; certificates: number; rekorEntries: number; rejected: string[] }
}
