// The policy check of the pushed images, the smoke run and the vulnerability scan side by side:
// none waits for another, each log group printed whole (in that order), every verdict kept, and a
// startup budget keeps the smoke run alone.
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
let smokeMs = 30
let scanMs = 5
let smokeFails: string | undefined
let scanFails: string | undefined
let policyFails: string | undefined
// One fake gate: it says when it starts and ends, logs one line in its group, waits, then passes or refuses.
const { events, fakeGate } = vi.hoisted(() => {
  const events: string[] = []
  const fakeGate = <T>(name: string, group: string, line: string, ms: () => number, fails: () => string | undefined, result: T) =>
    vi.fn(async () => {
      const log = await import('../../../src/lib/log.js')
      events.push(`${name} start`)
      await log.group(group, async () => {
        log.info(line)
        await new Promise((r) => setTimeout(r, ms()))
      })
      events.push(`${name} end`)
      const refused = fails()
      if (refused) throw new Error(refused)
      return result
    })
  return { events, fakeGate }
})
vi.mock('../../../src/gates/policy-step.js', () => ({ checkPushedImages: fakeGate('policy', 'Policy (pushed images)', 'linux/amd64: /app is x86-64', () => 10, () => policyFails, undefined) }))
vi.mock('../../../src/gates/smoke-step.js', () => ({ smokeStep: fakeGate('smoke', 'Smoke run (restricted-v2)', 'linux/amd64: started', () => smokeMs, () => smokeFails, undefined) }))
vi.mock('../../../src/gates/vulnerability-step.js', () => ({
  vulnerabilityStep: fakeGate('scan', 'Vulnerability gate (trivy, critical)', 'linux/amd64: no findings', () => scanMs, () => scanFails, [{ platform: 'linux/amd64', digest: 'sha256:2', predicateFile: '/w/v.json' }])
}))
const { imageGatesStep } = await import('../../../src/gates/image-gates-step.js')

const run = (budget?: number) => ({ inputs: { smoke: { args: ['--version'] }, startupBudgetMs: budget } }) as unknown as Parameters<typeof imageGatesStep>[0]
const pushed = { digest: 'sha256:1', platforms: { 'linux/amd64': 'sha256:2' } }

beforeEach(() => {
  out.length = 0
  events.length = 0
  smokeMs = 30
  scanMs = 5
  smokeFails = scanFails = policyFails = undefined
})

test('side by side: all three start before any ends; the groups print in order though the scan ended first', async () => {
  await expect(imageGatesStep(run(), pushed, true, undefined)).resolves.toEqual([{ platform: 'linux/amd64', digest: 'sha256:2', predicateFile: '/w/v.json' }])
  expect(events).toEqual(['policy start', 'smoke start', 'scan start', 'scan end', 'policy end', 'smoke end'])
  expect(out).toEqual(['::group::Policy (pushed images)', 'linux/amd64: /app is x86-64', '::endgroup::', '::group::Smoke run (restricted-v2)', 'linux/amd64: started', '::endgroup::', '::group::Vulnerability gate (trivy, critical)', 'linux/amd64: no findings', '::endgroup::'])
})

test('a startup budget: the smoke run goes alone, after the policy check and before the scan', async () => {
  await imageGatesStep(run(1000), pushed, true, undefined)
  expect(events).toEqual(['policy start', 'policy end', 'smoke start', 'smoke end', 'scan start', 'scan end'])
})

test('a merge job (no Dockerfile): no smoke run, the policy check and the scan', async () => {
  await imageGatesStep(run(), pushed, false, undefined)
  expect(events).toEqual(['policy start', 'scan start', 'scan end', 'policy end'])
})

test.each<[string, string | undefined, string | undefined, string | undefined, RegExp, string[]]>([
  ['the policy check refuses: its error, after every log', 'arch refused', undefined, undefined, /^arch refused$/, []],
  ['the smoke run refuses', undefined, 'smoke refused', undefined, /^smoke refused$/, []],
  ['the scan refuses', undefined, undefined, 'scan refused', /^scan refused$/, []],
  ['the smoke run and the scan refuse: the smoke run is the error, the scan is said as an error too', undefined, 'smoke refused', 'scan refused', /^smoke refused$/, ['error: scan refused']],
  ['all three refuse: the policy check is the error, in order the others', 'arch refused', 'smoke refused', 'scan refused', /^arch refused$/, ['error: smoke refused', 'error: scan refused']]
])('%s', async (_name, policy, smoke, scan, thrown, errors) => {
  policyFails = policy
  smokeFails = smoke
  scanFails = scan
  await expect(imageGatesStep(run(), pushed, true, undefined)).rejects.toThrow(thrown)
  // Every gate ran to its end and every log was printed: the summary has every verdict.
  expect(events).toEqual(['policy start', 'smoke start', 'scan start', 'scan end', 'policy end', 'smoke end'])
  expect(out.filter((l) => l.startsWith('::group::'))).toEqual(['::group::Policy (pushed images)', '::group::Smoke run (restricted-v2)', '::group::Vulnerability gate (trivy, critical)'])
  expect(out.filter((l) => l.startsWith('error: '))).toEqual(errors)
})
