// The real @actions/core summary, written to a GITHUB_STEP_SUMMARY file as on a runner.
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { afterAll, beforeEach, describe, expect, test } from 'vitest'
import type { Report } from '../../../src/report/summary.js'
import { newReport, unfinished, writeSummary } from '../../../src/report/summary.js'
import type { SmokeResult } from '../../../src/gates/smoke-rules.js'
import { describeIsolation } from '../../../src/gates/smoke-rules.js'

const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-summary-')), 'summary.md')
const before = process.env.GITHUB_STEP_SUMMARY
process.env.GITHUB_STEP_SUMMARY = file
afterAll(() => {
  if (before === undefined) delete process.env.GITHUB_STEP_SUMMARY
  else process.env.GITHUB_STEP_SUMMARY = before
  fs.rmSync(path.dirname(file), { recursive: true, force: true })
})
const written = async (r: Report) => {
  await writeSummary(r)
  return fs.readFileSync(file, 'utf8')
}

const DIG = 'sha256:' + 'a'.repeat(64)
const report = (over: Partial<Report> = {}): Report => ({ ...newReport('ghcr.io/o/app'), ...over })

beforeEach(() => fs.writeFileSync(file, ''))

describe('unfinished', () => {
  test('a digest is unfinished while any of its signature or attestations failed or is pending', () => {
    const done = { subject: 'linux/amd64', digest: DIG, signature: 'verified', attestation: 'verified', provenance: 'skipped' } as const
    expect(unfinished(report({ digests: [done] }))).toEqual([])
    expect(unfinished(report({ digests: [{ ...done, provenance: 'failed' }] }))).toHaveLength(1)
    expect(unfinished(report({ digests: [{ ...done, vulnerability: 'pending' }] }))).toHaveLength(1)
  })
})

describe('writeSummary', () => {
  test('the error first, escaped; notes last', async () => {
    const text = await written(report({ error: 'bad <tag>', notes: ['a & b'] }))
    expect(text.indexOf('<h2>Image ghcr.io/o/app</h2>')).toBe(0)
    expect(text).toContain('<p><strong>❌ Failed:</strong> bad &lt;tag&gt;</p>')
    expect(text.trimEnd().endsWith('<ul><li>a &amp; b</li></ul>')).toBe(true)
  })

  test('a refused image says that no tag moved, and lists no unfinished digests', async () => {
    const d = { subject: 'linux/amd64', digest: DIG, signature: 'pending', attestation: 'skipped', provenance: 'skipped' } as const
    const text = await written(report({ digest: DIG, pushed: true, digests: [d], refused: 'No tag was moved: ghcr.io/o/app@sha256:… is in the registry by digest only; 1 stays where it was, in every registry.' }))
    expect(text).toContain('<p><strong>⛔ Pushed, refused by the checks, not signed or attested.</strong> No tag was moved: ghcr.io/o/app@sha256:… is in the registry by digest only; 1 stays where it was, in every registry.</p>')
    expect(text).not.toContain('Pushed but not signed or attested')
  })

  test('pushed but unsigned: each digest listed, and a re-run finishes it', async () => {
    const d = { subject: 'linux/amd64', digest: DIG, signature: 'failed', attestation: 'pending', provenance: 'skipped' } as const
    const text = await written(report({ digest: DIG, pushed: true, digests: [d] }))
    expect(text).toContain(`<li>linux/amd64 <code>${DIG}</code></li>`)
    expect(text).toContain('<p>Re-run the job: the digests stay the same and the missing signatures and attestations are added.</p>')
  })

  test('built, not pushed', async () => {
    expect(await written(report({ digest: DIG }))).toContain(`<p><strong>Digest:</strong> <code>${DIG}</code> (built, not pushed)</p>`)
  })

  describe('the smoke run', () => {
    const run = (over: Partial<SmokeResult> = {}): SmokeResult => ({ platform: 'linux/amd64', uid: 1_000_660_000, command: 'docker run …', startupMs: 120, emulated: false, output: '', ...over })
    const arm = run({ platform: 'linux/arm64', emulated: true, startupMs: 4000 })
    test.each<[string, Report['smoke'], string[], string[]]>([
      ['args mode: no network, and the native figure judged', { runs: [run(), arm], isolation: describeIsolation({}), budgetMs: 1000 }, ['no network (`--network none`: loopback only)', '<td>✅ within 1 s</td>', '<td>not judged (emulated)</td>', '<td>4 s (emulated)</td>'], ['internal network', 'was not judged']],
      ['probe mode says the internal network, not "no network"', { runs: [run()], isolation: describeIsolation({ http: { port: 8080, path: '/' } }) }, ['an internal network of its own', "the runner's own address on it (the bridge) is reachable"], ['no network', 'startup-budget']],
      ['no native platform: the budget was not judged, and why', { runs: [arm], isolation: describeIsolation({}), budgetMs: 1000 }, ['<strong>⚠️ startup-budget 1 s was not judged:</strong> no platform of this release runs natively on this runner; linux/arm64 ran under QEMU, whose startup times say little about the release'], ['within']],
      ['over the budget', { runs: [run({ startupMs: 1240 })], isolation: describeIsolation({}), budgetMs: 1000 }, ['<td>❌ over 1 s</td>'], ['was not judged']]
    ])('%s', async (_name, smoke, says, never) => {
      const text = await written(report({ smoke }))
      for (const t of says) expect(text).toContain(t)
      for (const t of never) expect(text).not.toContain(t)
    })
  })
})

