// No tag on a refused image (issue 30, part 1): every release is pushed by digest, the gates run on
// that digest, and only then do the tags move, in every registry of `images`. Each case slips a
// broken image (an x86-64 binary in the arm64 image) past a release that tagged a good one before,
// and checks with real cosign and the registries' own answers that nothing is signed and no tag moved.
import { describe, expect, test } from 'vitest'
import { runAction } from './support/harness.js'
import { cosign, docker, e2e, keyPair, keySigning, requireEnvironment, staticTrue, workspace } from './support/env.js'

const run = requireEnvironment()
const PASSWORD = 'e2e-gates-tags-password-3f9a'
const R = e2e.registry
const R2 = e2e.registry2
const first = { 'registry-username': e2e.user, 'registry-password': e2e.password, 'allowed-bases': `${R}/e2e/*` }
const secondAuth = `${R2}=${e2e.user2}:${e2e.password2}`

/** A static x86-64 program of this runner as every platform's entrypoint: right on amd64, wrong on arm64. */
const files = () => ({ hello: staticTrue(), Dockerfile: `FROM ${R}/e2e/static:nonroot\nCOPY --chmod=0755 hello /hello\nENTRYPOINT ["/hello"]\n` })
const repo = (name: string) => `e2e-${name}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`
/** The digest a tag points at, or undefined when the registry has no such tag. */
const digestOf = (ref: string) => {
  const r = docker(['buildx', 'imagetools', 'inspect', ref, '--format', '{{json .Manifest}}'], { allowFailure: true })
  return r.code === 0 ? (JSON.parse(r.out) as { digest: string }).digest : undefined
}
const verifies = (ref: string, pub: string) => cosign('cosign', ['verify', '--key', pub, '--insecure-ignore-tlog=true', ref]).code === 0

