// dockerfiles/ templates built for real, amd64 and arm64, with local bases passed in through
// BUILDER_IMAGE / RUNTIME_IMAGE; and the policy refusing what it must.
import * as fs from 'node:fs'
import { describe, expect, test } from 'vitest'
import { runAction } from './support/harness.js'
import { docker, e2e, requireEnvironment, uniqueImage, workspace } from './support/env.js'

const run = requireEnvironment()
const creds = () => ({ 'registry-username': e2e.user, 'registry-password': e2e.password, sign: 'false', sbom: 'false' })
const R = e2e.registry

const operator = {
  'go.mod': 'module example.com/operator\n\ngo 1.24\n',
  'main.go': 'package main\n\nimport (\n\t"fmt"\n\t"os"\n\t"runtime"\n)\n\nfunc main() {\n\tfmt.Printf("operator %s/%s uid=%d\\n", runtime.GOOS, runtime.GOARCH, os.Getuid())\n}\n'
}

// A cgo worker linked against libsqlite3, which distroless/cc does not have.
const worker = {
  'go.mod': 'module example.com/worker\n\ngo 1.24\n',
  'main.go': `package main

/*
#cgo LDFLAGS: -lsqlite3
#include <sqlite3.h>
*/
import "C"

import (
	"fmt"
	"os"
	"runtime"
)

func main() {
	fmt.Printf("worker %s/%s uid=%d sqlite=%s\\n", runtime.GOOS, runtime.GOARCH, os.Getuid(), C.GoString(C.sqlite3_libversion()))
}
`
}

/** Whether a file exists in an image (read from a created, never started, container). */
function fileIn(ref: string, platform: string, file: string): boolean {
  const id = docker(['create', '--platform', platform, '--entrypoint', '/nonexistent', ref]).out.trim()
  try {
    return docker(['cp', `${id}:${file}`, '-'], { allowFailure: true }).code === 0
  } finally {
    docker(['rm', id])
  }
}

describe.runIf(run)('dockerfiles/ templates (issue 5)', () => {
  test('a workspace holding only main.go and go.mod releases with dockerfile: static; runs as 65532; no QEMU', async () => {
    const image = uniqueImage('tpl-static')
    const ws = workspace(operator)
    expect(fs.readdirSync(ws).sort()).toEqual(['go.mod', 'main.go'])
    const r = await runAction(
      {
        image,
        dockerfile: 'static',
        version: 'v0.9.0',
        'build-args': `BUILDER_IMAGE=${R}/e2e/golang:1.24\nRUNTIME_IMAGE=${R}/e2e/static:nonroot`,
        'allowed-bases': `${R}/e2e/*`,
        'max-image-size': '20MB',
        ...creds()
      },
      { workspace: ws }
    )
    expect(r.exitCode, r.log).toBe(0)
    expect(r.log).toContain('QEMU skipped: no RUN executes on the target platform')
    expect(r.log).toMatch(/linux\/arm64: user "65532:65532", \d+ bytes compressed/)
    for (const platform of ['linux/amd64', 'linux/arm64']) {
      const out = docker(['run', '--rm', '--platform', platform, `${image}@${r.outputs.digest}`]).out
      expect(out.trim()).toBe(`operator ${platform} uid=65532`)
    }
  })

  test('target: debug puts the same binary on the debug base', async () => {
    const image = uniqueImage('tpl-debug')
    const r = await runAction(
      {
        image,
        dockerfile: 'static',
        target: 'debug',
        platforms: 'linux/arm64',
        'build-args': `BUILDER_IMAGE=${R}/e2e/golang:1.24\nDEBUG_IMAGE=${R}/e2e/busybox:1`,
        'allowed-bases': `${R}/e2e/*`,
        ...creds()
      },
      { workspace: workspace(operator) }
    )
    expect(r.exitCode, r.log).toBe(0)
    // The debug base has a shell: the binary is there and runs.
    const out = docker(['run', '--rm', '--platform', 'linux/arm64', '--entrypoint', '/bin/sh', `${image}@${r.outputs.digest}`, '-c', 'ls /bin/busybox && /app']).out
    expect(out).toContain('operator linux/arm64 uid=65532')
  })

  test('dockerfile: cc cross-compiles cgo for amd64 and arm64 and bundles the libraries it links', async () => {
    const image = uniqueImage('tpl-cc')
    const r = await runAction(
      {
        image,
        dockerfile: 'cc',
        'build-args': `BUILDER_IMAGE=${R}/e2e/golang:trixie\nRUNTIME_IMAGE=${R}/e2e/cc:nonroot\nCGO_PACKAGES=libsqlite3-dev`,
        'allowed-bases': `${R}/e2e/*`,
        ...creds()
      },
      { workspace: workspace(worker), timeoutMs: 900_000 }
    )
    expect(r.exitCode, r.log).toBe(0)
    expect(r.log).toContain('QEMU skipped: no RUN executes on the target platform')
    // The library came with the binary: it is in the image and not in the distroless/cc base.
    expect(fileIn(`${image}@${r.outputs.digest}`, 'linux/arm64', '/usr/lib/aarch64-linux-gnu/libsqlite3.so.0')).toBe(true)
    expect(fileIn(`${R}/e2e/cc:nonroot`, 'linux/arm64', '/usr/lib/aarch64-linux-gnu/libsqlite3.so.0')).toBe(false)
    expect(fileIn(`${image}@${r.outputs.digest}`, 'linux/amd64', '/usr/lib/x86_64-linux-gnu/libsqlite3.so.0')).toBe(true)
    for (const platform of ['linux/amd64', 'linux/arm64']) {
      const out = docker(['run', '--rm', '--platform', platform, `${image}@${r.outputs.digest}`]).out
      expect(out.trim()).toMatch(new RegExp(`^worker ${platform} uid=65532 sqlite=3\\.\\d+\\.\\d+$`))
    }
  }, 900_000)
})

