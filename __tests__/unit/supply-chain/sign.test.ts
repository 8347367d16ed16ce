import { describe, expect, test, vi } from 'vitest'
import { AMD, ARM, IDX, N, fakeCosign } from './fake-cosign.js'

vi.mock('@actions/core', () => ({ info: vi.fn() }))
const { signDigests, subjectsOf } = await import('../../../src/supply-chain/sign.js')

const index = [
  { subject: 'index', digest: IDX },
  { subject: 'linux/amd64', digest: AMD },
  { subject: 'linux/arm64', digest: ARM }
]

describe('signDigests', () => {
  test('an index is signed once, recursively, which covers each platform manifest', async () => {
    const cosign = fakeCosign()
    await signDigests(cosign, index, false)
    expect(cosign.written).toEqual([['sign', '--yes', '--key', '/k/cosign.key', '--recursive', `${N}@${IDX}`]])
    expect(cosign.checked).toEqual([])
  })

  test('without an index each digest is signed on its own', async () => {
    const cosign = fakeCosign()
    await signDigests(cosign, index.slice(1), false)
    expect(cosign.written.map((a) => a[a.length - 1])).toEqual([`${N}@${AMD}`, `${N}@${ARM}`])
    expect(cosign.written.every((a) => !a.includes('--recursive'))).toBe(true)
  })

  test('a re-run whose digests all carry a valid signature signs nothing', async () => {
    const cosign = fakeCosign({ passes: () => true })
    await signDigests(cosign, index, true)
    expect(cosign.checked.map((a) => a[0])).toEqual(['verify', 'verify', 'verify'])
    expect(cosign.written).toEqual([])
  })

  test('a re-run with one digest unsigned signs again', async () => {
    const cosign = fakeCosign({ passes: (args) => !args.includes(`${N}@${ARM}`) })
    await signDigests(cosign, index, true)
    expect(cosign.written).toHaveLength(1)
  })

  test('a failed signature fails the step', async () => {
    await expect(signDigests(fakeCosign({ fails: () => true }), index, false)).rejects.toThrow('cosign sign failed')
  })
})

describe('subjectsOf', () => {
  test('an index first, then each platform manifest', () => {
    expect(subjectsOf({ digest: IDX, platforms: { 'linux/amd64': AMD, 'linux/arm64': ARM } })).toEqual(index)
  })

  test('a lone manifest is its only subject', () => {
    expect(subjectsOf({ digest: AMD, platforms: { 'linux/amd64': AMD } })).toEqual([{ subject: 'linux/amd64', digest: AMD }])
  })
})
