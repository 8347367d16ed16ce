// The smoke run against a mocked exec wrapper: the exact docker argv in order, the timeout, the probe.
import { beforeEach, describe, expect, test, vi } from 'vitest'
import type { RunOptions, RunResult } from '../../../src/lib/exec.js'
import type * as Exec from '../../../src/lib/exec.js'

const calls: string[][] = []
type Answer = Partial<RunResult> | Promise<Partial<RunResult>>
let answer: (args: string[]) => Answer
vi.mock('../../../src/lib/exec.js', async (importOriginal) => {
  const actual = await importOriginal<typeof Exec>()
  return {
    ...actual,
    run: vi.fn(async (_file: string, args: string[], opts: RunOptions = {}) => {
      calls.push(args)
      const r = { exitCode: 0, stdout: '', stderr: '', ...(await answer(args)) }
      if (r.exitCode !== 0 && !opts.allowFailure) throw new actual.CommandError(`docker ${args[0]}`, r.exitCode, r.stderr, r.stdout)
      return r
    })
  }
})
vi.mock('@actions/core', () => ({ warning: vi.fn(), info: vi.fn() }))

const { smokeRun, removeSmokeLeftovers } = await import('../../../src/gates/smoke-run.js')

const N = 'registry.example/acme/op'
const AMD = 'sha256:' + 'a'.repeat(64)
const ARM = 'sha256:' + 'b'.repeat(64)
const LABEL = 'io.github.vmafx.build-distroless-image.smoke=42-x'
const RESTRICTED = ['--user', '1000660000:0', '--read-only', '--tmpfs', '/tmp:rw,nosuid,nodev,size=64m', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges']
const STATE = (started: string, finished: string) => `{"Status":"exited","StartedAt":"${started}","FinishedAt":"${finished}"}|172.18.0.2`
const options = (over = {}) => ({ platforms: { 'linux/arm64': ARM, 'linux/amd64': AMD }, native: ['amd64', '386'], env: { DOCKER_CONFIG: '/cfg' }, label: '42-x', random: () => 0.00066, ...over })

/** A docker that has no image locally, runs every container to exit `code`, and logs two lines. */
function engine(code = '0', over: (args: string[]) => Answer | undefined = () => undefined): (args: string[]) => Answer {
  return (args) => {
    const special = over(args)
    if (special) return special
    if (args[0] === 'image' && args[1] === 'inspect') return { exitCode: 1, stderr: 'No such image' }
    if (args[0] === 'wait') return { stdout: `${code}\n` }
    if (args[0] === 'inspect') return { stdout: STATE('2026-11-29T05:39:18.198514983Z', '2026-11-29T05:39:18.326490096Z') }
    if (args[0] === 'logs') return { stdout: '2026-11-29T05:39:18.300000000Z v1.4.2\n', stderr: '2026-11-29T05:39:18.200000000Z starting\n' }
    return {}
  }
}

beforeEach(() => {
  calls.length = 0
})

describe('args mode', () => {
  test('native platform first; pull by digest, create, start, wait, read the times, logs, then remove both', async () => {
    answer = engine()
    const results = await smokeRun(N, { args: ['--version'], timeoutMs: 30_000 }, options())
    const one = (platform: string, digest: string, n: number) => [
      ['image', 'inspect', '--format', '{{.Id}}', `${N}@${digest}`],
      ['pull', '--quiet', '--platform', platform, `${N}@${digest}`],
      ['create', '--name', `bdi-smoke-42-x-${n}`, '--label', LABEL, '--platform', platform, '--pull', 'never', ...RESTRICTED, '--network', 'none', `${N}@${digest}`, '--version'],
      ['start', `bdi-smoke-42-x-${n}`],
      ['wait', `bdi-smoke-42-x-${n}`],
      ['inspect', '--format', '{{json .State}}|{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', `bdi-smoke-42-x-${n}`],
      ['logs', '--timestamps', '--tail', '20', `bdi-smoke-42-x-${n}`],
      ['rm', '--force', `bdi-smoke-42-x-${n}`],
      ['image', 'rm', `${N}@${digest}`]
    ]
    expect(calls).toEqual([...one('linux/amd64', AMD, 0), ...one('linux/arm64', ARM, 1)])
    expect(results.map((r) => [r.platform, r.emulated, r.failure, r.uid])).toEqual([
      ['linux/amd64', false, undefined, 1_000_660_000],
      ['linux/arm64', true, undefined, 1_000_660_000]
    ])
    // StartedAt to FinishedAt, from docker's own clock.
    expect(results[0]?.startupMs).toBeCloseTo(127.975, 2)
    // stderr and stdout interleaved by docker's timestamps.
    expect(results[0]?.output).toBe('starting\nv1.4.2')
  })

  test('together (no startup-budget): every platform starts before the first ends; results and names stay in platform order', async () => {
    answer = engine()
    const results = await smokeRun(N, { args: ['--version'], timeoutMs: 30_000 }, options({ together: true }))
    const at = (verb: string, name: string) => calls.findIndex((c) => c[0] === verb && c.includes(name))
    expect(at('create', 'bdi-smoke-42-x-1')).toBeLessThan(at('rm', 'bdi-smoke-42-x-0'))
    expect(at('create', 'bdi-smoke-42-x-0')).toBeLessThan(at('rm', 'bdi-smoke-42-x-1'))
    expect(results.map((r) => [r.platform, r.emulated, r.failure])).toEqual([
      ['linux/amd64', false, undefined],
      ['linux/arm64', true, undefined]
    ])
    expect(calls.filter((c) => c[0] === 'create').map((c) => [c[2], c[c.indexOf('--platform') + 1]])).toEqual([
      ['bdi-smoke-42-x-0', 'linux/amd64'],
      ['bdi-smoke-42-x-1', 'linux/arm64']
    ])
  })

  test('an image already on the engine is neither pulled nor removed', async () => {
    answer = engine('0', (args) => (args[0] === 'image' && args[1] === 'inspect' ? { stdout: 'sha256:c' } : undefined))
    await smokeRun(N, { args: [], timeoutMs: 30_000 }, options({ platforms: { 'linux/amd64': AMD } }))
    expect(calls.map((c) => c.slice(0, 2).join(' '))).toEqual(['image inspect', 'create --name', 'start bdi-smoke-42-x-0', 'wait bdi-smoke-42-x-0', 'inspect --format', 'logs --timestamps', 'rm --force'])
  })

  test('a non-zero exit fails with the exit code and no startup time', async () => {
    answer = engine('1')
    const [r] = await smokeRun(N, { args: ['--version'], timeoutMs: 30_000 }, options({ platforms: { 'linux/amd64': AMD } }))
    expect(r?.failure).toBe('exited with code 1')
    expect(r?.startupMs).toBeUndefined()
    expect(r?.command).toBe(`docker run --rm --platform linux/amd64 ${RESTRICTED.join(' ')} --network none ${N}@${AMD} --version`)
  })

  test('a container that never exits is killed at smoke-timeout, then its logs read and it is removed', async () => {
    let exited: (v: Partial<RunResult>) => void = () => undefined
    answer = engine('0', (args) => {
      if (args[0] === 'wait') return new Promise((resolve) => (exited = resolve))
      if (args[0] === 'kill') exited({ stdout: '137\n' })
      return undefined
    })
    const [r] = await smokeRun(N, { args: [], timeoutMs: 40 }, options({ platforms: { 'linux/amd64': AMD } }))
    expect(r?.failure).toBe('did not exit within 40 ms (smoke-timeout); the container was stopped')
    // Startup took at least the timeout: startup-budget judges that (smoke-rules).
    expect(r?.timedOutMs).toBe(40)
    expect(calls.map((c) => c[0])).toEqual(['image', 'pull', 'create', 'start', 'wait', 'kill', 'inspect', 'logs', 'rm', 'image'])
  })

  test('a container the runtime cannot start fails with its error, and is removed', async () => {
    answer = engine('0', (args) => (args[0] === 'start' ? { exitCode: 1, stderr: 'Error response from daemon: failed to create task: exec: "/app": permission denied' } : undefined))
    const [r] = await smokeRun(N, { args: [], timeoutMs: 30_000 }, options({ platforms: { 'linux/amd64': AMD } }))
    expect(r?.failure).toBe('could not start: Error response from daemon: failed to create task: exec: "/app": permission denied')
    expect(calls.map((c) => c[0])).toEqual(['image', 'pull', 'create', 'start', 'inspect', 'logs', 'rm', 'image'])
  })

  test('a pull that fails is an error, not a smoke failure', async () => {
    answer = engine('0', (args) => (args[0] === 'pull' ? { exitCode: 1, stderr: 'unauthorized: authentication required' } : undefined))
    await expect(smokeRun(N, { args: [], timeoutMs: 30_000 }, options({ platforms: { 'linux/amd64': AMD } }))).rejects.toThrow(/unauthorized/)
    expect(calls.some((c) => c[0] === 'create')).toBe(false)
  })
})

describe('probe mode', () => {
  const spec = { args: [], http: { port: 8080, path: '/healthz' }, timeoutMs: 5000 }

  test('an internal network of its own; refused, then 503, then 200: passes; the network is removed', async () => {
    let running: (v: Partial<RunResult>) => void = () => undefined
    answer = engine('0', (args) => {
      if (args[0] === 'wait') return new Promise((resolve) => (running = resolve))
      if (args[0] === 'rm') running({ stdout: '137\n' })
      return undefined
    })
    const seen: string[] = []
    const statuses: Array<number | Error> = [new Error('connect ECONNREFUSED 172.18.0.2:8080'), 503, 200]
    const get = (url: string) => {
      seen.push(url)
      const next = statuses.shift() ?? 200
      return next instanceof Error ? Promise.reject(next) : Promise.resolve(next)
    }
    const [r] = await smokeRun(N, spec, options({ platforms: { 'linux/amd64': AMD }, get }))
    expect(r?.failure).toBeUndefined()
    expect(seen).toEqual(Array(3).fill('http://172.18.0.2:8080/healthz'))
    expect(calls[0]).toEqual(['network', 'create', '--internal', '--label', LABEL, 'bdi-smoke-42-x'])
    expect(calls.find((c) => c[0] === 'create')).toEqual(['create', '--name', 'bdi-smoke-42-x-0', '--label', LABEL, '--platform', 'linux/amd64', '--pull', 'never', ...RESTRICTED, '--network', 'bdi-smoke-42-x', `${N}@${AMD}`])
    expect(calls.at(-1)).toEqual(['network', 'rm', 'bdi-smoke-42-x'])
    expect(r?.command).toContain('-p 127.0.0.1:8080:8080')
    // The state read for the address serves the start-up time too: one inspect, not two.
    expect(calls.filter((c) => c[0] === 'inspect')).toHaveLength(1)
    expect(r?.startupMs).toBeGreaterThanOrEqual(0)
  })

  test('a server that exits before answering fails with its exit code', async () => {
    answer = engine('2')
    const get = () => new Promise<number>((_resolve, reject) => setTimeout(() => reject(new Error('connect ECONNREFUSED')), 20))
    const [r] = await smokeRun(N, spec, options({ platforms: { 'linux/amd64': AMD }, get }))
    expect(r?.failure).toBe('exited with code 2 before port 8080 /healthz answered 2xx')
    // An exit needs its end time: read again.
    expect(calls.filter((c) => c[0] === 'inspect')).toHaveLength(2)
  })

  test('only ever 503 until smoke-timeout: fails, naming the last answer, and the container is killed', async () => {
    answer = engine('0', (args) => (args[0] === 'wait' ? new Promise(() => undefined) : undefined))
    const [r] = await smokeRun(N, { ...spec, timeoutMs: 120 }, options({ platforms: { 'linux/amd64': AMD }, get: () => Promise.resolve(503) }))
    expect(r?.failure).toBe('port 8080 /healthz did not answer 2xx within 120 ms (smoke-timeout); last attempt: http://172.18.0.2:8080/healthz answered 503; the container was stopped')
    expect(calls.some((c) => c[0] === 'kill')).toBe(true)
    expect(calls.at(-1)).toEqual(['network', 'rm', 'bdi-smoke-42-x'])
  })
})

test('post removes what a cancelled run left, by label', async () => {
  answer = (args) => (args[0] === 'ps' ? { stdout: 'c1\nc2\n' } : args[0] === 'network' && args[1] === 'ls' ? { stdout: 'n1\n' } : {})
  await removeSmokeLeftovers('42-x', {})
  expect(calls).toEqual([
    ['ps', '--all', '--quiet', '--filter', `label=${LABEL}`],
    ['rm', '--force', 'c1', 'c2'],
    ['network', 'ls', '--quiet', '--filter', `label=${LABEL}`],
    ['network', 'rm', 'n1']
  ])
})
