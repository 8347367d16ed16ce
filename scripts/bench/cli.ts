// The floor the action is compared with: the same release typed as the plain sequence of CLI
// commands a careful engineer would put in `run:` steps, one after another. Same Dockerfile,
// build args, tools and versions, same key (or the same keyless trust and token) and the same
// subjects signed, attested and verified.
//
// The gated floor adds, in the order such an engineer types them: a restricted `docker run` per
// platform (the smoke run), `trivy image` per platform (the gate, and the `cosign-vuln` predicate
// in the same call), the provenance read from the index, the attestations of provenance and scans,
// and with a second registry the copy (`docker buildx imagetools create`, as the action copies)
// and the copy's own signing, attesting and verifying.
import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'

export interface Keyless {
  trustedRoot: string
  signingConfig: string
  /** The certificate identity and issuer a verifier asks for. */
  identity: string
  issuer: string
  /** The job's ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN: cosign fetches the token itself, as in a job. */
  env: Record<string, string>
}

export interface Gates {
  /** The image's port and path the smoke run probes (the service stays up). */
  httpPort: number
  httpPath: string
  timeoutMs: number
  trivyVersion: string
  dbRepository: string
  /** trivy --severity: CRITICAL for `vulnerability-gate: critical`. */
  severity: string
  ignoreUnfixed: boolean
  /** buildx --provenance, as the action passes it. */
  provenance: string
}

export interface CliSpec {
  image: string
  tag: string
  platforms: string[]
  workspace: string
  buildArgs: string[]
  /** BUILDX_BUILDER: the builder the action builds on, so both build on the same engine and cache. */
  builder?: string
  registry: string
  user: string
  password: string
  /** Key signing; ignored when `keyless` is given. */
  key: string
  keyPassword: string
  pub: string
  keyless?: Keyless
  /** Where cosign, syft and trivy live; downloaded and checked with sha256sum when absent (cold). */
  toolsDir: string
  mirror: string
  cosignVersion: string
  syftVersion: string
  gates?: Gates
  /** A second registry the index is copied to, then signed, attested and verified there. */
  copy?: { image: string; registry: string; user: string; password: string }
}

export interface CliRun {
  digest: string
  totalMs: number
  /** From the start to the end of `buildx build --push`: everything after it is the after-build time. */
  buildEndMs: number
  phases: Record<string, number>
  /** Platform → its manifest digest. */
  platforms: Record<string, string>
}

interface ProvenanceOut {
  SLSA?: unknown
}