describe('reachability in the vulnerability section', () => {
  const DIG2 = 'sha256:' + 'b'.repeat(64)
  const g = {
    gate: 'high' as const,
    severities: ['CRITICAL' as const, 'HIGH' as const],
    db: { updatedAt: '2026-11-01T06:00:00Z', source: 'r/e2e/trivy-db' },
    reachability: { govulncheckVersion: 'v1.10.0', db: 'https://vuln.go.dev' },
    scans: [
      {
        platform: 'linux/amd64',
        digest: DIG,
        findings: [],
        predicateFile: '',
          reportFile: '',
        reach: { platform: 'linux/amd64', digest: DIG, binary: '/app', vexFile: '/w/a.json', vulns: [] },
        notReachable: [{ target: 'app', pkg: 'example.com/m', installed: 'v0.2.0', id: 'CVE-2099-0004', severity: 'HIGH' as const, fixed: '0.3.0', status: 'not_affected', statement: 'vulnerable_code_not_in_execute_path', evidence: 'govulncheck GO-2099-0004: example.com/m@v0.2.0 is linked, but none of its vulnerable symbols (example.com/m.Parse) is in the binary' }]
      },
      { platform: 'linux/arm64', digest: DIG2, findings: [], predicateFile: '', reportFile: '', reach: { platform: 'linux/arm64', digest: DIG2, binary: '/bin/sh', skipped: '/bin/sh is not a Go program', vulns: [] }, notReachable: [] }
    ]
  }
  test.each([
    ['the heading names govulncheck and the database', '<p><strong>Reachability</strong> (govulncheck v1.10.0, Go vulnerability database https://vuln.go.dev):</p>'],
    ['the suppressed finding, apart, with its evidence', '<td>example.com/m</td><td>v0.2.0</td><td>CVE-2099-0004</td><td>HIGH</td><td>govulncheck GO-2099-0004: example.com/m@v0.2.0 is linked, but none of its vulnerable symbols (example.com/m.Parse) is in the binary</td>'],
    ['present, not reachable, said so', 'linux/amd64: present, not reachable'],
    ['a skipped platform says why', '<p>linux/arm64: ➖ /bin/sh is not a Go program</p>']
  ])('%s', async (_, html) => {
    expect(await written(report({ vulnerabilities: g }))).toContain(html)
  })
})

describe("GitHub's attestation store in the summary", () => {
  test.each<[string, NonNullable<Report['attestationStore']>, string[], string[]]>([
    [
      'everything stored: each one with its page',
      { repository: 'o/app', created: [{ ref: `ghcr.io/o/app@${DIG}`, subject: 'linux/amd64', predicateType: 'https://slsa.dev/provenance/v1', id: 7, url: 'https://github.com/o/app/attestations/7' }], already: 2, notStored: [] },
      ['<strong>GitHub attestation store</strong> (o/app): 1 stored now, 2 stored by an earlier attempt.', `<li>linux/amd64 <code>ghcr.io/o/app@${DIG}</code> https://slsa.dev/provenance/v1: <a href="https://github.com/o/app/attestations/7">7</a></li>`],
      ['Not in the attestation store yet']
    ],
    [
      'a bundle left out: listed, with the re-run',
      { repository: 'o/app', created: [], already: 0, notStored: [{ ref: `ghcr.io/o/app@${DIG}`, subject: 'index', predicateType: 'https://cyclonedx.org/bom', why: 'POST x: HTTP 503 <html>' }] },
      ['⚠️ Not in the attestation store yet</strong> (the bundles stay in the registry; re-run the job to upload them, nothing is signed again)', `<li>index <code>ghcr.io/o/app@${DIG}</code> https://cyclonedx.org/bom: POST x: HTTP 503 &lt;html&gt;</li>`],
      []
    ]
  ])('%s', async (_what, store, present, absent) => {
    const text = await written(report({ attestationStore: store }))
    for (const p of present) expect(text).toContain(p)
    for (const a of absent) expect(text).not.toContain(a)
  })
})
