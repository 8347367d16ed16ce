/** The job summary: what was pushed, where, and what was skipped or left undone and why. */
import * as core from '../lib/log.js'
import type { VerifiedBase } from '../bases/verify-rules.js'
import type { CopyOutcome } from '../supply-chain/copies.js'
import { unfinishedCopy } from '../supply-chain/copies.js'
import type { SmokeReport } from '../gates/smoke-rules.js'
import { budgetReach, formatMs } from '../gates/smoke-rules.js'
import type { Status, SubjectOutcome } from '../supply-chain/chain.js'
import type { GateScans } from '../gates/vulnerability-scan.js'
import type { StoreReport } from '../supply-chain/attestation-store.js'

export interface Report {
  image: string
  digest: string
  tags: string[]
  pushed: boolean
  digests: SubjectOutcome[]
  notes: string[]
  verifyCommands: string[]
  /** Set when a check refused the image after the push: what that means for the tags. */
  refused?: string
  /** The keyless certificate identity the digests were signed as. */
  signer?: string
  /** Base images verified before the build, each by the digest the build used. */
  bases?: VerifiedBase[]
  /** The other registries of `images`, each with its own signatures. */
  copies?: CopyOutcome[]
  /** The smoke run of each platform, when it ran, and what it was given. */
  smoke?: SmokeReport
  /** The vulnerability gate's scans, when it ran. */
  vulnerabilities?: GateScans
  /** Which buildx builder and driver built the release. */
  builder?: string
  /** What went to GitHub's attestation store (attestation-store: true). */
  attestationStore?: StoreReport
  error?: string
}

export function newReport(image: string): Report {
  return { image, digest: '', tags: [], pushed: false, digests: [], notes: [], verifyCommands: [] }
}

const ICON: Record<Status, string> = { done: '✅ done', verified: '✅ verified', skipped: '➖ skipped', failed: '❌ failed', pending: '⚠️ not done' }

/** Digests that were pushed but whose signature or attestation is not in place. */
export function unfinished(r: Pick<Report, 'digests'>): SubjectOutcome[] {
  const open = (s: Status) => s === 'failed' || s === 'pending'
  return r.digests.filter((d) => open(d.signature) || open(d.attestation) || open(d.provenance) || open(d.vulnerability ?? 'skipped'))
}

export async function writeSummary(r: Report): Promise<void> {
  const s = core.summary.addHeading(`Image ${r.image}`, 2)
  if (r.error) s.addRaw(`<p><strong>❌ Failed:</strong> ${escape(r.error)}</p>`, true)
  if (r.digest) s.addRaw(`<p><strong>Digest:</strong> <code>${r.digest}</code>${r.pushed ? '' : ' (built, not pushed)'}</p>`, true)
  if (r.builder) s.addRaw(`<p><strong>Built with:</strong> ${escape(r.builder)}</p>`, true)
  if (r.signer && r.signer !== 'key') s.addRaw(`<p><strong>Signed as:</strong> ${escape(r.signer)}</p>`, true)
  if (r.tags.length) s.addRaw(`<p><strong>Tags:</strong> ${r.tags.map((t) => `<code>${escape(t)}</code>`).join(' ')}</p>`, true)
  if (r.copies?.length) s.addHeading(`${r.image.split('/')[0] ?? ''}: ${r.image}`, 3)
  if (r.digests.length) statusTable(s, r.digests)
  if (r.bases?.length) {
    s.addRaw('<p><strong>Verified base images</strong> (built on these digests):</p>', true)
    s.addTable([
      [
        { data: 'Base', header: true },
        { data: 'Digest', header: true },
        { data: 'Signed by', header: true }
      ],
      ...r.bases.map((b) => [escape(b.ref), `<code>${b.digest}</code>`, escape(b.signer)])
    ])
  }
  if (r.smoke?.runs.length) smokeSection(s, r.smoke)
  if (r.vulnerabilities) vulnerabilitySection(s, r.vulnerabilities)
  const open = unfinished(r)
  if (r.refused) {
    s.addRaw(`<p><strong>⛔ Pushed, refused by the checks, not signed or attested.</strong> ${escape(r.refused)}</p>`, true)
  } else if (open.length) {
    s.addRaw(`<p><strong>⚠️ Pushed but not signed or attested:</strong></p>`, true)
    s.addList(open.map((d) => `${escape(d.subject)} <code>${d.digest}</code>`))
    s.addRaw('<p>Re-run the job: the digests stay the same and the missing signatures and attestations are added.</p>', true)
  }
  if (r.verifyCommands.length) {
    s.addRaw('<p><strong>Verify:</strong></p>', true)
    s.addCodeBlock(r.verifyCommands.join('\n'), 'sh')
  }
  for (const c of r.copies ?? []) copySection(s, c, r.digest)
  if (r.attestationStore) storeSection(s, r.attestationStore)
  if (r.notes.length) {
    s.addRaw('<p><strong>Notes:</strong></p>', true)
    s.addList(r.notes.map(escape))
  }
  await s.write()
}

