/**
 * The vulnerability gate's findings as one SARIF 2.1.0 log, for github/codeql-action/upload-sarif.
 *
 * trivy writes the SARIF itself (`trivy convert --format sarif` of the JSON report the gate just
 * judged): the rules, levels, help text and locations are trivy's own, the same a trivy-action user
 * uploads, and the file lists exactly the findings the gate judged, with no second scan. The action
 * only gathers one run per platform into one log and names each run's category, because code
 * scanning refuses two runs of the same tool and category in one upload.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { run } from '../lib/exec.js'

/** `trivy convert` reads the JSON report; the report already holds only the gate's severities. */
export function sarifConvertArgv(report: string, output: string): string[] {
  return ['convert', '--format', 'sarif', '--output', output, report]
}

interface SarifLog {
  $schema?: string
  version?: string
  runs?: Array<Record<string, unknown>>
}

/**
 * One log of each platform's runs. Each run gets `automationDetails.id` `<category>/<platform>/`
 * (SARIF's run category; code scanning keeps alerts of different categories apart), so one
 * platform's fixed finding never closes another platform's alert.
 */
export function mergeSarif(perPlatform: Array<{ platform: string; log: unknown }>, category: string): SarifLog {
  const runs = perPlatform.flatMap(({ platform, log }) => {
    const l = log as SarifLog
    if (l?.version !== '2.1.0' || !Array.isArray(l.runs)) throw new Error(`trivy's SARIF of ${platform} is not a SARIF 2.1.0 log`)
    return l.runs.map((r) => ({ ...r, automationDetails: { id: `${category}/${platform}/` } }))
  })
  const schema = (perPlatform[0]?.log as SarifLog | undefined)?.$schema
  return { ...(schema ? { $schema: schema } : {}), version: '2.1.0', runs }
}

/** Converts each platform's report with trivy and writes the merged log to `output`. */
export async function writeSarif(trivy: string, reports: Array<{ platform: string; reportFile: string }>, category: string, output: string, env: Record<string, string>): Promise<void> {
  const logs = await Promise.all(
    reports.map(async ({ platform, reportFile }) => {
      const file = reportFile.replace(/\.trivy\.json$/, '') + '.sarif'
      // cwd beside the report, as for the scan: trivy reads ./.trivyignore by default.
      await run(trivy, sarifConvertArgv(reportFile, file), { env, cwd: path.dirname(reportFile), silent: true })
      return { platform, log: JSON.parse(fs.readFileSync(file, 'utf8')) as unknown }
    })
  )
  fs.mkdirSync(path.dirname(output), { recursive: true })
  fs.writeFileSync(output, JSON.stringify(mergeSarif(logs, category), null, 2))
}
