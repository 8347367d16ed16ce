// The smoke run under OpenShift's restricted-v2 constraints (issue 19, part 1), on the real engine
// and registry: a template-built service passes on amd64 (native) and arm64 (QEMU), by arguments and
// by HTTP probe; the same service with a 0700 file owned by 65532 passes a plain docker run but not
// the restricted one, and nothing is signed.
import * as fs from 'node:fs'
import * as path from 'node:path'
import { describe, expect, test } from 'vitest'
import { runAction } from './support/harness.js'
import { cosign, docker, e2e, keyPair, keySigning, requireEnvironment, uniqueImage, workspace } from './support/env.js'

const run = requireEnvironment()
const R = e2e.registry
const PASSWORD = 'e2e-smoke-password-31b9'
const creds = { 'registry-username': e2e.user, 'registry-password': e2e.password }

// `--version` prints and exits; otherwise it serves /healthz on 8080. Either way it first reads
// /etc/app/config when the image has one, as services read their config at startup.
const service = {
  'go.mod': 'module example.com/svc\n\ngo 1.24\n',
  'main.go': `package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"runtime"
)

func main() {
	if _, err := os.ReadFile("/etc/app/config"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintln(os.Stderr, "reading config:", err)
		os.Exit(1)
	}
	if len(os.Args) > 1 && os.Args[1] == "--version" {
		fmt.Printf("svc v2.0.0 %s/%s uid=%d gid=%d\\n", runtime.GOOS, runtime.GOARCH, os.Getuid(), os.Getgid())
		return
	}
	http.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	fmt.Println("listening on :8080")
	if err := http.ListenAndServe(":8080", nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
`
}
const template = { dockerfile: 'static', 'build-args': `BUILDER_IMAGE=${R}/e2e/golang:1.24\nRUNTIME_IMAGE=${R}/e2e/static:nonroot`, 'allowed-bases': `${R}/e2e/*` }
const UID = /UID (1\d{5}0000), GID 0/
const tlsFile = (name: string) => fs.readFileSync(path.join(e2e.buildkitTls, name), 'utf8')
// A remote BuildKit leaves nothing on the engine, so the smoke run pulls with the action's credentials.
const remote = () => ({ 'builder-endpoint': e2e.buildkitTcp, 'builder-tls-ca': tlsFile('ca.crt'), 'builder-tls-cert': tlsFile('client.crt'), 'builder-tls-key': tlsFile('client.key') })

