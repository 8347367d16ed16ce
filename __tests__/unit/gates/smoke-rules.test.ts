// The smoke run's rules: the UID, the docker argv of restricted-v2, how a run ended, the verdict.
import { afterEach, describe, expect, test, vi } from 'vitest'
import { parseDuration, parseSmokeInputs } from '../../../src/inputs/smoke.js'
import { parsePlatforms } from '../../../src/build/platform.js'
import { planQemu } from '../../../src/build/qemu.js'
import type { ContainerSpec, SmokeResult } from '../../../src/gates/smoke-rules.js'
import { budgetReach, describeIsolation, describeRun, dockerTime, failureReason, formatMs, openshiftUid, raceTimeout, reproduceCommand, smokeCreateArgv, smokeVerdict } from '../../../src/gates/smoke-rules.js'

vi.mock('@actions/core', () => ({ warning: vi.fn(), info: vi.fn(), notice: vi.fn() }))

const REF = 'ghcr.io/acme/op@sha256:' + 'a'.repeat(64)

describe('openshiftUid: the first UID of a namespace block in 1000000000-1999999999', () => {
  test.each([
    [0, 1_000_000_000],
    [0.00066, 1_000_660_000],
    [0.5, 1_500_000_000],
    [0.999999999, 1_999_990_000],
    [1, 1_999_990_000]
  ])('random %d -> %d', (r, uid) => {
    expect(openshiftUid(() => r)).toBe(uid)
  })

  test('never root, never the distroless nonroot user, always a multiple of the block size', () => {
    for (let i = 0; i < 200; i++) {
      const uid = openshiftUid()
      expect(uid).toBeGreaterThanOrEqual(1_000_000_000)
      expect(uid).toBeLessThan(2_000_000_000)
      expect(uid % 10_000).toBe(0)
    }
  })
})

const container = (over: Partial<ContainerSpec> = {}): ContainerSpec => ({ name: 'bdi-smoke-7-0', label: '7', platform: 'linux/arm64', uid: 1_000_660_000, ref: REF, args: ['--version'], network: 'none', ...over })

