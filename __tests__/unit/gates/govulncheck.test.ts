// Fixtures: the real govulncheck v1.10.0 (built by scripts/e2e/gotools.sh) in binary mode against
// the suite's fixture DB (scripts/e2e/govulndb), on the reachability workload of
// __tests__/e2e/reachability.test.ts: it calls example.com/fixture/vulnerable.Name (GO-2099-0003),
// links example.com/fixture/unreached without calling Parse (GO-2099-0004), and never calls
// fmt.Sscanf (GO-2099-0005, the standard library).
import * as fs from 'node:fs'
import * as path from 'node:path'
import { describe, expect, test } from 'vitest'
import type { GoVuln } from '../../../src/gates/govulncheck.js'
import { evidence, goPurl, installArgv, installEnv, isGoBinary, parseVex, scanArgv, statementFor, vexForImage, vulnsOf } from '../../../src/gates/govulncheck.js'

const fixture = (name: string) => fs.readFileSync(path.join(__dirname, '../../fixtures', name), 'utf8')
const json = fixture('govulncheck-1.10.0-binary.json')
const vex = fixture('govulncheck-1.10.0-binary.openvex.json')
/** The Go version the fixture's binary was built with, as GO: the fixture is not about it. */
const goVersionless = (v: unknown): unknown => JSON.parse(JSON.stringify(v).replace(/stdlib@v1\.\d+\.\d+/g, 'stdlib@GO'))

describe('command lines', () => {
  test.each([
    ['v1.10.0', ['install', 'golang.org/x/vuln/cmd/govulncheck@v1.10.0']],
    ['v1.1.4', ['install', 'golang.org/x/vuln/cmd/govulncheck@v1.1.4']]
  ])('go install %s', (version, argv) => {
    expect(installArgv(version)).toEqual(argv)
  })

  test.each([
    ['json', 'https://vuln.go.dev', ['-mode', 'binary', '-db', 'https://vuln.go.dev', '-format', 'json', '/w/linux-arm64-app']],
    ['openvex', 'file:///srv/govulndb', ['-mode', 'binary', '-db', 'file:///srv/govulndb', '-format', 'openvex', '/w/linux-arm64-app']]
  ] as const)('binary mode, %s', (format, db, argv) => {
    expect(scanArgv(db, format, '/w/linux-arm64-app')).toEqual(argv)
  })

  test.each([
    ['the runner says nothing: the public checksum DB', {}, 'sum.golang.org'],
    ['a job that turned the checksum DB off gets it back', { GOSUMDB: 'off', GONOSUMDB: 'golang.org', GOFLAGS: '-insecure', GOPRIVATE: '*', GOINSECURE: '*' }, 'sum.golang.org'],
    ['a mirror of the checksum DB is kept', { GOSUMDB: 'sum.golang.org https://sumdb.mirror.example' }, 'sum.golang.org https://sumdb.mirror.example']
  ])('go install env: %s', (_, env, sumdb) => {
    expect(installEnv(env, '/w/bin')).toEqual({ GOBIN: '/w/bin', CGO_ENABLED: '0', GOFLAGS: '-trimpath', GOSUMDB: sumdb, GONOSUMDB: '', GONOSUMCHECK: '', GOPRIVATE: '', GOINSECURE: '' })
  })
})

test.each([
  ['a Go binary (build info marker)', Buffer.concat([Buffer.from('\x7fELF', 'latin1'), Buffer.alloc(64), Buffer.from('\xff Go buildinf:\x08\x02', 'latin1'), Buffer.alloc(16)]), true],
  ['a C binary', Buffer.concat([Buffer.from('\x7fELF', 'latin1'), Buffer.alloc(64), Buffer.from('GCC: (Debian 14.2.0-19) 14.2.0', 'latin1')]), false],
  ['a script', Buffer.from('#!/bin/sh\necho Go buildinf\n'), false]
])('isGoBinary: %s', (_, bytes, expected) => {
  expect(isGoBinary(bytes)).toBe(expected)
})

describe('vulnsOf (govulncheck -format json)', () => {
  const vulns = vulnsOf(json)
  test('one entry per vulnerability, at the most precise level govulncheck found', () => {
    expect(vulns.map((v) => [v.id, v.module, v.version, v.level, v.fixed])).toEqual([
      ['GO-2099-0003', 'example.com/fixture/vulnerable', 'v0.1.0', 'called', 'v0.17.0'],
      ['GO-2099-0004', 'example.com/fixture/unreached', 'v0.2.0', 'imported', 'v0.3.0'],
      ['GO-2099-0005', 'stdlib', expect.stringMatching(/^v1\.\d+\.\d+$/), 'imported', undefined]
    ])
  })
  test('aliases and the vulnerable symbols from the OSV entries; the called one with its trace', () => {
    const byId = Object.fromEntries(vulns.map((v) => [v.id, v]))
    expect(byId['GO-2099-0003']).toMatchObject({ aliases: ['CVE-2099-0003'], symbols: ['example.com/fixture/vulnerable.Name'], traces: [['example.com/fixture/vulnerable.Name']] })
    expect(byId['GO-2099-0004']).toMatchObject({ aliases: ['CVE-2099-0004'], symbols: ['example.com/fixture/unreached.Parse'], traces: [] })
    expect(byId['GO-2099-0005']).toMatchObject({ aliases: ['CVE-2099-0005'], symbols: ['fmt.Sscanf'], traces: [] })
  })
  test.each([
    ['no config message', '{\n  "progress": {}\n}\n', /wrote no config message/],
    ['broken JSON', '{\n  "config": {\n', /message 1 does not parse/]
  ])('refuses %s', (_, text, message) => {
    expect(() => vulnsOf(text)).toThrow(message)
  })
})

