// Several registries (issue 20, part 1): `images` and `registry-auth`, credentials found before the
// build, the copy by digest, and what a failing registry reports.
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { beforeEach, describe, expect, test, vi } from 'vitest'
import type { GitHubContext } from '../../../src/lib/runner-env.js'
import type { CopySpec } from '../../../src/supply-chain/copies.js'
import type { SupplyChainResult, SupplyChainSpec } from '../../../src/supply-chain/chain.js'

vi.mock('@actions/core', () => ({ setSecret: vi.fn(), getInput: vi.fn(), info: vi.fn(), error: vi.fn(), group: vi.fn((_n: string, fn: () => Promise<unknown>) => fn()) }))

// The manifest PUTs that tag a copy when the action holds its registry's credential.
const puts: Array<{ name: string; tags: readonly string[]; digest: string; username: string }> = []
vi.mock('../../../src/tags/publish-step.js', () => ({
  putTags: vi.fn((image: { name: string }, tags: readonly string[], digest: string, credential: { username: string }) => (puts.push({ name: image.name, tags, digest, username: credential.username }), Promise.resolve()))
}))

const core = await import('@actions/core')
const { parseInputs, readInputs } = await import('../../../src/inputs/index.js')
const { configKeys, createDockerConfig, hasCredentials } = await import('../../../src/registry/login.js')
const { copiesFailure, copyIndex, publishCopies, unfinishedCopy } = await import('../../../src/supply-chain/copies.js')

const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'copies-'))
fs.writeFileSync(path.join(ws, 'Dockerfile'), 'FROM gcr.io/distroless/static-debian13:nonroot\n')
const ctx: GitHubContext = { workspace: ws, repository: 'acme/op', owner: 'acme', ref: 'refs/tags/v1.4.2', sha: 'a'.repeat(40), serverUrl: 'https://github.com', apiUrl: 'https://api.github.com', workflowRef: '', runId: '1', runAttempt: 1, idTokenAvailable: true, runnerTemp: os.tmpdir(), nodeArch: 'x64', noDefaultAttestations: false, sourceDate: '' }
const parse = (values: Record<string, string>) => parseInputs((n) => values[n] ?? '', ctx)