export function runCliSequence(s: CliSpec): CliRun {
  const work = fs.mkdtempSync(path.join(s.workspace, '..', 'cli-'))
  // The builder the action builds on (the suite's docker-container builder, current as after a
  // setup-buildx step): its record is in the user's buildx store, whatever DOCKER_CONFIG says.
  const builder = s.builder ? { BUILDX_BUILDER: s.builder, BUILDX_CONFIG: path.join(process.env.HOME ?? '/root', '.docker', 'buildx') } : {}
  const env: Record<string, string | undefined> = { ...process.env, DOCKER_CONFIG: path.join(work, 'docker'), COSIGN_PASSWORD: s.keyPassword, ...builder, ...(s.keyless?.env ?? {}) }
  const phases: Record<string, number> = {}
  const start = Date.now()
  const sh = (phase: string, cmd: string, args: string[], opts: { input?: string; cwd?: string; allowFailure?: boolean } = {}): { code: number; out: string } => {
    const t = Date.now()
    const r = spawnSync(cmd, args, { env, cwd: opts.cwd ?? work, input: opts.input, encoding: 'utf8', maxBuffer: 256 << 20 })
    phases[phase] = (phases[phase] ?? 0) + (Date.now() - t)
    if (r.status !== 0 && !opts.allowFailure) throw new Error(`CLI sequence: ${cmd} ${args.join(' ')} exited ${r.status}: ${(r.stderr ?? '').slice(-2000)}`)
    return { code: r.status ?? -1, out: r.stdout }
  }
  const run = (phase: string, cmd: string, args: string[], opts: { input?: string; cwd?: string } = {}): string => sh(phase, cmd, args, opts).out

  const cosign = path.join(s.toolsDir, 'cosign')
  const syft = path.join(s.toolsDir, 'syft')
  const trivy = path.join(s.toolsDir, 'trivy')
  const dl = (url: string) => run('tools', 'curl', ['-fsSLO', url], { cwd: s.toolsDir })
  if (!fs.existsSync(cosign) || !fs.existsSync(syft)) {
    fs.mkdirSync(s.toolsDir, { recursive: true })
    const cos = `${s.mirror}/sigstore/cosign/releases/download/v${s.cosignVersion}`
    const syf = `${s.mirror}/anchore/syft/releases/download/v${s.syftVersion}`
    const tarball = `syft_${s.syftVersion}_linux_amd64.tar.gz`
    dl(`${cos}/cosign-linux-amd64`)
    dl(`${cos}/cosign_checksums.txt`)
    run('tools', 'sha256sum', ['--check', '--ignore-missing', 'cosign_checksums.txt'], { cwd: s.toolsDir })
    dl(`${syf}/${tarball}`)
    dl(`${syf}/syft_${s.syftVersion}_checksums.txt`)
    run('tools', 'sha256sum', ['--check', '--ignore-missing', `syft_${s.syftVersion}_checksums.txt`], { cwd: s.toolsDir })
    run('tools', 'tar', ['-xzf', tarball, 'syft'], { cwd: s.toolsDir })
    fs.renameSync(path.join(s.toolsDir, 'cosign-linux-amd64'), cosign)
    fs.chmodSync(cosign, 0o755)
  }
  if (s.gates && !fs.existsSync(trivy)) {
    const v = s.gates.trivyVersion
    const base = `${s.mirror}/aquasecurity/trivy/releases/download/v${v}`
    dl(`${base}/trivy_${v}_Linux-64bit.tar.gz`)
    dl(`${base}/trivy_${v}_checksums.txt`)
    run('tools', 'sha256sum', ['--check', '--ignore-missing', `trivy_${v}_checksums.txt`], { cwd: s.toolsDir })
    run('tools', 'tar', ['-xzf', `trivy_${v}_Linux-64bit.tar.gz`, 'trivy'], { cwd: s.toolsDir })
  }

  run('login', 'docker', ['login', s.registry, '-u', s.user, '--password-stdin'], { input: s.password })
  if (s.copy) run('login', 'docker', ['login', s.copy.registry, '-u', s.copy.user, '--password-stdin'], { input: s.copy.password })
  const meta = path.join(work, 'metadata.json')
  run('build', 'docker', [
    'buildx', 'build', '--platform', s.platforms.join(','), '--target', 'runtime',
    ...s.buildArgs.flatMap((a) => ['--build-arg', a]),
    '--label', `org.opencontainers.image.source=https://github.com/vmafx/example`,
    ...(s.gates ? [`--provenance=${s.gates.provenance}`] : []),
    '-t', `${s.image}:${s.tag}`, '--metadata-file', meta, '--push', s.workspace
  ])
  const buildEndMs = Date.now() - start
  const digest = String((JSON.parse(fs.readFileSync(meta, 'utf8')) as Record<string, unknown>)['containerimage.digest'])
  const ref = (d: string, image = s.image) => `${image}@${d}`

  const index = JSON.parse(run('inspect', 'docker', ['buildx', 'imagetools', 'inspect', '--raw', ref(digest)])) as {
    manifests: Array<{ digest: string; platform: { os: string; architecture: string; variant?: string } }>
  }
  const platforms = index.manifests
    .filter((m) => m.platform.os !== 'unknown')
    .map((m) => ({ platform: [m.platform.os, m.platform.architecture, m.platform.variant].filter(Boolean).join('/'), digest: m.digest }))
  const slug = (p: string) => p.replace(/\//g, '-')

  const scans: Array<{ digest: string; file: string }> = []
  const provenance: Array<{ digest: string; file: string }> = []
  if (s.gates) {
    const g = s.gates
    // The smoke run: restricted-v2 as the action imposes it (src/gates/smoke-rules.ts), the port
    // published on loopback (the action's own reproduce command), polled until 2xx.
    platforms.forEach((p, i) => {
      const name = `bdi-bench-floor-${process.pid}-${Date.now().toString(36)}-${i}`
      const port = 20000 + Math.floor(Math.random() * 20000)
      run('smoke', 'docker', [
        'run', '-d', '--name', name, '--platform', p.platform,
        '--user', '1000680000:0', '--read-only', '--tmpfs', '/tmp:rw,nosuid,nodev,size=64m', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges',
        '-p', `127.0.0.1:${port}:${g.httpPort}`, ref(p.digest)
      ])
      try {
        const url = `http://127.0.0.1:${port}${g.httpPath}`
        run('smoke', 'timeout', [String(Math.ceil(g.timeoutMs / 1000)), 'sh', '-c', `until curl -fsS -o /dev/null "${url}"; do sleep 0.05; done`])
      } finally {
        run('smoke', 'docker', ['rm', '--force', name])
      }
    })
    // The gate: one trivy run per platform, by digest from the registry; its cosign-vuln output is
    // the predicate. The first fetches the DB (a fresh runner has none), the others reuse it.
    const cacheDir = path.join(work, 'trivy-cache')
    platforms.forEach((p, i) => {
      const file = path.join(work, `vuln-${slug(p.platform)}.json`)
      run('trivy', trivy, [
        'image', '--db-repository', g.dbRepository, '--cache-dir', cacheDir, ...(i > 0 ? ['--skip-db-update'] : []),
        '--scanners', 'vuln', '--severity', g.severity, ...(g.ignoreUnfixed ? ['--ignore-unfixed'] : []), '--exit-code', '1',
        '--image-src', 'remote', '--no-progress', '--format', 'cosign-vuln', '--output', file, ref(p.digest)
      ])
      scans.push({ digest: p.digest, file })
    })
    // The provenance buildx recorded, per platform, as the predicate to attest.
    const out = JSON.parse(run('provenance', 'docker', ['buildx', 'imagetools', 'inspect', '--format', '{{json .Provenance}}', ref(digest)])) as ProvenanceOut | Record<string, ProvenanceOut>
    const byPlatform: Record<string, ProvenanceOut> = platforms.length === 1 && 'SLSA' in out ? { [platforms[0]?.platform ?? '']: out } : (out as Record<string, ProvenanceOut>)
    for (const p of platforms) {
      const slsa = byPlatform[p.platform]?.SLSA
      if (!slsa) throw new Error(`CLI sequence: no provenance for ${p.platform} in ${JSON.stringify(Object.keys(byPlatform))}`)
      const file = path.join(work, `provenance-${slug(p.platform)}.json`)
      fs.writeFileSync(file, JSON.stringify(slsa))
      provenance.push({ digest: p.digest, file })
    }
  }

  const sboms = platforms.map((p) => {
    const file = path.join(work, `sbom-${slug(p.platform)}.cdx.json`)
    run('sbom', syft, ['scan', '--from', 'registry', ref(p.digest), '--platform', p.platform, '-o', `cyclonedx-json=${file}`, '-q'])
    return { ...p, file }
  })

  const signing = s.keyless
    ? ['--yes', '--signing-config', s.keyless.signingConfig, '--trusted-root', s.keyless.trustedRoot]
    : ['--yes', '--key', s.key, '--use-signing-config=false', '--tlog-upload=false']
  const verifying = s.keyless
    ? ['--certificate-identity', s.keyless.identity, '--certificate-oidc-issuer', s.keyless.issuer, '--trusted-root', s.keyless.trustedRoot]
    : ['--key', s.pub, '--insecure-ignore-tlog=true']
  const provType = 'slsaprovenance1'

  const supplyChain = (image: string, suffix: string) => {
    const r = (d: string) => ref(d, image)
    run(`sign${suffix}`, cosign, ['sign', ...signing, '--recursive', r(digest)])
    const attest = (d: string, type: string, file: string) => run(`attest${suffix}`, cosign, ['attest', ...signing, '--type', type, '--predicate', file, r(d)])
    for (const p of sboms) attest(p.digest, 'cyclonedx', p.file)
    for (const p of sboms) attest(digest, 'cyclonedx', p.file)
    for (const p of provenance) attest(p.digest, provType, p.file)
    for (const p of provenance) attest(digest, provType, p.file)
    for (const v of scans) attest(v.digest, 'vuln', v.file)
    for (const d of [digest, ...platforms.map((p) => p.digest)]) {
      run(`verify${suffix}`, cosign, ['verify', ...verifying, r(d)])
      run(`verify${suffix}`, cosign, ['verify-attestation', ...verifying, '--type', 'cyclonedx', r(d)])
      if (provenance.length) run(`verify${suffix}`, cosign, ['verify-attestation', ...verifying, '--type', provType, r(d)])
      if (d !== digest && scans.length) run(`verify${suffix}`, cosign, ['verify-attestation', ...verifying, '--type', 'vuln', r(d)])
    }
  }
  supplyChain(s.image, '')
  if (s.copy) {
    // The same index, by digest and tag, into the second registry (what the action does too);
    // its signatures and attestations are made there, as the first registry's are.
    run('copy', 'docker', ['buildx', 'imagetools', 'create', '--tag', `${s.copy.image}:${s.tag}`, ref(digest)])
    supplyChain(s.copy.image, ' (copy)')
  }
  run('logout', 'docker', ['logout', s.registry])
  if (s.copy) run('logout', 'docker', ['logout', s.copy.registry])
  const totalMs = Date.now() - start
  // Not timed: what the smoke run pulled (the action removes its pulls too).
  for (const p of s.gates ? platforms : []) spawnSync('docker', ['image', 'rm', ref(p.digest)], { env, stdio: 'ignore' })
  fs.rmSync(work, { recursive: true, force: true })
  return { digest, totalMs, buildEndMs, phases, platforms: Object.fromEntries(platforms.map((p) => [p.platform, p.digest])) }
}
