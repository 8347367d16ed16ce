// Several registries in one step (issue 20, part 1), against two real registries, each with TLS
// and its own credentials: the index built once and copied by digest, each copy signed, attested
// and verified in its own repository; a wrong token for the second fails before the first is pushed.
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import { beforeAll, describe, expect, test } from 'vitest'
import { runAction } from './support/harness.js'
import { cosign, docker, e2e, keyPair, keySigning, requireEnvironment, secretLeaks, staticTrue, workspace } from './support/env.js'

const run = requireEnvironment()
const PASSWORD = 'e2e-registries-password-5d02'
const R = e2e.registry
const R2 = e2e.registry2
const first = { 'registry-username': e2e.user, 'registry-password': e2e.password }
const secondAuth = `${R2}=${e2e.user2}:${e2e.password2}`

// One amd64 binary (a static x86-64 program of this runner): the build is not what this file tests.
const files = () => ({ hello: staticTrue(), Dockerfile: `FROM ${R}/e2e/static:nonroot\nCOPY --chmod=0755 hello /hello\nENTRYPOINT ["/hello"]\n` })
/** The digest a tag points at, read as a user would. */
const digestOf = (ref: string) => (JSON.parse(docker(['buildx', 'imagetools', 'inspect', ref, '--format', '{{json .Manifest}}']).out) as { digest: string }).digest
const repo = (name: string) => `e2e-${name}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`

