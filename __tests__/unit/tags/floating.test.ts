import { describe, expect, test, vi } from 'vitest'
import type { LatestMode } from '../../../src/inputs/image.js'
import type { TagInputs } from '../../../src/tags/floating.js'
import { decideTags, floatingTags, needsExistingTags } from '../../../src/tags/floating.js'
import { parseVersion } from '../../../src/tags/refs.js'

const v = (text: string) => {
  const parsed = parseVersion(text)
  if (!parsed) throw new Error(`bad version ${text}`)
  return parsed
}

describe('floatingTags: a floating tag moves only when this release is the highest of its range', () => {
  test.each<[string, string, string, LatestMode, string[], string[], string[]]>([
    ['the first release', '1.4.0', '', 'auto', [], ['1.4.0', '1.4', '1', 'latest'], []],
    ['a newer release', '1.4.1', '', 'auto', ['1.4.0', '1.4', '1', 'latest', 'sha-abcdef0'], ['1.4.1', '1.4', '1', 'latest'], []],
    ['a maintenance release of an older minor', '1.3.5', '', 'auto', ['1.3.4', '1.4.0'], ['1.3.5', '1.3'], ['1 stays where it is: 1.4.0 is a higher 1.x release than 1.3.5', 'latest stays where it is: 1.4.0 is a higher release than 1.3.5']],
    ['a maintenance release of an older major', '1.9.2', '', 'auto', ['1.9.1', '2.0.0'], ['1.9.2', '1.9', '1'], ['latest stays where it is: 2.0.0 is a higher release than 1.9.2']],
    ['a patch below one already released in its minor', '1.4.1', '', 'auto', ['1.4.2'], ['1.4.1'], ['1.4 stays where it is: 1.4.2 is a higher 1.4.x release than 1.4.1', '1 stays where it is: 1.4.2 is a higher 1.x release than 1.4.1', 'latest stays where it is: 1.4.2 is a higher release than 1.4.1']],
    ['a re-run of the same version', '1.4.0', '', 'auto', ['1.4.0', '1.3.5'], ['1.4.0', '1.4', '1', 'latest'], []],
    ['pre-releases do not hold anything back', '1.4.0', '', 'auto', ['1.5.0-rc.1', '2.0.0-beta'], ['1.4.0', '1.4', '1', 'latest'], []],
    ['latest: true moves latest anyway; 1 still held', '1.3.5', '', 'true', ['1.4.0'], ['1.3.5', '1.3', 'latest'], ['1 stays where it is: 1.4.0 is a higher 1.x release than 1.3.5']],
    ['latest: false never moves it', '2.0.0', '', 'false', ['1.4.0'], ['2.0.0', '2.0', '2'], ['latest stays where it is: `latest: false`']],
    ['with a prefix, only prefixed tags count', '1.3.5', 'v', 'auto', ['1.9.9', 'v1.3.4'], ['v1.3.5', 'v1.3', 'v1', 'latest'], []],
    ['with a prefix, a higher prefixed release holds back', '1.3.5', 'v', 'auto', ['v1.4.0'], ['v1.3.5', 'v1.3'], ['v1 stays where it is: v1.4.0 is a higher 1.x release than 1.3.5', 'latest stays where it is: v1.4.0 is a higher release than 1.3.5']],
    ['0.x: no major tag to hold', '0.3.1', '', 'auto', ['0.4.0'], ['0.3.1', '0.3'], ['latest stays where it is: 0.4.0 is a higher release than 0.3.1']],
    ['tags that only look like versions are ignored', '1.3.5', '', 'auto', ['1.4', '1.4.0-rc.1', 'v1.4.0', '01.4.0', '1.4.0.1'], ['1.3.5', '1.3', '1', 'latest'], []]
  ])('%s', (_name, version, prefix, latest, existing, tags, held) => {
    const d = floatingTags(v(version), prefix, latest, existing)
    expect(d.tags).toEqual(tags)
    expect(d.heldBack.map((h) => h.reason)).toEqual(held)
  })

  test.each<[string, string, string[], string[], string[]]>([
    ['the debug variant of the first release', '1.4.2', ['1.4.2', '1.4', '1', 'latest'], ['1.4.2-debug', '1.4-debug', '1-debug', 'latest-debug'], []],
    ['its maintenance release: its own variant holds its floating tags back', '1.3.5', ['1.4.0', '1.4.0-debug', '1.3.4-debug'], ['1.3.5-debug', '1.3-debug'], ['1-debug stays where it is: 1.4.0-debug is a higher 1.x release than 1.3.5', 'latest-debug stays where it is: 1.4.0-debug is a higher release than 1.3.5']],
    ['the main line does not hold the variant back (only -debug tags count)', '1.3.5', ['1.4.0', '2.0.0'], ['1.3.5-debug', '1.3-debug', '1-debug', 'latest-debug'], []]
  ])('tag-suffix -debug: %s', (_name, version, existing, tags, held) => {
    const d = floatingTags(v(version), '', 'auto', existing, '-debug')
    expect(d.tags).toEqual(tags)
    expect(d.heldBack.map((h) => h.reason)).toEqual(held)
  })

  test('the main line ignores the variant\'s tags', () => {
    expect(floatingTags(v('1.3.5'), '', 'auto', ['1.4.0-debug', 'latest-debug']).tags).toEqual(['1.3.5', '1.3', '1', 'latest'])
  })

  test('a pre-release has only its own tag, whatever the repository holds', () => {
    expect(floatingTags(v('1.5.0-rc.2'), '', 'auto', ['1.5.0'])).toEqual({ tags: ['1.5.0-rc.2'], heldBack: [] })
  })
})

describe('decideTags', () => {
  const base: TagInputs = { tags: ['1.3.5', '1.3', '1', 'latest'], version: v('1.3.5'), tagsFromVersion: true, latest: 'auto', tagPrefix: '', tagSuffix: '', push: true, pushByDigest: false }

  test.each<[string, Partial<TagInputs>, boolean]>([
    ['a stable release pushed with derived tags', {}, true],
    ['explicit tags', { tagsFromVersion: false }, false],
    ['a pre-release', { version: v('1.4.0-rc.1'), tags: ['1.4.0-rc.1'] }, false],
    ['push: false', { push: false }, false],
    ['push-by-digest (no tags)', { pushByDigest: true }, false]
  ])('%s: reads the repository\'s tags = %s', async (_name, over, reads) => {
    const existing = vi.fn(() => Promise.resolve(['1.4.0']))
    const o = { ...base, ...over }
    expect(needsExistingTags(o)).toBe(reads)
    const d = await decideTags(o, existing)
    expect(existing).toHaveBeenCalledTimes(reads ? 1 : 0)
    expect(d.tags).toEqual(reads ? ['1.3.5', '1.3'] : o.tags)
  })
})
