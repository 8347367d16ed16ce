/**
 * The reachability slice: `reachability`, `govulncheck-version`, `go-vuln-db`. govulncheck reads
 * each platform's Go entrypoint, and its OpenVEX tells the vulnerability gate which Go findings
 * the binary cannot reach.
 */
import { InputError } from '../lib/errors.js'
import type { InputReader } from './values.js'
import { bool } from './values.js'

/** golang.org/x/vuln's release the action `go install`s by default. */
export const DEFAULT_GOVULNCHECK_VERSION = 'v1.10.0'
export const DEFAULT_GO_VULN_DB = 'https://vuln.go.dev'

export interface ReachabilityInputs {
  /** govulncheck's OpenVEX goes to trivy (`--vex`) and is attested to each platform digest. */
  reachability: boolean
  /** A module version of golang.org/x/vuln, with its v: `go install` takes exactly this. */
  govulncheckVersion: string
  /** The Go vulnerability database, `https://` or `file://` (a mirror, an air-gapped copy). */
  goVulnDb: string
}

// A release version only: a branch or a pseudo-version would make the scanner move under the pin.
const MODULE_VERSION = /^v\d+\.\d+\.\d+$/

export function parseReachabilityInputs(read: InputReader, gate: string): ReachabilityInputs {
  const reachability = bool(read, 'reachability', false)
  if (reachability && gate === 'off') {
    throw new InputError('reachability', 'is true, but vulnerability-gate is off: reachability tells the gate which Go findings the binary cannot reach, so set vulnerability-gate (e.g. high), or leave reachability out')
  }
  const rawVersion = read('govulncheck-version').trim() || DEFAULT_GOVULNCHECK_VERSION
  const version = rawVersion.startsWith('v') ? rawVersion : `v${rawVersion}`
  if (!MODULE_VERSION.test(version)) {
    throw new InputError('govulncheck-version', `"${rawVersion}" is not a release of golang.org/x/vuln such as ${DEFAULT_GOVULNCHECK_VERSION}: give vMAJOR.MINOR.PATCH (go install builds exactly that version)`)
  }
  const db = (read('go-vuln-db').trim() || DEFAULT_GO_VULN_DB).replace(/\/+$/, '')
  let url: URL
  try {
    url = new URL(db)
  } catch {
    throw new InputError('go-vuln-db', `"${db}" is not a URL: give the Go vulnerability database's root, e.g. ${DEFAULT_GO_VULN_DB} or file:///srv/govulndb`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'file:') {
    throw new InputError('go-vuln-db', `"${db}" is ${url.protocol.replace(/:$/, '')}: govulncheck reads the database over https:// or from a file:// directory, nothing else`)
  }
  if (url.username || url.password) throw new InputError('go-vuln-db', `"${url.protocol}//…@${url.host}" carries credentials in the URL, which would be logged: serve the mirror without them`)
  return { reachability, govulncheckVersion: version, goVulnDb: db }
}
