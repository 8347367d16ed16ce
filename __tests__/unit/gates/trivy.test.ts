// trivy's command lines and the JSON the action reads, pinned to trivy's documentation
// (trivy.dev: `trivy image` flags, the JSON report, the DB's metadata.json) and to the output of
// the real trivy v0.74.0, the action's default, built from its module for the e2e suite
// (fixtures: its reports of an e2e worker image against the e2e fixture DB, and that DB's
// metadata.json as it downloaded it). The e2e suite runs the same version end to end: several
// `--db-repository` tried in order (one per download; trivy adds the `:2` tag itself), `--vex`
// with an OpenVEX document, `--ignorefile`, `--ignore-unfixed`, `--severity`, `--exit-code`.
// Older trivy releases differ: before v0.47 there is no `--vex`; 0.44 reports no `stdlib` and
// prints no error line on a failure (the gate's own `--exit-code` keeps 1 meaning "could not scan").
import * as fs from 'node:fs'
import * as path from 'node:path'
import { describe, expect, test } from 'vitest'
import type { GateLevel } from '../../../src/inputs/vulnerability.js'
import { FINDINGS_EXIT_CODE, countBySeverity, downloadDbArgv, findingsOf, parseDbMetadata, scanArgv, severitiesFor, suppressedOf, vulnPredicate } from '../../../src/gates/trivy.js'

const fixture = (name: string) => JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '../../fixtures', name), 'utf8')) as unknown
const REF = 'ghcr.io/acme/op@sha256:09437198314221a66e8c9d56af6c91a0e78495ce7022afb8d2b6726f42418ce4'

describe('argv', () => {
  test('the DB download: one repository, into the cache dir, nothing scanned', () => {
    expect(downloadDbArgv('mirror.gcr.io/aquasec/trivy-db', '/home/runner/.cache/bdi/trivy')).toEqual(['image', '--download-db-only', '--db-repository', 'mirror.gcr.io/aquasec/trivy-db', '--cache-dir', '/home/runner/.cache/bdi/trivy', '--no-progress'])
  })

  const base = ['image', '--format', 'json', '--output', '/w/vuln/linux-amd64.trivy.json', '--exit-code', '3', '--severity', 'CRITICAL,HIGH', '--scanners', 'vuln', '--skip-db-update', '--cache-dir', '/c', '--image-src', 'remote', '--no-progress']
  test.each<[string, Partial<Parameters<typeof scanArgv>[1]>, string[]]>([
    ['the gate high: its severities, exit code 3 for findings, the remote image only', {}, [...base, REF]],
    ['only-fixed', { onlyFixed: true }, [...base, '--ignore-unfixed', REF]],
    ['a .trivyignore', { ignore: { file: '/ws/.trivyignore', kind: 'trivyignore' } }, [...base, '--ignorefile', '/ws/.trivyignore', REF]],
    ['an OpenVEX document', { ignore: { file: '/ws/vex.json', kind: 'openvex' } }, [...base, '--vex', '/ws/vex.json', REF]],
    ['push: false: one platform\'s OCI layout from disk (--input), never the registry', { input: '/w/local/linux-amd64' }, [...base.slice(0, 14), '--no-progress', '--input', '/w/local/linux-amd64']],
    ["reachability: govulncheck's OpenVEX, and the findings it suppressed listed", { reachabilityVex: '/w/reachability/linux-amd64.openvex.json' }, [...base, '--vex', '/w/reachability/linux-amd64.openvex.json', '--show-suppressed', REF]],
    ['reachability beside an ignore file: both', { ignore: { file: '/ws/.trivyignore', kind: 'trivyignore' }, reachabilityVex: '/w/r.json' }, [...base, '--ignorefile', '/ws/.trivyignore', '--vex', '/w/r.json', '--show-suppressed', REF]],
    ['warn: every severity', { severities: severitiesFor('warn') }, ['image', '--format', 'json', '--output', '/w/vuln/linux-amd64.trivy.json', '--exit-code', '3', '--severity', 'CRITICAL,HIGH,MEDIUM,LOW,UNKNOWN', ...base.slice(9), REF]]
  ])('%s', (_name, o, argv) => {
    expect(scanArgv(REF, { cacheDir: '/c', output: '/w/vuln/linux-amd64.trivy.json', severities: ['CRITICAL', 'HIGH'], onlyFixed: false, ...o })).toEqual(argv)
  })

  test('the findings exit code is one trivy never uses for a failure (it exits 1 on any)', () => {
    expect(FINDINGS_EXIT_CODE).not.toBe(0)
    expect(FINDINGS_EXIT_CODE).not.toBe(1)
  })
})

