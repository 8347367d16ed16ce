// QEMU only when needed: skipped when registered or when no RUN executes on the target, and
// installed from `qemu-image` when a target RUN needs it and no handler is registered.
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import { afterAll, describe, expect, test } from 'vitest'
import { runAction } from './support/harness.js'
import { e2e, goProgram, requireEnvironment, uniqueImage, workspace } from './support/env.js'

const run = requireEnvironment()
const ENTRY = '/proc/sys/fs/binfmt_misc/qemu-aarch64'
// The probe images end in busybox (a shell to RUN in), which the policy would rightly refuse.
const creds = () => ({ 'registry-username': e2e.user, 'registry-password': e2e.password, sign: 'false', sbom: 'false', push: 'false', policy: 'off' })

/** A RUN on the target platform; the nonce defeats the build cache, so the RUN really executes. */
const targetRun = () => `FROM ${e2e.registry}/e2e/busybox:1\nRUN echo ${Date.now()}-${Math.random()} && uname -m > /machine\nCMD ["/bin/cat", "/machine"]\n`

describe.runIf(run)('QEMU only when needed (issues 2 and 5)', () => {
  afterAll(() => {
    // Leave the machine as the suite found it: the Debian handler registered.
    if (!fs.existsSync(ENTRY)) execFileSync('update-binfmts', ['--enable', 'qemu-aarch64'])
  })

  test('already registered: nothing is installed, and the log says why', async () => {
    const r = await runAction({ image: uniqueImage('qemu-reg'), ...creds() }, { workspace: workspace({ Dockerfile: targetRun() }) })
    expect(r.exitCode, r.log).toBe(0)
    expect(r.log).toContain('QEMU for arm64: already registered (qemu-aarch64)')
    expect(r.log).not.toContain('--privileged')
  })

  test('a static Go build for a foreign platform runs no QEMU: it builds with no arm64 handler at all', async () => {
    fs.writeFileSync(ENTRY, '-1') // unregister arm64
    expect(fs.existsSync(ENTRY)).toBe(false)
    const dockerfile = `FROM --platform=$BUILDPLATFORM ${e2e.registry}/e2e/golang:1.24 AS build
ARG TARGETOS TARGETARCH
COPY . /src
RUN cd /src && CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -o /out/hello .
FROM ${e2e.registry}/e2e/static:nonroot
COPY --from=build /out/hello /hello
ENTRYPOINT ["/hello"]
`
    const r = await runAction({ image: uniqueImage('qemu-static'), platforms: 'linux/amd64,linux/arm64', ...creds() }, { workspace: workspace({ ...goProgram, Dockerfile: dockerfile }) })
    expect(r.exitCode, r.log).toBe(0)
    expect(r.log).toContain('QEMU skipped: no RUN executes on the target platform (every stage with a RUN is --platform=$BUILDPLATFORM), so arm64 needs no emulation')
    expect(r.log).not.toContain('--privileged')
    expect(r.summary).toContain('QEMU skipped')
    expect(fs.existsSync(ENTRY)).toBe(false)
  })

  test('not registered and needed: installed from qemu-image, then the arm64 RUN works', async () => {
    if (fs.existsSync(ENTRY)) fs.writeFileSync(ENTRY, '-1') // unregister arm64
    expect(fs.existsSync(ENTRY)).toBe(false)
    const r = await runAction(
      { image: uniqueImage('qemu-install'), platforms: 'linux/amd64,linux/arm64', 'qemu-image': `${e2e.registry}/e2e/binfmt:standin`, ...creds() },
      { workspace: workspace({ Dockerfile: targetRun() }) }
    )
    expect(r.exitCode, r.log).toBe(0)
    expect(r.log).toContain('QEMU for arm64: not registered, installing')
    expect(r.log).toMatch(/\[command\]\S*docker run --rm --privileged registry\.bdi\.test:5443\/e2e\/binfmt:standin --install arm64/)
    const entry = fs.readFileSync(ENTRY, 'utf8')
    expect(entry).toMatch(/^enabled$/m)
    expect(entry).toMatch(/^flags: .*F/m)
  })
})
