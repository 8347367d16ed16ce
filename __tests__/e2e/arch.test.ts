/** Never sign an image whose main binary is not of its platform (issue 13), end to end. */
import * as fs from 'node:fs'
import { describe, expect, test } from 'vitest'
import { runAction } from './support/harness.js'
import { cosign, docker, e2e, goProgram, keyPair, keySigning, localBases, multiStageDockerfile, requireEnvironment, uniqueImage, staticTrue, workspace } from './support/env.js'

const run = requireEnvironment()
const PASSWORD = 'e2e-arch-password-7c1d'

/** A binary of this x86-64 runner, copied into every platform's image: no GOARCH for the Dockerfile rule to see (executable, or the image could not start at all). */
const prebuilt = () => ({
  hello: staticTrue(),
  Dockerfile: `FROM ${e2e.registry}/e2e/static:nonroot\nCOPY --chmod=0755 hello /hello\nENTRYPOINT ["/hello"]\n`
})

describe.runIf(run)('architecture of the main binary (issue 13)', () => {
  test('an x86-64 binary in the arm64 image is refused after the push, before anything is signed; the summary names the moved tags', async () => {
    const keys = keyPair(PASSWORD)
    const image = uniqueImage('wrong-arch')
    const r = await runAction({ image, version: 'v1.0.0', ...localBases, 'registry-username': e2e.user, 'registry-password': e2e.password, ...keySigning(keys.key, PASSWORD) }, { workspace: workspace(prebuilt()) })
    expect(r.exitCode).toBe(1)
    expect(r.log).toContain('linux/amd64: /hello is x86-64 (ELF64, little-endian), as the platform needs (read ')
    expect(r.log).toMatch(/::error::.*linux\/arm64: the image's main binary \/hello is x86-64 \(ELF64, little-endian\), but linux\/arm64 needs AArch64 \(ELF64, little-endian\); on a linux\/arm64 node it fails with "exec format error"/)
    // Pushed by digest only: no tag moved to the refused image (issue 30).
    expect(r.log).toContain(`No tag was moved: ${image}@${r.outputs.digest ?? ''} is in the registry by digest only; 1.0.0, 1.0, 1, latest stay where they were`)
    expect(docker(['buildx', 'imagetools', 'inspect', `${image}:1.0.0`], { allowFailure: true }).code).not.toBe(0)
    expect(r.log).not.toMatch(/\[command\]\S*cosign (sign|attest) /)
    expect(r.outputs.digest).toMatch(/^sha256:[a-f0-9]{64}$/)
    expect(r.outputs.signed).toBe('false')
    expect(r.summary).toContain('⛔ Pushed, refused by the checks, not signed or attested.')
    expect(cosign('cosign', ['verify', '--key', keys.pub, '--insecure-ignore-tlog=true', `${image}@${r.outputs.digest ?? ''}`]).code).not.toBe(0)
  })

  test('policy: warn lets it through with a warning; policy: off does not look', async () => {
    const keys = keyPair(PASSWORD)
    const warned = await runAction({ image: uniqueImage('wrong-arch-warn'), version: 'v1.0.0', policy: 'warn', 'registry-username': e2e.user, 'registry-password': e2e.password, ...keySigning(keys.key, PASSWORD) }, { workspace: workspace(prebuilt()) })
    expect(warned.exitCode, warned.log).toBe(0)
    expect(warned.log).toMatch(/::warning::linux\/arm64: the image's main binary \/hello is x86-64/)
    const off = await runAction({ image: uniqueImage('wrong-arch-off'), version: 'v1.0.0', policy: 'off', sign: 'false', sbom: 'false', 'registry-username': e2e.user, 'registry-password': e2e.password }, { workspace: workspace(prebuilt()) })
    expect(off.exitCode, off.log).toBe(0)
    expect(off.log).not.toContain('/hello is x86-64')
  })

  test('a hard-coded GOARCH is refused from the Dockerfile, before any registry request', async () => {
    const before = fs.statSync(e2e.registryLog).size
    const dockerfile = multiStageDockerfile().replace('GOARCH=$TARGETARCH', 'GOARCH=amd64')
    const line = dockerfile.split('\n').findIndex((l) => l.includes('GOARCH=amd64')) + 1
    const r = await runAction({ image: uniqueImage('goarch-literal'), version: 'v1.0.0', ...localBases, 'registry-username': e2e.user, 'registry-password': e2e.password, sign: 'false', sbom: 'false' }, { workspace: workspace({ ...goProgram, Dockerfile: dockerfile }) })
    expect(r.exitCode).toBe(1)
    expect(r.log).toContain(`Dockerfile:${line} (stage "build"): GOARCH=amd64 is hard-coded, but linux/arm64 is requested`)
    expect(r.log).toContain('Write GOARCH=$TARGETARCH')
    expect(fs.readFileSync(e2e.registryLog, 'utf8').slice(before)).not.toMatch(/"(GET|HEAD|POST|PUT|PATCH) \/v2\//)
  })

  test('a cross-compiled two-platform image passes the check, with no QEMU notice', async () => {
    const keys = keyPair(PASSWORD)
    const r = await runAction({ image: uniqueImage('right-arch'), version: 'v1.0.0', ...localBases, 'registry-username': e2e.user, 'registry-password': e2e.password, ...keySigning(keys.key, PASSWORD) }, { workspace: workspace({ ...goProgram, Dockerfile: multiStageDockerfile() }) })
    expect(r.exitCode, r.log).toBe(0)
    expect(r.log).toMatch(/linux\/amd64: \/hello is x86-64 \(ELF64, little-endian\), as the platform needs \(read \d+(\.\d+)? (B|KiB) of \d+ layers? in \d+ ms\)/)
    expect(r.log).toMatch(/linux\/arm64: \/hello is AArch64 \(ELF64, little-endian\), as the platform needs \(read \d+(\.\d+)? (B|KiB) of \d+ layers? in \d+ ms\)/)
    expect(r.log).not.toContain('the whole Go toolchain runs under QEMU')
    expect(r.outputs.signed).toBe('true')
  })

  test('Go built on the target platform (as kubebuilder\'s scaffolded Dockerfile does; its layout is built in private-modules.test.ts): one notice with the two-line change, and the release still passes', async () => {
    const dockerfile = `FROM ${e2e.registry}/e2e/golang:1.24 AS builder\nWORKDIR /src\nCOPY go.mod main.go ./\nRUN CGO_ENABLED=0 go build -o /out/hello .\n\nFROM ${e2e.registry}/e2e/static:nonroot\nCOPY --from=builder /out/hello /hello\nENTRYPOINT ["/hello"]\n`
    // Only the runtime: the arm64 toolchain compiles every imported package under QEMU, a minute more for fmt's.
    const tiny = { 'go.mod': 'module example.com/hello\n\ngo 1.24\n', 'main.go': 'package main\n\nimport "runtime"\n\nfunc main() { println(runtime.GOOS + "/" + runtime.GOARCH) }\n' }
    const r = await runAction({ image: uniqueImage('qemu-go'), version: 'v1.0.0', ...localBases, 'registry-username': e2e.user, 'registry-password': e2e.password, sign: 'false', sbom: 'false' }, { workspace: workspace({ ...tiny, Dockerfile: dockerfile }) })
    expect(r.exitCode, r.log).toBe(0)
    const notices = r.log.split('\n').filter((l) => l.startsWith('::notice') && l.includes('the whole Go toolchain runs under QEMU'))
    expect(notices).toHaveLength(1)
    expect(notices[0]).toContain('Dockerfile:4 (stage "builder")')
    expect(notices[0]).toContain(`FROM --platform=$BUILDPLATFORM ${e2e.registry}/e2e/golang:1.24 AS builder%0A  ARG TARGETOS TARGETARCH`)
    expect(r.log).toMatch(/linux\/arm64: \/hello is AArch64/)
  })

  // Issue 30, part 3: the check reads the file the runtime would run. Each image below passed (and
  // was signed) when the check took the first candidate in layer order and skipped what it could not read.
  const R = e2e.registry
  const refusedUnsigned = async (name: string, files: Record<string, string | Buffer>, expected: RegExp) => {
    const keys = keyPair(PASSWORD)
    const image = uniqueImage(name)
    const r = await runAction({ image, version: 'v1.0.0', ...localBases, 'registry-username': e2e.user, 'registry-password': e2e.password, ...keySigning(keys.key, PASSWORD) }, { workspace: workspace(files) })
    expect(r.exitCode, r.log).toBe(1)
    expect(r.log).toMatch(expected)
    expect(r.log).not.toMatch(/\[command\]\S*cosign (sign|attest) /)
    expect(r.outputs.signed).toBe('false')
    expect(r.outputs.digest).toMatch(/^sha256:[a-f0-9]{64}$/)
    expect(cosign('cosign', ['verify', '--key', keys.pub, '--insecure-ignore-tlog=true', `${image}@${r.outputs.digest ?? ''}`]).code).not.toBe(0)
    return r
  }

  test('PATH order: an x86-64 server in the first PATH directory is what arm64 runs, though a native one sits in a higher layer', async () => {
    const dockerfile = `FROM --platform=linux/amd64 ${R}/e2e/busybox:1 AS x86\nFROM ${R}/e2e/busybox:1 AS native\nFROM ${R}/e2e/static:nonroot\nCOPY --from=x86 /bin/busybox /usr/local/bin/server\nCOPY --from=native /bin/busybox /usr/bin/server\nENV PATH=/usr/local/bin:/usr/bin\nENTRYPOINT ["server"]\n`
    const r = await refusedUnsigned('path-order', { Dockerfile: dockerfile }, /::error::.*linux\/arm64: the image's main binary \/usr\/local\/bin\/server is x86-64 \(ELF64, little-endian\), but linux\/arm64 needs AArch64/)
    expect(r.log).toMatch(/linux\/amd64: \/usr\/local\/bin\/server is x86-64 \(ELF64, little-endian\), as the platform needs/)
  })

  test('a whiteout of the first PATH candidate goes on to the next one, which is x86-64', async () => {
    const dockerfile = `FROM --platform=linux/amd64 ${R}/e2e/busybox:1 AS x86\nFROM ${R}/e2e/busybox:1\nCOPY --from=x86 /bin/busybox /usr/bin/server\nRUN mkdir -p /usr/local/bin && cp /bin/busybox /usr/local/bin/server\nRUN rm /usr/local/bin/server\nENV PATH=/usr/local/bin:/usr/bin\nUSER 65532:65532\nENTRYPOINT ["server"]\n`
    await refusedUnsigned('path-whiteout', { Dockerfile: dockerfile }, /::error::.*linux\/arm64: the image's main binary \/usr\/bin\/server is x86-64 \(ELF64, little-endian\)/)
  })

  test('an entrypoint that is not in the image is refused under policy: enforce: the image cannot start', async () => {
    await refusedUnsigned('no-entrypoint-file', { Dockerfile: `FROM ${R}/e2e/static:nonroot\nENTRYPOINT ["/manager"]\n` }, /::error::.*linux\/amd64: the image's entrypoint \/manager cannot start: \/manager is not in the image: "no such file or directory"/)
  })

  test('a dynamically linked program on a base without its C library is refused: its loader is not in the image', async () => {
    // This runner's /bin/true (glibc, PT_INTERP /lib64/ld-linux-x86-64.so.2) on the static base, amd64 only: the right
    // architecture, but "exec /hello: no such file or directory" on every node. It passed, and was signed, before.
    const files = { hello: fs.readFileSync('/bin/true'), Dockerfile: `FROM ${R}/e2e/static:nonroot\nCOPY --chmod=0755 hello /hello\nENTRYPOINT ["/hello"]\n` }
    const keys = keyPair(PASSWORD)
    const image = uniqueImage('no-loader')
    const r = await runAction({ image, version: 'v1.0.0', platforms: 'linux/amd64', ...localBases, 'registry-username': e2e.user, 'registry-password': e2e.password, ...keySigning(keys.key, PASSWORD) }, { workspace: workspace(files) })
    expect(r.exitCode, r.log).toBe(1)
    expect(r.log).toMatch(/::error::.*linux\/amd64: the image's entrypoint \/hello cannot start: \/hello is dynamically linked, and its loader \/lib64\/ld-linux-x86-64\.so\.2 is not in the image/)
    expect(r.log).not.toMatch(/\[command\]\S*cosign (sign|attest) /)
    expect(r.outputs.signed).toBe('false')
    expect(docker(['buildx', 'imagetools', 'inspect', `${image}:1.0.0`], { allowFailure: true }).code).not.toBe(0)
    expect(cosign('cosign', ['verify', '--key', keys.pub, '--insecure-ignore-tlog=true', `${image}@${r.outputs.digest ?? ''}`]).code).not.toBe(0)
  })

  test('a #! script is checked through its interpreter: an x86-64 /bin/sh in the arm64 image is refused', async () => {
    const dockerfile = `FROM --platform=linux/amd64 ${R}/e2e/busybox:1 AS x86\nFROM ${R}/e2e/static:nonroot\nCOPY --from=x86 /bin/busybox /bin/sh\nCOPY --chmod=0755 entry.sh /entry.sh\nENTRYPOINT ["/entry.sh"]\n`
    const r = await refusedUnsigned('script-interpreter', { Dockerfile: dockerfile, 'entry.sh': '#!/bin/sh\necho hello\n' }, /::error::.*linux\/arm64: the image's main program \/entry\.sh is a script run by (\/usr)?\/bin\/sh, which is x86-64 \(ELF64, little-endian\), but linux\/arm64 needs AArch64/)
    // The static base has a merged /usr (/bin -> usr/bin): the interpreter is named where the symlink leads.
    expect(r.log).toMatch(/linux\/amd64: \/entry\.sh is a script \(run through (\/usr)?\/bin\/sh\); (\/usr)?\/bin\/sh is x86-64 \(ELF64, little-endian\), as the platform needs/)
  })
})