type Summary = typeof core.summary

function statusTable(s: Summary, digests: SubjectOutcome[]): void {
  const vuln = digests.some((d) => d.vulnerability !== undefined)
  s.addTable([
    [
      { data: 'Platform', header: true },
      { data: 'Digest', header: true },
      { data: 'Signature', header: true },
      { data: 'SBOM attestation', header: true },
      { data: 'Provenance attestation', header: true },
      ...(vuln ? [{ data: 'Vulnerability attestation', header: true }] : [])
    ],
    ...digests.map((d) => [
      d.subject,
      `<code>${d.digest}</code>`,
      ICON[d.signature],
      ICON[d.attestation],
      ICON[d.provenance],
      ...(vuln ? [d.subject === 'index' ? '➖ per platform' : ICON[d.vulnerability ?? 'skipped']] : [])
    ])
  ])
}

/** Each platform's run, what every run was given (no more than the argv gave), and what startup-budget judged. */
function smokeSection(s: Summary, smoke: SmokeReport): void {
  const budget = smoke.budgetMs === undefined ? undefined : { limit: smoke.budgetMs, text: formatMs(smoke.budgetMs), ...budgetReach(smoke.runs, smoke.budgetMs) }
  const judgement = (x: SmokeReport['runs'][number], b: NonNullable<typeof budget>): string => {
    if (!b.judged.includes(x)) return x.emulated ? 'not judged (emulated)' : 'not judged (no startup time)'
    return x.startupMs !== undefined && x.startupMs <= b.limit ? `✅ within ${b.text}` : `❌ over ${b.text}`
  }
  s.addRaw(`<p><strong>Smoke run</strong> (restricted-v2): ${escape(smoke.isolation)}.</p>`, true)
  s.addTable([
    [
      { data: 'Platform', header: true },
      { data: 'Result', header: true },
      { data: 'UID', header: true },
      { data: 'Startup', header: true },
      ...(budget ? [{ data: 'startup-budget', header: true }] : []),
      { data: 'Command', header: true }
    ],
    ...smoke.runs.map((x) => [
      x.platform,
      x.failure ? `❌ ${escape(x.failure)}` : '✅ passed',
      String(x.uid),
      x.startupMs === undefined ? '–' : `${formatMs(x.startupMs)}${x.emulated ? ' (emulated)' : ''}`,
      ...(budget ? [judgement(x, budget)] : []),
      `<code>${escape(x.command)}</code>`
    ])
  ])
  if (budget?.notJudged) s.addRaw(`<p><strong>⚠️ startup-budget ${budget.text} was not judged:</strong> ${escape(budget.notJudged)}.</p>`, true)
}