describe('the OpenVEX', () => {
  const doc = parseVex(vex)
  test('govulncheck names no product: its modules are subcomponents of "Unknown Product", path-escaped', () => {
    expect(doc.statements.map((s) => [s.vulnerability.name, s.status, s.justification, goVersionless(s.products)])).toEqual([
      ['GO-2099-0003', 'affected', undefined, [{ '@id': 'Unknown Product', subcomponents: [{ '@id': 'pkg:golang/example.com%2Ffixture%2Fvulnerable@v0.1.0' }] }]],
      ['GO-2099-0004', 'not_affected', 'vulnerable_code_not_in_execute_path', [{ '@id': 'Unknown Product', subcomponents: [{ '@id': 'pkg:golang/example.com%2Ffixture%2Funreached@v0.2.0' }] }]],
      ['GO-2099-0005', 'not_affected', 'vulnerable_code_not_in_execute_path', [{ '@id': 'Unknown Product', subcomponents: [{ '@id': 'pkg:golang/stdlib@GO' }] }]]
    ])
  })
  test('for the image: each module, as trivy spells its purl, is the product; the author is the action; an affected one says what to do', () => {
    const out = vexForImage(doc, { author: 'build-distroless-image with govulncheck v1.10.0', ref: 'r.example/app@sha256:abc' })
    expect(out.author).toBe('build-distroless-image with govulncheck v1.10.0')
    expect(out['@context']).toBe('https://openvex.dev/ns/v0.2.0')
    expect(out.statements.map((s) => goVersionless(s.products))).toEqual([
      [{ '@id': 'pkg:golang/example.com/fixture/vulnerable@v0.1.0' }],
      [{ '@id': 'pkg:golang/example.com/fixture/unreached@v0.2.0' }],
      [{ '@id': 'pkg:golang/stdlib@GO' }]
    ])
    expect(out.statements[0]?.action_statement).toBe('Update the module: r.example/app@sha256:abc calls the vulnerable code')
    expect(out.statements[1]?.action_statement).toBeUndefined()
    expect(out.statements[1]?.impact_statement).toBe("Govulncheck determined that the vulnerable code isn't called")
  })
  test.each([
    ['not JSON', 'Scanning your binary', /does not parse/],
    ['another JSON', '{"SchemaVersion": 2}', /no OpenVEX document/],
    ['statements not a list', '{"@context": "https://openvex.dev/ns/v0.2.0", "statements": {}}', /statements are not a list/]
  ])('refuses %s', (_, text, message) => {
    expect(() => parseVex(text)).toThrow(message)
  })
  test('statements: null reads as none', () => {
    expect(parseVex('{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "x", "author": "a", "timestamp": "t", "version": 1, "statements": null}').statements).toEqual([])
  })
})

test.each([
  ['pkg:golang/example.com%2Ffixture%2Funreached@v0.2.0', 'pkg:golang/example.com/fixture/unreached@v0.2.0'],
  ['pkg:golang/stdlib@v1.24.4', 'pkg:golang/stdlib@v1.24.4'],
  ['pkg:golang/golang.org%2Fx%2Fnet', 'pkg:golang/golang.org/x/net'],
  ['pkg:deb/debian/tzdata@2025b-4', 'pkg:deb/debian/tzdata@2025b-4']
])('goPurl %s', (given, expected) => {
  expect(goPurl(given)).toBe(expected)
})

describe('a trivy finding and govulncheck', () => {
  const vulns = vulnsOf(json)
  test.each([
    ['by CVE alias and module', 'CVE-2099-0004', 'example.com/fixture/unreached', 'GO-2099-0004'],
    ['by Go ID', 'GO-2099-0003', 'example.com/fixture/vulnerable', 'GO-2099-0003'],
    ['the same CVE in another package is not it', 'CVE-2099-0004', 'example.com/other', undefined],
    ['a Debian finding', 'CVE-2099-0001', 'base-files', undefined]
  ])('statementFor: %s', (_, id, pkg, expected) => {
    expect(statementFor(vulns, id, pkg)?.id).toBe(expected)
  })
  test.each([
    ['GO-2099-0003', 'govulncheck GO-2099-0003 (CVE-2099-0003): example.com/fixture/vulnerable@v0.1.0 is called: example.com/fixture/vulnerable.Name'],
    ['GO-2099-0004', 'govulncheck GO-2099-0004 (CVE-2099-0004): example.com/fixture/unreached@v0.2.0 is linked, but none of its vulnerable symbols (example.com/fixture/unreached.Parse) is in the binary']
  ])('evidence %s', (id, line) => {
    expect(evidence(vulns.find((v) => v.id === id) as GoVuln)).toBe(line)
  })
  test('a module only in the build info', () => {
    const v: GoVuln = { id: 'GO-1', aliases: [], module: 'm', version: 'v1', level: 'required', symbols: ['m/p.F'], traces: [] }
    expect(evidence(v)).toBe('govulncheck GO-1: m@v1 is in the build info, but none of its vulnerable packages is linked (m/p.F)')
  })
})
