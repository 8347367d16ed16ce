import * as fs from 'node:fs'
import * as http from 'node:http'
import * as path from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import type { ActionRun } from './support/harness.js'
import { actionYaml, runAction } from './support/harness.js'
import { cosign, docker, e2e, localBases, goProgram, goProgramWithModule, keyPair, multiStageDockerfile, ownMirror, requireEnvironment, secretLeaks, toolsChecksums, uniqueImage, workspace } from './support/env.js'

const run = requireEnvironment()
const PASSWORD = 'e2e-cosign-password-3f9a'

interface Statement {
  subject: Array<{ digest: { sha256: string } }>
  predicateType: string
  predicate: { bomFormat: string; metadata: { component: { version: string; name: string } } }
}

interface ProvenanceStatement {
  subject: Array<{ digest: { sha256: string } }>
  predicateType: string
  predicate: Record<string, unknown> & { materials?: Array<{ uri: string }>; buildDefinition?: { buildType?: string; resolvedDependencies?: Array<{ uri: string }>; externalParameters?: { request?: { args?: Record<string, string>; secrets?: Array<{ id: string }> } } } }
}

/** Decodes the in-toto statements cosign verify-attestation printed (one JSON object a line). */
function statements(out: string): Statement[] {
  return out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .flatMap((l) => {
      const o = JSON.parse(l) as { payload?: string; dsseEnvelope?: { payload: string } }
      const payload = o.payload ?? o.dsseEnvelope?.payload
      return payload ? [JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as Statement] : []
    })
}

// The mirror path of this file's own: the other lane's runs download from the mirror at the same time.
const mirror = run ? ownMirror('sign') : { url: '', requests: () => [] }

/** The action's default cosign and syft (no version given), built from source, pinned by tools-checksums. */
function tools(over: Record<string, string> = {}): Record<string, string> {
  return { ...localBases, 'tools-url': mirror.url, 'tools-checksums': e2e.toolsChecksums, 'sbom-artifact': 'false', ...over }
}

interface CycloneDx {
  metadata: { component: { version: string } }
  components?: Array<{ purl?: string; name: string; version: string }>
}

