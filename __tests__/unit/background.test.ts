import { expect, test } from 'vitest'
import { startNow } from '../../src/background.js'

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
