/**
 * trivy's command lines and the JSON the action reads from it, pinned by tests taken from trivy's
 * documentation (`trivy image`, the JSON report, the DB's metadata.json). No I/O here.
 */
import type { GateLevel, VulnerabilityIgnore } from '../inputs/vulnerability.js'

/**
 * The exit code trivy is asked to use for findings (`--exit-code`). trivy itself exits 1 on any
 * failure (a bad flag, no database, a registry that refused), so 1 can never mean "findings" and
 * 0 is only a pass when the report agrees.
 */
export const FINDINGS_EXIT_CODE = 3

export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'] as const
export type Severity = (typeof SEVERITIES)[number]

/** The severities a gate looks at: its own and above; `warn` reports every one. */
export function severitiesFor(gate: GateLevel): Severity[] {
  if (gate === 'off' || gate === 'warn') return [...SEVERITIES]
  return SEVERITIES.slice(0, SEVERITIES.indexOf(gate.toUpperCase() as Severity) + 1)
}

/** Fetches the vulnerability DB from one repository into the cache dir, and nothing else. */
export function downloadDbArgv(repository: string, cacheDir: string): string[] {
  return ['image', '--download-db-only', '--db-repository', repository, '--cache-dir', cacheDir, '--no-progress']
}

export interface ScanOptions {
  cacheDir: string
  output: string
  severities: Severity[]
  onlyFixed: boolean
  ignore?: VulnerabilityIgnore
  /** An OCI layout directory of one image (push: false): scanned from disk instead of the registry. */
  input?: string
  /** govulncheck's OpenVEX for this platform (reachability): its not_affected findings are suppressed, and listed. */
  reachabilityVex?: string
}

/**
 * One platform image, by digest, from the registry (`--image-src remote`: never a local engine's
 * copy of a tag). Vulnerabilities only: the secret scanner is slow and not what the gate is about.
 * The DB was fetched before (`--skip-db-update`), so every platform is judged by the same one.
 */
export function scanArgv(ref: string, o: ScanOptions): string[] {
  const ignore = o.ignore ? (o.ignore.kind === 'openvex' ? ['--vex', o.ignore.file] : ['--ignorefile', o.ignore.file]) : []
  return [
    'image',
    '--format', 'json',
    '--output', o.output,
    '--exit-code', String(FINDINGS_EXIT_CODE),
    '--severity', o.severities.join(','),
    '--scanners', 'vuln',
    '--skip-db-update',
    '--cache-dir', o.cacheDir,
    ...(o.input ? [] : ['--image-src', 'remote']),
    '--no-progress',
    ...(o.onlyFixed ? ['--ignore-unfixed'] : []),
    ...ignore,
    ...(o.reachabilityVex ? ['--vex', o.reachabilityVex, '--show-suppressed'] : []),
    ...(o.input ? ['--input', o.input] : [ref])
  ]
}

/** One row of the summary table. */
export interface Finding {
  /** What trivy scanned: the OS (`… (debian 12.5)`) or a binary (`app`). */
  target: string
  pkg: string
  installed: string
  id: string
  severity: Severity
  /** Empty when there is no fix. */
  fixed: string
}

interface ReportVulnerability {
  VulnerabilityID?: unknown
  PkgName?: unknown
  InstalledVersion?: unknown
  FixedVersion?: unknown
  Severity?: unknown
}

/** The findings of a `trivy image --format json` report; throws on anything that is not one. */
export function findingsOf(report: unknown, what: string): Finding[] {
  const r = report as { SchemaVersion?: unknown; Results?: unknown }
  if (typeof r !== 'object' || r === null || r.SchemaVersion !== 2) throw new Error(`${what} is not a trivy JSON report of schema version 2`)
  if (r.Results === undefined || r.Results === null) return []
  if (!Array.isArray(r.Results)) throw new Error(`${what}: Results is not a list`)
  const out: Finding[] = []
  for (const result of r.Results as Array<{ Target?: unknown; Vulnerabilities?: unknown }>) {
    const target = typeof result.Target === 'string' ? result.Target : ''
    for (const v of (Array.isArray(result.Vulnerabilities) ? result.Vulnerabilities : []) as ReportVulnerability[]) {
      out.push(findingOf(target, v))
    }
  }
  return out
}