describe.runIf(run)('sign, SBOM, attest and verify with cosign 3 (issue 3)', () => {
  let r: ActionRun
  let image: string
  let keys: ReturnType<typeof keyPair>
  let toolCache: string
  let mirrorBefore: number
  /** The SBOM files the action wrote, read before post removes its work dir. */
  const written: Record<string, string> = {}

  beforeAll(async () => {
    keys = keyPair(PASSWORD)
    image = uniqueImage('signed')
    toolCache = fs.mkdtempSync(path.join(path.dirname(keys.dir), 'bdi-toolcache-'))
    mirrorBefore = fs.statSync(e2e.mirrorLog).size
    r = await runAction(
      {
        image,
        version: 'v2.0.0',
        'registry-username': e2e.user,
        'registry-password': e2e.password,
        'cosign-key': keys.key,
        'cosign-password': PASSWORD,
        'transparency-log': 'false',
        ...tools()
      },
      { workspace: workspace({ ...goProgramWithModule, Dockerfile: multiStageDockerfile().replace('COPY go.mod main.go ./', 'COPY go.mod main.go ./\nCOPY vendor ./vendor').replace('go build -trimpath', 'go build -mod=vendor -trimpath') }),
        toolCache,
        beforePost: (main) => {
          for (const [platform, file] of Object.entries(JSON.parse(main.outputs.sbom ?? '{}') as Record<string, string>)) written[platform] = fs.readFileSync(file, 'utf8')
        }
      }
    )
    if (r.exitCode !== 0) console.log(r.log)
  })

  test('succeeds, signed, with one SBOM per platform', () => {
    expect(r.exitCode).toBe(0)
    expect(r.outputs.signed).toBe('true')
    const sboms = JSON.parse(r.outputs.sbom ?? '{}') as Record<string, string>
    expect(Object.keys(sboms).sort()).toEqual(['linux/amd64', 'linux/arm64'])
  })

  test("the mirror's tools are the action's defaults, built from source", () => {
    expect(e2e.cosign3).toBe(actionYaml.inputs['cosign-version']?.default?.replace(/^v/, ''))
    expect(e2e.syft).toBe(actionYaml.inputs['syft-version']?.default?.replace(/^v/, ''))
    expect(e2e.trivyVersion).toBe(actionYaml.inputs['trivy-version']?.default?.replace(/^v/, ''))
  })

  test('downloaded the default cosign and syft from the mirror, checked against the tools-checksums pins, into the tool cache', () => {
    const got = mirror.requests(mirrorBefore).join('\n')
    const at = new URL(mirror.url).pathname
    expect(got).toContain(`${at}/sigstore/cosign/releases/download/v${e2e.cosign3}/cosign-linux-amd64`)
    expect(got).toContain(`${at}/anchore/syft/releases/download/v${e2e.syft}/syft_${e2e.syft}_linux_amd64.tar.gz`)
    // Pinned: the checksums file beside the asset (same server) is not what decides.
    expect(got).not.toContain('checksums.txt')
    expect(r.log).toMatch(/cosign-linux-amd64: sha256 [a-f0-9]{64} matches the tools-checksums input for cosign-linux-amd64/)
    // The compiled-in pin is the real release asset's; the run says it used the workflow's instead.
    expect(r.log).toMatch(/::notice::cosign-linux-amd64: using the sha256 pinned in tools-checksums \([a-f0-9]{64}\), not the compiled-in one/)
    expect(fs.existsSync(path.join(toolCache, 'cosign', e2e.cosign3, 'x64', 'cosign'))).toBe(true)
    expect(fs.existsSync(path.join(toolCache, 'syft', e2e.syft, 'x64', 'syft'))).toBe(true)
  })

  test("each platform's attested SBOM is real syft's, of that digest: the Go modules from the build info, the Debian packages of that architecture", () => {
    const pd = JSON.parse(r.outputs['platform-digests'] ?? '{}') as Record<string, string>
    expect(Object.keys(pd).sort()).toEqual(['linux/amd64', 'linux/arm64'])
    for (const [platform, digest] of Object.entries(pd)) {
      const arch = platform.split('/')[1] ?? ''
      const v = cosign('cosign', ['verify-attestation', '--key', keys.pub, '--insecure-ignore-tlog=true', '--type', 'cyclonedx', `${image}@${digest}`])
      expect(v.code, v.out).toBe(0)
      const boms = statements(v.out).map((st) => st.predicate as unknown as CycloneDx & { metadata: { tools?: { components?: Array<{ name: string; version: string }> } } })
      expect(boms).toHaveLength(1)
      const bom = boms[0]
      // syft names itself and its version in the document it made.
      expect(bom?.metadata.tools?.components, platform).toContainEqual(expect.objectContaining({ name: 'syft', version: e2e.syft }))
      const purls = (bom?.components ?? []).map((c) => c.purl ?? '')
      expect(purls, platform).toContain('pkg:golang/example.com/fixture/greeting@v0.3.1')
      // The main module, built outside version control, has no version: syft gives it none in the purl.
      expect(purls.some((p) => /^pkg:golang\/example\.com\/hello(@|$)/.test(p)), `${platform}: the main module`).toBe(true)
      expect(purls.some((p) => p.startsWith('pkg:golang/stdlib@')), `${platform}: the Go standard library`).toBe(true)
      const debs = purls.filter((p) => p.startsWith('pkg:deb/debian/'))
      expect(debs.find((p) => p.startsWith('pkg:deb/debian/base-files@')), platform).toMatch(new RegExp(`[?&]arch=${arch}(&|$)`))
      expect(debs.find((p) => p.startsWith('pkg:deb/debian/tzdata@')), platform).toMatch(/[?&]arch=all(&|$)/)
      for (const p of debs) expect(p, platform).toMatch(new RegExp(`[?&]arch=(${arch}|all)(&|$)`))
      // The file the action wrote for this platform is the document it attested.
      const file = JSON.parse(written[platform] ?? '{}') as CycloneDx
      expect(file.components?.map((c) => c.purl ?? '').sort()).toEqual([...purls].sort())
    }
  })

  test('the tool install overlapped the build: downloads logged before the push finished', () => {
    const download = r.log.indexOf('cosign v' + e2e.cosign3 + ': downloading')
    const pushed = r.log.indexOf('pushing manifest for')
    expect(download).toBeGreaterThan(-1)
    expect(pushed).toBeGreaterThan(download)
  })

  test('cosign verify --key passes for the index and each platform digest', () => {
    const pd = JSON.parse(r.outputs['platform-digests'] ?? '{}') as Record<string, string>
    for (const digest of [r.outputs.digest ?? '', ...Object.values(pd)]) {
      const v = cosign('cosign', ['verify', '--key', keys.pub, '--insecure-ignore-tlog=true', `${image}@${digest}`])
      expect(v.code, v.out).toBe(0)
    }
  })

  test('cosign verify-attestation passes for each platform digest with an SBOM of that digest', () => {
    const pd = JSON.parse(r.outputs['platform-digests'] ?? '{}') as Record<string, string>
    expect(Object.keys(pd)).toHaveLength(2)
    for (const [platform, digest] of Object.entries(pd)) {
      const v = cosign('cosign', ['verify-attestation', '--key', keys.pub, '--insecure-ignore-tlog=true', '--type', 'cyclonedx', `${image}@${digest}`])
      expect(v.code, v.out).toBe(0)
      const st = statements(v.out)
      expect(st.length).toBeGreaterThan(0)
      for (const s of st) {
        expect(s.predicateType).toBe('https://cyclonedx.org/bom')
        expect(`sha256:${s.subject[0]?.digest.sha256}`).toBe(digest)
        expect(s.predicate.bomFormat).toBe('CycloneDX')
        expect(s.predicate.metadata.component.version, `SBOM attached to ${platform}`).toBe(digest)
      }
    }
  })

  test("cosign verify-attestation --type slsaprovenance1 (the default SLSA v1) passes for each platform digest, with buildx's provenance of that platform", () => {
    const staticIndex = (JSON.parse(docker(['buildx', 'imagetools', 'inspect', `${e2e.registry}/e2e/static:nonroot`, '--format', '{{json .Manifest}}']).out) as { digest: string }).digest
    const pd = JSON.parse(r.outputs['platform-digests'] ?? '{}') as Record<string, string>
    expect(Object.keys(pd).sort()).toEqual(['linux/amd64', 'linux/arm64'])
    /** The e2e/static base each record names: the bases resolved for that platform. */
    const bases = (st: ProvenanceStatement | undefined) => (st?.predicate.buildDefinition?.resolvedDependencies ?? []).map((m) => m.uri).filter((u) => /\/e2e\/static[@?]/.test(u))
    for (const [platform, digest] of Object.entries(pd)) {
      const v = cosign('cosign', ['verify-attestation', '--key', keys.pub, '--insecure-ignore-tlog=true', '--type', 'slsaprovenance1', `${image}@${digest}`])
      expect(v.code, v.out).toBe(0)
      const st = statements(v.out) as unknown as ProvenanceStatement[]
      expect(st).toHaveLength(1)
      expect(st[0]?.predicateType).toBe('https://slsa.dev/provenance/v1')
      expect(`sha256:${st[0]?.subject[0]?.digest.sha256}`).toBe(digest)
      expect(st[0]?.predicate.buildDefinition?.buildType).toBe('https://github.com/moby/buildkit/blob/master/docs/attestations/slsa-definitions.md')
      // the dependencies are the bases resolved for that platform, so this is that platform's record
      // (the build is pinned to the base's index digest, which the provenance records)
      const materials = bases(st[0])
      expect(materials, platform).toEqual([expect.stringContaining(`platform=${encodeURIComponent(platform)}`)])
      expect(materials[0], platform).toContain(`digest=${staticIndex}`)
    }
    // The index carries every platform's record, each statement's subject the index digest, so
    // IMAGE:TAG (which resolves to the index) verifies with its provenance.
    const onIndex = cosign('cosign', ['verify-attestation', '--key', keys.pub, '--insecure-ignore-tlog=true', '--type', 'slsaprovenance1', `${image}:2.0.0`])
    expect(onIndex.code, onIndex.out).toBe(0)
    const st = statements(onIndex.out) as unknown as ProvenanceStatement[]
    expect(st.map((x) => `sha256:${x.subject[0]?.digest.sha256}`)).toEqual([r.outputs.digest, r.outputs.digest])
    expect(st.flatMap((x) => bases(x)).map((u) => decodeURIComponent(u.split('platform=')[1]?.split('&')[0] ?? '')).sort()).toEqual(['linux/amd64', 'linux/arm64'])
    // No v0.2 record anywhere: the default is v1.
    expect(cosign('cosign', ['verify-attestation', '--key', keys.pub, '--insecure-ignore-tlog=true', '--type', 'slsaprovenance02', `${image}@${r.outputs.digest}`]).code).not.toBe(0)
  })

  test('platform-digests stays free of attestation manifests', () => {
    const raw = JSON.parse(docker(['buildx', 'imagetools', 'inspect', '--raw', `${image}@${r.outputs.digest}`]).out) as { manifests: Array<{ digest: string; platform: { os: string } }> }
    const attestationManifests = raw.manifests.filter((m) => m.platform.os === 'unknown').map((m) => m.digest)
    expect(attestationManifests.length).toBe(2)
    const pd = JSON.parse(r.outputs['platform-digests'] ?? '{}') as Record<string, string>
    for (const d of attestationManifests) expect(Object.values(pd)).not.toContain(d)
  })

  test('verify-attestation IMAGE:TAG finds the SBOMs of both platforms on the index', () => {
    const v = cosign('cosign', ['verify-attestation', '--key', keys.pub, '--insecure-ignore-tlog=true', '--type', 'cyclonedx', `${image}:2.0.0`])
    expect(v.code, v.out).toBe(0)
    const described = statements(v.out).map((s) => s.predicate.metadata.component.version).sort()
    const pd = JSON.parse(r.outputs['platform-digests'] ?? '{}') as Record<string, string>
    expect(described).toEqual(Object.values(pd).sort())
  })

  test('a signature by another key does not verify (the check can fail)', () => {
    const other = keyPair('other')
    const v = cosign('cosign', ['verify', '--key', other.pub, '--insecure-ignore-tlog=true', `${image}@${r.outputs.digest}`])
    expect(v.code).not.toBe(0)
  })

  test('the summary has each digest with its signature and attestation status and the verify command', () => {
    expect(r.summary).toContain('✅ verified')
    expect(r.summary).not.toContain('not done')
    expect(r.summary).toContain(`cosign verify --key cosign.pub --insecure-ignore-tlog=true ${image}@${r.outputs.digest}`)
    expect(r.summary).toContain('cosign verify-attestation --type cyclonedx --key cosign.pub')
    expect(r.summary).toContain(`cosign verify-attestation --type slsaprovenance1 --key cosign.pub --insecure-ignore-tlog=true ${image}@${r.outputs.digest}`)
    expect(r.summary).toContain('Provenance attestation')
  })

  test('no secret in the log, the summary or the outputs: registry password, cosign key, its password', () => {
    const everything = [r.log, r.post?.log ?? '', r.summary, fs.readFileSync(r.files.output, 'utf8'), fs.readFileSync(r.files.state, 'utf8')].join('\n')
    const keyLines = keys.key.split('\n').filter((l) => l.length > 20)
    expect(secretLeaks(everything, [e2e.password, PASSWORD, keys.key, ...keyLines])).toEqual([])
  })

  test('post removes the key file and the credentials', () => {
    expect(r.post?.exitCode).toBe(0)
    expect(fs.existsSync(r.state.workDir ?? '/nonexistent')).toBe(false)
    expect(fs.existsSync(r.state.dockerConfig ?? '/nonexistent')).toBe(false)
    expect(fs.readdirSync(r.runnerTemp)).toEqual([])
  })

  test('a second run hits the tool cache and downloads nothing', async () => {
    const before = fs.statSync(e2e.mirrorLog).size
    const again = await runAction(
      { image, tags: 'second', 'registry-username': e2e.user, 'registry-password': e2e.password, 'cosign-key': keys.key, 'cosign-password': PASSWORD, 'transparency-log': 'false', ...tools() },
      { workspace: workspace({ ...goProgram, Dockerfile: multiStageDockerfile() }), toolCache }
    )
    expect(again.exitCode, again.log).toBe(0)
    expect(again.log).toContain(`cosign v${e2e.cosign3}: tool cache hit`)
    expect(again.log).toContain(`syft v${e2e.syft}: tool cache hit`)
    expect(mirror.requests(before)).toEqual([])
  })
})

