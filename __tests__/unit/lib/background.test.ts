import { expect, test } from 'vitest'
import { startNow, watch } from '../../../src/lib/background.js'

test('startNow: a failure before anyone awaits is not an unhandled rejection, and the await still throws it', async () => {
  const unhandled: unknown[] = []
  const onUnhandled = (reason: unknown) => unhandled.push(reason)
  process.on('unhandledRejection', onUnhandled)
  try {
    const work = startNow(Promise.reject(new Error('download failed')))
    // Let the event loop run, as the build would before the result is needed.
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(unhandled).toEqual([])
    await expect(work).rejects.toThrow('download failed')
  } finally {
    process.off('unhandledRejection', onUnhandled)
  }
})

test('startNow passes the result through', async () => {
  await expect(startNow(Promise.resolve(42))).resolves.toBe(42)
})

test('watch: the failure is readable once it happened, without awaiting; a success leaves none', async () => {
  let fail: (e: Error) => void = () => undefined
  const w = watch(new Promise((_, reject) => (fail = reject)))
  expect(w.failure).toBeUndefined()
  fail(new Error('sha256 mismatch'))
  await new Promise((resolve) => setTimeout(resolve, 0))
  expect((w.failure as Error).message).toBe('sha256 mismatch')
  const ok = watch(Promise.resolve(1))
  await new Promise((resolve) => setTimeout(resolve, 0))
  expect(ok.failure).toBeUndefined()
})
