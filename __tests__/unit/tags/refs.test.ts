import { describe, expect, test } from 'vitest'
import { deriveTags, matchesPattern, parseImageName, parseVersion, tagSafe, validateTag, versionTags } from '../../../src/tags/refs.js'

describe('parseImageName', () => {
  test.each([
    ['ghcr.io/vmafx/vmafx-operator', 'ghcr.io', 'vmafx/vmafx-operator'],
    ['vmafx-operator', 'ghcr.io', 'vmafx/vmafx-operator'],
    ['registry.example:5443/team/app/worker', 'registry.example:5443', 'team/app/worker'],
    ['localhost:5000/a', 'localhost:5000', 'a'],
    ['docker.io/library/busybox', 'docker.io', 'library/busybox'],
    ['ghcr.io/o/a__b.c-d', 'ghcr.io', 'o/a__b.c-d']
  ])('%s -> %s / %s', (raw, registry, path) => {
    expect(parseImageName(raw, 'VmafX')).toEqual({ registry, path, name: `${registry}/${path}` })
  })

  test.each([
    ['', /is required/],
    ['ghcr.io/vmafx/op:1.0', /contains a tag; give the name only/],
    ['ghcr.io/vmafx/op@sha256:abc', /contains a digest/],
    ['ghcr.io/VmafX/op', /must be lower-case: ghcr.io\/vmafx\/op/],
    ['vmafx/op', /does not start with a registry host; write ghcr.io\/vmafx\/op/],
    ['ghcr.io/vmafx/-op', /not a valid path component/],
    ['ghcr.io/vmafx/op..x', /not a valid path component/],
    ['ghcr.io/vmafx/op_', /not a valid path component/],
    ['bad_host.io/x', /not a valid registry host/]
  ])('refuses %j', (raw, message) => {
    expect(() => parseImageName(raw, 'vmafx')).toThrow(message)
  })

  test('names the input in its error', () => {
    expect(() => parseImageName('A', 'o')).toThrow(/^Input `image`:/)
  })
})

describe('parseVersion and versionTags', () => {
  test.each([
    ['v1.4.2', ['1.4.2', '1.4', '1', 'latest']],
    ['1.4.2', ['1.4.2', '1.4', '1', 'latest']],
    ['vmafx-operator-v2.0.1', ['2.0.1', '2.0', '2', 'latest']],
    ['vmafx-operator/v2.0.1', ['2.0.1', '2.0', '2', 'latest']],
    ['1.5.0-rc.1', ['1.5.0-rc.1']],
    ['v2.0.0-beta', ['2.0.0-beta']],
    ['0.3.1', ['0.3.1', '0.3', 'latest']]
  ])('%s -> %j', (raw, tags) => {
    const v = parseVersion(raw)
    expect(v).toBeDefined()
    expect(versionTags(v!)).toEqual(tags)
  })

  test.each(['1.4', 'v1', 'one.two.three', '01.2.3', '1.2.3+build', ''])('%j is not a version', (raw) => {
    expect(parseVersion(raw)).toBeUndefined()
  })
})

test.each([
  ['', '1.4.2', ['1.4.2', '1.4', '1', 'latest']],
  ['v', '1.4.2', ['v1.4.2', 'v1.4', 'v1', 'latest']],
  ['v', '1.5.0-rc.1', ['v1.5.0-rc.1']],
  ['release-', '0.3.1', ['release-0.3.1', 'release-0.3', 'latest']]
])('versionTags with prefix %j: %s -> %j', (prefix, raw, tags) => {
  expect(versionTags(parseVersion(raw)!, prefix)).toEqual(tags)
})

// docker/metadata-action's `flavor: suffix=-debug`: every derived tag, latest included.
test.each<[string, string, string, string[]]>([
  ['', '-debug', '1.4.2', ['1.4.2-debug', '1.4-debug', '1-debug', 'latest-debug']],
  ['v', '-debug', '1.4.2', ['v1.4.2-debug', 'v1.4-debug', 'v1-debug', 'latest-debug']],
  ['', '-debug', '1.5.0-rc.1', ['1.5.0-rc.1-debug']],
  ['', '-debug', '0.3.1', ['0.3.1-debug', '0.3-debug', 'latest-debug']]
])('versionTags with prefix %j and suffix %j: %s -> %j', (prefix, suffix, raw, tags) => {
  expect(versionTags(parseVersion(raw)!, prefix, suffix)).toEqual(tags)
})

test('deriveTags puts the suffix on branch and sha tags too', () => {
  expect(deriveTags(undefined, { ref: 'refs/heads/main', sha: 'abcdef0123456789abcdef0123456789abcdef01' }, '', '-debug')).toEqual(['main-debug', 'sha-abcdef0-debug'])
})

describe('deriveTags', () => {
  const sha = 'abcdef0123456789abcdef0123456789abcdef01'
  test.each([
    ['version wins over the ref', 'v1.4.2', 'refs/heads/main', ['1.4.2', '1.4', '1', 'latest']],
    ['a release tag ref', '', 'refs/tags/v1.4.2', ['1.4.2', '1.4', '1', 'latest']],
    ["release-please's component/v tag ref", '', 'refs/tags/operator/v1.4.2', ['1.4.2', '1.4', '1', 'latest']],
    ['a pre-release tag ref', '', 'refs/tags/v1.5.0-rc.1', ['1.5.0-rc.1']],
    ['a non-semver tag ref', '', 'refs/tags/nightly', ['nightly']],
    ['a branch', '', 'refs/heads/main', ['main', 'sha-abcdef0']],
    ['a branch with slashes', '', 'refs/heads/feature/New_thing', ['feature-New_thing', 'sha-abcdef0']],
    ['a pull request', '', 'refs/pull/42/merge', ['pr-42', 'sha-abcdef0']]
  ])('%s', (_name, version, ref, tags) => {
    expect(deriveTags(version ? parseVersion(version) : undefined, { ref, sha })).toEqual(tags)
  })
})

describe('tags', () => {
  test.each([
    ['feature/x', 'feature-x'],
    ['.hidden', 'hidden'],
    ['-dash-', 'dash'],
    ['a'.repeat(200), 'a'.repeat(128)],
    ['///', 'untagged']
  ])('tagSafe(%j) = %j', (raw, safe) => {
    expect(tagSafe(raw)).toBe(safe)
  })

  test.each([
    ['ghcr.io/a/b:1', /full reference/],
    ['1 2', /not a valid tag/],
    ['-x', /not a valid tag/],
    ['x'.repeat(129), /not a valid tag/]
  ])('validateTag refuses %j', (tag, message) => {
    expect(() => validateTag(tag)).toThrow(message)
  })
})

test.each([
  ['registry.example/base/static:nonroot', 'registry.example/base/*', true],
  ['registry.example/base/static:nonroot', 'registry.example/base/static', true],
  ['registry.example/base/static@sha256:abc', 'registry.example/base/static', true],
  ['registry.example/base/staticx:1', 'registry.example/base/static', false],
  ['evil.example/registry.example/base/static', 'registry.example/base/*', false]
])('matchesPattern(%s, %s) = %s', (image, pattern, match) => {
  expect(matchesPattern(image, pattern)).toBe(match)
})
