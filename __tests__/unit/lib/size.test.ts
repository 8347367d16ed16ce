import { expect, test } from 'vitest'
import { parseSize } from '../../../src/lib/size.js'

test.each([
  ['50MB', 50_000_000],
  ['800KB', 800_000],
  ['1.5GiB', 1610612736],
  ['1048576', 1048576],
  ['12 MiB', 12582912],
  ['fifty', undefined],
  ['5TB', undefined]
])('parseSize(%j) = %j', (text, bytes) => {
  expect(parseSize(text)).toBe(bytes)
})
