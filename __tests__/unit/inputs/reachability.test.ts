import { describe, expect, test } from 'vitest'
import { DEFAULT_GO_VULN_DB, DEFAULT_GOVULNCHECK_VERSION, parseReachabilityInputs } from '../../../src/inputs/reachability.js'

const reader = (values: Record<string, string>) => (name: string) => values[name] ?? ''

describe('parseReachabilityInputs', () => {
  test.each([
    ['nothing given: off, the default version and the public DB', {}, 'high', { reachability: false, govulncheckVersion: DEFAULT_GOVULNCHECK_VERSION, goVulnDb: DEFAULT_GO_VULN_DB }],
    ['on, with the gate', { reachability: 'true' }, 'high', { reachability: true, govulncheckVersion: 'v1.10.0', goVulnDb: 'https://vuln.go.dev' }],
    ['a version without its v gets one', { reachability: 'true', 'govulncheck-version': '1.1.4' }, 'critical', { reachability: true, govulncheckVersion: 'v1.1.4', goVulnDb: 'https://vuln.go.dev' }],
    ['a mirror, its trailing slash dropped', { reachability: 'true', 'go-vuln-db': 'https://vuln.mirror.example/go/' }, 'warn', { reachability: true, govulncheckVersion: 'v1.10.0', goVulnDb: 'https://vuln.mirror.example/go' }],
    ['an air-gapped copy on disk', { reachability: 'true', 'go-vuln-db': 'file:///srv/govulndb' }, 'high', { reachability: true, govulncheckVersion: 'v1.10.0', goVulnDb: 'file:///srv/govulndb' }],
    ['off with the gate off is fine', { reachability: 'false' }, 'off', { reachability: false, govulncheckVersion: 'v1.10.0', goVulnDb: 'https://vuln.go.dev' }]
  ])('%s', (_, values, gate, expected) => {
    expect(parseReachabilityInputs(reader(values), gate)).toEqual(expected)
  })

  test.each([
    ['on without the gate', { reachability: 'true' }, 'off', /^Input `reachability`: is true, but vulnerability-gate is off/],
    ['not a boolean', { reachability: 'yes' }, 'high', /^Input `reachability`: "yes" is not a boolean/],
    ['a branch for a version', { reachability: 'true', 'govulncheck-version': 'master' }, 'high', /^Input `govulncheck-version`: "master" is not a release of golang\.org\/x\/vuln/],
    ['latest', { reachability: 'true', 'govulncheck-version': 'latest' }, 'high', /^Input `govulncheck-version`: "latest"/],
    ['a pseudo-version', { reachability: 'true', 'govulncheck-version': 'v1.1.5-0.20250101000000-abcdef123456' }, 'high', /^Input `govulncheck-version`/],
    ['plain http', { reachability: 'true', 'go-vuln-db': 'http://vuln.go.dev' }, 'high', /^Input `go-vuln-db`: "http:\/\/vuln\.go\.dev" is http: govulncheck reads the database over https:\/\/ or from a file:\/\/ directory/],
    ['not a URL', { reachability: 'true', 'go-vuln-db': 'vuln.go.dev' }, 'high', /^Input `go-vuln-db`: "vuln\.go\.dev" is not a URL/],
    ['credentials in the URL', { reachability: 'true', 'go-vuln-db': 'https://u:p@vuln.example' }, 'high', /^Input `go-vuln-db`: .*carries credentials/]
  ])('refuses %s', (_, values, gate, message) => {
    expect(() => parseReachabilityInputs(reader(values), gate)).toThrow(message)
  })
})
