import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { describe, expect, test, vi } from 'vitest'
import type { LatestMode } from '../../../src/inputs/image.js'
import type { TagInputs, TagsRun } from '../../../src/tags/floating.js'
import { decideTags, floatingTags, needsExistingTags, releaseTags } from '../../../src/tags/floating.js'
import { parseImageName, parseVersion } from '../../../src/tags/refs.js'

vi.mock('@actions/core', () => ({ group: (_n: string, fn: () => Promise<unknown>) => fn(), notice: vi.fn() }))
/** Each registry's tag list, and the access each copy's API client was made with. */
const registryTags: Record<string, string[]> = {}
const clients: Array<{ registry: string; repository: string; username?: string; password?: string }> = []
vi.mock('../../../src/registry/http-api.js', () => ({
  RegistryApi: class {
    constructor(private readonly access: { registry: string; repository: string; username?: string; password?: string }) {
      clients.push(access)
    }
    tags() {
      return Promise.resolve(registryTags[this.access.registry] ?? [])
    }
  }
}))

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
    // latest has no prefix: one rule across prefixes (issue 30): every stable release, '', 'v' or tag-prefix, counts for it.
    ['with a prefix, an unprefixed higher release holds latest (v1 floats among v-tags only)', '1.3.5', 'v', 'auto', ['1.9.9', 'v1.3.4'], ['v1.3.5', 'v1.3', 'v1'], ['latest stays where it is: 1.9.9 is a higher release than 1.3.5']],
    ['with a prefix, a higher prefixed release holds back', '1.3.5', 'v', 'auto', ['v1.4.0'], ['v1.3.5', 'v1.3'], ['v1 stays where it is: v1.4.0 is a higher 1.x release than 1.3.5', 'latest stays where it is: v1.4.0 is a higher release than 1.3.5']],
    ['0.x: no major tag to hold', '0.3.1', '', 'auto', ['0.4.0'], ['0.3.1', '0.3'], ['latest stays where it is: 0.4.0 is a higher release than 0.3.1']],
    ['tags that only look like versions are ignored', '1.3.5', '', 'auto', ['1.4', '1.4.0-rc.1', 'x1.4.0', '01.4.0', '1.4.0.1'], ['1.3.5', '1.3', '1', 'latest'], []]
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

  test.each<[string, string, string, string, string[], string[], string[]]>([
    ['no prefix; a v-prefixed higher release holds latest, not 1 or 1.3', '1.3.5', '', '', ['v1.9.9'], ['1.3.5', '1.3', '1'], ['latest stays where it is: v1.9.9 is a higher release than 1.3.5']],
    ['prefix v; an unprefixed higher release holds latest', '1.3.5', 'v', '', ['1.9.9'], ['v1.3.5', 'v1.3', 'v1'], ['latest stays where it is: 1.9.9 is a higher release than 1.3.5']],
    ['a custom prefix; a v-prefixed and an unprefixed release both count for latest', '2.0.0', 'op-', '', ['v2.1.0', '1.0.0', 'op-1.9.0'], ['op-2.0.0', 'op-2.0', 'op-2'], ['latest stays where it is: v2.1.0 is a higher release than 2.0.0']],
    ['prefix v; the highest release of every prefix moves latest', '2.0.0', 'v', '', ['1.9.9', 'v1.9.8', 'latest'], ['v2.0.0', 'v2.0', 'v2', 'latest'], []],
    ['a -debug variant across prefixes: only -debug tags count', '1.3.5', 'v', '-debug', ['1.9.9', 'v1.9.9', '1.9.9-debug'], ['v1.3.5-debug', 'v1.3-debug', 'v1-debug'], ['latest-debug stays where it is: 1.9.9-debug is a higher release than 1.3.5']]
  ])('latest across prefixes: %s', (_name, version, prefix, suffix, existing, tags, held) => {
    const d = floatingTags(v(version), prefix, 'auto', existing, suffix)
    expect(d.tags).toEqual(tags)
    expect(d.heldBack.map((h) => h.reason)).toEqual(held)
  })

  // Retention deleted the version tags: where each floating tag points now still holds it back.
  test.each<[string, string, string, string[], Record<string, string | undefined>, string[], string[]]>([
    ['latest points at 1.9.0, whose version tags are gone', '1.3.5', '', ['1.3.4', 'latest', '1'], { latest: '1.9.0', '1': '1.9.0' }, ['1.3.5', '1.3'], ['1 stays where it is: 1 (1.9.0, as its image records) is a higher 1.x release than 1.3.5', 'latest stays where it is: latest (1.9.0, as its image records) is a higher release than 1.3.5']],
    ['1.4 points at 1.4.3, 1.4.3 deleted', '1.4.2', '', ['1.4', '1', 'latest'], { '1.4': '1.4.3', '1': '1.4.3', latest: '1.4.3' }, ['1.4.2'], ['1.4 stays where it is: 1.4 (1.4.3, as its image records) is a higher 1.4.x release than 1.4.2', '1 stays where it is: 1 (1.4.3, as its image records) is a higher 1.x release than 1.4.2', 'latest stays where it is: latest (1.4.3, as its image records) is a higher release than 1.4.2']],
    ['a v-prefixed version label reads the same', '1.3.5', 'v', ['latest'], { latest: 'v2.0.0' }, ['v1.3.5', 'v1.3', 'v1'], ['latest stays where it is: latest (2.0.0, as its image records) is a higher release than 1.3.5']],
    ['floating tags on older releases move', '1.5.0', '', ['1.4', '1', 'latest'], { '1': '1.4.9', latest: '1.4.9' }, ['1.5.0', '1.5', '1', 'latest'], []],
    ['an image that records no version, or a pre-release, holds nothing back', '1.3.5', '', ['1', 'latest'], { '1': undefined, latest: '2.0.0-rc.1' }, ['1.3.5', '1.3', '1', 'latest'], []],
    ['a re-run: the floating tags point at this very version', '1.4.2', '', ['1.4.2', '1.4', '1', 'latest'], { '1.4': '1.4.2', '1': '1.4.2', latest: '1.4.2' }, ['1.4.2', '1.4', '1', 'latest'], []]
  ])('where the floating tags point: %s', (_name, version, prefix, existing, current, tags, held) => {
    const d = floatingTags(v(version), prefix, 'auto', existing, '', current)
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
    const d = await decideTags(o, { tags: existing, versionAt: () => Promise.resolve(undefined) })
    expect(existing).toHaveBeenCalledTimes(reads ? 1 : 0)
    expect(d.tags).toEqual(reads ? ['1.3.5', '1.3'] : o.tags)
  })
})

