// lib/log: work run beside a phase keeps its log whole, printed when collected, in the collector's order.
import { beforeEach, describe, expect, test, vi } from 'vitest'

const out: string[] = []
vi.mock('@actions/core', () => ({
  info: (t: string) => out.push(`info ${t}`),
  warning: (m: string, p?: object) => out.push(`warning ${m}${p ? ` ${JSON.stringify(p)}` : ''}`),
  notice: (m: string) => out.push(`notice ${m}`),
  error: (m: string) => out.push(`error ${m}`),
  startGroup: (n: string) => out.push(`::group::${n}`),
  endGroup: () => out.push('::endgroup::'),
  group: async (n: string, fn: () => Promise<unknown>) => {
    out.push(`::group::${n}`)
    try {
      return await fn()
    } finally {
      out.push('::endgroup::')
    }
  },
  setSecret: vi.fn()
}))
const getExecOutput = vi.fn()
vi.mock('@actions/exec', () => ({ getExecOutput }))
const log = await import('../../../src/lib/log.js')
const { run } = await import('../../../src/lib/exec.js')

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms))

beforeEach(() => {
  out.length = 0
  getExecOutput.mockReset()
})

describe('hold', () => {
  test('a held phase prints nothing while it runs, then all of it, in order, where it is collected', async () => {
    const scan = log.hold(async () => {
      await log.group('Vulnerability gate', async () => {
        log.info('linux/amd64: no findings')
        await tick()
        log.warning('the DB could not be checked', { title: 'trivy DB' })
      })
      log.notice('done')
      return 7
    })
    await log.group('Smoke run', async () => {
      await tick(20)
      log.info('linux/amd64: started in 12 ms')
    })
    expect(out).toEqual(['::group::Smoke run', 'info linux/amd64: started in 12 ms', '::endgroup::'])
    await expect(scan.collect()).resolves.toBe(7)
    expect(out.slice(3)).toEqual(['::group::Vulnerability gate', 'info linux/amd64: no findings', 'warning the DB could not be checked {"title":"trivy DB"}', '::endgroup::', 'notice done'])
  })

  test('a failure: the log up to it is printed, then collect throws it; nothing is printed twice', async () => {
    const smoke = log.hold(async () => {
      log.info('pulling')
      await tick()
      throw new Error('exited with code 1')
    })
    await tick(20)
    expect(out).toEqual([])
    await expect(smoke.collect()).rejects.toThrow('exited with code 1')
    await expect(smoke.collect()).rejects.toThrow('exited with code 1')
    expect(out).toEqual(['info pulling'])
  })

  test('a failure nobody collects is not an unhandled rejection', async () => {
    const unhandled: unknown[] = []
    const on = (r: unknown) => unhandled.push(r)
    process.on('unhandledRejection', on)
    try {
      const h = log.hold(() => Promise.reject(new Error('no DB')))
      await h.settled
      await tick(10)
      expect(unhandled).toEqual([])
    } finally {
      process.off('unhandledRejection', on)
    }
  })

  test('held inside held: the inner log joins the outer one where it is collected', async () => {
    const outer = log.hold(async () => {
      const inner = log.hold(() => {
        log.info('inner')
        return Promise.resolve(1)
      })
      log.info('outer first')
      await inner.collect()
      log.info('outer last')
    })
    await outer.collect()
    expect(out).toEqual(['info outer first', 'info inner', 'info outer last'])
  })

  test('two held phases collected in order print in that order, whichever ended first', async () => {
    const slow = log.hold(async () => {
      await tick(20)
      log.info('slow')
    })
    const fast = log.hold(async () => {
      log.info('fast')
      return Promise.resolve()
    })
    await fast.settled
    await slow.collect()
    await fast.collect()
    expect(out).toEqual(['info slow', 'info fast'])
  })
})

describe('exec in a held phase', () => {
  test.each([
    ['not held, not silent: streamed by @actions/exec', false, false, false, []],
    ['not held, silent', false, true, true, []],
    ['held, not silent: captured, then printed with the command line', true, false, true, ['info [command]/tc/cosign sign --yes r@sha256:1', 'info tlog entry created', 'info warning: x']],
    ['held, silent: nothing', true, true, true, []]
  ])('%s', async (_name, held, silent, execSilent, printed) => {
    getExecOutput.mockResolvedValue({ exitCode: 0, stdout: 'tlog entry created\n', stderr: 'warning: x\n' })
    const go = () => run('/tc/cosign', ['sign', '--yes', 'r@sha256:1'], { silent })
    if (held) await log.hold(go).collect()
    else await go()
    expect((getExecOutput.mock.calls[0]?.[2] as { silent: boolean }).silent).toBe(execSilent)
    expect(out).toEqual(printed)
  })
})

test('held: a program found on PATH is echoed by its full path, as @actions/exec echoes it', async () => {
  getExecOutput.mockResolvedValue({ exitCode: 0, stdout: '', stderr: '' })
  await log.hold(() => run('sh', ['-c', 'true'])).collect()
  expect(out[0]).toMatch(/^info \[command\]\/\S*\/sh -c true$/)
})
