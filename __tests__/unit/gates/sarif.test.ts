import * as fs from 'node:fs'
import * as path from 'node:path'
import { describe, expect, test } from 'vitest'
import { mergeSarif, sarifConvertArgv } from '../../../src/gates/sarif.js'

// Real trivy 0.74.0 output: `trivy convert --format sarif` of the real JSON report fixture.
const fixture = (f: string) => JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '../../fixtures', f), 'utf8')) as unknown
const trivySarif = fixture('trivy-0.74.0-image-findings.sarif') as { $schema: string; runs: Array<{ tool: { driver: { name: string; rules: Array<{ id: string }> } }; results: Array<{ ruleId: string }> }> }

test('trivy convert argv: SARIF of the JSON report the gate judged', () => {
  expect(sarifConvertArgv('/w/vuln/linux-amd64.trivy.json', '/w/vuln/linux-amd64.sarif')).toEqual(['convert', '--format', 'sarif', '--output', '/w/vuln/linux-amd64.sarif', '/w/vuln/linux-amd64.trivy.json'])
})

test("the fixture is trivy's own: rules and results by the CVE IDs of the report", () => {
  expect(trivySarif.runs[0]?.tool.driver.name).toBe('Trivy')
  expect(trivySarif.runs[0]?.tool.driver.rules.map((r) => r.id).sort()).toEqual(['CVE-2099-0001', 'CVE-2099-0002', 'CVE-2099-0003'])
})

describe('mergeSarif', () => {
  test('one run per platform, each its own category, trivy\'s runs otherwise unchanged', () => {
    const log = mergeSarif(
      [
        { platform: 'linux/amd64', log: trivySarif },
        { platform: 'linux/arm64', log: trivySarif }
      ],
      'trivy/ghcr.io/o/app'
    )
    expect(log.version).toBe('2.1.0')
    expect(log.$schema).toBe(trivySarif.$schema)
    expect(log.runs?.map((r) => (r.automationDetails as { id: string }).id)).toEqual(['trivy/ghcr.io/o/app/linux/amd64/', 'trivy/ghcr.io/o/app/linux/arm64/'])
    expect(log.runs?.[0]).toEqual({ ...trivySarif.runs[0], automationDetails: { id: 'trivy/ghcr.io/o/app/linux/amd64/' } })
  })

  test.each([
    ['not SARIF 2.1.0', { version: '2.0.0', runs: [] }],
    ['no runs', { version: '2.1.0' }],
    ['not an object', 'oops']
  ])('refuses what trivy wrote when it is %s', (_name, log) => {
    expect(() => mergeSarif([{ platform: 'linux/amd64', log }], 'c')).toThrow("trivy's SARIF of linux/amd64 is not a SARIF 2.1.0 log")
  })
})
