/**
 * One verdict for every gate (policy, architecture, smoke, vulnerability, base verification):
 * notes for the summary, warnings for the log, and the refusal with the rule that refused.
 */
import * as core from '../lib/log.js'
import type { PolicyMode } from '../inputs/policy.js'

/** Which rule a finding comes from: the gate decides by rule, never by message text. */
export type Rule =
  | 'stage'
  | 'distroless-base'
  | 'base-end-of-life'
  | 'base-digest'
  | 'non-root'
  | 'exec-form'
  | 'remote-source'
  | 'go-target'
  | 'go-under-qemu'
  | 'architecture'
  | 'max-image-size'
  | 'smoke'
  | 'startup-budget'
  | 'vulnerability'
  | 'provenance'

export interface GateFinding {
  rule: Rule
  level: 'error' | 'warning' | 'notice'
  message: string
}

export interface Refusal {
  /** The first rule that refused; the message names every refusing finding. */
  rule: Rule
  message: string
}

export interface Verdict {
  notes: string[]
  /** Logged as warnings when the verdict is applied; the release goes on. */
  warnings: string[]
  refusal?: Refusal
}

/**
 * Findings judged by the `policy` mode: errors refuse under enforce and are warnings under warn;
 * warnings and notices are notes (notices are logged here, as notices).
 */
export function judgeFindings(findings: readonly GateFinding[], mode: PolicyMode, heading: string): Verdict {
  const notes: string[] = []
  const warnings: string[] = []
  for (const f of findings) {
    if (f.level === 'notice') core.notice(f.message)
    else if (f.level === 'warning' || mode === 'warn') warnings.push(f.message)
    if (f.level !== 'error' || mode === 'warn') notes.push(f.message)
  }
  const errors = findings.filter((f) => f.level === 'error')
  const first = errors[0]
  return { notes, warnings, refusal: mode === 'enforce' && first ? { rule: first.rule, message: `${heading}:\n- ${errors.map((e) => e.message).join('\n- ')}` } : undefined }
}

/** Several verdicts of one gate as one: notes and warnings in order, the refusals' messages joined. */
export function combine(...verdicts: Verdict[]): Verdict {
  const refusals = verdicts.flatMap((v) => (v.refusal ? [v.refusal] : []))
  const first = refusals[0]
  return {
    notes: verdicts.flatMap((v) => v.notes),
    warnings: verdicts.flatMap((v) => v.warnings),
    refusal: first ? { rule: first.rule, message: refusals.map((r) => r.message).join('\n') } : undefined
  }
}

/** The verdict's warnings to the log and its notes to the summary; a refusal goes to `refuse`. */
export function applyVerdict(v: Verdict, notes: string[], refuse: (r: Refusal) => never): void {
  for (const w of v.warnings) core.warning(w)
  notes.push(...v.notes)
  if (v.refusal) refuse(v.refusal)
}
