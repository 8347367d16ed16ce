// The one registry client: exact argv, and what it does with real buildx stderr (fixture captured
// from buildx 0.29.1 against the e2e registry and its fault proxy).
import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { beforeEach, describe, expect, test, vi } from 'vitest'
import type * as Exec from '../../../src/lib/exec.js'
import type { RunOptions } from '../../../src/lib/exec.js'

const calls: Array<{ args: string[]; opts: RunOptions }> = []
let answers: Array<string | { stderr: string }> = []
vi.mock('../../../src/lib/exec.js', async (importOriginal) => {
  const actual = await importOriginal<typeof Exec>()
  return {
    ...actual,
    run: vi.fn((_file: string, args: string[], opts: RunOptions = {}) => {
      calls.push({ args, opts })
      const next = answers.shift() ?? ''
      if (typeof next === 'string') return Promise.resolve({ exitCode: 0, stdout: next, stderr: '' })
      if (opts.allowFailure) return Promise.resolve({ exitCode: 1, stdout: '', stderr: next.stderr })
      return Promise.reject(new actual.CommandError(`docker ${args.slice(0, 2).join(' ')}`, 1, next.stderr, ''))
    })
  }
})
vi.mock('@actions/core', () => ({ warning: vi.fn(), info: vi.fn() }))

const { ImageTools, imagetoolsCreateArgv, inspectArgv } = await import('../../../src/registry/imagetools.js')

const stderr = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '../../fixtures/buildx-imagetools-stderr.json'), 'utf8')) as Record<string, string>
const fixture = (name: string) => fs.readFileSync(path.join(import.meta.dirname, '../../fixtures', name), 'utf8')
const N = 'r.example/o/app'
const D = 'sha256:' + 'd'.repeat(64)
const AMD = 'sha256:3e92cc7c17b1a84cdb18ca2bd6e2af70e2dfe3a93b030053d00832a2bd5d621d'
const ARM = 'sha256:0ab2725d1c4b9356f279bc7cbd82545b2fd49b8cd8b510c6b1c45f03561cbf43'
const tools = new ImageTools({ DOCKER_CONFIG: '/cfg' }, { sleep: () => Promise.resolve() })

beforeEach(() => {
  calls.length = 0
  answers = []
})

test.each([
  ['raw', `${N}@${D}`, undefined, ['buildx', 'imagetools', 'inspect', '--raw', `${N}@${D}`]],
  ['everything as JSON', `${N}@${D}`, '.' as const, ['buildx', 'imagetools', 'inspect', `${N}@${D}`, '--format', '{{json .}}']],
  ['the manifest as JSON', `${N}:1.4.2`, '.Manifest' as const, ['buildx', 'imagetools', 'inspect', `${N}:1.4.2`, '--format', '{{json .Manifest}}']],
  ['the config as JSON', `${N}@${D}`, '.Image' as const, ['buildx', 'imagetools', 'inspect', `${N}@${D}`, '--format', '{{json .Image}}']]
])('inspectArgv: %s', (_name, ref, field, argv) => {
  expect(inspectArgv(ref, field)).toEqual(argv)
})

test.each([
  ['merge: tags, index annotations, then the sources by digest', { tags: [`${N}:1.4.2`, `${N}:latest`], indexAnnotations: [['org.opencontainers.image.description', 'A worker']] as Array<[string, string]>, sources: [`${N}@${AMD}`, `${N}@${ARM}`] },
    ['buildx', 'imagetools', 'create', '--tag', `${N}:1.4.2`, '--tag', `${N}:latest`, '--annotation', 'index:org.opencontainers.image.description=A worker', `${N}@${AMD}`, `${N}@${ARM}`]],
  ['re-tag: one index copied keeps its digest', { tags: [`${N}:1.4.2`], sources: [`${N}@${D}`] }, ['buildx', 'imagetools', 'create', '--tag', `${N}:1.4.2`, `${N}@${D}`]]
])('imagetoolsCreateArgv: %s', (_name, spec, argv) => {
  expect(imagetoolsCreateArgv(spec)).toEqual(argv)
})