describe.runIf(run)('policy (issue 5)', () => {
  test('a root final stage is refused before the build; the error names the stage and the line', async () => {
    const dockerfile = `FROM ${R}/e2e/golang:1.24 AS build\nRUN true\n\nFROM gcr.io/distroless/static-debian13:nonroot AS runtime\nCOPY --from=build /bin/sh /sh\nUSER root\nENTRYPOINT ["/sh"]\n`
    const before = fs.statSync(e2e.registryLog).size
    const r = await runAction({ image: uniqueImage('root'), ...creds() }, { workspace: workspace({ Dockerfile: dockerfile }) })
    expect(r.exitCode).toBe(1)
    expect(r.log).toMatch(/::error::Policy refuses this Dockerfile:%0A- Dockerfile:6 \(stage "runtime"\): the final stage runs as root \(USER root\)/)
    expect(r.log).not.toContain('buildx build')
    expect(fs.readFileSync(e2e.registryLog, 'utf8').slice(before)).not.toMatch(/"(GET|HEAD|POST|PUT) \/v2\//)
  })

  test('policy: warn reports and goes on; the pushed image is checked too', async () => {
    const dockerfile = `FROM ${R}/e2e/busybox:1\nENTRYPOINT /bin/true\n`
    const r = await runAction({ image: uniqueImage('warn'), policy: 'warn', platforms: 'linux/amd64', ...creds() }, { workspace: workspace({ Dockerfile: dockerfile }) })
    expect(r.exitCode, r.log).toBe(0)
    expect(r.log).toMatch(/::warning::Dockerfile:1 \(stage #0\): the final image is built on ".*e2e\/busybox:1", which is not distroless/)
    expect(r.log).toMatch(/::warning::Dockerfile:2 \(stage #0\): ENTRYPOINT is in shell form/)
    expect(r.log).toMatch(/::warning::linux\/amd64: the pushed image runs as root \(config User ""\)/)
  })

  test('max-image-size: exceeding it fails and names the platform and the size', async () => {
    const r = await runAction(
      {
        image: uniqueImage('size'),
        dockerfile: 'static',
        'build-args': `BUILDER_IMAGE=${R}/e2e/golang:1.24\nRUNTIME_IMAGE=${R}/e2e/static:nonroot`,
        'allowed-bases': `${R}/e2e/*`,
        'max-image-size': '100KB',
        ...creds()
      },
      { workspace: workspace(operator) }
    )
    expect(r.exitCode).toBe(1)
    expect(r.log).toMatch(/Image too large:%0A- linux\/amd64: the image is [\d.]+MB compressed \(\d+ bytes\), over max-image-size 100\.0KB/)
    expect(r.outputs.digest).toMatch(/^sha256:/)
  })
})
