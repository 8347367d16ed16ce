import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { describe, expect, test } from 'vitest'
import { parseDockerfile } from '../../../src/dockerfile/parse.js'
import { parsePlatforms } from '../../../src/build/platform.js'
import type { BinfmtReader } from '../../../src/build/qemu.js'
import { binfmtReader, planQemu, runsOnTarget } from '../../../src/build/qemu.js'

const none: BinfmtReader = () => undefined
const arm64Registered: BinfmtReader = (a) => (a === 'arm64' ? { enabled: true, fixBinary: true } : undefined)

describe('planQemu', () => {
  test.each<[string, string[], string[], BinfmtReader, boolean, string[], RegExp]>([
    ['native only', ['linux/amd64'], ['amd64', '386'], none, true, [], /every platform runs natively/],
    ['foreign, not registered', ['linux/amd64', 'linux/arm64'], ['amd64'], none, true, ['arm64'], /arm64: not registered, installing/],
    ['foreign, already registered', ['linux/amd64', 'linux/arm64'], ['amd64'], arm64Registered, true, [], /already registered/],
    ['foreign, but no RUN on the target', ['linux/arm64', 'linux/ppc64le'], ['amd64'], none, false, [], /no RUN executes on the target/],
    ['arm64 runner building amd64', ['linux/amd64', 'linux/arm64'], ['arm64'], none, true, ['amd64'], /amd64: not registered/]
  ])('%s', (_name, platforms, native, binfmt, targetRuns, install, reason) => {
    const plan = planQemu(parsePlatforms(platforms), native, binfmt, targetRuns)
    expect(plan.install).toEqual(install)
    expect(plan.reasons.join('\n')).toMatch(reason)
  })
})

test('binfmtReader reads enabled and the F flag from binfmt_misc', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'binfmt-'))
  // As /proc/sys/fs/binfmt_misc/qemu-aarch64 reads after update-binfmts --enable (bookworm).
  fs.writeFileSync(path.join(dir, 'qemu-aarch64'), 'enabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: PF\noffset 0\nmagic 7f454c460201010000000000000000000200b700\nmask ffffffffffffff00fffffffffffffffffeffffff\n')
  fs.writeFileSync(path.join(dir, 'qemu-arm'), 'disabled\ninterpreter /usr/bin/qemu-arm\nflags: P\n')
  const read = binfmtReader(dir)
  expect(read('arm64')).toEqual({ enabled: true, fixBinary: true })
  expect(read('arm')).toEqual({ enabled: false, fixBinary: false })
  expect(read('ppc64le')).toBeUndefined()
})

describe('runsOnTarget', () => {
  test.each([
    ['every RUN on $BUILDPLATFORM', 'FROM --platform=$BUILDPLATFORM golang AS b\nRUN go build\nFROM gcr.io/distroless/static\nCOPY --from=b /x /x\n', false],
    ['${BUILDPLATFORM} form', 'FROM --platform=${BUILDPLATFORM} golang AS b\nRUN go build\nFROM scratch\n', false],
    ['a RUN in the runtime stage', 'FROM --platform=$BUILDPLATFORM golang AS b\nRUN go build\nFROM busybox\nRUN uname -m\n', true],
    ['no RUN at all', 'FROM scratch\nCOPY x /x\n', false],
    ['--platform=$TARGETPLATFORM is the target', 'FROM --platform=$TARGETPLATFORM debian\nRUN true\n', true],
    ['a target RUN only in a stage the build does not use', 'FROM --platform=$BUILDPLATFORM golang AS b\nRUN go build\nFROM debian AS tools\nRUN apt-get update\nFROM scratch\nCOPY --from=b /x /x\n', false],
    ['a target RUN in a stage reached by COPY --from', 'FROM debian AS certs\nRUN update-ca-certificates\nFROM scratch\nCOPY --from=certs /etc/ssl /etc/ssl\n', true],
    ['a target RUN reached by COPY --from=<index>', 'FROM debian\nRUN true\nFROM scratch\nCOPY --from=0 /x /x\n', true],
    ['a target RUN reached by RUN --mount=from=', 'FROM debian AS data\nRUN true\nFROM --platform=$BUILDPLATFORM golang\nRUN --mount=type=bind,from=data,target=/d ls /d\n', true],
    ['a target RUN reached through a FROM alias', 'FROM debian AS base\nRUN true\nFROM base AS final\nCOPY x /x\n', true],
    // BuildKit builds a stage FROM an earlier stage for that stage's platform.
    ['a RUN in a stage FROM a $BUILDPLATFORM stage runs on the build platform', 'FROM --platform=$BUILDPLATFORM golang AS source\nCOPY . .\nFROM source AS build\nRUN go build\nFROM source AS build2\nRUN true\nFROM build2 AS build3\nRUN go build\nFROM scratch\nCOPY --from=build3 /x /x\n', false],
    ['a stage FROM a $BUILDPLATFORM stage with its own --platform', 'FROM --platform=$BUILDPLATFORM golang AS source\nFROM --platform=$TARGETPLATFORM source AS t\nRUN true\n', true]
  ])('%s -> %s', (_name, dockerfile, expected) => {
    expect(runsOnTarget(parseDockerfile(dockerfile))).toBe(expected)
  })

  test('the target decides which stages run', () => {
    const df = parseDockerfile('FROM --platform=$BUILDPLATFORM golang AS build\nRUN go build\nFROM debian AS debug\nRUN apt-get install -y gdb\nFROM scratch AS runtime\nCOPY --from=build /x /x\n')
    expect(runsOnTarget(df, 'runtime')).toBe(false)
    expect(runsOnTarget(df, 'debug')).toBe(true)
  })
})
