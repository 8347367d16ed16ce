import { beforeEach, describe, expect, test, vi } from 'vitest'
import type { Report } from '../../../src/report/summary.js'

const written: string[] = []
vi.mock('@actions/core', () => {
  const s = {
    addHeading: (t: string) => (written.push(t), s),
    addRaw: (t: string) => (written.push(t), s),
    addTable: (rows: unknown[]) => (written.push(JSON.stringify(rows)), s),
    addList: (items: string[]) => (written.push(items.join('\n')), s),
    addCodeBlock: (t: string) => (written.push(t), s),
    write: () => Promise.resolve(s)
  }
  return { summary: s }
})
const { newReport, unfinished, writeSummary } = await import('../../../src/report/summary.js')

const DIG = 'sha256:' + 'a'.repeat(64)
const report = (over: Partial<Report> = {}): Report => ({ ...newReport('ghcr.io/o/app'), ...over })

beforeEach(() => {
  written.length = 0
})

describe('unfinished', () => {
  test('a digest is unfinished while any of its signature or attestations failed or is pending', () => {
    const done = { subject: 'linux/amd64', digest: DIG, signature: 'verified', attestation: 'verified', provenance: 'skipped' } as const
    expect(unfinished(report({ digests: [done] }))).toEqual([])
    expect(unfinished(report({ digests: [{ ...done, provenance: 'failed' }] }))).toHaveLength(1)
    expect(unfinished(report({ digests: [{ ...done, vulnerability: 'pending' }] }))).toHaveLength(1)
  })
})

describe('writeSummary', () => {
  test('the error first, escaped; notes last', async () => {
    await writeSummary(report({ error: 'bad <tag>', notes: ['a & b'] }))
    expect(written[0]).toBe('Image ghcr.io/o/app')
    expect(written[1]).toBe('<p><strong>❌ Failed:</strong> bad &lt;tag&gt;</p>')
    expect(written.slice(-2)).toEqual(['<p><strong>Notes:</strong></p>', 'a &amp; b'])
  })

  test('a refused image says what the tags now point at, and lists no unfinished digests', async () => {
    const d = { subject: 'linux/amd64', digest: DIG, signature: 'skipped', attestation: 'skipped', provenance: 'skipped' } as const
    await writeSummary(report({ digest: DIG, pushed: true, digests: [{ ...d, signature: 'pending' }], refused: 'These tags now point at the refused, unsigned image: ghcr.io/o/app:1.' }))
    expect(written).toContain('<p><strong>⛔ Pushed, refused by the checks, not signed or attested.</strong> These tags now point at the refused, unsigned image: ghcr.io/o/app:1.</p>')
    expect(written.some((w) => w.includes('Pushed but not signed or attested'))).toBe(false)
  })

  test('pushed but unsigned: each digest listed, and a re-run finishes it', async () => {
    const d = { subject: 'linux/amd64', digest: DIG, signature: 'failed', attestation: 'pending', provenance: 'skipped' } as const
    await writeSummary(report({ digest: DIG, pushed: true, digests: [d] }))
    expect(written).toContain(`linux/amd64 <code>${DIG}</code>`)
    expect(written).toContain('<p>Re-run the job: the digests stay the same and the missing signatures and attestations are added.</p>')
  })

  test('built, not pushed', async () => {
    await writeSummary(report({ digest: DIG }))
    expect(written).toContain(`<p><strong>Digest:</strong> <code>${DIG}</code> (built, not pushed)</p>`)
  })
})
