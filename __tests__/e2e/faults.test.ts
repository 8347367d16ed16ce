// Faults: the registry behind scripts/e2e/fault-proxy.mjs (deterministic 503s, resets, stalls,
// failing writes), and a mirror that corrupts a download once. Every log is scanned for secrets.
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import type { ActionRun } from './support/harness.js'
import { repoRoot, runAction } from './support/harness.js'
import { cosign, e2e, goProgram, keyPair, keySigning, localBases, multiStageDockerfile, requireEnvironment, secretLeaks, testerDockerConfig, workspace } from './support/env.js'

const run = requireEnvironment()
const PASSWORD = 'e2e-faults-password'
const PROXY = `registry.bdi.test:${process.env.BDI_FAULT_PORT ?? '5444'}`
let proxy: ChildProcess | undefined

/** Starts the fault proxy; resolves once it listens. */
async function startProxy(fault: string, opts: { target?: string; listen?: string } = {}): Promise<string> {
  const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-fault-')), 'requests.jsonl')
  const args = [
    path.join(repoRoot, 'scripts/e2e/fault-proxy.mjs'),
    '--listen', opts.listen ?? `127.0.0.1:${PROXY.split(':')[1]}`,
    '--target', opts.target ?? `https://${e2e.registry}`,
    '--cert', process.env.BDI_REGISTRY_TLS_CERT ?? '',
    '--key', process.env.BDI_REGISTRY_TLS_KEY ?? '',
    '--fault', fault,
    '--log', log
  ]
  proxy = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
  await new Promise<void>((resolve, reject) => {
    proxy?.stdout?.once('data', () => resolve())
    proxy?.once('exit', (code) => reject(new Error(`fault proxy exited with ${code}`)))
  })
  return log
}

afterEach(() => {
  proxy?.kill('SIGTERM')
  proxy = undefined
})

const requests = (log: string) => fs.readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { method: string; path: string; action: string })