/** One vulnerability of a report's result, as the gate judges it. */
function findingOf(target: string, v: ReportVulnerability): Finding {
  const severity = text(v.Severity, 'UNKNOWN').toUpperCase()
  return {
    target,
    pkg: text(v.PkgName),
    installed: text(v.InstalledVersion),
    id: text(v.VulnerabilityID),
    severity: (SEVERITIES as readonly string[]).includes(severity) ? (severity as Severity) : 'UNKNOWN',
    fixed: typeof v.FixedVersion === 'string' ? v.FixedVersion : ''
  }
}

/** A finding a VEX statement suppressed (`--show-suppressed`): the finding, and what the statement said. */
export interface SuppressedFinding extends Finding {
  status: string
  statement: string
}

/** The findings trivy's report lists as suppressed by VEX (`ExperimentalModifiedFindings` of type vulnerability). */
export function suppressedOf(report: unknown): SuppressedFinding[] {
  const results = (report as { Results?: unknown }).Results
  const out: SuppressedFinding[] = []
  for (const result of (Array.isArray(results) ? results : []) as Array<{ Target?: unknown; ExperimentalModifiedFindings?: unknown }>) {
    const target = typeof result.Target === 'string' ? result.Target : ''
    for (const m of (Array.isArray(result.ExperimentalModifiedFindings) ? result.ExperimentalModifiedFindings : []) as Array<{ Type?: unknown; Status?: unknown; Statement?: unknown; Finding?: unknown }>) {
      if (m.Type !== 'vulnerability' || typeof m.Finding !== 'object' || m.Finding === null) continue
      out.push({ ...findingOf(target, m.Finding), status: text(m.Status), statement: text(m.Statement) })
    }
  }
  return out
}

function text(value: unknown, fallback = ''): string {
  return typeof value === 'string' ? value : fallback
}

/** Counts per severity, most severe first, only those present: `2 HIGH, 1 CRITICAL` reads worse than it is. */
export function countBySeverity(findings: readonly Finding[]): Array<[Severity, number]> {
  return SEVERITIES.map((s): [Severity, number] => [s, findings.filter((f) => f.severity === s).length]).filter(([, n]) => n > 0)
}

export interface DbMetadata {
  version: number
  /** When the DB was built (trivy-db's UpdatedAt). */
  updatedAt: string
  nextUpdate: string
}

/** `db/metadata.json` in trivy's cache dir, as trivy-db writes it. */
export function parseDbMetadata(text: string): DbMetadata {
  const m = JSON.parse(text) as { Version?: unknown; UpdatedAt?: unknown; NextUpdate?: unknown }
  if (typeof m.Version !== 'number' || typeof m.UpdatedAt !== 'string') throw new Error('the trivy DB metadata.json has no Version or UpdatedAt')
  return { version: m.Version, updatedAt: m.UpdatedAt, nextUpdate: typeof m.NextUpdate === 'string' ? m.NextUpdate : '' }
}

/**
 * The predicate of `cosign attest --type vuln`: cosign reads the whole of it from the file
 * (invocation, scanner with its DB and the result, scan times), as its vuln predicate type defines.
 * Whether the DB was checked against its repository rides in the invocation's parameters (free
 * form in that type), so a verifier's policy can refuse a scan by an unchecked DB.
 */
export function vulnPredicate(o: { trivyVersion: string; dbRepository: string; db: DbMetadata; integrity?: { checked: true; digest?: string; against: string } | { checked: false; why: string }; report: unknown; startedOn: Date; finishedOn: Date }): unknown {
  const parameters = o.integrity ? { 'trivy-db': o.integrity.checked ? { checked: true, ...(o.integrity.digest ? { digest: o.integrity.digest } : {}), repository: o.integrity.against } : { checked: false, why: o.integrity.why } } : null
  return {
    invocation: { parameters, uri: '', event_id: '', 'builder.id': '' },
    scanner: {
      uri: `pkg:github/aquasecurity/trivy@v${o.trivyVersion}`,
      version: o.trivyVersion,
      db: { uri: o.dbRepository, version: o.db.updatedAt },
      result: o.report
    },
    metadata: { scanStartedOn: o.startedOn.toISOString(), scanFinishedOn: o.finishedOn.toISOString() }
  }
}