describe.runIf(run)('several registries (issue 20)', () => {
  test('one build, copied by digest to the second registry under the same tags; each copy signed, attested and verified there', async () => {
    const keys = keyPair(PASSWORD)
    const path = repo('multi')
    const images = [`${R}/${path}`, `${R2}/${path}`]
    const r = await runAction(
      { images: images.join('\n'), 'registry-auth': secondAuth, version: 'v3.1.0', platforms: 'linux/amd64', 'allowed-bases': `${R}/e2e/*`, ...first, ...keySigning(keys.key, PASSWORD) },
      { workspace: workspace(files()), runPost: true }
    )
    expect(r.exitCode, r.log).toBe(0)
    const digest = r.outputs.digest ?? ''
    expect(JSON.parse(r.outputs.images ?? '{}')).toEqual({ [images[0] ?? '']: `${images[0] ?? ''}@${digest}`, [images[1] ?? '']: `${images[1] ?? ''}@${digest}` })
    // The token is masked before use and shows nowhere else: not in the log, outputs, summary or state.
    expect(r.log).toContain(`::add-mask::${e2e.password2}`)
    expect(secretLeaks([r.log, r.files.output, r.files.state, r.files.summary].map((f) => (f.startsWith('/') ? fs.readFileSync(f, 'utf8') : f)).join('\n'), [e2e.password2])).toEqual([])
    expect(r.log).toContain(`Logged in to ${R2} as ${e2e.user2}`)
    // Built once, scanned once.
    expect(r.log.match(/\[command\]\S*docker buildx build /g)).toHaveLength(1)
    expect(r.log.match(/syft scan --from registry/g)).toHaveLength(1)
    // The content crosses once, by digest with no tag; the tags are then set on the copy already
    // there, one manifest PUT each (the action holds that registry's registry-auth line), with no
    // second imagetools call.
    expect(r.log).toContain(`[command]/opt/bdi-e2e/bin/docker buildx imagetools create --prefer-index=false --tag ${images[1] ?? ''}@${digest} ${images[0] ?? ''}@${digest}\n`)
    expect(r.log.match(/\[command\]\S*docker buildx imagetools create /g)).toHaveLength(1)
    for (const tag of ['3.1.0', '3.1', '3', 'latest']) expect(r.log).toContain(`${images[1] ?? ''}:${tag} -> ${digest}`)
    const tagPuts = fs.readFileSync(e2e.registry2Log, 'utf8').split('\n').filter((l) => l.includes(`"PUT /v2/${(images[1] ?? '').slice(R2.length + 1)}/manifests/`) && / 201 /.test(l) && /build-distroless-image \(/.test(l))
    expect(tagPuts.map((l) => /manifests\/([^ ]+) /.exec(l)?.[1]).sort()).toEqual(['3', '3.1', '3.1.0', 'latest'])
    const platform = (JSON.parse(r.outputs['platform-digests'] ?? '{}') as Record<string, string>)['linux/amd64'] ?? ''
    for (const name of images) {
      // The same digest under every tag, in each registry.
      for (const tag of ['3.1.0', '3', 'latest']) expect(digestOf(`${name}:${tag}`)).toBe(digest)
      // Signatures and attestations live in each repository, and verify there with real cosign.
      const ref = (d: string) => `${name}@${d}`
      expect(cosign('cosign', ['verify', '--key', keys.pub, '--insecure-ignore-tlog=true', ref(digest)]).code).toBe(0)
      expect(cosign('cosign', ['verify-attestation', '--key', keys.pub, '--insecure-ignore-tlog=true', '--type', 'cyclonedx', ref(platform)]).code).toBe(0)
      expect(cosign('cosign', ['verify-attestation', '--key', keys.pub, '--insecure-ignore-tlog=true', '--type', 'slsaprovenance1', ref(platform)]).code).toBe(0)
    }
    expect(r.summary).toContain(`<h3>${R2}: ${images[1] ?? ''}</h3>`)
    expect(r.summary).toContain(`cosign verify --key cosign.pub --insecure-ignore-tlog=true ${images[1] ?? ''}@${digest}`)
    expect(r.outputs.signed).toBe('true')
  })

  test('a re-run finishes a registry the first attempt did not reach, and adds nothing twice anywhere', async () => {
    const keys = keyPair(PASSWORD)
    const path = repo('multi-rerun')
    const ws = workspace(files())
    const inputs = { 'registry-auth': secondAuth, version: 'v3.2.0', platforms: 'linux/amd64', 'allowed-bases': `${R}/e2e/*`, ...first, ...keySigning(keys.key, PASSWORD) }
    // What a copy failure leaves: the first registry released and signed, nothing in the second.
    const attempt1 = await runAction({ ...inputs, 'registry-auth': '', image: `${R}/${path}` }, { workspace: ws })
    expect(attempt1.exitCode, attempt1.log).toBe(0)
    const referrers = (name: string) => (JSON.parse(docker(['buildx', 'imagetools', 'inspect', '--raw', `${name}:sha256-${(attempt1.outputs.digest ?? '').slice(7)}`]).out) as { manifests: unknown[] }).manifests.length
    const firstBefore = referrers(`${R}/${path}`)
    const attempt2 = await runAction({ ...inputs, images: `${R}/${path}\n${R2}/${path}` }, { workspace: ws, env: { GITHUB_RUN_ATTEMPT: '2' } })
    expect(attempt2.exitCode, attempt2.log).toBe(0)
    expect(attempt2.outputs.digest).toBe(attempt1.outputs.digest)
    expect(attempt2.log).toContain('every digest already carries a valid signature; not signing again')
    expect(referrers(`${R}/${path}`)).toBe(firstBefore)
    expect(cosign('cosign', ['verify', '--key', keys.pub, '--insecure-ignore-tlog=true', `${R2}/${path}@${attempt2.outputs.digest ?? ''}`]).code).toBe(0)
    const secondAfter = referrers(`${R2}/${path}`)
    const attempt3 = await runAction({ ...inputs, images: `${R}/${path}\n${R2}/${path}` }, { workspace: ws, env: { GITHUB_RUN_ATTEMPT: '3' } })
    expect(attempt3.exitCode, attempt3.log).toBe(0)
    expect(attempt3.log).not.toMatch(/\[command\]\S*cosign (sign|attest) /)
    expect([referrers(`${R}/${path}`), referrers(`${R2}/${path}`)]).toEqual([firstBefore, secondAfter])
  })

  test('a wrong token for the second registry fails before anything is pushed to the first', async () => {
    const path = repo('multi-badauth')
    const before = fs.statSync(e2e.registryLog).size
    const r = await runAction(
      { images: `${R}/${path}\n${R2}/${path}`, 'registry-auth': `${R2}=${e2e.user2}:not-the-token`, version: 'v3.1.0', platforms: 'linux/amd64', 'allowed-bases': `${R}/e2e/*`, ...first, sign: 'false', sbom: 'false' },
      { workspace: workspace(files()) }
    )
    expect(r.exitCode).toBe(1)
    expect(r.log).toMatch(new RegExp(`::error::Login to ${R2.replace(/\./g, '\\.')} failed: .*check the registry-auth line for ${R2.replace(/\./g, '\\.')}`))
    expect(secretLeaks(r.log, ['not-the-token'])).toEqual([])
    expect(r.log).not.toMatch(/\[command\]\S*docker buildx build /)
    // Nothing of this repository reached the first registry.
    expect(fs.readFileSync(e2e.registryLog, 'utf8').slice(before)).not.toContain(`/v2/${path}/`)
  })

  // Issue 30 part 8: a wrong token an earlier login step left in the docker config was first tried
  // at the copy, after the release had been pushed (and signed) in the first registry.
  test('a wrong token for the second registry in the job\'s docker config (an earlier login step\'s) fails before anything is built or pushed, naming host and source', async () => {
    const path = repo('multi-badconfig')
    const before = fs.statSync(e2e.registryLog).size
    // As docker/login-action leaves it, with a token that has since been revoked.
    const userConfig = fs.mkdtempSync(os.tmpdir() + '/bdi-user-docker-')
    fs.writeFileSync(`${userConfig}/config.json`, JSON.stringify({ auths: { [R2]: { auth: Buffer.from(`${e2e.user2}:not-the-token-7e21`).toString('base64') } } }))
    const r = await runAction(
      { images: `${R}/${path}\n${R2}/${path}`, version: 'v3.1.0', platforms: 'linux/amd64', 'allowed-bases': `${R}/e2e/*`, ...first, ...keySigning(keyPair(PASSWORD).key, PASSWORD) },
      { workspace: workspace(files()), env: { DOCKER_CONFIG: userConfig } }
    )
    expect(r.exitCode, r.log).toBe(1)
    const error = r.log.split('\n').filter((l) => l.startsWith('::error::') || l.startsWith('- ')).join('\n')
    expect(error).toContain('A registry credential would fail the push (checked before anything is built; nothing was pushed)')
    expect(r.log).toContain(`- ${R2}/${path}, with the docker config an earlier step logged in with (${userConfig}/config.json): the registry refused the username and password (HTTP 401); log in to ${R2} again in that step (docker/login-action)`)
    expect(secretLeaks(r.log, ['not-the-token-7e21'])).toEqual([])
    expect(r.log).not.toMatch(/\[command\]\S*docker buildx build /)
    // Nothing of this repository reached the first registry: no image, no tag, no signature.
    expect(fs.readFileSync(e2e.registryLog, 'utf8').slice(before)).not.toContain(`/v2/${path}/`)
    expect(docker(['buildx', 'imagetools', 'inspect', `${R}/${path}:3.1.0`], { allowFailure: true }).code).not.toBe(0)
    expect(r.outputs.signed ?? 'false').toBe('false')
  })

  test('a registry without credentials is refused before any login, naming the host; an earlier login step\'s credentials work', async () => {
    const path = repo('multi-nocreds')
    const inputs = { images: `${R}/${path}\n${R2}/${path}`, version: 'v3.1.0', platforms: 'linux/amd64', 'allowed-bases': `${R}/e2e/*`, ...first, sign: 'false', sbom: 'false' }
    const refused = await runAction(inputs, { workspace: workspace(files()) })
    expect(refused.exitCode).toBe(1)
    expect(refused.log).toContain(`::error::Input \`registry-auth\`: has no credentials for ${R2} (in \`images\`)`)
    expect(refused.log).not.toContain('Logged in to')
    // As docker/login-action leaves it: the job's docker config holds the second registry's login.
    const userConfig = fs.mkdtempSync(os.tmpdir() + '/bdi-user-docker-')
    execFileSync('docker', ['login', '-u', e2e.user2, '--password-stdin', R2], { input: e2e.password2, env: { ...process.env, DOCKER_CONFIG: userConfig }, stdio: ['pipe', 'ignore', 'ignore'] })
    const r = await runAction(inputs, { workspace: workspace(files()), env: { DOCKER_CONFIG: userConfig } })
    expect(r.exitCode, r.log).toBe(0)
    expect(digestOf(`${R2}/${path}:3.1.0`)).toBe(r.outputs.digest)
  })

  // Issue 34 part 6: bases mirrored into one registry, the release pushed to another, and no
  // credential for the bases' registry. BuildKit's 401 from the bases' registry used to come back
  // as "Push to <push registry> was refused ... check registry-username and registry-password".
  describe('bases in another registry than the release', () => {
    const basesRepo = repo('mirror')
    const base = `${R2}/${basesRepo}/static:nonroot`
    const baseFiles = (dockerfile: string) => ({ hello: staticTrue(), Dockerfile: dockerfile })
    const common = { version: 'v3.1.0', platforms: 'linux/amd64', 'allowed-bases': `${R}/e2e/*\n${R2}/*`, ...first, sign: 'false', sbom: 'false' }
    // distribution 2.8 now and then answers "blob unknown" to a manifest whose blobs buildx is still
    // copying across registries; the copy (the setup, not the behaviour under test) is tried again.
    beforeAll(() => {
      for (const name of ['static', 'static-amd64']) {
        for (let attempt = 1; ; attempt++) {
          const r = docker(['buildx', 'imagetools', 'create', '--tag', `${R2}/${basesRepo}/${name}:nonroot`, `${R}/e2e/static:nonroot`], { allowFailure: true })
          if (r.code === 0) break
          if (attempt === 3 || !/blob unknown/.test(r.out)) throw new Error(r.out)
        }
      }
    })

    test('no credential for the bases\' registry: fails before the build, naming that registry and that there was none; nothing pushed', async () => {
      const path = repo('bases-elsewhere')
      const before = fs.statSync(e2e.registryLog).size
      const r = await runAction({ image: `${R}/${path}`, ...common }, { workspace: workspace(baseFiles(`FROM ${base}\nCOPY --chmod=0755 hello /hello\nENTRYPOINT ["/hello"]\n`)) })
      expect(r.exitCode, r.log).toBe(1)
      expect(r.log).toContain("::error::A base image's registry refused the pull (checked before anything is built; nothing was built or pushed)")
      expect(r.log).toContain(`- ${R2} refused to let the builder read base ${base}, with no credential (nothing in registry-auth or in the job's docker config for ${R2}): the registry asks for a username and password (Basic), and there is none for it; add a registry-auth line ${R2}=USERNAME:TOKEN (from a secret), or log in to ${R2} in a step before this one (docker/login-action)`)
      // The push registry's credential was checked and is not blamed.
      expect(r.log).toContain(`Push to ${R}/${path} with registry-username and registry-password`)
      expect(r.log).not.toMatch(/Push to \S+ was refused/)
      expect(r.log).not.toMatch(/\[command\]\S*docker buildx build /)
      expect(fs.readFileSync(e2e.registryLog, 'utf8').slice(before)).not.toContain(`/v2/${path}/`)
      expect(docker(['buildx', 'imagetools', 'inspect', `${R}/${path}:3.1.0`], { allowFailure: true }).code).not.toBe(0)
    })

    test('a registry-auth line for the bases\' registry (no image there) reads them, and the release is built on them', async () => {
      const path = repo('bases-auth')
      const r = await runAction(
        { image: `${R}/${path}`, 'registry-auth': secondAuth, ...common },
        { workspace: workspace(baseFiles(`FROM ${base}\nCOPY --chmod=0755 hello /hello\nENTRYPOINT ["/hello"]\n`)) }
      )
      expect(r.exitCode, r.log).toBe(0)
      expect(r.log).toContain(`Base ${base}: readable from ${R2} with the registry-auth line for ${R2}: the manifest reads with the username and password`)
      expect(secretLeaks(r.log, [e2e.password2])).toEqual([])
      expect(digestOf(`${R}/${path}:3.1.0`)).toBe(r.outputs.digest)
    })

    test('a base the check cannot name before the build (its name depends on the platform): BuildKit\'s 401 is reported as a pull from the bases\' registry, not as the push registry refusing', async () => {
      const path = repo('bases-late')
      const dockerfile = `ARG TARGETARCH\nFROM ${R2}/${basesRepo}/static-\${TARGETARCH}:nonroot\nCOPY --chmod=0755 hello /hello\nENTRYPOINT ["/hello"]\n`
      const r = await runAction({ image: `${R}/${path}`, ...common, policy: 'warn' }, { workspace: workspace(baseFiles(dockerfile)) })
      expect(r.exitCode, r.log).toBe(1)
      expect(r.log).toMatch(/\[command\]\S*docker buildx build /)
      expect(r.log).toContain(`::error::BuildKit could not pull ${R2}/${basesRepo}/static-amd64:nonroot from ${R2}: ${R2} refused (BuildKit said: `)
      expect(r.log).toContain(`a registry-auth line ${R2}=USERNAME:TOKEN (from a secret), or a login to ${R2} in a step before this one`)
      expect(r.log).not.toMatch(/Push to \S+ was refused/)
      expect(docker(['buildx', 'imagetools', 'inspect', `${R}/${path}:3.1.0`], { allowFailure: true }).code).not.toBe(0)
    })
  })
})