describe('what real buildx failures do', () => {
  // attempts: 4 when retried to the end, 1 when thrown at once.
  test.each([
    ['a digest not found, not just pushed: an answer', 'notFoundDigest', false, 1],
    ['a digest not found right after the push: the registry catching up', 'notFoundDigest', true, 4],
    ['no credentials: never retried', 'noCredentials', true, 1],
    ['a wrong password (401): never retried', 'wrongPassword', true, 1],
    ['503 Service Unavailable: retried', 'serviceUnavailable', false, 4],
    ['a connection reset (EOF): retried', 'connectionReset', false, 4],
    ['connection refused: retried', 'connectionRefused', false, 4]
  ])('%s', async (_name, key, justPushed, attempts) => {
    answers = Array.from({ length: 4 }, () => ({ stderr: stderr[key] ?? '' }))
    await expect(tools.raw(`${N}@${D}`, { justPushed })).rejects.toThrow(stderr[key] ?? 'missing fixture')
    expect(calls).toHaveLength(attempts)
  })

  test('a transient failure then success returns the answer', async () => {
    answers = [{ stderr: stderr.serviceUnavailable ?? '' }, JSON.stringify({ layers: [{ size: 3 }] })]
    await expect(tools.raw(`${N}@${D}`)).resolves.toEqual({ layers: [{ size: 3 }] })
    expect(calls).toHaveLength(2)
  })

  test('create is retried on a 503, not on a missing source', async () => {
    answers = [{ stderr: stderr.serviceUnavailable ?? '' }, '']
    await tools.create({ tags: [`${N}:1`], sources: [`${N}@${D}`] }, 'copying')
    expect(calls).toHaveLength(2)
    calls.length = 0
    answers = [{ stderr: stderr.createFromMissing ?? '' }]
    await expect(tools.create({ tags: [`${N}:1`], sources: [`${N}@${D}`] }, 'copying')).rejects.toThrow(/not found/)
    expect(calls).toHaveLength(1)
  })

  test('find: a tag that is not there, or cannot be read, is no earlier release', async () => {
    answers = [{ stderr: stderr.notFoundTag ?? '' }]
    await expect(tools.find(`${N}:nope`)).resolves.toBeUndefined()
    answers = [{ stderr: stderr.noCredentials ?? '' }]
    await expect(tools.find(`${N}:1.4.2`)).resolves.toBeUndefined()
  })
})

describe('reads', () => {
  test('every command carries the action\'s docker config and is silent', async () => {
    answers = [JSON.stringify({ digest: D })]
    await tools.digest(`${N}:1.4.2`)
    expect(calls[0]?.opts).toMatchObject({ env: { DOCKER_CONFIG: '/cfg' }, silent: true })
  })

  test('pushed: one call brings the platform digests (attestations left out) and their configs', async () => {
    answers = [fixture('imagetools-json-index.json')]
    const p = await tools.pushed(N, D, ['linux/amd64', 'linux/arm64'])
    expect(p.digest).toBe((JSON.parse(fixture('imagetools-json-index.json')) as { manifest: { digest: string } }).manifest.digest)
    expect(p.platforms).toEqual({ 'linux/amd64': AMD, 'linux/arm64': ARM })
    expect(Object.keys(p.configs)).toEqual(['linux/amd64', 'linux/arm64'])
    expect(calls.map((c) => c.args)).toEqual([inspectArgv(`${N}@${D}`, '.')])
  })

  test('platformsOf an index: its platforms; of a lone manifest: the platform its config names', async () => {
    const index = JSON.parse(fixture('imagetools-json-index.json')) as { manifest: unknown }
    answers = [JSON.stringify(index.manifest)]
    expect(await tools.platformsOf(N, D)).toEqual({ digest: D, platforms: { 'linux/amd64': AMD, 'linux/arm64': ARM } })
    const lone = JSON.parse(fixture('imagetools-json-manifest.json')) as { manifest: unknown; image: unknown }
    answers = [JSON.stringify(lone.manifest), JSON.stringify({ os: 'linux', architecture: 'arm64', variant: 'v8' })]
    calls.length = 0
    expect(await tools.platformsOf(N, ARM)).toEqual({ digest: ARM, platforms: { 'linux/arm64': ARM } })
    expect(calls.map((c) => c.args)).toEqual([inspectArgv(`${N}@${ARM}`, '.Manifest'), inspectArgv(`${N}@${ARM}`, '.Image')])
  })
})

