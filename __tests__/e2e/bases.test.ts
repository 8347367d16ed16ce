// Issue 15: the bases are verified with real cosign before anything is built on them, and the
// build uses the digest that verified. The e2e distroless-equivalent bases are copied into a
// repository of this run and signed with a test key (the public distroless identity needs
// Sigstore's public services; its argv is pinned in __tests__/unit/bases/verify-rules.test.ts).
import * as fs from 'node:fs'
import * as path from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { runAction } from './support/harness.js'
import { cosign, docker, e2e, goProgram, keyPair, requireEnvironment, uniqueImage, workspace } from './support/env.js'

const run = requireEnvironment()
const PASSWORD = 'e2e-base-key-5b2e'

const DOCKERFILE = `ARG GO_IMAGE
ARG RUNTIME_IMAGE
FROM --platform=$BUILDPLATFORM \${GO_IMAGE} AS build
ARG TARGETOS TARGETARCH
WORKDIR /src
COPY go.mod main.go ./
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -o /out/hello .

FROM \${RUNTIME_IMAGE} AS runtime
COPY --from=build /out/hello /hello
USER 65532:65532
ENTRYPOINT ["/hello"]
`

/**
 * Copies an e2e base into this run's repository and returns NAME:TAG. distribution 2.8 now and
 * then answers "blob unknown" to a manifest whose blobs buildx is still mounting across
 * repositories; the copy is then tried again (the setup, not the behaviour under test).
 */
function copyBase(repo: string, from: string, tag: string): string {
  const ref = `${repo}:${tag}`
  for (let attempt = 1; ; attempt++) {
    const r = docker(['buildx', 'imagetools', 'create', '--tag', ref, `${e2e.registry}/e2e/${from}`], { allowFailure: true })
    if (r.code === 0) return ref
    if (attempt === 3 || !/blob unknown/.test(r.out)) throw new Error(r.out)
  }
}

function digestOf(ref: string): string {
  return (JSON.parse(docker(['buildx', 'imagetools', 'inspect', ref, '--format', '{{json .Manifest}}']).out) as { digest: string }).digest
}

/** Signs NAME@DIGEST of a tag with a key and no transparency log, the way a publisher would. */
function sign(ref: string, key: string): void {
  const name = ref.slice(0, ref.lastIndexOf(':'))
  const s = cosign('cosign', ['sign', '--yes', '--key', key, '--use-signing-config=false', '--tlog-upload=false', `${name}@${digestOf(ref)}`], { COSIGN_PASSWORD: PASSWORD })
  if (s.code !== 0) throw new Error(s.out)
}

/** The layers of one platform of an image: the first ones are its base's. */
function layers(ref: string, platform = 'linux/amd64'): string[] {
  const index = JSON.parse(docker(['buildx', 'imagetools', 'inspect', '--raw', ref]).out) as { manifests: Array<{ digest: string; platform: { os: string; architecture: string } }> }
  const m = index.manifests.find((x) => `${x.platform.os}/${x.platform.architecture}` === platform)
  const name = ref.includes('@') ? ref.slice(0, ref.indexOf('@')) : ref.slice(0, ref.lastIndexOf(':'))
  const manifest = JSON.parse(docker(['buildx', 'imagetools', 'inspect', '--raw', `${name}@${m?.digest ?? ''}`]).out) as { layers: Array<{ digest: string }> }
  return manifest.layers.map((l) => l.digest)
}

