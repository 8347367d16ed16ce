// The gate: each platform scanned by digest (exact argv), trivy's exit code and report must
// agree, a scanner failure is an error of its own; the verdict per gate level.
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { beforeEach, describe, expect, test, vi } from 'vitest'
import type * as Exec from '../../src/lib/exec.js'
import type { VulnerabilityInputs } from '../../src/inputs/vulnerability.js'
import type { Finding } from '../../src/gates/trivy.js'
import type { GateScans } from '../../src/gates/vulnerability-step.js'

const FINDINGS = fs.readFileSync(path.join(import.meta.dirname, '../fixtures/trivy-0.44.1-image-findings.json'), 'utf8')
const CLEAN = fs.readFileSync(path.join(import.meta.dirname, '../fixtures/trivy-0.44.1-image-clean.json'), 'utf8')
const calls: Array<{ args: string[]; cwd?: string }> = []
/** Per platform digest: trivy's exit code and the report it writes (undefined: none). */
let outcome: (ref: string) => { exitCode: number; report?: string; stderr?: string } = () => ({ exitCode: 0, report: CLEAN })
vi.mock('../../src/lib/exec.js', async (importOriginal) => ({
  ...(await importOriginal<typeof Exec>()),
  run: vi.fn((_file: string, args: string[], opts: { cwd?: string } = {}) => {
    calls.push({ args, cwd: opts.cwd })
    const o = outcome(args.at(-1) ?? '')
    const output = args[args.indexOf('--output') + 1]
    if (o.report !== undefined && output) fs.writeFileSync(output, o.report)
    return Promise.resolve({ exitCode: o.exitCode, stdout: '', stderr: o.stderr ?? '' })
  })
}))
vi.mock('@actions/core', async (importOriginal) => ({ ...(await importOriginal<object>()), info: () => undefined, warning: () => undefined }))
vi.mock('../../src/gates/vulnerability-db.js', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  prepareDb: vi.fn((_t: string, _r: string[], cacheDir: string) => Promise.resolve({ cacheDir, metadata: { version: 2, updatedAt: '2026-11-28T06:00:00Z', nextUpdate: '' }, source: 'ghcr.io/aquasecurity/trivy-db', repository: 'ghcr.io/aquasecurity/trivy-db' }))
}))
const { gateVerdict, scanPlatforms } = await import('../../src/gates/vulnerability-step.js')
const { ScannerError } = await import('../../src/gates/vulnerability-db.js')

const N = 'ghcr.io/acme/op'
const AMD = 'sha256:' + 'a'.repeat(64)
const ARM = 'sha256:' + 'b'.repeat(64)
const gate = (o: Partial<VulnerabilityInputs> = {}): VulnerabilityInputs => ({ vulnerabilityGate: 'high', onlyFixed: false, vulnerabilityAttestation: true, trivyVersion: '0.73.0', trivyDbRepositories: ['ghcr.io/aquasecurity/trivy-db'], ...o })
let ctx: Parameters<typeof scanPlatforms>[3]

beforeEach(() => {
  calls.length = 0
  outcome = () => ({ exitCode: 0, report: CLEAN })
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-gate-'))
  ctx = { trivy: '/tc/trivy', workDir: path.join(root, 'work'), cacheDir: path.join(root, 'cache'), env: { DOCKER_CONFIG: '/rt/cfg' }, cache: { available: () => false, restore: () => Promise.resolve(undefined), save: () => Promise.resolve() }, now: new Date() }
  fs.mkdirSync(ctx.workDir)
})