/** The gate's DB and, per platform, each finding: package, installed, ID, severity, fixed-in. */
function vulnerabilitySection(s: Summary, g: GateScans): void {
  s.addRaw(`<p><strong>Vulnerability gate</strong> (${g.gate}; trivy DB built ${escape(g.db.updatedAt)}, from ${escape(g.db.source)}; severities ${g.severities.join(', ')}):</p>`, true)
  if (g.db.integrity && !g.db.integrity.checked) s.addRaw(`<p><strong>The trivy DB was not checked</strong> against the layer any repository serves: ${escape(g.db.integrity.why)}. The vulnerability attestation records it.</p>`, true)
  for (const scan of g.scans) {
    if (!scan.findings.length) {
      s.addRaw(`<p>${scan.platform}: ✅ no findings</p>`, true)
      continue
    }
    s.addRaw(`<p>${scan.platform} <code>${scan.digest}</code>:</p>`, true)
    s.addTable([
      [
        { data: 'Package', header: true },
        { data: 'Installed', header: true },
        { data: 'Vulnerability', header: true },
        { data: 'Severity', header: true },
        { data: 'Fixed in', header: true }
      ],
      ...scan.findings.map((f) => [escape(f.pkg), escape(f.installed), escape(f.id), f.severity, f.fixed ? escape(f.fixed) : 'no fix yet'])
    ])
  }
  if (g.reachability) reachabilitySection(s, g)
}

/** What govulncheck's OpenVEX took out of the gate, per platform, with its evidence; and what it could not judge. */
function reachabilitySection(s: Summary, g: GateScans): void {
  s.addRaw(`<p><strong>Reachability</strong> (govulncheck ${escape(g.reachability?.govulncheckVersion ?? '')}, Go vulnerability database ${escape(g.reachability?.db ?? '')}):</p>`, true)
  for (const scan of g.scans) {
    if (scan.reach?.skipped) {
      s.addRaw(`<p>${scan.platform}: ➖ ${escape(scan.reach.skipped)}</p>`, true)
      continue
    }
    if (!scan.notReachable?.length) {
      s.addRaw(`<p>${scan.platform}: no finding suppressed as not reachable${scan.reach?.binary ? ` (${escape(scan.reach.binary)})` : ''}</p>`, true)
      continue
    }
    s.addRaw(`<p>${scan.platform}: present, not reachable (the gate does not count these; the OpenVEX attestation records why):</p>`, true)
    s.addTable([
      [
        { data: 'Package', header: true },
        { data: 'Installed', header: true },
        { data: 'Vulnerability', header: true },
        { data: 'Severity', header: true },
        { data: 'Evidence', header: true }
      ],
      ...scan.notReachable.map((f) => [escape(f.pkg), escape(f.installed), escape(f.id), f.severity, escape(f.evidence)])
    ])
  }
}

/** A registry of `images` besides the first: the same digest, its own signatures and commands. */
function copySection(s: Summary, c: CopyOutcome, digest: string): void {
  s.addHeading(`${c.registry}: ${c.name}`, 3)
  if (c.failure) s.addRaw(`<p><strong>❌ Failed:</strong> ${escape(c.failure)}</p>`, true)
  // A copy's floating tags follow its own registry's history, so they may be fewer than the first image's.
  if (c.copied) s.addRaw(`<p>Copied by digest: <code>${digest}</code>${c.tags?.length ? `, tagged ${c.tags.map((t) => `<code>${escape(t)}</code>`).join(' ')}` : ''}.</p>`, true)
  if (c.copied) statusTable(s, c.digests)
  const open = unfinishedCopy(c)
  if (open.length) {
    s.addRaw(`<p><strong>⚠️ Not finished in ${escape(c.registry)}:</strong></p>`, true)
    s.addList(open.map(escape))
  }
  if (c.verifyCommands.length) s.addCodeBlock(c.verifyCommands.join('\n'), 'sh')
}

/** GitHub's attestation store: each bundle stored now (with its page), those stored before, and what a re-run still uploads. */
function storeSection(s: Summary, st: StoreReport): void {
  s.addRaw(`<p><strong>GitHub attestation store</strong> (${escape(st.repository)}): ${st.created.length} stored now, ${st.already} stored by an earlier attempt.</p>`, true)
  if (st.created.length) s.addList(st.created.map((c) => `${escape(c.subject)} <code>${escape(c.ref)}</code> ${escape(c.predicateType)}: <a href="${escape(c.url)}">${c.id}</a>`))
  if (st.notStored.length) {
    s.addRaw('<p><strong>⚠️ Not in the attestation store yet</strong> (the bundles stay in the registry; re-run the job to upload them, nothing is signed again):</p>', true)
    s.addList(st.notStored.map((n) => `${escape(n.subject)} <code>${escape(n.ref)}</code> ${escape(n.predicateType)}: ${escape(n.why)}`))
  }
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}