describe.runIf(run)('bases verified before the build, and built on the digest that verified (issue 15)', () => {
  let publisher: ReturnType<typeof keyPair>
  let release: ReturnType<typeof keyPair>
  let bases: string
  let golang: string
  let runtime: string
  const inputs = (runtimeImage: string, over: Record<string, string> = {}) => ({
    image: uniqueImage('based'),
    tags: 'v1',
    'registry-username': e2e.user,
    'registry-password': e2e.password,
    'build-args': `GO_IMAGE=${golang}\nRUNTIME_IMAGE=${runtimeImage}`,
    'verify-bases': 'all',
    'base-key': fs.readFileSync(publisher.pub, 'utf8'),
    'cosign-key': release.key,
    'cosign-password': PASSWORD,
    'transparency-log': 'false',
    sbom: 'false',
    'tools-url': `${e2e.mirror}/good`,
    'tools-checksums': e2e.toolsChecksums,
    'allowed-bases': `${e2e.registry}/e2e*`,
    ...over
  })

  beforeAll(() => {
    publisher = keyPair(PASSWORD)
    release = keyPair(PASSWORD)
    bases = uniqueImage('bases')
    golang = copyBase(`${bases}/golang`, 'golang:1.24', '1.24')
    runtime = copyBase(`${bases}/static`, 'static:nonroot', 'nonroot')
    sign(golang, path.join(publisher.dir, 'cosign.key'))
    sign(runtime, path.join(publisher.dir, 'cosign.key'))
  })

  test('bases signed with base-key verify; the summary lists each with its digest; the image is built and signed', async () => {
    const r = await runAction(inputs(runtime), { workspace: workspace({ ...goProgram, Dockerfile: DOCKERFILE }) })
    expect(r.exitCode, r.log).toBe(0)
    for (const ref of [golang, runtime]) {
      expect(r.log).toContain(`Verified base ${ref}: ${digestOf(ref)}, signed by the key in base-key; the build uses this digest`)
      expect(r.summary).toContain(`<code>${digestOf(ref)}</code>`)
    }
    expect(r.summary).toContain('Verified base images')
    // the build was handed the verified digests as named contexts
    expect(r.log).toContain(`--build-context ${runtime}=docker-image://${bases}/static@${digestOf(runtime)}`)
    const built = `${r.outputs.image ?? ''}`
    expect(layers(built).slice(0, layers(runtime).length)).toEqual(layers(runtime))
    expect(cosign('cosign', ['verify', '--key', release.pub, '--insecure-ignore-tlog=true', built]).code).toBe(0)
  })

  test('a base signed with another key is refused before any build starts, naming the base, its digest and the signer expected', async () => {
    const other = keyPair(PASSWORD)
    const wrong = copyBase(`${bases}/static-other`, 'static:nonroot', 'nonroot')
    sign(wrong, path.join(other.dir, 'cosign.key'))
    const i = inputs(wrong)
    const r = await runAction(i, { workspace: workspace({ ...goProgram, Dockerfile: DOCKERFILE }) })
    expect(r.exitCode).toBe(1)
    expect(r.log).toContain('Base image verification failed, so nothing was built or pushed:')
    expect(r.log).toContain(`base ${wrong} (stage runtime) resolved to ${digestOf(wrong)} and is not signed by the key in base-key`)
    expect(r.log).not.toContain('buildx build')
    expect(docker(['buildx', 'imagetools', 'inspect', `${i.image}:v1`], { allowFailure: true }).code).not.toBe(0)
  })

  test('an unsigned base is refused under verify-bases: all', async () => {
    const unsigned = copyBase(`${bases}/static-unsigned`, 'static:nonroot', 'nonroot')
    const r = await runAction(inputs(unsigned), { workspace: workspace({ ...goProgram, Dockerfile: DOCKERFILE }) })
    expect(r.exitCode).toBe(1)
    expect(r.log).toContain(`base ${unsigned} (stage runtime) resolved to ${digestOf(unsigned)} and is not signed by the key in base-key`)
    expect(r.log).not.toContain('buildx build')
  })

  test('under the default (distroless), local bases are listed as not checked, and nothing fails', async () => {
    const r = await runAction(inputs(runtime, { 'verify-bases': '', 'base-key': '' }), { workspace: workspace({ ...goProgram, Dockerfile: DOCKERFILE }) })
    expect(r.exitCode, r.log).toBe(0)
    expect(r.log).toContain(`Base not verified: ${runtime}: not a distroless image, and no base-identities line matches it`)
    expect(r.summary).toContain(`Bases not verified (verify-bases: distroless): ${golang}, ${runtime}`)
  })

  // Issue 30, part 2: an image the build copies binaries out of is as much an input as the base.
  const readingDockerfile = (tools: string) => DOCKERFILE.replace('COPY --from=build /out/hello /hello\n', `COPY --from=build /out/hello /hello\nCOPY --from=${tools} /bin/busybox /busybox\n`)

  test('an unsigned image read by COPY --from is refused under verify-bases: all, naming it and its line; nothing is built, pushed or signed', async () => {
    const tools = copyBase(`${bases}/tools-unsigned`, 'busybox:1', '1')
    const i = inputs(runtime)
    const r = await runAction(i, { workspace: workspace({ ...goProgram, Dockerfile: readingDockerfile(tools) }) })
    expect(r.exitCode).toBe(1)
    expect(r.log).toContain('Base image verification failed, so nothing was built or pushed:')
    expect(r.log).toContain(`base ${tools} (stage runtime (COPY --from, line 11)) resolved to ${digestOf(tools)} and is not signed by the key in base-key`)
    expect(r.log).not.toContain('buildx build')
    expect(docker(['buildx', 'imagetools', 'inspect', `${i.image}:v1`], { allowFailure: true }).code).not.toBe(0)
    expect(cosign('cosign', ['verify', '--key', release.pub, '--insecure-ignore-tlog=true', `${i.image}:v1`]).code).not.toBe(0)
  })

  test('under verify-bases: all without a key, an image read by RUN --mount=from that nothing covers is refused by name before the login', async () => {
    const before = fs.statSync(e2e.registryLog).size
    const tools = `${bases}/tools-mounted:1`
    const dockerfile = DOCKERFILE.replace('RUN CGO_ENABLED=0', `RUN --mount=type=bind,from=${tools},target=/tools CGO_ENABLED=0`)
    const r = await runAction(inputs(runtime, { 'base-key': '' }), { workspace: workspace({ ...goProgram, Dockerfile: dockerfile }) })
    expect(r.exitCode).toBe(1)
    expect(r.log).toMatch(/Input `verify-bases`: is all, but these bases cannot be verified: .*/)
    expect(r.log).toContain(`${tools} (not a distroless image, and no base-identities line matches it)`)
    // Nothing of this release reached the registry. The log is shared with the suite's other lane,
    // which runs at the same time, so only this test's repositories are looked for.
    const repos = [runtime, tools].map((ref) => ref.slice(ref.indexOf('/') + 1).replace(/[:@].*$/, ''))
    const seen = fs.readFileSync(e2e.registryLog, 'utf8').slice(before)
    for (const repo of repos) expect(seen).not.toContain(`/v2/${repo}/`)
  })

  test('a signed image read by COPY --from is verified, pinned by digest as a named context, and recorded on each platform manifest', async () => {
    const tools = copyBase(`${bases}/tools`, 'busybox:1', '1')
    sign(tools, path.join(publisher.dir, 'cosign.key'))
    const r = await runAction(inputs(runtime), { workspace: workspace({ ...goProgram, Dockerfile: readingDockerfile(tools) }) })
    expect(r.exitCode, r.log).toBe(0)
    const verified = digestOf(tools)
    expect(r.log).toContain(`Verified base ${tools}: ${verified}, signed by the key in base-key; the build uses this digest`)
    expect(r.log).toContain(`--build-context ${tools}=docker-image://${bases}/tools@${verified}`)
    const index = JSON.parse(docker(['buildx', 'imagetools', 'inspect', '--raw', r.outputs.image ?? '']).out) as { manifests: Array<{ digest: string; platform: { os: string; architecture: string } }> }
    const toolsIndex = JSON.parse(docker(['buildx', 'imagetools', 'inspect', '--raw', tools]).out) as { manifests: Array<{ digest: string; platform: { os: string; architecture: string } }> }
    const name = (r.outputs.image ?? '').slice(0, (r.outputs.image ?? '').indexOf('@'))
    for (const m of index.manifests.filter((x) => x.platform.os === 'linux')) {
      const platform = `${m.platform.os}/${m.platform.architecture}`
      const own = toolsIndex.manifests.find((b) => `${b.platform.os}/${b.platform.architecture}` === platform)?.digest
      const a = (JSON.parse(docker(['buildx', 'imagetools', 'inspect', '--raw', `${name}@${m.digest}`]).out) as { annotations?: Record<string, string> }).annotations ?? {}
      expect(JSON.parse(a['io.github.vmafx.build-distroless-image.bases'] ?? '{}'), platform).toMatchObject({ [tools]: own })
    }
    expect(cosign('cosign', ['verify', '--key', release.pub, '--insecure-ignore-tlog=true', r.outputs.image ?? '']).code).toBe(0)
  })

  test('a tag that moves between the check and the build cannot slip in: the build uses the verified digest', async () => {
    const moving = copyBase(`${bases}/static-moving`, 'static:nonroot', 'nonroot')
    sign(moving, path.join(publisher.dir, 'cosign.key'))
    const verified = digestOf(moving)
    // A docker shim that repoints the tag at an unsigned image with other layers the moment the
    // build starts, as a registry push by someone else would.
    const shim = fs.mkdtempSync(path.join(path.dirname(publisher.dir), 'bdi-shim-'))
    const real = path.join(process.env.BDI_PREFIX ?? '/opt/bdi-e2e', 'bin', 'docker')
    fs.writeFileSync(
      path.join(shim, 'docker'),
      `#!/bin/sh\ncase " $* " in *" buildx build "*) [ -e "${shim}/moved" ] || { touch "${shim}/moved"; "${real}" buildx imagetools create --tag "${moving}" "${e2e.registry}/e2e/cc:nonroot" >&2; } ;; esac\nexec "${real}" "$@"\n`,
      { mode: 0o755 }
    )
    const r = await runAction(inputs(moving), { workspace: workspace({ ...goProgram, Dockerfile: DOCKERFILE }), env: { PATH: `${shim}:${process.env.PATH ?? ''}` } })
    expect(r.exitCode, r.log).toBe(0)
    expect(fs.existsSync(path.join(shim, 'moved'))).toBe(true)
    // the tag moved during the build...
    expect(digestOf(moving)).not.toBe(verified)
    expect(layers(moving)).not.toEqual(layers(`${bases}/static-moving@${verified}`))
    // ...but the image is built on what was verified
    const base = layers(`${bases}/static-moving@${verified}`)
    expect(layers(r.outputs.image ?? '').slice(0, base.length)).toEqual(base)
  })
})