describe('images and registry-auth', () => {
  test.each<[string, Record<string, string>, string, string[], Array<[string, string]>]>([
    ['image alone: no copies', { image: 'ghcr.io/acme/op' }, 'ghcr.io/acme/op', [], []],
    ['images: the first is built, the others are copies', { images: 'ghcr.io/acme/op\nquay.io/acme/op\n\nregistry.example:5443/mirror/op', 'registry-auth': 'quay.io=acme+bot:QUAYTOKEN1\nregistry.example:5443=bot:p:a:ss' }, 'ghcr.io/acme/op', ['quay.io/acme/op', 'registry.example:5443/mirror/op'], [['quay.io', 'acme+bot'], ['registry.example:5443', 'bot']]],
    ['a bare name in images expands like image', { images: 'op\ndocker.io/acme/op' }, 'ghcr.io/acme/op', ['docker.io/acme/op'], []],
    ['the same registry twice needs no registry-auth', { images: 'ghcr.io/acme/op\nghcr.io/acme/op-mirror' }, 'ghcr.io/acme/op', ['ghcr.io/acme/op-mirror'], []]
  ])('%s', (_name, values, image, copies, auth) => {
    const i = parse(values)
    expect(i.image.name).toBe(image)
    expect(i.copies.map((c) => c.name)).toEqual(copies)
    expect(i.registryAuth.map((c) => [c.host, c.username])).toEqual(auth)
  })

  test('a token with colons is kept whole', () => {
    expect(parse({ images: 'ghcr.io/acme/op\nregistry.example:5443/op', 'registry-auth': 'registry.example:5443=bot:p:a:ss' }).registryAuth).toEqual([{ host: 'registry.example:5443', username: 'bot', password: 'p:a:ss' }])
  })

  test.each([
    ['both image and images', { image: 'ghcr.io/acme/op', images: 'quay.io/acme/op' }, /^Input `images`: and `image` are both set/],
    ['a name with a tag in images', { images: 'ghcr.io/acme/op\nquay.io/acme/op:1.0' }, /^Input `images`: "quay.io\/acme\/op:1.0" contains a tag/],
    ['a name twice', { images: 'ghcr.io/acme/op\nghcr.io/acme/op' }, /^Input `images`: lists ghcr.io\/acme\/op twice/],
    ['registry-auth for the first registry', { images: 'ghcr.io/acme/op\nquay.io/acme/op', 'registry-auth': 'ghcr.io=u:t0ken' }, /^Input `registry-auth`: names ghcr.io, the first image's registry: its credentials are registry-username and registry-password/],
    ['a line without a token, never echoed', { images: 'ghcr.io/acme/op\nquay.io/acme/op', 'registry-auth': 'quay.io=justauser' }, /^Input `registry-auth`: a line is not HOST=USERNAME:TOKEN \(the one for quay.io\)$/],
    ['an empty token', { images: 'ghcr.io/acme/op\nquay.io/acme/op', 'registry-auth': 'quay.io=u:' }, /^Input `registry-auth`: the line for quay.io needs both a username and a token/],
    ['a host twice', { images: 'ghcr.io/acme/op\nquay.io/acme/op', 'registry-auth': 'quay.io=u:t1\nquay.io=u:t2' }, /^Input `registry-auth`: gives quay.io twice/],
    ['copies from push-by-digest legs', { images: 'ghcr.io/acme/op\nquay.io/acme/op', 'push-by-digest': 'true', platforms: 'linux/amd64' }, /^Input `images`: lists several images, but push-by-digest legs push to the first only: give `images` to the merge job/],
    ['copies with push: false', { images: 'ghcr.io/acme/op\nquay.io/acme/op', push: 'false' }, /^Input `images`: lists several images, but push is false/]
  ])('refused: %s', (_name, values, message) => {
    expect(() => parse(values)).toThrow(message)
  })

  test('every token is masked on its own, besides each line', () => {
    const values: Record<string, string> = { images: 'ghcr.io/acme/op\nquay.io/acme/op\nregistry.example:5443/op', 'registry-auth': 'quay.io=bot:QUAYTOKEN1\nregistry.example:5443=bot:REGTOKEN2' }
    vi.mocked(core.getInput).mockImplementation((name: string) => values[name] ?? '')
    vi.mocked(core.setSecret).mockClear()
    readInputs(ctx)
    const masked = vi.mocked(core.setSecret).mock.calls.map((c) => c[0])
    for (const secret of ['QUAYTOKEN1', 'REGTOKEN2', 'quay.io=bot:QUAYTOKEN1']) expect(masked).toContain(secret)
  })
})

describe('credentials in the action\'s docker config', () => {
  const user = fs.mkdtempSync(path.join(os.tmpdir(), 'user-docker-'))
  fs.writeFileSync(path.join(user, 'config.json'), JSON.stringify({ credsStore: 'desktop', credHelpers: { 'gcr.io': 'gcloud' }, auths: { 'ghcr.io': { auth: 'b2xk' }, 'quay.io': { auth: 'cXVheQ==' }, 'https://index.docker.io/v1/': { auth: 'aHVi' }, 'registry.example:5443': {} } }))
  const dir = createDockerConfig(fs.mkdtempSync(path.join(os.tmpdir(), 'runner-temp-')), ['ghcr.io', 'registry.example:5443'], user)

  test('the registries the action logs in to are cleared; an earlier login to another stays', () => {
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'))).toEqual({ credHelpers: { 'gcr.io': 'gcloud' }, auths: { 'quay.io': { auth: 'cXVheQ==' }, 'https://index.docker.io/v1/': { auth: 'aHVi' } } })
  })

  test.each([
    ['quay.io', true],
    ['docker.io', true],
    ['gcr.io', true],
    ['ghcr.io', false],
    ['registry.example:5443', false],
    ['nowhere.example', false]
  ])('%s has credentials: %s', (host, expected) => {
    expect(hasCredentials(dir, host)).toBe(expected)
  })

  test('Docker Hub is looked up under its legacy key too', () => {
    expect(configKeys('docker.io')).toContain('https://index.docker.io/v1/')
    expect(configKeys('quay.io')).toEqual(['quay.io'])
  })
})

const D = 'sha256:' + '1'.repeat(64)
const AMD = 'sha256:' + '2'.repeat(64)
const quay = { registry: 'quay.io', path: 'acme/op', name: 'quay.io/acme/op' }
const mirror = { registry: 'registry.example:5443', path: 'op', name: 'registry.example:5443/op' }

function fakeTools(digests: Record<string, string> = {}, failCreate?: string) {
  const created: Array<{ tags: string[]; sources: string[]; carbonCopy?: boolean }> = []
  return {
    created,
    create: vi.fn((spec: { tags: string[]; sources: string[]; carbonCopy?: boolean }) => {
      created.push(spec)
      return failCreate && spec.tags[0]?.startsWith(failCreate) ? Promise.reject(new Error('docker buildx exited with code 1:\nunauthorized: access to the requested resource is not authorized')) : Promise.resolve()
    }),
    digest: vi.fn((ref: string) => Promise.resolve(digests[ref] ?? D))
  }
}

describe('copyIndex', () => {
  test('copied once by digest with no tag, then every tag set on the copy itself, the first read back', async () => {
    const tools = fakeTools()
    await copyIndex('ghcr.io/acme/op', D, quay, ['1.4.2', '1.4', 'latest'], tools)
    expect(tools.created).toEqual([
      { tags: [`quay.io/acme/op@${D}`], sources: [`ghcr.io/acme/op@${D}`], carbonCopy: true },
      { tags: ['quay.io/acme/op:1.4.2', 'quay.io/acme/op:1.4', 'quay.io/acme/op:latest'], sources: [`quay.io/acme/op@${D}`], carbonCopy: true }
    ])
    expect(tools.digest).toHaveBeenCalledWith('quay.io/acme/op:1.4.2', { justPushed: true })
  })

  test('one tag: the copy by digest, then that tag', async () => {
    const tools = fakeTools()
    await copyIndex('ghcr.io/acme/op', D, quay, ['1.4.2'], tools)
    expect(tools.created).toEqual([
      { tags: [`quay.io/acme/op@${D}`], sources: [`ghcr.io/acme/op@${D}`], carbonCopy: true },
      { tags: ['quay.io/acme/op:1.4.2'], sources: [`quay.io/acme/op@${D}`], carbonCopy: true }
    ])
  })

  test("with the action's credential for that registry: the copy by digest, then one manifest PUT per tag (no second imagetools call), the first read back", async () => {
    const tools = fakeTools()
    puts.length = 0
    await copyIndex('ghcr.io/acme/op', D, quay, ['1.4.2', '1.4', 'latest'], tools, { username: 'quay-bot', password: 'QUAY' })
    expect(tools.created).toEqual([{ tags: [`quay.io/acme/op@${D}`], sources: [`ghcr.io/acme/op@${D}`], carbonCopy: true }])
    expect(puts).toEqual([{ name: 'quay.io/acme/op', tags: ['1.4.2', '1.4', 'latest'], digest: D, username: 'quay-bot' }])
    expect(tools.digest).toHaveBeenCalledWith('quay.io/acme/op:1.4.2', { justPushed: true })
  })

  test('a registry that rewrote the index is refused: its signatures would not apply', async () => {
    const tools = fakeTools({ 'quay.io/acme/op:1.4.2': AMD })
    await expect(copyIndex('ghcr.io/acme/op', D, quay, ['1.4.2', 'latest'], tools)).rejects.toThrow(`quay.io/acme/op:1.4.2 is ${AMD} after the copy, not ${D}: the registry rewrote the index`)
    expect(tools.created).toHaveLength(2)
  })
})

describe('publishCopies', () => {
  const subjects = [{ subject: 'index', digest: D }, { subject: 'linux/amd64', digest: AMD }]
  const sboms = [{ platform: 'linux/amd64', digest: AMD, file: '/w/sbom/linux-amd64.cdx.json', bytes: 10, type: 'cyclonedx' as const }]
  const spec: CopySpec = { from: 'ghcr.io/acme/op', digest: D, tags: ['1.4.2'], subjects, chain: { sboms, sign: true, sbom: true, sbomArtifact: true, rerun: false } as unknown as CopySpec['chain'] }
  const signed = (s: SupplyChainSpec): SupplyChainResult => ({ subjects: s.subjects.map((x) => ({ ...x, signature: 'verified', attestation: 'verified', provenance: x.subject === 'index' ? 'skipped' : 'verified' })), sboms: {}, sbomResults: [], signed: true, verifyCommands: [`cosign verify ${s.name}@${D}`], notes: [] })

  beforeEach(() => {
    vi.mocked(core.error).mockClear()
  })

  test('each registry: copied, then its own supply chain with the first image\'s SBOMs, no artifact upload', async () => {
    const chains: SupplyChainSpec[] = []
    const out = await publishCopies([quay, mirror], spec, fakeTools(), (s) => (chains.push(s), Promise.resolve(signed(s))))
    expect(chains.map((c) => [c.name, c.heading, c.sbomArtifact, c.sboms])).toEqual([
      ['quay.io/acme/op', 'in quay.io', false, sboms],
      ['registry.example:5443/op', 'in registry.example:5443', false, sboms]
    ])
    expect(out.map((o) => [o.name, o.copied, o.failure, o.verifyCommands])).toEqual([
      ['quay.io/acme/op', true, undefined, [`cosign verify quay.io/acme/op@${D}`]],
      ['registry.example:5443/op', true, undefined, [`cosign verify registry.example:5443/op@${D}`]]
    ])
    expect(copiesFailure(out)).toBeUndefined()
    expect(out.map((o) => o.tags)).toEqual([['1.4.2'], ['1.4.2']])
  })

  test('a copy whose own history holds floating tags back gets its own tags', async () => {
    const tools = fakeTools()
    const out = await publishCopies([quay, mirror], { ...spec, tags: ['1.4.2', '1.4', '1', 'latest'], tagsOf: { 'quay.io/acme/op': ['1.4.2', '1.4'] } }, tools, (s) => Promise.resolve(signed(s)))
    expect(out.map((o) => [o.name, o.tags])).toEqual([['quay.io/acme/op', ['1.4.2', '1.4']], ['registry.example:5443/op', ['1.4.2', '1.4', '1', 'latest']]])
    expect(tools.created.filter((c) => c.tags[0]?.includes(':1.4.2')).map((c) => c.tags)).toEqual([['quay.io/acme/op:1.4.2', 'quay.io/acme/op:1.4'], ['1.4.2', '1.4', '1', 'latest'].map((t) => `registry.example:5443/op:${t}`)])
  })

  test('a failed copy names its registry and does not stop the next; the error lists what is left in each', async () => {
    const chains: string[] = []
    const out = await publishCopies([quay, mirror], spec, fakeTools({}, 'quay.io'), (s) => {
      chains.push(s.name)
      const r = signed(s)
      const amd = r.subjects[1]
      if (amd) amd.attestation = 'failed'
      return Promise.resolve({ ...r, failure: new Error('cosign attest exited with code 1') })
    })
    expect(chains).toEqual(['registry.example:5443/op'])
    expect(unfinishedCopy(out[0] ?? ({} as never))).toEqual(['quay.io/acme/op: not copied (nothing pushed or signed there yet)'])
    expect(copiesFailure(out)?.message).toBe(
      [
        'Publishing to 2 registries failed:',
        '- quay.io: copying the index to quay.io failed: docker buildx exited with code 1:\nunauthorized: access to the requested resource is not authorized',
        '  Pushed but not signed or attested there: quay.io/acme/op: not copied (nothing pushed or signed there yet)',
        '- registry.example:5443: cosign attest exited with code 1',
        `  Pushed but not signed or attested there: linux/amd64 registry.example:5443/op@${AMD}`,
        'Re-run the job: the copy is made again by digest (the same index), and what is signed already is checked, not added twice.'
      ].join('\n')
    )
  })
})