describe.runIf(run)('smoke run under restricted-v2 (issue 19)', () => {
  let released = ''

  test('a template-built service passes by arguments on both platforms; native startup printed, emulated marked; nothing left behind', async () => {
    const image = uniqueImage('smoke-args')
    const r = await runAction({ image, version: 'v2.0.0', ...template, ...creds, sign: 'false', sbom: 'false', 'smoke-args': '--version', 'startup-budget': '5s' }, { workspace: workspace(service), runPost: true })
    expect(r.exitCode, r.log).toBe(0)
    // QEMU stays off for the build (every RUN is on $BUILDPLATFORM), but the smoke run needs arm64.
    expect(r.log).toMatch(/QEMU for the smoke run only: no RUN executes on the target platform, but the smoke run starts the arm64 image/)
    const amd = new RegExp(`linux/amd64: passed as ${UID.source}, startup (\\d+) ms \\(native\\)`).exec(r.log)
    const arm = new RegExp(`linux/arm64: passed as ${UID.source}, startup (\\d+(\\.\\d+)? m?s) \\(emulated under QEMU\\)`).exec(r.log)
    expect(amd, r.log).not.toBeNull()
    expect(arm, r.log).not.toBeNull()
    // The native platform ran first; the program saw the random UID and GID 0, not 65532.
    expect(r.log.indexOf('linux/amd64: passed')).toBeLessThan(r.log.indexOf('linux/arm64: passed'))
    expect(r.log).toContain(`svc v2.0.0 linux/amd64 uid=${amd?.[1] ?? ''} gid=0`)
    expect(r.log).toMatch(/svc v2\.0\.0 linux\/arm64 uid=1\d{5}0000 gid=0/)
    expect(r.summary).toContain('Smoke run')
    expect(r.summary).toContain('(emulated)')
    // No container of the smoke run is left on the engine.
    expect(docker(['ps', '--all', '--quiet', '--filter', 'label=io.github.vmafx.build-distroless-image.smoke']).out.trim()).toBe('')
    released = `${image}@${r.outputs.digest ?? ''}`
  })

  test('the same service passes by HTTP probe on both platforms', async () => {
    const image = uniqueImage('smoke-http')
    const r = await runAction({ image, version: 'v2.0.0', ...template, ...creds, sign: 'false', sbom: 'false', 'smoke-http-port': '8080', 'smoke-http-path': '/healthz', 'smoke-timeout': '60s' }, { workspace: workspace(service) })
    expect(r.exitCode, r.log).toBe(0)
    expect(r.log).toMatch(new RegExp(`linux/amd64: passed as ${UID.source}, startup \\d+ ms \\(native\\)`))
    expect(r.log).toMatch(new RegExp(`linux/arm64: passed as ${UID.source}, startup \\d+(\\.\\d+)? m?s \\(emulated under QEMU\\)`))
    expect(r.log).toContain('listening on :8080')
    expect(r.summary).toContain('-p 127.0.0.1:8080:8080')
    expect(docker(['network', 'ls', '--quiet', '--filter', 'label=io.github.vmafx.build-distroless-image.smoke']).out.trim()).toBe('')
  })

  test('a 0700 config owned by 65532 (built on a remote BuildKit, so the smoke run pulls it): a plain docker run passes, the restricted run fails naming the UID, and nothing is signed', async () => {
    expect(released).not.toBe('')
    const keys = keyPair(PASSWORD)
    const image = uniqueImage('smoke-uid')
    const files = {
      config: 'token=abc\n',
      Dockerfile: `FROM ${released}\nCOPY --chown=65532:65532 --chmod=0700 config /etc/app/config\nUSER 65532:65532\nENTRYPOINT ["/app"]\n`
    }
    const r = await runAction({ image, version: 'v2.0.1', 'allowed-bases': `${R}/*`, ...creds, ...remote(), ...keySigning(keys.key, PASSWORD), 'smoke-args': '--version' }, { workspace: workspace(files) })
    expect(r.exitCode, r.log).toBe(1)
    const digest = r.outputs.digest ?? ''
    // Pulled by each platform's digest with the action's credentials, and removed afterwards.
    const platforms = JSON.parse(r.outputs['platform-digests'] ?? '{}') as Record<string, string>
    for (const p of ['linux/amd64', 'linux/arm64']) expect(r.log).toContain(`${p}: pulling ${image}@${platforms[p] ?? ''}`)
    expect(docker(['images', '--quiet', image]).out.trim()).toBe('')
    // As the image's own user it works ...
    expect(docker(['run', '--rm', '--platform', 'linux/amd64', `${image}@${digest}`, '--version']).out).toContain('svc v2.0.0 linux/amd64 uid=65532 gid=65532')
    // ... as OpenShift would run it, it does not: the error names platform, UID, command and output.
    const error = r.log.split('\n').find((l) => l.startsWith('::error::')) ?? ''
    expect(error).toMatch(/linux\/amd64: the smoke run as UID 1\d{5}0000 \(GID 0, restricted-v2\) failed: exited with code 1\./)
    expect(error).toMatch(/Command: docker run --rm --platform linux\/amd64 --user 1\d{5}0000:0 --read-only --tmpfs \/tmp:rw,nosuid,nodev,size=64m --cap-drop ALL --security-opt no-new-privileges --network none \S+ --version/)
    expect(error).toContain('reading config: open /etc/app/config: permission denied')
    expect(error).toContain(`No tag was moved: ${image}@${digest} is in the registry by digest only; 2.0.1, 2.0, 2, latest stay where they were`)
    expect(docker(['buildx', 'imagetools', 'inspect', `${image}:2.0.1`], { allowFailure: true }).code).not.toBe(0)
    expect(r.log).not.toMatch(/\[command\]\S*cosign (sign|attest) /)
    expect(r.outputs.signed).toBe('false')
    expect(r.summary).toContain('❌ exited with code 1')
    expect(cosign('cosign', ['verify', '--key', keys.pub, '--insecure-ignore-tlog=true', `${image}@${digest}`]).code).not.toBe(0)
  })
})
