import * as fs from 'node:fs'
import * as path from 'node:path'
import { describe, expect, test } from 'vitest'
import { chooseBuilder, containerBuilderArgv, parseBuilderInspect } from '../../../src/build/builder.js'

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
    ['an existing remote builder', { ...docker, name: 'r', driver: 'remote' }, { multiPlatform: true, containerdStore: false, cacheExport: false, pushByDigest: false }, false]
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
