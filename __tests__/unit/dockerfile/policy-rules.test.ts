import * as fs from 'node:fs'
import * as path from 'node:path'
import { describe, expect, test } from 'vitest'
import { parseDockerfile } from '../../../src/dockerfile/parse.js'
import { judge } from '../../../src/gates/pushed-image-rules.js'
import { checkDockerfile, runsAsRoot } from '../../../src/dockerfile/policy-rules.js'
import type { GateFinding } from '../../../src/gates/verdict.js'
import { runsOnTarget } from '../../../src/build/qemu.js'
import { actionRoot, templatePath } from '../../../src/dockerfile/templates.js'

const STATIC = 'gcr.io/distroless/static-debian13:nonroot@sha256:1c2c046bc09ed40fad370b599a0b1ae7987f55b01e247cf27a7c27cd97e5bbc7'
const opts = { target: '', allowRoot: false, allowedBases: [] as string[], dockerfileName: 'Dockerfile' }
const verdict = (dockerfile: string, over: Partial<typeof opts> = {}, buildArgs: Record<string, string> = {}): GateFinding[] =>
  checkDockerfile(parseDockerfile(dockerfile, buildArgs), { ...opts, ...over })
const errors = (f: GateFinding[]) => f.filter((x) => x.level === 'error').map((x) => x.message)

