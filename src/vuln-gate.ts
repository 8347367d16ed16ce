/**
 * The vulnerability gate: every platform image scanned by digest with trivy, after the push and
 * before anything is signed; findings at or above the gate's severity refuse the release.
 */
import * as core from '@actions/core'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { run } from './exec.js'
import type { VulnerabilityInputs } from './inputs/vulnerability.js'
import type { Finding, Severity } from './trivy.js'
import { FINDINGS_EXIT_CODE, countBySeverity, findingsOf, scanArgv, severitiesFor, vulnPredicate } from './trivy.js'
import type { Db, DbCache } from './vuln-db.js'
import { ScannerError, prepareDb } from './vuln-db.js'

export interface PlatformScan {
  platform: string
  digest: string
  findings: Finding[]
  /** The `cosign attest --type vuln` predicate of this scan. */
  predicateFile: string
}

export interface GateScans {
  gate: VulnerabilityInputs['vulnerabilityGate']
  severities: Severity[]
  db: { updatedAt: string; source: string }
  scans: PlatformScan[]
}

export interface GateVerdict {
  refusal?: string
  warning?: string
  notes: string[]
}

export interface ScanContext {
  trivy: string
  workDir: string
  /**
   * trivy's cache dir, at the same path on every run (the Actions cache keys entries by their
   * paths). Emptied first: only the Actions cache or a download fills it, never a leftover.
   */
  cacheDir: string
  env: Record<string, string>
  cache: DbCache
  now: Date
}

export async function scanPlatforms(name: string, platforms: Record<string, string>, inputs: VulnerabilityInputs, c: ScanContext): Promise<GateScans> {
  fs.rmSync(c.cacheDir, { recursive: true, force: true })
  fs.mkdirSync(c.cacheDir, { recursive: true })
  const db = await prepareDb(c.trivy, inputs.trivyDbRepositories, c.cacheDir, c.cache, c.now, c.env)
  core.info(`trivy DB built ${db.metadata.updatedAt} (schema ${db.metadata.version}), from ${db.source}`)
  const severities = severitiesFor(inputs.vulnerabilityGate)
  const dir = path.join(c.workDir, 'vuln')
  fs.mkdirSync(dir, { recursive: true })
  const scans = await Promise.all(Object.entries(platforms).map(([platform, digest]) => scanOne(name, platform, digest, inputs, db, severities, dir, c)))
  for (const s of scans) core.info(`${s.platform}: ${s.findings.length ? countBySeverity(s.findings).map(([sev, n]) => `${n} ${sev}`).join(', ') : 'no findings'} (${severities.join(', ')}${inputs.onlyFixed ? ', fixed only' : ''})`)
  return { gate: inputs.vulnerabilityGate, severities, db: { updatedAt: db.metadata.updatedAt, source: db.source }, scans }
}

async function scanOne(name: string, platform: string, digest: string, inputs: VulnerabilityInputs, db: Db, severities: Severity[], dir: string, c: ScanContext): Promise<PlatformScan> {
  const file = platform.replace(/\//g, '-')
  const output = path.join(dir, `${file}.trivy.json`)
  const ref = `${name}@${digest}`
  const startedOn = new Date()
  // cwd is the action's own dir: trivy reads ./.trivyignore by default, and the workspace's must
  // count only when vulnerability-ignore names it.
  const r = await run(c.trivy, scanArgv(ref, { cacheDir: db.cacheDir, output, severities, onlyFixed: inputs.onlyFixed, ignore: inputs.vulnerabilityIgnore }), { env: c.env, cwd: dir, silent: true, allowFailure: true })
  const finishedOn = new Date()
  if (r.exitCode !== 0 && r.exitCode !== FINDINGS_EXIT_CODE) {
    const said = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-10).join('\n')
    throw new ScannerError(`The scanner failed on ${platform} (${ref}): trivy exited with code ${r.exitCode}${said ? `:\n${said}` : ' and printed nothing'}\nThis is not a finding: nothing was judged, so nothing is signed. Re-run the job; if it fails again, check the registry credentials and trivy-version.`)
  }
  let report: unknown
  try {
    report = JSON.parse(fs.readFileSync(output, 'utf8'))
  } catch (err) {
    throw new ScannerError(`The scanner failed on ${platform}: trivy exited with code ${r.exitCode} but its report ${output} could not be read (${(err as Error).message})`)
  }
  let findings: Finding[]
  try {
    findings = findingsOf(report, `trivy's report of ${platform}`)
  } catch (err) {
    throw new ScannerError(`The scanner failed on ${platform}: ${(err as Error).message}. Nothing is signed.`)
  }
  // The exit code and the report must agree; either alone is never taken for a pass.
  if ((r.exitCode === FINDINGS_EXIT_CODE) !== findings.length > 0) {
    throw new ScannerError(`The scanner's answer on ${platform} is inconsistent: trivy exited with code ${r.exitCode}, and its report lists ${findings.length} finding(s). Nothing is signed.`)
  }
  const predicateFile = path.join(dir, `${file}.vuln.json`)
  fs.writeFileSync(predicateFile, JSON.stringify(vulnPredicate({ trivyVersion: inputs.trivyVersion, dbRepository: db.repository ?? db.source, db: db.metadata, report, startedOn, finishedOn })))
  return { platform, digest, findings, predicateFile }
}

/** Counts, e.g. `2 HIGH, 1 CRITICAL`. */
export function describeCounts(findings: readonly Finding[]): string {
  return countBySeverity(findings).map(([s, n]) => `${n} ${s}`).join(', ')
}

/** Fails on any finding (the scan already kept only the gate's severities); warn only reports. */
export function gateVerdict(g: GateScans, onlyFixed: boolean): GateVerdict {
  const all = g.scans.flatMap((s) => s.findings)
  const notes = [`Vulnerability gate (${g.gate}): trivy DB built ${g.db.updatedAt}, from ${g.db.source}; ${all.length ? describeCounts(all) : 'no findings'} at ${g.severities.join(', ')}${onlyFixed ? ' with a fix' : ''}`]
  if (!all.length) return { notes }
  const per = g.scans.filter((s) => s.findings.length).map((s) => `${s.platform}: ${describeCounts(s.findings)}`)
  if (g.gate === 'warn') return { warning: `Vulnerabilities found (vulnerability-gate: warn, so the release goes on): ${per.join('; ')}`, notes }
  const hints = [onlyFixed ? '' : 'only-fixed: true ignores findings that have no fix yet', 'vulnerability-ignore names a .trivyignore file or an OpenVEX document for findings that do not apply'].filter(Boolean)
  return {
    notes,
    refusal: `Vulnerability gate (${g.gate}): ${describeCounts(all)} at or above ${g.gate.toUpperCase()} (${per.join('; ')}). The summary lists each finding. Update the affected packages and release again (${hints.join('; ')}).`
  }
}
