import { beforeEach, expect, test, vi } from 'vitest'

const getExecOutput = vi.fn()
vi.mock('@actions/exec', () => ({ getExecOutput }))
const { run, CommandError } = await import('../../../src/lib/exec.js')

beforeEach(() => getExecOutput.mockReset())

test('passes argv through untouched, never as a shell string, with stdin as a buffer', async () => {
  getExecOutput.mockResolvedValue({ exitCode: 0, stdout: 'ok', stderr: '' })
  const r = await run('docker', ['login', '--password-stdin', 'r; rm -rf /'], { input: 'secret', env: { DOCKER_CONFIG: '/c' } })
  expect(r.stdout).toBe('ok')
  const [file, args, opts] = getExecOutput.mock.calls[0] as [string, string[], { ignoreReturnCode: boolean; input: Buffer; env: Record<string, string> }]
  expect(file).toBe('docker')
  expect(args).toEqual(['login', '--password-stdin', 'r; rm -rf /'])
  expect(opts.ignoreReturnCode).toBe(true)
  expect(opts.input.toString()).toBe('secret')
  expect(opts.env.DOCKER_CONFIG).toBe('/c')
  expect(opts.env.PATH).toBe(process.env.PATH)
})

test('a non-zero exit throws with the tail of stderr', async () => {
  const stderr = Array.from({ length: 30 }, (_, i) => `line ${i}`).join('\n')
  getExecOutput.mockResolvedValue({ exitCode: 2, stdout: '', stderr })
  const err = (await run('cosign', ['sign', 'x']).catch((e: unknown) => e)) as InstanceType<typeof CommandError>
  expect(err).toBeInstanceOf(CommandError)
  expect(err.exitCode).toBe(2)
  expect(err.message).toMatch(/^cosign sign x exited with code 2:\nline 10\n/)
  expect(err.message).not.toContain('line 9\n')
  expect(err.message).toContain('line 29')
})

test('allowFailure returns the result', async () => {
  getExecOutput.mockResolvedValue({ exitCode: 1, stdout: '', stderr: 'no' })
  await expect(run('docker', ['logout'], { allowFailure: true })).resolves.toMatchObject({ exitCode: 1 })
})