describe.runIf(run)('cosign 2, a key file, and failure after the push (issue 3)', () => {
  test('cosign 2.x signs and attests with a key file and no transparency log', async () => {
    const keys = keyPair(PASSWORD)
    const image = uniqueImage('cosign2')
    const ws = workspace({ ...goProgram, Dockerfile: multiStageDockerfile(), 'keys/cosign.key': keys.key })
    const r = await runAction(
      { image, tags: 'v2', 'registry-username': e2e.user, 'registry-password': e2e.password, 'cosign-key': 'keys/cosign.key', 'cosign-password': PASSWORD, 'transparency-log': 'false', ...tools({ 'cosign-version': `v${e2e.cosign2}`, 'tools-checksums': toolsChecksums('cosign-linux-amd64') }) },
      { workspace: ws }
    )
    expect(r.exitCode, r.log).toBe(0)
    // Not the default, and not pinned: the checksums file beside the asset decides.
    expect(r.log).toMatch(/cosign-linux-amd64: sha256 [a-f0-9]{64} matches the cosign_checksums\.txt/)
    expect(r.log).not.toContain('--use-signing-config')
    const pd = JSON.parse(r.outputs['platform-digests'] ?? '{}') as Record<string, string>
    for (const digest of [r.outputs.digest ?? '', ...Object.values(pd)]) {
      expect(cosign('cosign2', ['verify', '--key', keys.pub, '--insecure-ignore-tlog=true', `${image}@${digest}`]).code).toBe(0)
      expect(cosign('cosign2', ['verify-attestation', '--key', keys.pub, '--insecure-ignore-tlog=true', '--type', 'cyclonedx', `${image}@${digest}`]).code).toBe(0)
    }
    for (const digest of Object.values(pd)) {
      const v = cosign('cosign2', ['verify-attestation', '--key', keys.pub, '--insecure-ignore-tlog=true', '--type', 'slsaprovenance1', `${image}@${digest}`])
      expect(v.code, v.out).toBe(0)
    }
    // The workspace key file is the user's: post leaves it alone.
    expect(fs.existsSync(path.join(ws, 'keys/cosign.key'))).toBe(true)
  })

  // The build outlasts the downloads: a slow step on the build platform, never cached.
  const slowBuild = () => multiStageDockerfile().replace('WORKDIR /src', `WORKDIR /src\nRUN echo ${Date.now()} && sleep 25`)
  const corruptInputs = (image: string, toolsUrl: string) => ({ image, tags: 'rc', 'registry-username': e2e.user, 'registry-password': e2e.password, 'cosign-key': keyPair(PASSWORD).key, 'cosign-password': PASSWORD, 'transparency-log': 'false', ...tools({ 'tools-url': toolsUrl }) })

  test('a corrupted mirror download is refused, and nothing is pushed: the build never starts or is stopped', async () => {
    const image = uniqueImage('corrupt')
    const r = await runAction(corruptInputs(image, `${e2e.mirror}/corrupt`), { workspace: workspace({ ...goProgram, Dockerfile: slowBuild() }) })
    expect(r.exitCode).toBe(1)
    expect(r.log).toMatch(/sha256 mismatch for (cosign-linux-amd64|syft_[^ ]+\.tar\.gz): expected [a-f0-9]{64} \(tools-checksums input for (cosign-linux-amd64|syft_[^ ]+\.tar\.gz)\), got [a-f0-9]{64}/)
    expect(r.log).toMatch(/Nothing was built or pushed\.|The build was stopped before it pushed: nothing was pushed/)
    expect(r.log).not.toContain('pushing manifest for')
    expect(r.outputs.digest).toBeUndefined()
    expect(docker(['buildx', 'imagetools', 'inspect', `${image}:rc`], { allowFailure: true }).code).not.toBe(0)
  })

  test('a download that fails while the build runs stops the build before it pushes (SIGINT to buildx)', async () => {
    // A mirror that answers each request 2.5 s late: the corrupt downloads (each fetched three
    // times, the checksums file once) fail after about 10 s, mid-build.
    const server = http.createServer((req, res) => {
      setTimeout(() => {
        fetch(`${e2e.mirror}/corrupt${req.url ?? ''}`)
          .then(async (up) => {
            res.writeHead(up.status, { 'content-type': 'application/octet-stream' })
            res.end(Buffer.from(await up.arrayBuffer()))
          })
          .catch(() => res.destroy())
      }, 2500)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const image = uniqueImage('stopped')
      const port = (server.address() as { port: number }).port
      const r = await runAction(corruptInputs(image, `http://127.0.0.1:${port}`), { workspace: workspace({ ...goProgram, Dockerfile: slowBuild() }) })
      expect(r.exitCode).toBe(1)
      expect(r.log).toMatch(/::warning::sha256 mismatch for .*: stopping the build before it pushes/)
      expect(r.log).toContain('The build was stopped before it pushed: nothing was pushed, so nothing is left unsigned.')
      // buildx started, and never reached the push
      expect(r.log).toContain('buildx build')
      expect(r.log).not.toContain('pushing manifest for')
      expect(docker(['buildx', 'imagetools', 'inspect', `${image}:rc`], { allowFailure: true }).code).not.toBe(0)
    } finally {
      server.close()
    }
  })

  test('signing fails after the push (a wrong cosign-password): the digests stay set, the summary lists them unsigned, a re-run finishes', async () => {
    const keys = keyPair(PASSWORD)
    const image = uniqueImage('unsigned')
    const ws = workspace({ ...goProgram, Dockerfile: multiStageDockerfile() })
    const inputs = { image, tags: 'rc', 'registry-username': e2e.user, 'registry-password': e2e.password, 'cosign-key': keys.key, 'cosign-password': PASSWORD, 'transparency-log': 'false' }
    const bad = await runAction({ ...inputs, 'cosign-password': 'not-the-password', ...tools() }, { workspace: ws })
    expect(bad.exitCode).toBe(1)
    expect(bad.log).toMatch(/cosign sign .*exited with code 1|decrypt/)
    expect(bad.outputs.digest).toMatch(/^sha256:/)
    expect(bad.outputs.signed).toBe('false')
    expect(bad.log).toContain(`Pushed but not signed or attested: index ${image}@${bad.outputs.digest}`)
    expect(bad.summary).toContain('Pushed but not signed or attested')
    expect(cosign('cosign', ['verify', '--key', keys.pub, '--insecure-ignore-tlog=true', `${image}@${bad.outputs.digest}`]).code).not.toBe(0)

    // A re-run starts on a new VM: a builder of its own, with no cache (buildkit-image makes the
    // action create one), must rebuild the same platform images.
    const rerun = await runAction({ ...inputs, 'buildkit-image': e2e.buildkitImage, ...tools() }, { workspace: ws, env: { GITHUB_RUN_ATTEMPT: '2' } })
    expect(rerun.exitCode, rerun.log).toBe(0)
    expect(bad.log).toContain(`using the existing builder "${e2e.suiteBuilder}"`)
    expect(rerun.log).toMatch(/Created builder build-distroless-image-\S+ \(docker-container driver/)
    expect(rerun.outputs.digest).toBe(bad.outputs.digest)
    expect(cosign('cosign', ['verify', '--key', keys.pub, '--insecure-ignore-tlog=true', `${image}@${rerun.outputs.digest}`]).code).toBe(0)

    expect(rerun.summary).toContain('Re-run (attempt 2): the platform images equal those of')
    // cosign 3 keeps signatures and attestations in the referrers tag fallback (sha256-<hex>).
    const referrers = () =>
      (JSON.parse(docker(['buildx', 'imagetools', 'inspect', '--raw', `${image}:sha256-${(rerun.outputs.digest ?? '').slice(7)}`]).out) as { manifests: unknown[] }).manifests.length
    const afterRerun = referrers()
    expect(afterRerun).toBeGreaterThanOrEqual(3) // a signature and an attestation per platform SBOM
    const pd = JSON.parse(rerun.outputs['platform-digests'] ?? '{}') as Record<string, string>
    const amd = pd['linux/amd64'] ?? ''
    const platformReferrers = () => (JSON.parse(docker(['buildx', 'imagetools', 'inspect', '--raw', `${image}:sha256-${amd.slice(7)}`]).out) as { manifests: unknown[] }).manifests.length
    const platformAfterRerun = platformReferrers()
    expect(cosign('cosign', ['verify-attestation', '--key', keys.pub, '--insecure-ignore-tlog=true', '--type', 'slsaprovenance1', `${image}@${amd}`]).code).toBe(0)

    // A third attempt finds everything in place and adds nothing.
    const third = await runAction({ ...inputs, ...tools() }, { workspace: ws, env: { GITHUB_RUN_ATTEMPT: '3' } })
    expect(third.exitCode, third.log).toBe(0)
    expect(third.outputs.digest).toBe(bad.outputs.digest)
    expect(third.log).toContain('every digest already carries a valid signature; not signing again')
    expect(third.log).not.toMatch(/\[command\]\S*cosign (sign|attest) /)
    expect(referrers()).toBe(afterRerun)
    expect(platformReferrers()).toBe(platformAfterRerun)
  })
})

interface SpdxDocument {
  spdxVersion: string
  creationInfo: { creators: string[] }
  packages: Array<{ name: string; versionInfo?: string; externalRefs?: Array<{ referenceType: string; referenceLocator: string }> }>
}

describe.runIf(run)('sbom-format: spdx (issue 32)', () => {
  test('each platform gets an SPDX JSON SBOM of its own packages, attested as spdxjson to it and to the index; real cosign --type spdxjson verifies; the summary says spdxjson', async () => {
    const keys = keyPair(PASSWORD)
    const image = uniqueImage('spdx')
    const written: Record<string, string> = {}
    const r = await runAction(
      { image, tags: 'spdx', 'registry-username': e2e.user, 'registry-password': e2e.password, 'cosign-key': keys.key, 'cosign-password': PASSWORD, 'transparency-log': 'false', 'sbom-format': 'spdx', ...tools() },
      {
        workspace: workspace({ ...goProgramWithModule, Dockerfile: multiStageDockerfile().replace('COPY go.mod main.go ./', 'COPY go.mod main.go ./\nCOPY vendor ./vendor').replace('go build -trimpath', 'go build -mod=vendor -trimpath') }),
        beforePost: (main) => {
          for (const [platform, file] of Object.entries(JSON.parse(main.outputs.sbom ?? '{}') as Record<string, string>)) written[platform] = file
        }
      }
    )
    expect(r.exitCode, r.log).toBe(0)
    const pd = JSON.parse(r.outputs['platform-digests'] ?? '{}') as Record<string, string>
    expect(Object.keys(pd).sort()).toEqual(['linux/amd64', 'linux/arm64'])
    for (const [platform, digest] of Object.entries(pd)) {
      expect(written[platform], platform).toMatch(/\.spdx\.json$/)
      const arch = platform.split('/')[1] ?? ''
      const v = cosign('cosign', ['verify-attestation', '--key', keys.pub, '--insecure-ignore-tlog=true', '--type', 'spdxjson', `${image}@${digest}`])
      expect(v.code, v.out).toBe(0)
      const st = statements(v.out) as unknown as Array<{ predicateType: string; subject: Array<{ digest: { sha256: string } }>; predicate: SpdxDocument }>
      expect(st).toHaveLength(1)
      expect(st[0]?.predicateType).toBe('https://spdx.dev/Document')
      expect(`sha256:${st[0]?.subject[0]?.digest.sha256}`).toBe(digest)
      const doc = st[0]?.predicate
      expect(doc?.spdxVersion).toMatch(/^SPDX-2\.\d$/)
      expect(doc?.creationInfo.creators).toContain(`Tool: syft-${e2e.syft}`)
      // The platform's packages: the Go module from the build info, Debian's packages of that architecture.
      const purls = (doc?.packages ?? []).flatMap((p) => (p.externalRefs ?? []).filter((x) => x.referenceType === 'purl').map((x) => x.referenceLocator))
      expect(purls, platform).toContain('pkg:golang/example.com/fixture/greeting@v0.3.1')
      expect(purls.find((p) => p.startsWith('pkg:deb/debian/base-files@')), platform).toMatch(new RegExp(`[?&]arch=${arch}(&|$)`))
      for (const p of purls.filter((x) => x.startsWith('pkg:deb/debian/'))) expect(p, platform).toMatch(new RegExp(`[?&]arch=(${arch}|all)(&|$)`))
      // Not the CycloneDX type: nothing is attested under it.
      expect(cosign('cosign', ['verify-attestation', '--key', keys.pub, '--insecure-ignore-tlog=true', '--type', 'cyclonedx', `${image}@${digest}`]).code).not.toBe(0)
    }
    // IMAGE:TAG (the index) carries both platforms' documents.
    const onIndex = cosign('cosign', ['verify-attestation', '--key', keys.pub, '--insecure-ignore-tlog=true', '--type', 'spdxjson', `${image}:spdx`])
    expect(onIndex.code, onIndex.out).toBe(0)
    expect(statements(onIndex.out)).toHaveLength(2)
    expect(r.summary).toContain(`cosign verify-attestation --type spdxjson --key cosign.pub --insecure-ignore-tlog=true ${image}@${r.outputs.digest}`)
    expect(r.summary).not.toContain('--type cyclonedx')
  })
})

describe.runIf(run)('provenance: what buildx records, and turning it off (issue 15)', () => {
  const SECRET = 'e2e-build-secret-7c1d9a'
  const dockerfile = () =>
    multiStageDockerfile().replace(
      'RUN --mount=type=cache',
      'ARG GREETING\nRUN --mount=type=secret,id=BUILD_TOKEN,required=true test -s /run/secrets/BUILD_TOKEN && echo "$GREETING"\nRUN --mount=type=cache'
    )

  test('mode=max,version=v1: attested as slsaprovenance1; build-arg values are in it, a secret only by id', async () => {
    const keys = keyPair(PASSWORD)
    const image = uniqueImage('provmax')
    const r = await runAction(
      { image, tags: 'max', 'registry-username': e2e.user, 'registry-password': e2e.password, 'cosign-key': keys.key, 'cosign-password': PASSWORD, 'transparency-log': 'false', provenance: 'mode=max,version=v1', secrets: `BUILD_TOKEN=${SECRET}`, 'build-args': 'GREETING=hello-provenance', sbom: 'false', ...tools() },
      { workspace: workspace({ ...goProgram, Dockerfile: dockerfile() }) }
    )
    expect(r.exitCode, r.log).toBe(0)
    const pd = JSON.parse(r.outputs['platform-digests'] ?? '{}') as Record<string, string>
    for (const digest of Object.values(pd)) {
      const v = cosign('cosign', ['verify-attestation', '--key', keys.pub, '--insecure-ignore-tlog=true', '--type', 'slsaprovenance1', `${image}@${digest}`])
      expect(v.code, v.out).toBe(0)
      const st = statements(v.out) as unknown as ProvenanceStatement[]
      expect(st[0]?.predicateType).toBe('https://slsa.dev/provenance/v1')
      const text = JSON.stringify(st[0]?.predicate)
      const request = st[0]?.predicate.buildDefinition?.externalParameters?.request
      expect(request?.args?.['build-arg:GREETING']).toBe('hello-provenance')
      expect(request?.secrets?.map((x) => x.id)).toContain('BUILD_TOKEN')
      expect(text).not.toContain(SECRET)
    }
    expect(r.summary).toContain('cosign verify-attestation --type slsaprovenance1')
  })

  test('the same secret also passed as a build-arg under mode=max is refused before anything is pushed', async () => {
    const image = uniqueImage('provleak')
    const r = await runAction(
      { image, 'registry-username': e2e.user, 'registry-password': e2e.password, provenance: 'mode=max', secrets: `BUILD_TOKEN=${SECRET}`, 'build-args': `GREETING=${SECRET}`, sign: 'false', ...tools() },
      { workspace: workspace({ ...goProgram, Dockerfile: dockerfile() }) }
    )
    expect(r.exitCode).toBe(1)
    expect(r.log).toContain('Input `provenance`: mode=max records every build-arg value in the SLSA provenance')
    expect(r.log).toContain('build-arg GREETING carries the value of secret BUILD_TOKEN')
    expect(secretLeaks(r.log, [SECRET])).toEqual([])
    expect(docker(['buildx', 'imagetools', 'inspect', image], { allowFailure: true }).code).not.toBe(0)
  })

  // Issue 30 part 6: under the default provenance-attestation: true, a release without provenance
  // was signed with a note. Now provenance: false is refused before anything is pushed, and only
  // provenance-attestation: false releases without it.
  test('provenance: false with the default provenance-attestation is refused before anything is pushed; with provenance-attestation: false it is signed and SBOM-attested without provenance', async () => {
    const keys = keyPair(PASSWORD)
    const image = uniqueImage('provoff')
    const given = { image, tags: 'off', 'registry-username': e2e.user, 'registry-password': e2e.password, 'cosign-key': keys.key, 'cosign-password': PASSWORD, 'transparency-log': 'false', provenance: 'false', secrets: `BUILD_TOKEN=${SECRET}`, 'build-args': 'GREETING=x', ...tools() }
    const refused = await runAction(given, { workspace: workspace({ ...goProgram, Dockerfile: dockerfile() }) })
    expect(refused.exitCode, refused.log).toBe(1)
    expect(refused.log).toContain('Input `provenance`: is false, so buildx records no SLSA provenance, but provenance-attestation is true (the default)')
    expect(docker(['buildx', 'imagetools', 'inspect', image], { allowFailure: true }).code).not.toBe(0)

    const r = await runAction({ ...given, 'provenance-attestation': 'false' }, { workspace: workspace({ ...goProgram, Dockerfile: dockerfile() }) })
    expect(r.exitCode, r.log).toBe(0)
    const pd = JSON.parse(r.outputs['platform-digests'] ?? '{}') as Record<string, string>
    for (const digest of Object.values(pd)) {
      expect(cosign('cosign', ['verify-attestation', '--key', keys.pub, '--insecure-ignore-tlog=true', '--type', 'cyclonedx', `${image}@${digest}`]).code).toBe(0)
      for (const type of ['slsaprovenance1', 'slsaprovenance02']) expect(cosign('cosign', ['verify-attestation', '--key', keys.pub, '--insecure-ignore-tlog=true', '--type', type, `${image}@${digest}`]).code).not.toBe(0)
    }
  })

  test('no provenance recorded (BUILDX_NO_DEFAULT_ATTESTATIONS in the job, one platform: a lone manifest) under the default provenance-attestation: refused before the gates, nothing signed', async () => {
    const keys = keyPair(PASSWORD)
    const image = uniqueImage('provnone')
    const r = await runAction(
      { image, tags: 'off', platforms: 'linux/amd64', 'registry-username': e2e.user, 'registry-password': e2e.password, 'cosign-key': keys.key, 'cosign-password': PASSWORD, 'transparency-log': 'false', secrets: `BUILD_TOKEN=${SECRET}`, 'build-args': 'GREETING=x', ...tools() },
      { workspace: workspace({ ...goProgram, Dockerfile: dockerfile() }), env: { BUILDX_NO_DEFAULT_ATTESTATIONS: '1' } }
    )
    expect(r.exitCode, r.log).toBe(1)
    const error = r.log.split('\n').find((l) => l.startsWith('::error::')) ?? ''
    expect(error).toContain('No SLSA provenance recorded by buildx for linux/amd64, and provenance-attestation is true (the default): refusing to sign')
    expect(error).toMatch(/Built with builder \S+ \(driver [a-z-]+/)
    expect(error).toContain('BUILDX_NO_DEFAULT_ATTESTATIONS')
    expect(error).toContain('Not signed or attested.')
    expect(r.outputs.signed).toBe('false')
    // Nothing signed: real cosign finds no signature on what was pushed.
    const digest = r.outputs.digest ?? ''
    expect(digest).toMatch(/^sha256:[a-f0-9]{64}$/)
    expect(cosign('cosign', ['verify', '--key', keys.pub, '--insecure-ignore-tlog=true', `${image}@${digest}`]).code).not.toBe(0)
    for (const d of Object.values(JSON.parse(r.outputs['platform-digests'] ?? '{}') as Record<string, string>)) {
      expect(cosign('cosign', ['verify', '--key', keys.pub, '--insecure-ignore-tlog=true', `${image}@${d}`]).code).not.toBe(0)
    }
  })
})
