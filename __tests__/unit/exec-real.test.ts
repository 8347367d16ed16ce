// The exec wrapper over the real @actions/exec: real processes, real exit codes.
import { expect, test } from 'vitest'
import { CommandError, run } from '../../src/exec.js'

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
