// Issue 34 part 4: the release version reaches the binary without being repeated in build-args.
import * as fs from 'node:fs'
import { describe, expect, test } from 'vitest'
import { releaseVersion, versionBuildArg } from '../../../src/build/labels.js'
import { parseDockerfile } from '../../../src/dockerfile/parse.js'
import { templatePath } from '../../../src/dockerfile/templates.js'
import { parseVersion } from '../../../src/tags/refs.js'

describe('versionBuildArg', () => {
  test.each<[string, Array<[string, string]>, string[], string, Array<[string, string]>]>([
    ['a Dockerfile that declares VERSION gets the release version', [['A', '1']], ['A', 'VERSION'], '1.4.2', [['A', '1'], ['VERSION', '1.4.2']]],
    ['a VERSION in build-args wins', [['VERSION', 'custom']], ['VERSION'], '1.4.2', [['VERSION', 'custom']]],
    ['a Dockerfile without ARG VERSION gets nothing (no unused build-arg warning)', [], ['GO_PACKAGE'], '1.4.2', []],
    ['no version known: nothing (the Dockerfile keeps its default)', [], ['VERSION'], '', []]
  ])('%s', (_name, given, declared, version, expected) => {
    expect(versionBuildArg(given, declared, version)).toEqual(expected)
  })
})

test.each<[string, string | undefined, string[], string]>([
  ['the version input\'s text, without its v', 'v1.4.2', ['1.4.2', '1.4'], '1.4.2'],
  ['a prerelease', 'v2.0.0-rc.1', ['2.0.0-rc.1'], '2.0.0-rc.1'],
  ['no version: the first tag', undefined, ['edge'], 'edge']
])('releaseVersion: %s', (_name, version, tags, expected) => {
  expect(releaseVersion({ version: version ? parseVersion(version) : undefined, tags })).toBe(expected)
})

test.each(['static', 'cc'] as const)('the %s template declares VERSION, so a release passes it', (name) => {
  const parsed = parseDockerfile(fs.readFileSync(templatePath(name), 'utf8'))
  expect(parsed.declaredArgs).toEqual(expect.arrayContaining(['VERSION', 'VERSION_VARIABLE', 'GO_PACKAGE', 'GO_TAGS', 'BINARY', 'GOPROXY', 'GOFLAGS']))
})

test('declaredArgs lists global and stage ARGs once each', () => {
  expect(parseDockerfile('ARG BASE=x\nFROM ${BASE}\nARG VERSION\nARG A=1 B=2\nFROM scratch\nARG VERSION\n').declaredArgs).toEqual(['BASE', 'VERSION', 'A', 'B'])
})