describe('the policy table', () => {
  test.each<[string, string, Partial<typeof opts>, Record<string, string>, RegExp[], RegExp[]]>([
    ['a good one', `FROM golang AS build\nRUN go build\nFROM ${STATIC} AS runtime\nCOPY --from=build /a /a\nENTRYPOINT ["/a"]\n`, {}, {}, [], []],
    [
      'a root final stage',
      `FROM ${STATIC} AS runtime\nCOPY a /a\nUSER root\nENTRYPOINT ["/a"]\n`,
      {},
      {},
      [/^Dockerfile:3 \(stage "runtime"\): the final stage runs as root \(USER root\)\. Use USER 65532:65532/],
      []
    ],
    ['USER 0:0 is root too', `FROM ${STATIC}\nUSER 0:0\nENTRYPOINT ["/a"]\n`, {}, {}, [/^Dockerfile:2 \(stage #0\): the final stage runs as root \(USER 0:0\)/], []],
    [
      'no USER on a root distroless base',
      `FROM gcr.io/distroless/static-debian13:latest AS runtime\nENTRYPOINT ["/a"]\n`,
      {},
      {},
      [/^Dockerfile:1 \(stage "runtime"\): the final stage runs as root: "gcr.io\/distroless\/static-debian13:latest" runs as root and no USER is set/],
      []
    ],
    ['allow-root accepts it', `FROM ${STATIC}\nUSER root\nENTRYPOINT ["/a"]\n`, { allowRoot: true }, {}, [], []],
    [
      'a shell-form entrypoint',
      `FROM ${STATIC} AS runtime\nENTRYPOINT /a --serve\n`,
      {},
      {},
      [/^Dockerfile:2 \(stage "runtime"\): ENTRYPOINT is in shell form, which needs a shell .*ENTRYPOINT \["\/app"\]/],
      []
    ],
    ['a shell-form CMD', `FROM ${STATIC}\nENTRYPOINT ["/a"]\nCMD --serve\n`, {}, {}, [/^Dockerfile:3 \(stage #0\): CMD is in shell form/], []],
    [
      'a non-distroless base',
      `FROM golang AS build\nFROM debian:trixie-slim AS runtime\nUSER 65532\nENTRYPOINT ["/a"]\n`,
      {},
      {},
      [/^Dockerfile:2 \(stage "runtime"\): the final image is built on "debian:trixie-slim", which is not distroless.*allowed-bases/],
      []
    ],
    // ADD of a remote source: refused unless pinned with --checksum; in a stage the target reads, not in an unused one.
    [
      'ADD of a URL without --checksum',
      `FROM golang AS build\nADD https://example.test/tool.tgz /tool.tgz\nFROM ${STATIC}\nCOPY --from=build /tool.tgz /t\nENTRYPOINT ["/a"]\n`,
      {},
      {},
      [/^Dockerfile:2 \(stage "build"\): ADD fetches https:\/\/example\.test\/tool\.tgz with nothing to check it against: pin it with --checksum/],
      []
    ],
    ['ADD of a URL with --checksum', `FROM ${STATIC}\nADD --checksum=sha256:${'a'.repeat(64)} https://example.test/t /t\nENTRYPOINT ["/a"]\n`, {}, {}, [], []],
    ['ADD of a Git repository (git@) without a checksum', `FROM ${STATIC}\nADD git@example.test:o/r.git /src\nENTRYPOINT ["/a"]\n`, {}, {}, [/^Dockerfile:2 \(stage #0\): ADD fetches git@example\.test:o\/r\.git/], []],
    ['ADD in JSON form, the second source remote', `FROM ${STATIC}\nADD ["a", "https://example.test/b", "/d/"]\nENTRYPOINT ["/a"]\n`, {}, {}, [/ADD fetches https:\/\/example\.test\/b /], []],
    ['ADD of a context file', `FROM ${STATIC}\nADD app.tar.gz /\nENTRYPOINT ["/a"]\n`, {}, {}, [], []],
    ['an unpinned ADD in a stage the target does not read', `FROM golang AS unused\nADD https://example.test/t /t\nFROM ${STATIC}\nENTRYPOINT ["/a"]\n`, {}, {}, [], []],
    ['a base listed in allowed-bases', `FROM registry.example/base/static:nonroot\nUSER 65532\nENTRYPOINT ["/a"]\n`, { allowedBases: ['registry.example/base/*'] }, {}, [], []],
    [
      'a debian12 base: a warning naming the debian13 replacement',
      `FROM gcr.io/distroless/static-debian12:nonroot\nENTRYPOINT ["/a"]\n`,
      {},
      {},
      [],
      [/Debian 12, past its end of life \(September 2026\): use gcr\.io\/distroless\/static-debian13:nonroot/]
    ],
    [
      'a FROM resolved through ARG (default)',
      `ARG RUNTIME_IMAGE=debian:trixie\nFROM \${RUNTIME_IMAGE} AS runtime\nUSER 65532\nENTRYPOINT ["/a"]\n`,
      {},
      {},
      [/"debian:trixie", which is not distroless/],
      []
    ],
    ['a FROM resolved through ARG (build-arg wins)', `ARG RUNTIME_IMAGE=debian:trixie\nFROM \${RUNTIME_IMAGE} AS runtime\nENTRYPOINT ["/a"]\n`, {}, { RUNTIME_IMAGE: STATIC }, [], []],
    [
      'a target in the middle of the file is the stage checked',
      `FROM ${STATIC} AS runtime\nENTRYPOINT ["/a"]\nFROM debian:trixie AS tools\nRUN apt-get update\n`,
      { target: 'runtime' },
      {},
      [],
      []
    ],
    [
      'without the target, the last stage is checked',
      `FROM ${STATIC} AS runtime\nENTRYPOINT ["/a"]\nFROM debian:trixie AS tools\nUSER 65532\n`,
      {},
      {},
      [/"debian:trixie", which is not distroless/],
      []
    ],
    [
      'stage aliases are followed to the base, USER inherited',
      `FROM ${STATIC} AS base\nUSER root\nFROM base AS runtime\nENTRYPOINT ["/a"]\n`,
      {},
      {},
      [/^Dockerfile:2 \(stage "base"\): the final stage runs as root \(USER root\)/],
      []
    ],
    [
      'FROM <index> is followed to that stage\'s base like an alias (not taken for an image called "0")',
      `FROM ${STATIC}\nUSER root\nFROM 0\nENTRYPOINT ["/a"]\n`,
      {},
      {},
      [/^Dockerfile:2 \(stage #0\): the final stage runs as root \(USER root\)/],
      []
    ]
  ])('%s', (_name, dockerfile, over, buildArgs, wantErrors, wantWarnings) => {
    const findings = verdict(dockerfile, over, buildArgs)
    const errs = errors(findings)
    expect(errs.length).toBe(wantErrors.length)
    wantErrors.forEach((re, i) => expect(errs[i]).toMatch(re))
    const warns = findings.filter((f) => f.level === 'warning').map((f) => f.message)
    expect(warns.length).toBe(wantWarnings.length)
    wantWarnings.forEach((re, i) => expect(warns[i]).toMatch(re))
  })

  test('a base by tag without a digest gets a notice', () => {
    const f = verdict(`FROM gcr.io/distroless/static-debian13:nonroot\nENTRYPOINT ["/a"]\n`)
    expect(f.map((x) => x.level)).toEqual(['notice'])
    expect(f[0]?.message).toMatch(/given by tag without a digest; pin it/)
  })
})

describe('the shipped templates', () => {
  test.each(['static', 'cc'] as const)('Dockerfile.%s passes the policy, has source/build/build-debug/debug/runtime stages and no # syntax line', (name) => {
    const text = fs.readFileSync(templatePath(name), 'utf8')
    expect(text).not.toMatch(/^#\s*syntax=/m)
    const parsed = parseDockerfile(text)
    expect(parsed.stages.map((s) => s.name)).toEqual(['source', 'build', 'build-debug', 'debug', 'runtime'])
    expect(Object.keys(parsed.globalArgs)).toEqual(['BUILDER_IMAGE', 'RUNTIME_IMAGE', 'DEBUG_IMAGE', 'GO_PACKAGE', 'GO_LDFLAGS', 'GO_TAGS', 'BINARY', 'VERSION', 'VERSION_VARIABLE'])
    for (const image of ['BUILDER_IMAGE', 'RUNTIME_IMAGE', 'DEBUG_IMAGE']) expect(parsed.globalArgs[image]).toMatch(/@sha256:[a-f0-9]{64}$/)
    expect(errors(checkDockerfile(parsed, { ...opts, dockerfileName: name }))).toEqual([])
    expect(errors(checkDockerfile(parsed, { ...opts, dockerfileName: name, target: 'debug' }))).toEqual([])
    // Every build stage runs on the build platform (the later ones inherit it from source).
    expect(parsed.stages.slice(0, 3).map((s) => s.platform)).toEqual(['$BUILDPLATFORM', '$BUILDPLATFORM', '$BUILDPLATFORM'])
    // The release strips; the debug variant does not.
    expect(text).toMatch(/FROM source AS build\n[^]*?ARG STRIP="-s -w"\n/)
    expect(text).toMatch(/FROM source AS build-debug\n[^]*?ARG STRIP=\n/)
    expect(text).toMatch(/FROM \$\{DEBUG_IMAGE\} AS debug\nCOPY --from=build-debug /)
  })

  test.each(['static', 'cc'] as const)('the %s template runs nothing on the target platform, release or debug: no QEMU', (name) => {
    const parsed = parseDockerfile(fs.readFileSync(templatePath(name), 'utf8'))
    expect(runsOnTarget(parsed)).toBe(false)
    expect(runsOnTarget(parsed, 'debug')).toBe(false)
  })

  test('templates are found beside the action, not in the workspace', () => {
    expect(templatePath('static')).toBe(path.join(actionRoot(), 'dockerfiles', 'Dockerfile.static'))
  })
})

test.each([
  ['', true],
  ['0', true],
  ['root', true],
  ['0:0', true],
  ['65532', false],
  ['65532:65532', false],
  ['nonroot', false]
])('runsAsRoot(%j) = %s', (user, root) => {
  expect(runsAsRoot(user)).toBe(root)
})

test('judge: a root platform and an oversized platform, named with their size', () => {
  const findings = judge(
    [
      { platform: 'linux/amd64', user: '65532:65532', size: 40_000_000 },
      { platform: 'linux/arm64', user: '', size: 61_234_567 }
    ],
    { allowRoot: false, maxSize: 50_000_000 }
  )
  expect(findings.map((f) => f.message)).toEqual([
    'linux/arm64: the pushed image runs as root (config User ""). Set USER 65532:65532 in the final stage, or `allow-root: true`.',
    'linux/arm64: the image is 61.2MB compressed (61234567 bytes), over max-image-size 50.0MB'
  ])
})
