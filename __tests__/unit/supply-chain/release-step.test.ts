import { expect, test } from 'vitest'
import { olderThanAsked } from '../../../src/supply-chain/release-step.js'

const v02 = { type: 'slsaprovenance02' as const, predicate: {} }
const v1 = { type: 'slsaprovenance1' as const, predicate: {} }

test.each([
  ['v1 asked, v1 recorded', 'mode=max,version=v1', { 'linux/amd64': v1 }, []],
  ['v1 asked, an old BuildKit recorded v0.2', 'mode=max,version=v1', { 'linux/amd64': v02, 'linux/arm64': v1 }, ['linux/amd64']],
  ['v1 asked alone', 'version=v1', { 'linux/arm64': v02 }, ['linux/arm64']],
  ['v0.2 asked (mode=min)', 'mode=min', { 'linux/amd64': v02 }, []],
  ['nothing asked', undefined, { 'linux/amd64': v02 }, []]
])('olderThanAsked: %s', (_name, asked, recorded, expected) => {
  expect(olderThanAsked(asked, recorded)).toEqual(expected)
})
