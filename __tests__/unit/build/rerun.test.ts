import { expect, test, vi } from 'vitest'

vi.mock('@actions/core', () => ({ info: vi.fn() }))
const { keptRelease, retag, samePlatforms } = await import('../../../src/build/rerun.js')

const d = (c: string) => 'sha256:' + c.repeat(64)
const built = { digest: d('b'), platforms: { 'linux/amd64': d('1'), 'linux/arm64': d('2') } }

test.each([
  ['no earlier release', undefined, undefined],
  ['the earlier attempt pushed this very index', { digest: d('b'), platforms: built.platforms }, undefined],
  ['same platform images, another index (provenance differs): keep the earlier', { digest: d('a'), platforms: { ...built.platforms } }, d('a')],
  ['another platform image: a real change, keep the new', { digest: d('a'), platforms: { ...built.platforms, 'linux/arm64': d('3') } }, undefined],
  ['fewer platforms', { digest: d('a'), platforms: { 'linux/amd64': d('1') } }, undefined],
  ['an earlier lone manifest (no platforms listed)', { digest: d('a'), platforms: {} }, undefined]
])('keptRelease: %s', (_name, earlier, kept) => {
  expect(keptRelease(earlier, built)?.digest).toBe(kept)
})

test('samePlatforms needs at least one platform', () => {
  expect(samePlatforms({}, {})).toBe(false)
})

test('retag points every tag at the digest through the registry client', async () => {
  const create = vi.fn(() => Promise.resolve())
  await retag('r.example/o/app', ['1.4.2', 'latest'], d('a'), { create })
  // carbonCopy: a lone manifest is tagged as it is, not wrapped in a new index of another digest.
  expect(create).toHaveBeenCalledWith({ tags: ['r.example/o/app:1.4.2', 'r.example/o/app:latest'], sources: [`r.example/o/app@${d('a')}`], carbonCopy: true }, 're-tagging the earlier index')
})