describe('docker create argv', () => {
  test.each<[string, Partial<ContainerSpec>, string[]]>([
    ['args mode: no network, arguments after the image', {}, ['create', '--name', 'bdi-smoke-7-0', '--label', 'io.github.vmafx.build-distroless-image.smoke=7', '--platform', 'linux/arm64', '--pull', 'never', '--user', '1000660000:0', '--read-only', '--tmpfs', '/tmp:rw,nosuid,nodev,size=64m', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', '--network', 'none', REF, '--version']],
    ['probe mode: the internal network, the image CMD kept', { args: [], network: 'bdi-smoke-7', platform: 'linux/amd64' }, ['create', '--name', 'bdi-smoke-7-0', '--label', 'io.github.vmafx.build-distroless-image.smoke=7', '--platform', 'linux/amd64', '--pull', 'never', '--user', '1000660000:0', '--read-only', '--tmpfs', '/tmp:rw,nosuid,nodev,size=64m', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', '--network', 'bdi-smoke-7', REF]],
    ['several arguments, each its own argv entry', { args: ['serve', '--port=8080', '$HOME'] }, ['create', '--name', 'bdi-smoke-7-0', '--label', 'io.github.vmafx.build-distroless-image.smoke=7', '--platform', 'linux/arm64', '--pull', 'never', '--user', '1000660000:0', '--read-only', '--tmpfs', '/tmp:rw,nosuid,nodev,size=64m', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', '--network', 'none', REF, 'serve', '--port=8080', '$HOME']]
  ])('%s', (_name, over, argv) => {
    expect(smokeCreateArgv(container(over))).toEqual(argv)
  })

  test.each<[string, Partial<ContainerSpec>, number | undefined, string]>([
    ['args mode', {}, undefined, `docker run --rm --platform linux/arm64 --user 1000660000:0 --read-only --tmpfs /tmp:rw,nosuid,nodev,size=64m --cap-drop ALL --security-opt no-new-privileges --network none ${REF} --version`],
    ['probe mode publishes the port on loopback', { args: [] }, 8080, `docker run --rm --platform linux/arm64 --user 1000660000:0 --read-only --tmpfs /tmp:rw,nosuid,nodev,size=64m --cap-drop ALL --security-opt no-new-privileges -p 127.0.0.1:8080:8080 ${REF}`],
    ['an argument a shell would expand is quoted', { args: ['$HOME', "it's"] }, undefined, `docker run --rm --platform linux/arm64 --user 1000660000:0 --read-only --tmpfs /tmp:rw,nosuid,nodev,size=64m --cap-drop ALL --security-opt no-new-privileges --network none ${REF} '$HOME' 'it'\\''s'`]
  ])('the command that reproduces it: %s', (_name, over, port, command) => {
    expect(reproduceCommand(container(over), port)).toBe(command)
  })
})

describe('how a run ended', () => {
  const args = { timeoutMs: 30_000 }
  const probe = { timeoutMs: 1500, http: { port: 8080, path: '/healthz' } }
  test.each([
    ['args: exit 0 passes', { kind: 'exited', code: 0 } as const, args, undefined],
    ['args: exit 1 fails', { kind: 'exited', code: 1 } as const, args, 'exited with code 1'],
    ['args: a timeout fails and says the container was stopped', { kind: 'timeout' } as const, args, 'did not exit within 30 s (smoke-timeout); the container was stopped'],
    ['probe: the first 2xx passes', { kind: 'answered', status: 204 } as const, probe, undefined],
    ['probe: exit 0 before answering is a failure (a server must keep serving)', { kind: 'exited', code: 0 } as const, probe, 'exited with code 0 before port 8080 /healthz answered 2xx'],
    ['probe: a crash before answering', { kind: 'exited', code: 2 } as const, probe, 'exited with code 2 before port 8080 /healthz answered 2xx'],
    ['probe: a timeout names the last attempt', { kind: 'timeout', last: 'http://172.18.0.2:8080/healthz answered 503' } as const, probe, 'port 8080 /healthz did not answer 2xx within 1.5 s (smoke-timeout); last attempt: http://172.18.0.2:8080/healthz answered 503; the container was stopped'],
    ['a container that cannot start', { kind: 'not-started', error: 'exec: "/app": permission denied' } as const, args, 'could not start: exec: "/app": permission denied']
  ])('%s', (_name, end, spec, reason) => {
    expect(failureReason(end, spec)).toBe(reason)
  })
})

describe('raceTimeout', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  test.each([
    ['settles first', 10, 1000, 'done'],
    ['never settles in time', 5000, 1000, 'timeout']
  ])('%s', async (_name, settleMs, timeoutMs, expected) => {
    vi.useFakeTimers()
    const p = new Promise<string>((resolve) => setTimeout(() => resolve('done'), settleMs))
    const raced = raceTimeout(p, timeoutMs)
    await vi.advanceTimersByTimeAsync(Math.min(settleMs, timeoutMs) + 1)
    await expect(raced).resolves.toBe(expected)
    // The timer does not outlive the race.
    expect(vi.getTimerCount()).toBe(settleMs > timeoutMs ? 1 : 0)
  })
})

describe('dockerTime: nanosecond RFC 3339, as docker inspect prints it', () => {
  test.each([
    ['2026-11-29T05:39:18.198514983Z', Date.parse('2026-11-29T05:39:18Z') + 198.514983],
    ['2026-11-29T05:39:18Z', Date.parse('2026-11-29T05:39:18Z')],
    ['2026-11-29T06:39:18.5+01:00', Date.parse('2026-11-29T05:39:18Z') + 500],
    ['0001-01-01T00:00:00Z', undefined],
    ['yesterday', undefined],
    ['', undefined]
  ])('%s', (value, ms) => {
    const got = dockerTime(value)
    if (ms === undefined) expect(got).toBeUndefined()
    else expect(got).toBeCloseTo(ms, 3)
  })

  test('a real StartedAt/FinishedAt pair (distroless static, --version) gives 127.98 ms', () => {
    expect((dockerTime('2026-11-29T05:39:18.326490096Z') ?? 0) - (dockerTime('2026-11-29T05:39:18.198514983Z') ?? 0)).toBeCloseTo(127.975, 2)
  })
})

test.each([
  [128, '128 ms'],
  [999.6, '1000 ms'],
  [1240, '1.24 s'],
  [12_500, '12.5 s'],
  [30_000, '30 s']
])('formatMs(%d) = %s', (ms, text) => {
  expect(formatMs(ms)).toBe(text)
})

const result = (over: Partial<SmokeResult> = {}): SmokeResult => ({ platform: 'linux/amd64', uid: 1_000_660_000, command: `docker run … ${REF} --version`, startupMs: 120, emulated: false, output: 'v1.4.2', ...over })

describe('smokeVerdict', () => {
  test.each<[string, SmokeResult[], 'enforce' | 'warn' | 'off', number | undefined, RegExp | undefined, number]>([
    ['all passed', [result(), result({ platform: 'linux/arm64', emulated: true, startupMs: 900 })], 'enforce', undefined, undefined, 0],
    ['a failure refuses, naming platform, UID, command and output', [result({ platform: 'linux/arm64', failure: 'exited with code 1', output: 'open /etc/app/key: permission denied', startupMs: undefined })], 'enforce', undefined, /linux\/arm64: the smoke run as UID 1000660000 \(GID 0, restricted-v2\) failed: exited with code 1\.\n {2}Command: docker run … .*--version\n {2}Last output:\n {4}open \/etc\/app\/key: permission denied/, 0],
    ['policy: off still refuses: the smoke inputs ask for it', [result({ failure: 'exited with code 1' })], 'off', undefined, /failed: exited with code 1/, 0],
    ['policy: warn makes a failure a warning', [result({ failure: 'exited with code 1' })], 'warn', undefined, undefined, 1],
    ['native startup over the budget refuses', [result({ startupMs: 1240 })], 'enforce', 1000, /linux\/amd64: startup took 1\.24 s, over startup-budget 1 s \(measured natively, as UID 1000660000\)/, 0],
    ['over the budget refuses under policy: warn too', [result({ startupMs: 1240 })], 'warn', 1000, /over startup-budget/, 0],
    ['an emulated platform over the budget is only reported', [result(), result({ platform: 'linux/arm64', emulated: true, startupMs: 4000 })], 'enforce', 1000, undefined, 0],
    ['no native platform: the budget is not checked, and a warning says so', [result({ platform: 'linux/arm64', emulated: true, startupMs: 4000 })], 'enforce', 1000, undefined, 1],
    ['within the budget', [result({ startupMs: 999 })], 'enforce', 1000, undefined, 0],
    ['a native run stopped at smoke-timeout took longer than the budget: refused under policy: warn too', [result({ failure: 'did not exit within 30 s (smoke-timeout); the container was stopped', startupMs: undefined, timedOutMs: 30_000 })], 'warn', 1000, /linux\/amd64: did not start within smoke-timeout 30 s, over startup-budget 1 s \(run natively, as UID 1000660000\)/, 1],
    ['a timeout shorter than the budget says nothing of it: not judged, and a warning says why', [result({ failure: 'did not exit within 500 ms (smoke-timeout)', startupMs: undefined, timedOutMs: 500 })], 'warn', 1000, undefined, 2],
    ['a native run that failed (policy: warn) has no startup time: not judged, and a warning says why', [result({ failure: 'exited with code 1', startupMs: undefined })], 'warn', 1000, undefined, 2]
  ])('%s', (_name, results, mode, budget, refusal, warnings) => {
    const v = smokeVerdict(results, mode, budget)
    if (refusal) expect(v.refusal?.message).toMatch(refusal)
    else expect(v.refusal).toBeUndefined()
    expect(v.warnings).toHaveLength(warnings)
  })

  test.each<[string, SmokeResult[], string]>([
    ['only emulated platforms', [result({ platform: 'linux/arm64', emulated: true, startupMs: 4000 })], 'startup-budget 1 s was not judged: no platform of this release runs natively on this runner; linux/arm64 ran under QEMU, whose startup times say little about the release; build on a runner of a release platform\'s architecture to judge it'],
    ['the native run failed', [result({ failure: 'exited with code 1', startupMs: undefined }), result({ platform: 'linux/arm64', emulated: true, startupMs: 700 })], 'startup-budget 1 s was not judged: the native run of linux/amd64 failed, so there is no native startup time; linux/arm64 ran under QEMU, whose startup times say little about the release']
  ])('the warning says why the budget was not judged: %s', (_name, results, warning) => {
    expect(smokeVerdict(results, 'warn', 1000).warnings).toContain(warning)
  })

  test('the refusal names the rule that refused: a failed run first, then the startup budget', () => {
    expect(smokeVerdict([result({ failure: 'exited with code 1' })], 'enforce', 1000).refusal?.rule).toBe('smoke')
    expect(smokeVerdict([result({ startupMs: 1240 })], 'warn', 1000).refusal?.rule).toBe('startup-budget')
  })

  test('the log line marks emulated figures', () => {
    expect(describeRun(result({ platform: 'linux/arm64', emulated: true, startupMs: 612 }))).toBe('linux/arm64: passed as UID 1000660000, GID 0, startup 612 ms (emulated under QEMU)')
    expect(describeRun(result())).toBe('linux/amd64: passed as UID 1000660000, GID 0, startup 120 ms (native)')
  })
})

describe('budgetReach: the runs startup-budget judges', () => {
  const amd = result()
  const arm = result({ platform: 'linux/arm64', emulated: true, startupMs: 900 })
  const failed = result({ platform: 'linux/386', failure: 'exited with code 1', startupMs: undefined })
  const slow = result({ platform: 'linux/386', failure: 'did not exit within 2 s (smoke-timeout)', startupMs: undefined, timedOutMs: 2000 })
  test.each<[string, SmokeResult[], number, SmokeResult[], RegExp | undefined]>([
    ['a native run with a startup time', [amd, arm], 1000, [amd], undefined],
    ['emulated runs only', [arm], 1000, [], /^no platform of this release runs natively on this runner; linux\/arm64 ran under QEMU/],
    ['a failed native run beside a passed one: the passed one', [amd, failed], 1000, [amd], undefined],
    ['a failed native run only', [failed, arm], 1000, [], /^the native run of linux\/386 failed, so there is no native startup time; linux\/arm64 ran under QEMU/],
    ['a native run stopped at a timeout at or over the budget', [slow], 2000, [slow], undefined],
    ['a native run stopped at a timeout under the budget', [slow], 5000, [], /^the native run of linux\/386 failed/]
  ])('%s', (_name, results, budget, judged, notJudged) => {
    const reach = budgetReach(results, budget)
    expect(reach.judged).toEqual(judged)
    if (notJudged) expect(reach.notJudged).toMatch(notJudged)
    else expect(reach.notJudged).toBeUndefined()
  })
})

describe('describeIsolation: what each run was given, no more than the argv gives', () => {
  test.each<[string, Parameters<typeof describeIsolation>[0], RegExp[], RegExp[]]>([
    ['args mode: no network', {}, [/no network \(`--network none`: loopback only\)/, /read-only root filesystem, writable only \/tmp \(64 MB, nosuid, nodev\) and \/dev\/shm/, /no capabilities/, /no-new-privileges: a setuid file runs as the caller/, /GID 0/], [/internal/]],
    ['probe mode: the internal network, and what it leaves in reach', { http: { port: 8080, path: '/healthz' } }, [/an internal network of its own \(`docker network create --internal`\)/, /the runner reaches port 8080 on it/, /no route leads beyond it, but the runner's own address on it \(the bridge\) is reachable/], [/no network/]]
  ])('%s', (_name, spec, says, never) => {
    const text = describeIsolation(spec)
    for (const r of says) expect(text).toMatch(r)
    for (const r of never) expect(text).not.toMatch(r)
  })
})

const reader = (values: Record<string, string>) => (name: string) => values[name] ?? ''

describe('parseSmokeInputs', () => {
  test.each<[string, Record<string, string>, ReturnType<typeof parseSmokeInputs>]>([
    ['nothing given: off', {}, {}],
    ['args mode with the default timeout', { 'smoke-args': '--version' }, { smoke: { args: ['--version'], http: undefined, timeoutMs: 30_000 }, startupBudgetMs: undefined }],
    ['arguments split on spaces and newlines', { 'smoke-args': 'healthcheck  --quick\n--json' }, { smoke: { args: ['healthcheck', '--quick', '--json'], http: undefined, timeoutMs: 30_000 }, startupBudgetMs: undefined }],
    ['probe mode, path defaults to /', { 'smoke-http-port': '8080' }, { smoke: { args: [], http: { port: 8080, path: '/' }, timeoutMs: 30_000 }, startupBudgetMs: undefined }],
    ['probe mode with args, path, timeout and budget', { 'smoke-args': 'serve', 'smoke-http-port': '9443', 'smoke-http-path': '/healthz', 'smoke-timeout': '2m', 'startup-budget': '1s' }, { smoke: { args: ['serve'], http: { port: 9443, path: '/healthz' }, timeoutMs: 120_000 }, startupBudgetMs: 1000 }]
  ])('%s', (_name, values, expected) => {
    expect(parseSmokeInputs(reader(values))).toEqual(expected)
  })

  test.each([
    ['a quoted argument', { 'smoke-args': 'run "--name=a b"' }, /Input `smoke-args`: ""--name=a" holds a quote, but no shell runs these arguments/],
    ['a port out of range', { 'smoke-http-port': '70000' }, /Input `smoke-http-port`: "70000" is not a TCP port \(1-65535\)/],
    ['a port that is a name', { 'smoke-http-port': 'http' }, /Input `smoke-http-port`: "http" is not a TCP port/],
    ['a path without a leading slash', { 'smoke-http-port': '8080', 'smoke-http-path': 'healthz' }, /Input `smoke-http-path`: "healthz" is not an HTTP path: start it with \//],
    ['a path without a port', { 'smoke-http-path': '/healthz' }, /Input `smoke-http-path`: needs smoke-http-port/],
    ['a bad timeout', { 'smoke-args': '--version', 'smoke-timeout': '30' }, /Input `smoke-timeout`: "30" is not a duration such as 1s, 500ms or 2m/],
    ['a budget without a smoke run', { 'startup-budget': '1s' }, /Input `startup-budget`: applies to the smoke run, which is off: give smoke-args .* or smoke-http-port/],
    ['a timeout without a smoke run', { 'smoke-timeout': '10s' }, /Input `smoke-timeout`: applies to the smoke run, which is off/]
  ])('refused: %s', (_name, values, message) => {
    expect(() => parseSmokeInputs(reader(values))).toThrow(message)
  })

  test.each([
    ['1s', 1000],
    ['500ms', 500],
    ['1.5s', 1500],
    ['2m', 120_000],
    ['0s', undefined],
    ['1h', undefined],
    ['s', undefined]
  ])('parseDuration(%s) = %s', (value, ms) => {
    expect(parseDuration(value)).toBe(ms)
  })
})

test.each<[string, boolean, boolean, string[], RegExp]>([
  ['no RUN on the target, no smoke run: no QEMU', false, false, [], /QEMU skipped: no RUN executes on the target/],
  ['no RUN on the target, but a smoke run: QEMU for the foreign image', false, true, ['arm64'], /QEMU for the smoke run only: .* starts the arm64 image/],
  ['RUN on the target and a smoke run: as for the build', true, true, ['arm64'], /QEMU for arm64: not registered, installing/]
])('planQemu with the smoke run: %s', (_name, targetRuns, smoke, install, reason) => {
  const plan = planQemu(parsePlatforms(['linux/amd64', 'linux/arm64']), ['amd64', '386'], () => undefined, targetRuns, smoke)
  expect(plan.install).toEqual(install)
  expect(plan.reasons.join('\n')).toMatch(reason)
})