describe('releaseTags: each registry of `images` decides from its own history', () => {
  test('the first registry, a copy held back by its version tags, another by where its latest points', async () => {
    const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tags-cfg-'))
    // An earlier login step's credentials for the third registry, as docker login writes them.
    fs.writeFileSync(path.join(configDir, 'config.json'), JSON.stringify({ auths: { 'registry.example:5443': { auth: Buffer.from('mirror-bot:m1rr0r:pw').toString('base64') } } }))
    Object.assign(registryTags, { 'quay.io': ['1.3.4', '1.4.0', '1.4', '1', 'latest'], 'registry.example:5443': ['1.3.4', 'latest'] })
    const versionAt = vi.fn((ref: string) => Promise.resolve(ref === 'registry.example:5443/op:latest' ? { exists: true, version: '2.0.0' } : { exists: true, version: '1.3.4' }))
    const run: TagsRun = {
      inputs: {
        tags: ['1.3.5', '1.3', '1', 'latest'], version: v('1.3.5'), tagsFromVersion: true, latest: 'auto', tagPrefix: '', tagSuffix: '', push: true, pushByDigest: false,
        image: parseImageName('ghcr.io/acme/op', 'acme'),
        copies: [parseImageName('quay.io/acme/op', 'acme'), parseImageName('registry.example:5443/op', 'acme')],
        registryAuth: [{ host: 'quay.io', username: 'bot', password: 'QUAYTOKEN' }],
        registryUsername: 'gh-bot',
        registryPassword: 'GHCRTOKEN'
      },
      api: { tags: () => Promise.resolve(['1.3.4', '1', 'latest']) },
      tools: { versionAt },
      configDir,
      report: { notes: [] }
    }
    const out = await releaseTags(run)
    expect(out.tags).toEqual(['1.3.5', '1.3', '1', 'latest'])
    expect(out.copyTags).toEqual({ 'quay.io/acme/op': ['1.3.5', '1.3'], 'registry.example:5443/op': ['1.3.5', '1.3', '1'] })
    expect(run.report.notes).toEqual([
      'quay.io: 1 stays where it is: 1.4.0 is a higher 1.x release than 1.3.5',
      'quay.io: latest stays where it is: 1.4.0 is a higher release than 1.3.5',
      'registry.example:5443: latest stays where it is: latest (2.0.0, as its image records) is a higher release than 1.3.5'
    ])
    // Each copy's tags are listed with its own credentials: the registry-auth line, else the docker config's.
    expect(clients.slice(-2)).toEqual([
      { registry: 'quay.io', repository: 'acme/op', username: 'bot', password: 'QUAYTOKEN' },
      { registry: 'registry.example:5443', repository: 'op', username: 'mirror-bot', password: 'm1rr0r:pw' }
    ])
    // Only floating tags that exist are read, in each registry.
    expect(versionAt.mock.calls.map((c) => c[0]).sort()).toEqual(['ghcr.io/acme/op:1', 'ghcr.io/acme/op:latest', 'quay.io/acme/op:1', 'quay.io/acme/op:latest', 'registry.example:5443/op:latest'].sort())
  })
})
