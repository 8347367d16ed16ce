import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { beforeEach, expect, test, vi } from 'vitest'
import { publishTags } from '../../../src/tags/publish-step.js'
import type { TagRun } from '../../../src/tags/publish-step.js'
import type * as Retry from '../../../src/lib/retry.js'

const puts: string[] = []
let failOnce: string | undefined
vi.mock('../../../src/registry/http-api.js', () => ({
  RegistryApi: class {
    constructor(readonly access: { registry: string; repository: string; username?: string; password?: string }) {}
    manifestBytes = vi.fn(() => Promise.resolve({ body: Buffer.from('{"manifests":[]}'), mediaType: 'application/vnd.oci.image.index.v1+json' }))
    putManifest = vi.fn((tag: string) => {
      puts.push(tag)
      if (tag === failOnce) {
        failOnce = undefined
        return Promise.reject(new Error(`tagging r/a:${tag}: HTTP 503 service unavailable`))
      }
      return Promise.resolve()
    })
  }
}))
vi.mock('../../../src/lib/retry.js', async (original) => {
  const real = await original<typeof Retry>()
  return { ...real, withRetry: <T>(fn: (a: number) => Promise<T>, o: Parameters<typeof real.withRetry>[1]) => real.withRetry(fn, { ...o, sleep: () => Promise.resolve() }) }
})

const D = `sha256:${'a'.repeat(64)}`
const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'publish-'))
fs.writeFileSync(path.join(configDir, 'config.json'), '{}')
const run = (password: string): TagRun & { tools: { create: ReturnType<typeof vi.fn> } } => ({
  inputs: { image: { name: 'registry.example/o/a', registry: 'registry.example', path: 'o/a' }, tags: ['1.4.2', '1.4', '1', 'latest'], push: true, pushByDigest: false, registryUsername: 'u', registryPassword: password, registryAuth: [] },
  tools: { create: vi.fn(() => Promise.resolve()) },
  configDir,
  report: { tags: [] },
  outputs: {}
})

beforeEach(() => {
  puts.length = 0
  failOnce = undefined
})

test('with a credential: one manifest PUT per tag, no imagetools; a 503 on one tag retries that tag alone', async () => {
  failOnce = '1.4'
  const r = run('p')
  await publishTags(r, { digest: D, platforms: {} })
  expect(puts).toEqual(['1.4.2', '1.4', '1.4', '1', 'latest'])
  expect(r.tools.create).not.toHaveBeenCalled()
  expect(r.report.tags).toEqual(['1.4.2', '1.4', '1', 'latest'].map((t) => `registry.example/o/a:${t}`))
})

test('no credential the action can read (a credential helper holds it): imagetools, with docker\'s own', async () => {
  const r = run('')
  await publishTags(r, { digest: D, platforms: {} })
  expect(puts).toEqual([])
  expect(r.tools.create).toHaveBeenCalledWith({ tags: ['1.4.2', '1.4', '1', 'latest'].map((t) => `registry.example/o/a:${t}`), sources: [`registry.example/o/a@${D}`], carbonCopy: true }, `tagging registry.example/o/a@${D}`)
})