describe('severitiesFor: the gate and above', () => {
  test.each<[GateLevel, string[]]>([
    ['critical', ['CRITICAL']],
    ['high', ['CRITICAL', 'HIGH']],
    ['medium', ['CRITICAL', 'HIGH', 'MEDIUM']],
    ['low', ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW']],
    ['warn', ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN']]
  ])('%s', (gate, severities) => {
    expect(severitiesFor(gate)).toEqual(severities)
  })
})

describe('findingsOf: the JSON report (SchemaVersion 2, Results[].Vulnerabilities[])', () => {
  test('the real report of the fixture image: the Debian advisories and the Go module', () => {
    const findings = findingsOf(fixture('trivy-0.74.0-image-findings.json'), 'the report')
    expect(findings.map((f) => [f.pkg, f.installed, f.id, f.severity, f.fixed])).toEqual([
      ['base-files', '13.8+deb13u8', 'CVE-2099-0001', 'HIGH', '99.0'],
      ['tzdata', expect.any(String), 'CVE-2099-0002', 'CRITICAL', ''],
      ['example.com/fixture/vulnerable', 'v0.1.0', 'CVE-2099-0003', 'HIGH', '0.17.0']
    ])
    expect(findings[0]?.target).toMatch(/ \(debian 13\.8\)$/)
    expect(findings[2]?.target).toBe('worker')
    expect(countBySeverity(findings)).toEqual([['CRITICAL', 1], ['HIGH', 2]])
  })

  test('a clean report: Results without Vulnerabilities', () => {
    expect(findingsOf(fixture('trivy-0.74.0-image-clean.json'), 'the report')).toEqual([])
  })

  test.each<[string, unknown]>([
    ['not JSON of a report', { hello: 1 }],
    ['another schema version', { SchemaVersion: 1, Results: [] }],
    ['Results not a list', { SchemaVersion: 2, Results: {} }]
  ])('refused: %s', (_name, report) => {
    expect(() => findingsOf(report, 'trivy\'s report of linux/amd64')).toThrow(/trivy's report of linux\/amd64/)
  })

  test('no Results at all is no finding; an unknown severity counts as UNKNOWN', () => {
    expect(findingsOf({ SchemaVersion: 2 }, 'r')).toEqual([])
    expect(findingsOf({ SchemaVersion: 2, Results: [{ Target: 't', Vulnerabilities: [{ VulnerabilityID: 'X', PkgName: 'p', InstalledVersion: '1', Severity: 'weird' }] }] }, 'r')).toEqual([{ target: 't', pkg: 'p', installed: '1', id: 'X', severity: 'UNKNOWN', fixed: '' }])
  })
})

describe('the DB metadata and the vuln predicate', () => {
  test('metadata.json as trivy-db writes it (the fixture DB, downloaded by trivy)', () => {
    const text = fs.readFileSync(path.join(import.meta.dirname, '../../fixtures/trivy-db-metadata.json'), 'utf8')
    expect(parseDbMetadata(text)).toEqual({ version: 2, updatedAt: '2026-11-01T06:00:00Z', nextUpdate: '2999-01-01T00:00:00Z' })
    expect(() => parseDbMetadata('{"NextUpdate":"x"}')).toThrow(/no Version or UpdatedAt/)
  })

  test("cosign's vuln predicate (cosign attest --type vuln): invocation, scanner with DB and result, scan times", () => {
    const report = { SchemaVersion: 2, ArtifactName: REF }
    expect(vulnPredicate({ trivyVersion: '0.74.0', dbRepository: 'ghcr.io/aquasecurity/trivy-db', db: { version: 2, updatedAt: '2026-11-28T00:00:00Z', nextUpdate: '' }, report, startedOn: new Date('2026-11-29T10:00:00Z'), finishedOn: new Date('2026-11-29T10:00:05Z') })).toEqual({
      invocation: { parameters: null, uri: '', event_id: '', 'builder.id': '' },
      scanner: { uri: 'pkg:github/aquasecurity/trivy@v0.74.0', version: '0.74.0', db: { uri: 'ghcr.io/aquasecurity/trivy-db', version: '2026-11-28T00:00:00Z' }, result: report },
      metadata: { scanStartedOn: '2026-11-29T10:00:00.000Z', scanFinishedOn: '2026-11-29T10:00:05.000Z' }
    })
  })

  // A verifier's policy can refuse a scan whose DB was not checked against its repository.
  test.each<[string, { checked: true; digest: string; against: string } | { checked: false; why: string }, object]>([
    ['a DB checked against the layer its repository serves', { checked: true, digest: `sha256:${'e'.repeat(64)}`, against: 'ghcr.io/aquasecurity/trivy-db' }, { 'trivy-db': { checked: true, digest: `sha256:${'e'.repeat(64)}`, repository: 'ghcr.io/aquasecurity/trivy-db' } }],
    ['a DB from the Actions cache no repository could vouch for', { checked: false, why: 'no repository answered' }, { 'trivy-db': { checked: false, why: 'no repository answered' } }]
  ])('the invocation parameters record %s', (_name, integrity, parameters) => {
    const p = vulnPredicate({ trivyVersion: '0.74.0', dbRepository: 'ghcr.io/aquasecurity/trivy-db', db: { version: 2, updatedAt: '2026-11-28T00:00:00Z', nextUpdate: '' }, integrity, report: {}, startedOn: new Date(0), finishedOn: new Date(0) }) as { invocation: { parameters: unknown } }
    expect(p.invocation.parameters).toEqual(parameters)
  })
})

// The real trivy 0.74.0 (rootfs of the reachability workload's binary, the fixture DB, --severity
// CRITICAL,HIGH) with govulncheck's OpenVEX as the action rewrites it (module purls as products):
// the statement matched by its CVE alias suppressed CVE-2099-0004, and CVE-2099-0003 stayed.
describe('suppressedOf (--show-suppressed)', () => {
  const report = fixture('trivy-0.74.0-reachability-vex.json')
  test('the finding govulncheck said is not reachable, with the statement; the reachable one still a finding', () => {
    expect(findingsOf(report, 'r').map((f) => [f.target, f.pkg, f.id])).toEqual([['usr/local/bin/reach', 'example.com/fixture/vulnerable', 'CVE-2099-0003']])
    expect(suppressedOf(report)).toEqual([
      { target: 'usr/local/bin/reach', pkg: 'example.com/fixture/unreached', installed: 'v0.2.0', id: 'CVE-2099-0004', severity: 'HIGH', fixed: '0.3.0', status: 'not_affected', statement: 'vulnerable_code_not_in_execute_path' }
    ])
  })
  test.each([
    ['no Results', { SchemaVersion: 2 }],
    ['a misconfiguration modified, not a vulnerability', { SchemaVersion: 2, Results: [{ Target: 't', ExperimentalModifiedFindings: [{ Type: 'misconfiguration', Status: 'ignored', Finding: { ID: 'x' } }] }] }],
    ['a finding without its body', { SchemaVersion: 2, Results: [{ Target: 't', ExperimentalModifiedFindings: [{ Type: 'vulnerability', Status: 'not_affected' }] }] }]
  ])('nothing suppressed: %s', (_, r) => {
    expect(suppressedOf(r)).toEqual([])
  })
})
