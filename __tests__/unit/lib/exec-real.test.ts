// The exec wrapper over the real @actions/exec: real processes, real exit codes.
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { expect, test, vi } from 'vitest'
import { CommandError, interruptChildren, run } from '../../../src/lib/exec.js'

test('a binary that does not exist fails with a CommandError that keeps the cause', async () => {
  const err = await run('bdi-no-such-binary', ['x'], { silent: true }).then(
    () => undefined,
    (e: unknown) => e
  )
  expect(err).toBeInstanceOf(CommandError)
  expect((err as CommandError).exitCode).toBe(-1)
  expect((err as CommandError).message).toMatch(/bdi-no-such-binary/)
  expect((err as CommandError).cause).toBeInstanceOf(Error)
})

test('a real non-zero exit carries the stderr tail, stdin reaches the process', async () => {
  const err = await run('node', ['-e', 'process.stdin.on("data", d => { console.error("got " + d); process.exit(3) })'], { input: 'hello', silent: true }).then(
    () => undefined,
    (e: unknown) => e
  )
  expect((err as CommandError).exitCode).toBe(3)
  expect((err as CommandError).message).toBe('node -e process.stdin.on("data", d => { console.error("got " + d); process.exit(3) }) exited with code 3:\ngot hello')
})

test('interruptChildren stops a command run through the wrapper, found by an argument unique to it', async () => {
  const marker = `/tmp/bdi-marker-${process.pid}-${Date.now()}`
  const running = run('node', ['-e', 'process.on("SIGINT", () => process.exit(130)); setTimeout(() => {}, 30000)', marker], { silent: true }).then(
    () => 0,
    (e: unknown) => (e as CommandError).exitCode as number | null
  )
  // @actions/exec spawns asynchronously: wait until the child is there.
  let signalled = 0
  for (let i = 0; i < 50 && signalled === 0; i++) {
    await new Promise((r) => setTimeout(r, 50))
    signalled = interruptChildren(marker)
  }
  expect(signalled).toBe(1)
  // ended by the signal (its handler, if it was installed yet; otherwise the default action), long before 30 s
  expect([130, null]).toContain(await running)
  // nothing else carries the marker any more
  expect(interruptChildren(marker)).toBe(0)
})

test('interruptChildren reads the parent after the last ")" of /proc/PID/stat (a comm may hold both)', () => {
  const proc = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-proc-'))
  const child = (pid: number, comm: string, ppid: number, argv: string[]) => {
    fs.mkdirSync(path.join(proc, String(pid)))
    fs.writeFileSync(path.join(proc, String(pid), 'stat'), `${pid} (${comm}) S ${ppid} 1 1 0`)
    fs.writeFileSync(path.join(proc, String(pid), 'cmdline'), argv.join('\0') + '\0')
  }
  // pids that do not exist: process.kill throws ESRCH, which counts as "ended meanwhile"
  child(999_991, 'docker) S 1 (x', 4242, ['docker', 'buildx', 'build', '--metadata-file', '/w/m.json'])
  child(999_992, 'docker', 1, ['docker', 'buildx', 'build', '--metadata-file', '/w/m.json'])
  fs.mkdirSync(path.join(proc, 'self'))
  const seen: number[] = []
  const kill = vi.spyOn(process, 'kill').mockImplementation((pid: number) => (seen.push(pid), true))
  try {
    expect(interruptChildren('/w/m.json', proc, 4242)).toBe(1)
    expect(seen).toEqual([999_991])
  } finally {
    kill.mockRestore()
  }
})