describe('scanPlatforms', () => {
  test('each platform by digest, from the registry, in the action dir (never the workspace .trivyignore)', async () => {
    outcome = (ref) => (ref.endsWith(AMD) ? { exitCode: 3, report: FINDINGS } : { exitCode: 0, report: CLEAN })
    const g = await scanPlatforms(N, { 'linux/amd64': AMD, 'linux/arm64': ARM }, gate({ onlyFixed: true }), ctx)
    const dir = path.join(ctx.workDir, 'vuln')
    expect(calls).toEqual([
      { args: ['image', '--format', 'json', '--output', path.join(dir, 'linux-amd64.trivy.json'), '--exit-code', '3', '--severity', 'CRITICAL,HIGH', '--scanners', 'vuln', '--skip-db-update', '--cache-dir', ctx.cacheDir, '--image-src', 'remote', '--no-progress', '--ignore-unfixed', `${N}@${AMD}`], cwd: dir },
      { args: ['image', '--format', 'json', '--output', path.join(dir, 'linux-arm64.trivy.json'), '--exit-code', '3', '--severity', 'CRITICAL,HIGH', '--scanners', 'vuln', '--skip-db-update', '--cache-dir', ctx.cacheDir, '--image-src', 'remote', '--no-progress', '--ignore-unfixed', `${N}@${ARM}`], cwd: dir }
    ])
    expect(g.scans.map((s) => [s.platform, s.findings.length])).toEqual([['linux/amd64', 3], ['linux/arm64', 0]])
    expect(g.db).toEqual({ updatedAt: '2026-11-28T06:00:00Z', source: 'ghcr.io/aquasecurity/trivy-db' })
    // The predicate cosign attests: the report inside cosign's vuln predicate.
    const predicate = JSON.parse(fs.readFileSync(g.scans[0]?.predicateFile ?? '', 'utf8')) as { scanner: { db: unknown; result: unknown } }
    expect(predicate.scanner.db).toEqual({ uri: 'ghcr.io/aquasecurity/trivy-db', version: '2026-11-28T06:00:00Z' })
    expect(predicate.scanner.result).toEqual(JSON.parse(FINDINGS))
  })

  test('a leftover DB in the cache dir is removed first: only the cache or a download fills it', async () => {
    fs.mkdirSync(path.join(ctx.cacheDir, 'db'), { recursive: true })
    fs.writeFileSync(path.join(ctx.cacheDir, 'db', 'trivy.db'), 'stale')
    await scanPlatforms(N, { 'linux/amd64': AMD }, gate(), ctx)
    expect(fs.existsSync(path.join(ctx.cacheDir, 'db', 'trivy.db'))).toBe(false)
  })

  test.each<[string, ReturnType<typeof outcome>, RegExp]>([
    ['trivy failed (exit 1): a scanner error, with what it printed', { exitCode: 1, stderr: 'FATAL\tunable to initialize the image: unauthorized' }, /^The scanner failed on linux\/amd64 \(ghcr\.io\/acme\/op@sha256:a+\): trivy exited with code 1:\nFATAL\tunable to initialize the image: unauthorized\nThis is not a finding/],
    ['exit 0 with findings in the report: inconsistent, never a pass', { exitCode: 0, report: FINDINGS }, /inconsistent: trivy exited with code 0, and its report lists 3 finding\(s\)/],
    ['exit 3 with a clean report: inconsistent', { exitCode: 3, report: CLEAN }, /inconsistent: trivy exited with code 3, and its report lists 0 finding/],
    ['exit 0 and no report written', { exitCode: 0 }, /trivy exited with code 0 but its report .* could not be read/],
    ['a report that is not one', { exitCode: 0, report: '{"SchemaVersion":1}' }, /trivy's report of linux\/amd64 is not a trivy JSON report of schema version 2/]
  ])('%s', async (_name, o, message) => {
    outcome = () => o
    const err = await scanPlatforms(N, { 'linux/amd64': AMD }, gate(), ctx).catch((e: unknown) => e)
    expect((err as Error).message).toMatch(message)
    expect(err).toBeInstanceOf(ScannerError)
  })
})

describe('gateVerdict', () => {
  const f = (severity: Finding['severity'], fixed = ''): Finding => ({ target: 't', pkg: 'p', installed: '1', id: `CVE-${severity}`, severity, fixed })
  const scans = (gateLevel: GateScans['gate'], amd: Finding[], arm: Finding[] = []): GateScans => ({
    gate: gateLevel,
    severities: ['CRITICAL', 'HIGH'],
    db: { updatedAt: '2026-11-28T06:00:00Z', source: 'ghcr.io/aquasecurity/trivy-db' },
    scans: [
      { platform: 'linux/amd64', digest: AMD, findings: amd, predicateFile: '' },
      { platform: 'linux/arm64', digest: ARM, findings: arm, predicateFile: '' }
    ]
  })

  test('no finding: a pass, with the DB in the note', () => {
    expect(gateVerdict(scans('high', []), false)).toEqual({ notes: ['Vulnerability gate (high): trivy DB built 2026-11-28T06:00:00Z, from ghcr.io/aquasecurity/trivy-db; no findings at CRITICAL, HIGH'] })
  })

  test('findings under a severity gate: refused, counts per severity and platform, and how to go on', () => {
    const v = gateVerdict(scans('high', [f('HIGH', '99.0'), f('CRITICAL'), f('HIGH', '0.17.0')], [f('HIGH', '99.0')]), false)
    expect(v.refusal).toBe(
      'Vulnerability gate (high): 1 CRITICAL, 3 HIGH at or above HIGH (linux/amd64: 1 CRITICAL, 2 HIGH; linux/arm64: 1 HIGH). The summary lists each finding. Update the affected packages and release again (only-fixed: true ignores findings that have no fix yet; vulnerability-ignore names a .trivyignore file or an OpenVEX document for findings that do not apply).'
    )
    expect(v.warning).toBeUndefined()
  })

  test('only-fixed already on: the hint does not suggest it again', () => {
    expect(gateVerdict(scans('critical', [f('CRITICAL', '2.0')]), true).refusal).not.toContain('only-fixed')
  })

  test('warn: a warning, never a refusal', () => {
    const v = gateVerdict(scans('warn', [f('LOW'), f('HIGH')]), false)
    expect(v.refusal).toBeUndefined()
    expect(v.warning).toBe('Vulnerabilities found (vulnerability-gate: warn, so the release goes on): linux/amd64: 1 HIGH, 1 LOW')
  })
})