describe.runIf(run)('tags move only after every gate passed (issue 30, part 1)', () => {
  test('a release the architecture check refuses moves no tag in either registry and signs nothing; the good release keeps every tag', async () => {
    const keys = keyPair(PASSWORD)
    const path = repo('refused-tags')
    const images = [`${R}/${path}`, `${R2}/${path}`]
    const inputs = { images: images.join('\n'), 'registry-auth': secondAuth, ...first, ...keySigning(keys.key, PASSWORD) }
    const good = await runAction({ ...inputs, version: 'v1.4.0', platforms: 'linux/amd64' }, { workspace: workspace(files()) })
    expect(good.exitCode, good.log).toBe(0)
    const kept = good.outputs.digest ?? ''

    const bad = await runAction({ ...inputs, version: 'v1.4.1', platforms: 'linux/amd64,linux/arm64' }, { workspace: workspace(files()) })
    expect(bad.exitCode, bad.log).toBe(1)
    expect(bad.log).toMatch(/::error::.*linux\/arm64: the image's main binary \/hello is x86-64/)
    const refused = bad.outputs.digest ?? ''
    expect(refused).toMatch(/^sha256:[a-f0-9]{64}$/)
    expect(bad.log).toContain(`No tag was moved: ${images[0] ?? ''}@${refused} is in the registry by digest only; 1.4.1, 1.4, 1, latest stay where they were, in every registry.`)
    // Pushed by digest: buildx was given no tag, and nothing tagged it after.
    expect(bad.log).toMatch(/\[command\]\S*docker buildx build .*--output type=image,name=\S+,push-by-digest=true,name-canonical=true,push=true,rewrite-timestamp=true /)
    expect(bad.log).not.toMatch(/\[command\]\S*docker buildx build .*--tag /)
    expect(bad.log).not.toMatch(/\[command\]\S*imagetools create /)
    expect(bad.log).not.toMatch(/\[command\]\S*cosign (sign|attest) /)
    expect(bad.outputs.tags).toBe('')
    expect(bad.outputs.signed).toBe('false')
    expect(bad.summary).toContain('⛔ Pushed, refused by the checks, not signed or attested.')
    for (const name of images) {
      for (const tag of ['1.4.0', '1.4', '1', 'latest']) expect(digestOf(`${name}:${tag}`), `${name}:${tag}`).toBe(kept)
      expect(digestOf(`${name}:1.4.1`), `${name}:1.4.1`).toBeUndefined()
      expect(verifies(`${name}@${kept}`, keys.pub), name).toBe(true)
    }
    // The refused digest is in the first registry, unsigned; it never reached the second.
    expect(digestOf(`${images[0] ?? ''}@${refused}`)).toBe(refused)
    expect(verifies(`${images[0] ?? ''}@${refused}`, keys.pub)).toBe(false)
    expect(digestOf(`${images[1] ?? ''}@${refused}`)).toBeUndefined()
  })

  test('a merged index the architecture check refuses (legs that did not check): the merge leaves no tag; the earlier release keeps them', async () => {
    const keys = keyPair(PASSWORD)
    const image = `${R}/${repo('refused-merge')}`
    const good = await runAction({ image, version: 'v2.0.0', platforms: 'linux/amd64', ...first, ...keySigning(keys.key, PASSWORD) }, { workspace: workspace(files()) })
    expect(good.exitCode, good.log).toBe(0)
    const legs: string[] = []
    for (const platform of ['linux/amd64', 'linux/arm64']) {
      // policy: off in the legs: the merge job is what must catch it (a leg pushes by digest, no tag either way).
      const leg = await runAction({ image, platforms: platform, 'push-by-digest': 'true', policy: 'off', ...first }, { workspace: workspace(files()) })
      expect(leg.exitCode, leg.log).toBe(0)
      legs.push(leg.outputs.digest ?? '')
    }
    const merged = await runAction({ image, version: 'v2.0.1', 'merge-digests': legs.join('\n'), ...first, ...keySigning(keys.key, PASSWORD) }, { workspace: workspace({}) })
    expect(merged.exitCode, merged.log).toBe(1)
    expect(merged.log).toMatch(/::error::.*linux\/arm64: the image's main binary \/hello is x86-64/)
    const refused = merged.outputs.digest ?? ''
    // The merged index was pushed by digest only (the digest of buildx's dry run), never tagged.
    // (The dry run that gives the digest runs silently: only the push by digest is in the log.)
    const created = merged.log.split('\n').filter((l) => /\[command\]\S*docker buildx imagetools create /.test(l))
    expect(created).toHaveLength(1)
    expect(created[0]).toMatch(new RegExp(`--tag ${image}@${refused} .*${image}@${legs[0] ?? ''} ${image}@${legs[1] ?? ''}$`))
    expect(created.join('\n')).not.toMatch(/--tag [^@\s]+:[\w.-]+(\s|$)/)
    expect(merged.outputs.tags).toBe('')
    for (const tag of ['2.0.0', '2.0', '2', 'latest']) expect(digestOf(`${image}:${tag}`), tag).toBe(good.outputs.digest)
    expect(digestOf(`${image}:2.0.1`)).toBeUndefined()
    expect(verifies(`${image}@${refused}`, keys.pub)).toBe(false)
  })
})

// Floating tags never move backwards, in every reading (issue 30, part 4).
describe.runIf(run)('floating tags in every registry, across prefixes, and where they point (issue 30, part 4)', () => {
  const plain = { ...first, sign: 'false', sbom: 'false', platforms: 'linux/amd64' }
  const release = (inputs: Record<string, string>) => runAction({ ...plain, ...inputs }, { workspace: workspace(files()) })

  test('copies: the second registry holds 1.9.0, so 1.4.0 moves latest and 1 in the first registry only', async () => {
    const path = repo('copy-floating')
    const images = [`${R}/${path}`, `${R2}/${path}`]
    // Quay already holds 1.9.0 (released there before ghcr.io was added): built elsewhere, copied in with its tags.
    const second = await release({ image: `${R}/${repo('copy-floating-quay')}`, version: 'v1.9.0' })
    expect(second.exitCode, second.log).toBe(0)
    docker(['buildx', 'imagetools', 'create', '--prefer-index=false', ...['1.9.0', '1.9', '1', 'latest'].flatMap((t) => ['--tag', `${images[1] ?? ''}:${t}`]), `${second.outputs.image ?? ''}`])
    const r = await release({ images: images.join('\n'), 'registry-auth': secondAuth, version: 'v1.4.0' })
    expect(r.exitCode, r.log).toBe(0)
    for (const tag of ['1.4.0', '1.4', '1', 'latest']) expect(digestOf(`${images[0] ?? ''}:${tag}`), `first ${tag}`).toBe(r.outputs.digest)
    for (const tag of ['1.4.0', '1.4']) expect(digestOf(`${images[1] ?? ''}:${tag}`), `second ${tag}`).toBe(r.outputs.digest)
    for (const tag of ['1', 'latest']) expect(digestOf(`${images[1] ?? ''}:${tag}`), `second ${tag}`).toBe(second.outputs.digest)
    expect(r.log).toContain(`::notice::${R2}: latest stays where it is: 1.9.0 is a higher release than 1.4.0`)
  })

  test('prefixes: the repository holds 1.9.9; a tag-prefix v release 1.3.5 does not move latest', async () => {
    const image = `${R}/${repo('prefix-latest')}`
    const high = await release({ image, version: 'v1.9.9' })
    expect(high.exitCode, high.log).toBe(0)
    const low = await release({ image, version: 'v1.3.5', 'tag-prefix': 'v' })
    expect(low.exitCode, low.log).toBe(0)
    expect(low.outputs.tags?.split('\n')).toEqual(['v1.3.5', 'v1.3', 'v1'].map((t) => `${image}:${t}`))
    expect(digestOf(`${image}:latest`)).toBe(high.outputs.digest)
    expect(low.log).toContain('::notice::latest stays where it is: 1.9.9 is a higher release than 1.3.5')
  })

  test('deleted version tags: latest and 1 point at 1.9.0, whose version tags are gone; 1.3.5 leaves them there', async () => {
    const image = `${R}/${repo('retention')}`
    // What a retention policy leaves: 1.9.0's image under latest and 1 only (explicit tags; the label still says 1.9.0).
    const kept = await release({ image, version: 'v1.9.0', tags: 'latest\n1' })
    expect(kept.exitCode, kept.log).toBe(0)
    const low = await release({ image, version: 'v1.3.5' })
    expect(low.exitCode, low.log).toBe(0)
    expect(low.outputs.tags?.split('\n')).toEqual(['1.3.5', '1.3'].map((t) => `${image}:${t}`))
    for (const tag of ['latest', '1']) expect(digestOf(`${image}:${tag}`), tag).toBe(kept.outputs.digest)
    expect(low.log).toContain('::notice::latest stays where it is: latest (1.9.0, as its image records) is a higher release than 1.3.5')
  })
})