describe.runIf(run)('faults (issue 7)', () => {
  const keys = run ? keyPair(PASSWORD) : { key: '', pub: '', dir: '' }
  const unique = (n: string) => `${PROXY}/e2e-fault-${n}-${Date.now().toString(36)}`
  const inputs = (image: string) => ({
    image,
    version: 'v1.0.0',
    'registry-username': e2e.user,
    'registry-password': e2e.password,
    ...keySigning(keys.key, PASSWORD),
    ...localBases
  })
  const direct = (image: string) => image.replace(PROXY, e2e.registry)
  // The bases live on the registry's own port, which the job logged in to in an earlier step (as
  // with a private base registry); the action logs in to the proxy it pushes through. Without this
  // the cases passed only while the engine still held the bases from an earlier pull.
  const baseLogin = { DOCKER_CONFIG: testerDockerConfig }
  const noSecrets = (r: ActionRun) => {
    const all = [r.log, r.post?.log ?? '', r.summary, fs.readFileSync(r.files.output, 'utf8'), fs.readFileSync(r.files.state, 'utf8')].join('\n')
    expect(secretLeaks(all, [e2e.password, PASSWORD, keys.key, ...keys.key.split('\n').filter((l) => l.length > 20)])).toEqual([])
  }

  test('with every 5th registry request failing with 503, a signed two-platform release completes', async () => {
    const log = await startProxy('503:5')
    const image = unique('503')
    const r = await runAction(inputs(image), { workspace: workspace({ ...goProgram, Dockerfile: multiStageDockerfile() }), env: baseLogin })
    expect(r.exitCode, r.log).toBe(0)
    // buildx, BuildKit's pusher and cosign retry a failed request themselves: all absorbed.
    expect(requests(log).filter((q) => q.action === '503').length).toBeGreaterThan(5)
    for (const d of [r.outputs.digest ?? '', ...Object.values(JSON.parse(r.outputs['platform-digests'] ?? '{}') as Record<string, string>)]) {
      expect(cosign('cosign', ['verify', '--key', keys.pub, '--insecure-ignore-tlog=true', `${direct(image)}@${d}`]).code).toBe(0)
    }
    noSecrets(r)
  })

  test('an 8-second registry outage: the action retries with backoff, says so, and the release completes', async () => {
    const log = await startProxy('outage:8000')
    const r = await runAction(inputs(unique('outage')), { workspace: workspace({ ...goProgram, Dockerfile: multiStageDockerfile() }), env: baseLogin })
    expect(r.exitCode, r.log).toBe(0)
    expect(r.log).toMatch(/::warning::docker login registry\.bdi\.test:\d+ failed with a transient error \(attempt 1 of 4\); retrying in 2s: /)
    expect(requests(log).filter((q) => q.action === '503').length).toBeGreaterThan(0)
    expect(r.outputs.signed).toBe('true')
    noSecrets(r)
  })

  test('with every 9th response stalled 3 s, a release completes (slower, not broken)', async () => {
    const log = await startProxy('stall:9:3000')
    const r = await runAction(inputs(unique('stall')), { workspace: workspace({ ...goProgram, Dockerfile: multiStageDockerfile() }), env: baseLogin })
    expect(r.exitCode, r.log).toBe(0)
    expect(requests(log).filter((q) => q.action === 'stall').length).toBeGreaterThan(3)
    expect(r.outputs.signed).toBe('true')
    noSecrets(r)
  })

  test('with every 7th connection reset, a release completes', async () => {
    const log = await startProxy('reset:7')
    const r = await runAction(inputs(unique('reset')), { workspace: workspace({ ...goProgram, Dockerfile: multiStageDockerfile() }), env: baseLogin })
    expect(r.exitCode, r.log).toBe(0)
    expect(requests(log).filter((q) => q.action === 'reset').length).toBeGreaterThan(3)
    noSecrets(r)
  })

  test('with every push failing, the step fails in bounded time and says what failed', async () => {
    const log = await startProxy('fail-writes')
    const r = await runAction(inputs(unique('down')), { workspace: workspace({ ...goProgram, Dockerfile: multiStageDockerfile() }), env: baseLogin })
    expect(r.exitCode, r.log).toBe(1)
    expect(r.durationMs).toBeLessThan(240_000)
    // It names the push that failed (BuildKit sometimes re-authorizes after a 503 and reports that).
    expect(r.log, r.log).toMatch(/::error::(docker buildx build exited with code 1|Push to registry\.bdi\.test:\d+ was refused)/)
    expect(r.log, r.log).toMatch(/503|Service Unavailable/)
    expect(r.outputs.digest).toBeUndefined()
    expect(requests(log).some((q) => q.action === '503')).toBe(true)
    noSecrets(r)
  })

  test('a corrupted tool download is refused by checksum and fetched again from the mirror', async () => {
    const port = 5482
    const log = await startProxy('corrupt-once:/cosign-linux-amd64$', { target: e2e.mirror, listen: `127.0.0.1:${port}` })
    const toolCache = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-fault-tc-'))
    const r = await runAction(
      { ...inputs(`${e2e.registry}/e2e-fault-corrupt-${Date.now().toString(36)}`), 'tools-url': `http://127.0.0.1:${port}/good` },
      { workspace: workspace({ ...goProgram, Dockerfile: multiStageDockerfile() }), toolCache }
    )
    expect(r.exitCode, r.log).toBe(0)
    expect(requests(log).filter((q) => q.action === 'corrupted').map((q) => q.path)).toEqual([`/good/sigstore/cosign/releases/download/v${e2e.cosign3}/cosign-linux-amd64`])
    expect(r.log).toMatch(/::warning::sha256 mismatch for cosign-linux-amd64: expected [a-f0-9]{64} \(tools-checksums input for cosign-linux-amd64\), got [a-f0-9]{64}\. .*Downloading again \(attempt 2 of 3\)/)
    expect(r.outputs.signed).toBe('true')
    noSecrets(r)
  })
})
