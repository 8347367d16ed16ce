// The floor the action is compared with: the same release typed as the plain sequence of CLI
// commands a careful engineer would put in `run:` steps, one after another. Same Dockerfile,
// build args, tools and versions, same key and the same subjects signed, attested and verified.
import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'

export interface CliSpec {
  image: string
  tag: string
  platforms: string[]
  workspace: string
  buildArgs: string[]
  registry: string
  user: string
  password: string
  key: string
  keyPassword: string
  pub: string
  /** Where cosign and syft live; downloaded and checked with sha256sum when absent (cold). */
  toolsDir: string
  mirror: string
  cosignVersion: string
  syftVersion: string
}

export interface CliRun {
  digest: string
  totalMs: number
  phases: Record<string, number>
}

export function runCliSequence(s: CliSpec): CliRun {
  const work = fs.mkdtempSync(path.join(s.workspace, '..', 'cli-'))
  const env = { ...process.env, DOCKER_CONFIG: path.join(work, 'docker'), COSIGN_PASSWORD: s.keyPassword }
  const phases: Record<string, number> = {}
  const start = Date.now()
  const sh = (phase: string, cmd: string, args: string[], opts: { input?: string; cwd?: string } = {}): string => {
    const t = Date.now()
    const r = spawnSync(cmd, args, { env, cwd: opts.cwd ?? work, input: opts.input, encoding: 'utf8', maxBuffer: 256 << 20 })
    phases[phase] = (phases[phase] ?? 0) + (Date.now() - t)
    if (r.status !== 0) throw new Error(`CLI sequence: ${cmd} ${args.join(' ')} exited ${r.status}: ${(r.stderr ?? '').slice(-2000)}`)
    return r.stdout
  }

  const cosign = path.join(s.toolsDir, 'cosign')
  const syft = path.join(s.toolsDir, 'syft')
  if (!fs.existsSync(cosign) || !fs.existsSync(syft)) {
    fs.mkdirSync(s.toolsDir, { recursive: true })
    const cos = `${s.mirror}/sigstore/cosign/releases/download/v${s.cosignVersion}`
    const syf = `${s.mirror}/anchore/syft/releases/download/v${s.syftVersion}`
    const tarball = `syft_${s.syftVersion}_linux_amd64.tar.gz`
    const dl = (url: string) => sh('tools', 'curl', ['-fsSLO', url], { cwd: s.toolsDir })
    dl(`${cos}/cosign-linux-amd64`)
    dl(`${cos}/cosign_checksums.txt`)
    sh('tools', 'sha256sum', ['--check', '--ignore-missing', 'cosign_checksums.txt'], { cwd: s.toolsDir })
    dl(`${syf}/${tarball}`)
    dl(`${syf}/syft_${s.syftVersion}_checksums.txt`)
    sh('tools', 'sha256sum', ['--check', '--ignore-missing', `syft_${s.syftVersion}_checksums.txt`], { cwd: s.toolsDir })
    sh('tools', 'tar', ['-xzf', tarball, 'syft'], { cwd: s.toolsDir })
    fs.renameSync(path.join(s.toolsDir, 'cosign-linux-amd64'), cosign)
    fs.chmodSync(cosign, 0o755)
  }

  sh('login', 'docker', ['login', s.registry, '-u', s.user, '--password-stdin'], { input: s.password })
  const meta = path.join(work, 'metadata.json')
  sh('build', 'docker', [
    'buildx', 'build', '--platform', s.platforms.join(','), '--target', 'runtime',
    ...s.buildArgs.flatMap((a) => ['--build-arg', a]),
    '--label', `org.opencontainers.image.source=https://github.com/vmafx/example`,
    '-t', `${s.image}:${s.tag}`, '--metadata-file', meta, '--push', s.workspace
  ])
  const digest = String((JSON.parse(fs.readFileSync(meta, 'utf8')) as Record<string, unknown>)['containerimage.digest'])
  const ref = (d: string) => `${s.image}@${d}`

  const index = JSON.parse(sh('inspect', 'docker', ['buildx', 'imagetools', 'inspect', '--raw', ref(digest)])) as {
    manifests: Array<{ digest: string; platform: { os: string; architecture: string; variant?: string } }>
  }
  const platforms = index.manifests
    .filter((m) => m.platform.os !== 'unknown')
    .map((m) => ({ platform: [m.platform.os, m.platform.architecture, m.platform.variant].filter(Boolean).join('/'), digest: m.digest }))

  const sboms = platforms.map((p) => {
    const file = path.join(work, `sbom-${p.platform.replace(/\//g, '-')}.cdx.json`)
    sh('sbom', syft, ['scan', '--from', 'registry', ref(p.digest), '--platform', p.platform, '-o', `cyclonedx-json=${file}`, '-q'])
    return { ...p, file }
  })

  const signing = ['--yes', '--key', s.key, '--use-signing-config=false', '--tlog-upload=false']
  sh('sign', cosign, ['sign', ...signing, '--recursive', ref(digest)])
  for (const p of sboms) sh('attest', cosign, ['attest', ...signing, '--type', 'cyclonedx', '--predicate', p.file, ref(p.digest)])
  for (const p of sboms) sh('attest', cosign, ['attest', ...signing, '--type', 'cyclonedx', '--predicate', p.file, ref(digest)])

  const verifying = ['--key', s.pub, '--insecure-ignore-tlog=true']
  for (const d of [digest, ...platforms.map((p) => p.digest)]) {
    sh('verify', cosign, ['verify', ...verifying, ref(d)])
    sh('verify', cosign, ['verify-attestation', ...verifying, '--type', 'cyclonedx', ref(d)])
  }
  sh('logout', 'docker', ['logout', s.registry])
  fs.rmSync(work, { recursive: true, force: true })
  return { digest, totalMs: Date.now() - start, phases }
}