describe('create: a copy racing its own blob upload is tried again', () => {
  // Captured in the e2e suite: buildx uploads a platform manifest's blobs twice at once and PUT
  // the manifest before one upload finished; distribution answered 400 "blob unknown to registry".
  const race = { stderr: stderr['copy-race-blob-unknown'] ?? '' }
  const spec = { tags: ['quay.example/o/app:1.4.2'], sources: [`${N}@${D}`] }

  test('with alsoRetry: a second attempt, which finds the blobs there', async () => {
    expect(race.stderr).toContain('blob unknown to registry')
    answers = [race, '']
    await tools.create(spec, 'copying', /blob unknown to registry/i)
    expect(calls).toHaveLength(2)
    expect(calls[1]?.args).toEqual(['buildx', 'imagetools', 'create', '--tag', 'quay.example/o/app:1.4.2', `${N}@${D}`])
  })

  test('without it (any other create): thrown at once', async () => {
    answers = [race, '']
    await expect(tools.create(spec, 'merging')).rejects.toThrow(/blob unknown to registry/)
    expect(calls).toHaveLength(1)
  })
})

describe('createByDigest: a new index pushed by digest, with no tag', () => {
  test('the dry run gives the bytes; their sha256 is the digest buildx is told to push under', async () => {
    const index = '{\n  "schemaVersion": 2,\n  "manifests": []\n}'
    answers = [`${index}\n`, '']
    const digest = await tools.createByDigest(N, { indexAnnotations: [['org.opencontainers.image.description', 'A worker']], sources: [`${N}@${AMD}`, `${N}@${ARM}`] }, 'merging')
    const expected = `sha256:${createHash('sha256').update(index).digest('hex')}`
    expect(digest).toBe(expected)
    expect(calls.map((c) => c.args)).toEqual([
      ['buildx', 'imagetools', 'create', '--dry-run', '--annotation', 'index:org.opencontainers.image.description=A worker', `${N}@${AMD}`, `${N}@${ARM}`],
      ['buildx', 'imagetools', 'create', '--tag', `${N}@${expected}`, '--annotation', 'index:org.opencontainers.image.description=A worker', `${N}@${AMD}`, `${N}@${ARM}`]
    ])
  })

  test('a tag or copy of one digest is written as it is (--prefer-index=false): a lone manifest keeps its digest', () => {
    expect(imagetoolsCreateArgv({ tags: [`${N}:1`], sources: [`${N}@${D}`], carbonCopy: true })).toEqual(['buildx', 'imagetools', 'create', '--prefer-index=false', '--tag', `${N}:1`, `${N}@${D}`])
  })
})

describe('versionAt: the version the image under a tag records', () => {
  test.each<[string, string | { stderr: string }, { exists: boolean; version?: string }]>([
    ['an index: one config per platform', JSON.stringify({ 'linux/amd64': { config: { Labels: { 'org.opencontainers.image.version': '1.9.0' } } }, 'linux/arm64': { config: { Labels: {} } } }), { exists: true, version: '1.9.0' }],
    ['a lone manifest: its config', JSON.stringify({ architecture: 'amd64', config: { Labels: { 'org.opencontainers.image.version': '2.0.0' } } }), { exists: true, version: '2.0.0' }],
    ['an image without the label', JSON.stringify({ architecture: 'amd64', config: { Labels: null } }), { exists: true, version: undefined }],
    ['no such tag', { stderr: `ERROR: ${N}:latest: not found` }, { exists: false }]
  ])('%s', async (_name, answer, expected) => {
    answers = [answer]
    expect(await tools.versionAt(`${N}:latest`)).toEqual(expected)
    expect(calls[0]?.args).toEqual(['buildx', 'imagetools', 'inspect', `${N}:latest`, '--format', '{{json .Image}}'])
  })

  test('any other failure throws: a floating tag is not moved blind', async () => {
    answers = [{ stderr: 'ERROR: unexpected status: 401 Unauthorized' }]
    await expect(tools.versionAt(`${N}:latest`)).rejects.toThrow(`reading ${N}:latest: ERROR: unexpected status: 401 Unauthorized`)
  })
})
