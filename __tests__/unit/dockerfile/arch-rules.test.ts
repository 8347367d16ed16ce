import { describe, expect, test } from 'vitest'
import { checkGoTargets, goAssignments, qemuGoNotices } from '../../../src/dockerfile/arch-rules.js'
import { parseDockerfile } from '../../../src/dockerfile/parse.js'
import { parsePlatforms } from '../../../src/build/platform.js'

const BOTH = parsePlatforms(['linux/amd64', 'linux/arm64'])
const AMD = parsePlatforms(['linux/amd64'])

test.each<[string, 'RUN' | 'ENV', string, Array<{ name: string; value: string }>]>([
  ['inline', 'RUN', 'CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -o /s .', [{ name: 'GOOS', value: 'linux' }, { name: 'GOARCH', value: 'amd64' }]],
  ['export', 'RUN', 'export GOARCH=arm64 && go build .', [{ name: 'GOARCH', value: 'arm64' }]],
  ['env', 'RUN', 'env GOARCH="amd64" go build .', [{ name: 'GOARCH', value: 'amd64' }]],
  ['continued line', 'RUN', 'CGO_ENABLED=0 \\\n  GOARCH=amd64 \\\n  go build .', [{ name: 'GOARCH', value: 'amd64' }]],
  ['$TARGETARCH', 'RUN', 'GOOS=$TARGETOS GOARCH=$TARGETARCH go build .', []],
  ['${TARGETARCH}', 'RUN', 'GOARCH=${TARGETARCH} go build .', []],
  ['a word that only ends in GOARCH', 'RUN', 'echo MYGOARCH=amd64', []],
  ['ENV key=value', 'ENV', 'GOOS=linux GOARCH=amd64', [{ name: 'GOOS', value: 'linux' }, { name: 'GOARCH', value: 'amd64' }]],
  ['ENV legacy form', 'ENV', 'GOARCH amd64', [{ name: 'GOARCH', value: 'amd64' }]]
])('goAssignments: %s', (_name, keyword, text, expected) => {
  expect(goAssignments(keyword, text)).toEqual(expected)
})

describe('checkGoTargets', () => {
  const df = (build: string, from = 'FROM golang:1.24 AS build') => parseDockerfile(`${from}\nARG TARGETOS TARGETARCH\nWORKDIR /src\n${build}\n\nFROM gcr.io/distroless/static-debian13:nonroot\nCOPY --from=build /s /s\nENTRYPOINT ["/s"]\n`)

  test('a hard-coded GOARCH in a target-platform stage: names the file, line, stage, platform and the fix', () => {
    const findings = checkGoTargets(df('RUN CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -o /s .'), '', BOTH, 'Dockerfile')
    expect(findings).toEqual([
      {
        rule: 'go-target',
        level: 'error',
        message: 'Dockerfile:4 (stage "build"): GOARCH=amd64 is hard-coded, but linux/arm64 is requested: its image would carry a binary built for amd64, which fails there with "exec format error". Write GOARCH=$TARGETARCH (with ARG TARGETARCH in the stage), so each platform builds its own.'
      }
    ])
  })

  test.each<[string, string, string, ReturnType<typeof parsePlatforms>, number]>([
    ['the same in a --platform=$BUILDPLATFORM stage: one binary for every platform', 'RUN GOARCH=amd64 go build -o /s .', 'FROM --platform=$BUILDPLATFORM golang:1.24 AS build', BOTH, 1],
    ['a literal matching the only platform requested', 'RUN GOARCH=amd64 go build -o /s .', 'FROM --platform=$BUILDPLATFORM golang:1.24 AS build', AMD, 0],
    ['$TARGETARCH', 'RUN GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /s .', 'FROM --platform=$BUILDPLATFORM golang:1.24 AS build', BOTH, 0],
    ['export form', 'RUN export GOARCH=arm64 && go build -o /s .', 'FROM golang:1.24 AS build', BOTH, 1],
    ['env form', 'RUN env GOARCH=amd64 go build -o /s .', 'FROM golang:1.24 AS build', BOTH, 1],
    ['ENV in the stage', 'ENV GOARCH=amd64\nRUN go build -o /s .', 'FROM golang:1.24 AS build', BOTH, 1],
    ['GOOS=windows', 'RUN GOOS=windows go build -o /s .', 'FROM golang:1.24 AS build', AMD, 1]
  ])('%s', (_name, build, from, platforms, count) => {
    expect(checkGoTargets(df(build, from), '', platforms, 'Dockerfile')).toHaveLength(count)
  })

  test('a stage the target does not use is not checked', () => {
    const parsed = parseDockerfile('FROM golang:1.24 AS tools\nRUN GOARCH=amd64 go build -o /t .\n\nFROM --platform=$BUILDPLATFORM golang:1.24 AS build\nARG TARGETARCH\nRUN GOARCH=$TARGETARCH go build -o /s .\n\nFROM gcr.io/distroless/static-debian13:nonroot AS runtime\nCOPY --from=build /s /s\n')
    expect(checkGoTargets(parsed, 'runtime', BOTH, 'Dockerfile')).toEqual([])
    expect(checkGoTargets(parsed, 'tools', BOTH, 'Dockerfile')).toHaveLength(1)
  })
})

describe('qemuGoNotices', () => {
  const kubebuilder = parseDockerfile('FROM golang:1.24 AS builder\nWORKDIR /workspace\nCOPY . .\nRUN CGO_ENABLED=0 go build -a -o manager cmd/main.go\n\nFROM gcr.io/distroless/static:nonroot\nCOPY --from=builder /workspace/manager .\nUSER 65532:65532\nENTRYPOINT ["/manager"]\n')
  const cross = parseDockerfile('FROM --platform=$BUILDPLATFORM golang:1.24 AS builder\nARG TARGETOS TARGETARCH\nRUN GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o manager .\n\nFROM gcr.io/distroless/static:nonroot\nCOPY --from=builder /manager /manager\n')

  test('the kubebuilder layout on amd64 for arm64: one notice with the stage, the line and the change', () => {
    const notices = qemuGoNotices(kubebuilder, '', BOTH, ['amd64'], 'Dockerfile')
    expect(notices).toHaveLength(1)
    expect(notices[0]?.level).toBe('notice')
    expect(notices[0]?.message).toBe(
      'Dockerfile:4 (stage "builder"): go runs on the target platform here, so for linux/arm64 the whole Go toolchain runs under QEMU (often several times slower). To cross-compile instead, change the stage to:\n  FROM --platform=$BUILDPLATFORM golang:1.24 AS builder\n  ARG TARGETOS TARGETARCH\nand build with GOOS=$TARGETOS GOARCH=$TARGETARCH (CGO_ENABLED=0). Keep QEMU only for cgo builds that need it.'
    )
  })

  test.each<[string, ReturnType<typeof parseDockerfile>, ReturnType<typeof parsePlatforms>, string[]]>([
    ['a cross-compiling stage', cross, BOTH, ['amd64']],
    ['only native platforms', kubebuilder, AMD, ['amd64', '386']]
  ])('no notice for %s', (_name, parsed, platforms, native) => {
    expect(qemuGoNotices(parsed, '', platforms, native, 'Dockerfile')).toEqual([])
  })
})
