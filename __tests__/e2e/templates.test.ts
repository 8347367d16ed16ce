// dockerfiles/ templates built for real, amd64 and arm64, with local bases passed in through
// BUILDER_IMAGE / RUNTIME_IMAGE; and the policy refusing what it must.
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { describe, expect, test } from 'vitest'
import { repoRoot, runAction } from './support/harness.js'
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

/** Whether the ELF at `file` in an image has a symbol table (copied out of a created, never started, container). */
function hasSymtab(ref: string, platform: string, file: string): boolean {
  const id = docker(['create', '--platform', platform, '--entrypoint', '/nonexistent', ref]).out.trim()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-elf-'))
  try {
    docker(['cp', '-L', `${id}:${file}`, path.join(dir, 'bin')])
    return execFileSync('readelf', ['-S', '-W', path.join(dir, 'bin')], { encoding: 'utf8' }).includes('.symtab')
  } finally {
    docker(['rm', id])
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

// Issue 34 part 4: the templates pin golang:1.27.x; e2e/golang:1.27 (scripts/e2e/bases.sh) is that Go
// line from Debian sid, so the templates' own recipe is built at least once with the Go they pin.
describe.runIf(run)('the templates against their pinned Go line (issue 34)', () => {
  const line = (name: string) => /^ARG BUILDER_IMAGE=golang:(\d+\.\d+)\./m.exec(fs.readFileSync(path.join(repoRoot, 'dockerfiles', `Dockerfile.${name}`), 'utf8'))?.[1] ?? ''
  const goline = {
    'go.mod': 'module example.com/goline\n\ngo 1.24\n',
    'main.go': 'package main\n\nimport (\n\t"fmt"\n\t"runtime"\n)\n\nvar version = "unset"\n\nfunc main() { fmt.Printf("%s %s %s/%s\\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH) }\n'
  }

  test.each([
    ['static', 'static:nonroot'],
    ['cc', 'cc:nonroot']
  ])('dockerfile: %s built with its pinned Go line for amd64 and arm64; the version reaches the binary; the release binary is stripped', async (name, runtime) => {
    expect(line(name)).toBe('1.27')
    const image = uniqueImage(`tpl-go-${name}`)
    const r = await runAction(
      { image, dockerfile: name, version: 'v2.3.4', 'build-args': `BUILDER_IMAGE=${R}/e2e/golang:${line(name)}\nRUNTIME_IMAGE=${R}/e2e/${runtime}`, 'allowed-bases': `${R}/e2e/*`, ...creds() },
      { workspace: workspace(goline), timeoutMs: 900_000 }
    )
    expect(r.exitCode, r.log).toBe(0)
    expect(r.log).toContain('--build-arg VERSION=2.3.4')
    for (const platform of ['linux/amd64', 'linux/arm64']) {
      const out = docker(['run', '--rm', '--platform', platform, `${image}@${r.outputs.digest}`]).out.trim()
      expect(out).toMatch(new RegExp(`^2\\.3\\.4 go${line(name).replace('.', '\\.')}\\.\\d+ ${platform}$`))
    }
    expect(hasSymtab(`${image}@${r.outputs.digest}`, 'linux/arm64', '/app')).toBe(false)
  }, 900_000)

  test('target: debug keeps the symbol table (not stripped), on the pinned Go line', async () => {
    const image = uniqueImage('tpl-debug-symbols')
    const r = await runAction(
      { image, dockerfile: 'static', target: 'debug', platforms: 'linux/arm64', 'build-args': `BUILDER_IMAGE=${R}/e2e/golang:${line('static')}\nDEBUG_IMAGE=${R}/e2e/busybox:1`, 'allowed-bases': `${R}/e2e/*`, ...creds() },
      { workspace: workspace(goline) }
    )
    expect(r.exitCode, r.log).toBe(0)
    expect(hasSymtab(`${image}@${r.outputs.digest}`, 'linux/arm64', '/app')).toBe(true)
  })
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
