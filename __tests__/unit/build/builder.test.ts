import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { describe, expect, test } from 'vitest'
import { buildkitdConfigFile, chooseBuilder, containerBuilderArgv, parseBuilderInspect } from '../../../src/build/builder.js'

test('parses `docker buildx inspect` (real buildx 0.29 output)', () => {
  const info = parseBuilderInspect(fs.readFileSync(path.join(import.meta.dirname, '../../fixtures/buildx-inspect-docker-driver.txt'), 'utf8'))
  expect(info.name).toBe('default')
  expect(info.driver).toBe('docker')
  expect(info.platforms).toContain('linux/arm64')
  expect(info.platforms).toContain('linux/amd64/v2')
})

describe('chooseBuilder', () => {
  const docker = { name: 'default', driver: 'docker', platforms: [] }
  test.each([
    ['docker driver + containerd store, multi-platform', docker, { multiPlatform: true, containerdStore: true, cacheExport: true, pushByDigest: false }, false],
    ['docker driver + containerd store, push by digest', docker, { multiPlatform: false, containerdStore: true, cacheExport: false, pushByDigest: true }, true],
    ['an existing docker-container builder, push by digest', { ...docker, name: 'b', driver: 'docker-container' }, { multiPlatform: false, containerdStore: false, cacheExport: false, pushByDigest: true }, false],
    ['docker driver, classic store, multi-platform', docker, { multiPlatform: true, containerdStore: false, cacheExport: false, pushByDigest: false }, true],
    ['docker driver, classic store, cache export', docker, { multiPlatform: false, containerdStore: false, cacheExport: true, pushByDigest: false }, true],
    ['docker driver, classic store, one platform', docker, { multiPlatform: false, containerdStore: false, cacheExport: false, pushByDigest: false }, false],
    ['an existing docker-container builder', { ...docker, name: 'b', driver: 'docker-container' }, { multiPlatform: true, containerdStore: false, cacheExport: true, pushByDigest: false }, false],
    ['push: false on the docker driver with the classic store: no OCI layout export there', docker, { multiPlatform: false, containerdStore: false, cacheExport: false, pushByDigest: false, localExport: true }, true],
    ['push: false on the docker driver with the containerd store', docker, { multiPlatform: true, containerdStore: true, cacheExport: false, pushByDigest: false, localExport: true }, false],
    ['push: false on an existing docker-container builder', { ...docker, name: 'b', driver: 'docker-container' }, { multiPlatform: true, containerdStore: false, cacheExport: true, pushByDigest: false, localExport: true }, false],
    ['an existing remote builder', { ...docker, name: 'r', driver: 'remote' }, { multiPlatform: true, containerdStore: false, cacheExport: false, pushByDigest: false }, false],
    ['buildkitd-config with the docker driver', docker, { multiPlatform: true, containerdStore: true, cacheExport: false, pushByDigest: false, buildkitdConfig: true }, true],
    ['buildkitd-config beside an existing docker-container builder (started without it)', { ...docker, name: 'b', driver: 'docker-container' }, { multiPlatform: false, containerdStore: false, cacheExport: false, pushByDigest: false, buildkitdConfig: true }, true]
  ])('%s -> create %s', (_name, current, needs, create) => {
    const choice = chooseBuilder(current, needs)
    expect(choice.create).toBe(create)
    expect(choice.reason).not.toBe('')
  })
})

test.each([
  ['moby/buildkit:buildx-stable-1', ['buildx', 'create', '--name', 'b1', '--driver', 'docker-container', '--driver-opt', 'image=moby/buildkit:buildx-stable-1,network=host', '--bootstrap']],
  ['mirror.example.com/moby/buildkit:v0.25.2', ['buildx', 'create', '--name', 'b1', '--driver', 'docker-container', '--driver-opt', 'image=mirror.example.com/moby/buildkit:v0.25.2,network=host', '--bootstrap']]
])('the docker-container builder the action creates runs %s on the host network', (image, argv) => {
  expect(containerBuilderArgv('b1', image)).toEqual(argv)
})

test('buildkitd-config reaches buildx create as --buildkitd-config; inline text is written to a 0600 file in the run dir', () => {
  expect(containerBuilderArgv('b1', 'moby/buildkit:v0.26.2', '/w/buildkitd.toml')).toEqual(['buildx', 'create', '--name', 'b1', '--driver', 'docker-container', '--driver-opt', 'image=moby/buildkit:v0.26.2,network=host', '--buildkitd-config', '/w/buildkitd.toml', '--bootstrap'])
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bk-config-'))
  const toml = '[registry."harbor.corp"]\n  ca = ["/etc/corp/ca.pem"]\n'
  const file = buildkitdConfigFile({ inline: toml }, dir)
  expect(file).toBe(path.join(dir, 'buildkitd.toml'))
  expect(fs.readFileSync(file ?? '', 'utf8')).toBe(toml)
  expect(fs.statSync(file ?? '').mode & 0o777).toBe(0o600)
  expect(buildkitdConfigFile({ file: '/ws/buildkitd.toml' }, dir)).toBe('/ws/buildkitd.toml')
  expect(buildkitdConfigFile(undefined, dir)).toBeUndefined()
})
