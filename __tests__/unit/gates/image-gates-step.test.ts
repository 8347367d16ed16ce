// The smoke run and the vulnerability scan side by side: neither waits for the other, each log
// group printed whole (smoke first), both verdicts kept, and a startup budget keeps the smoke alone.
import { beforeEach, expect, test, vi } from 'vitest'

const out: string[] = []
vi.mock('@actions/core', () => ({
  info: (t: string) => out.push(t),
  error: (m: string) => out.push(`error: ${m}`),
  warning: (m: string) => out.push(`warning: ${m}`),
  notice: (m: string) => out.push(`notice: ${m}`),
  startGroup: (n: string) => out.push(`::group::${n}`),
  endGroup: () => out.push('::endgroup::')
}))
const events: string[] = []
const tick = (ms: number) => new Promise((r) => setTimeout(r, ms))
let smokeMs = 30
let scanMs = 5
let smokeFails: string | undefined
let scanFails: string | undefined
vi.mock('../../../src/gates/smoke-step.js', async () => {
  const log = await import('../../../src/lib/log.js')
  return {
    smokeStep: vi.fn(async () => {
      events.push('smoke start')
      await log.group('Smoke run (restricted-v2)', async () => {
        log.info('linux/amd64: started')
        await tick(smokeMs)
      })
      events.push('smoke end')
      if (smokeFails) throw new Error(smokeFails)
    })
  }
})
vi.mock('../../../src/gates/vulnerability-step.js', async () => {
  const log = await import('../../../src/lib/log.js')
  return {
    vulnerabilityStep: vi.fn(async () => {
      events.push('scan start')
      await log.group('Vulnerability gate (trivy, critical)', async () => {
        log.info('linux/amd64: no findings')
        await tick(scanMs)
      })
      events.push('scan end')
      if (scanFails) throw new Error(scanFails)
      return [{ platform: 'linux/amd64', digest: 'sha256:2', predicateFile: '/w/v.json' }]
    })
  }
})
const { imageGatesStep } = await import('../../../src/gates/image-gates-step.js')

const run = (budget?: number) => ({ inputs: { smoke: { args: ['--version'] }, startupBudgetMs: budget } }) as unknown as Parameters<typeof imageGatesStep>[0]
const pushed = { digest: 'sha256:1', platforms: { 'linux/amd64': 'sha256:2' } }

beforeEach(() => {
  out.length = 0
  events.length = 0
  smokeMs = 30
  scanMs = 5
  smokeFails = scanFails = undefined
})

test('side by side: the scan starts before the smoke run ends; the smoke group prints first though the scan ended first', async () => {
  await expect(imageGatesStep(run(), pushed, true, undefined)).resolves.toEqual([{ platform: 'linux/amd64', digest: 'sha256:2', predicateFile: '/w/v.json' }])
  expect(events).toEqual(['smoke start', 'scan start', 'scan end', 'smoke end'])
  expect(out).toEqual(['::group::Smoke run (restricted-v2)', 'linux/amd64: started', '::endgroup::', '::group::Vulnerability gate (trivy, critical)', 'linux/amd64: no findings', '::endgroup::'])
})

test('a startup budget: the smoke run goes alone, the scan after it', async () => {
  await imageGatesStep(run(1000), pushed, true, undefined)
  expect(events).toEqual(['smoke start', 'smoke end', 'scan start', 'scan end'])
})

test('a merge job (no Dockerfile): no smoke run, the scan alone', async () => {
  await imageGatesStep(run(), pushed, false, undefined)
  expect(events).toEqual(['scan start', 'scan end'])
})

test.each<[string, string | undefined, string | undefined, RegExp, string[]]>([
  ['the smoke run refuses: its error, after both logs', 'smoke refused', undefined, /^smoke refused$/, []],
  ['the scan refuses', undefined, 'scan refused', /^scan refused$/, []],
  ['both refuse: the smoke run is the error, the scan is said as an error too', 'smoke refused', 'scan refused', /^smoke refused$/, ['error: scan refused']]
])('%s', async (_name, smoke, scan, thrown, errors) => {
  smokeFails = smoke
  scanFails = scan
  await expect(imageGatesStep(run(), pushed, true, undefined)).rejects.toThrow(thrown)
  // Both gates ran to their end and both logs were printed: the summary has both verdicts.
  expect(events).toEqual(['smoke start', 'scan start', 'scan end', 'smoke end'])
  expect(out.filter((l) => l.startsWith('::group::'))).toEqual(['::group::Smoke run (restricted-v2)', '::group::Vulnerability gate (trivy, critical)'])
  expect(out.filter((l) => l.startsWith('error: '))).toEqual(errors)
})
