import { describe, expect, test } from 'vitest'
import { parseDockerfile } from '../../../src/dockerfile/parse.js'
import type { BaseDigests } from '../../../src/bases/refresh-rules.js'
import { BASES, BASE_DIGEST, BASE_NAME, baseAnnotations, baseDigestsFor, decideRefresh, recordedBases, usedBases } from '../../../src/bases/refresh-rules.js'

const d = (c: string) => 'sha256:' + c.repeat(64)
const TEMPLATE = `ARG BUILDER_IMAGE=golang:1.27.2-trixie
ARG RUNTIME_IMAGE=gcr.io/distroless/static-debian13:nonroot
FROM --platform=$BUILDPLATFORM \${BUILDER_IMAGE} AS build
RUN go build -o /app .
FROM \${RUNTIME_IMAGE} AS runtime
COPY --from=build /app /app
`
const GO = 'golang:1.27.2-trixie'
const STATIC = 'gcr.io/distroless/static-debian13:nonroot'

describe('usedBases', () => {
  test('the builder on the build platform, the runtime base as the final one', () => {
    expect(usedBases(parseDockerfile(TEMPLATE), 'runtime')).toEqual([
      { ref: GO, onBuildPlatform: true, final: false },
      { ref: STATIC, onBuildPlatform: false, final: true }
    ])
  })

  test('the final base is followed through FROM <stage>', () => {
    const parsed = parseDockerfile(`FROM ${STATIC} AS base\nFROM base AS runtime\nCOPY a /a\n`)
    expect(usedBases(parsed, '')).toEqual([{ ref: STATIC, onBuildPlatform: false, final: true }])
  })

  test.each([
    ['FROM <index> names an earlier stage, not an image called "0"', `FROM ${GO}\nRUN go build\nFROM 0\nCOPY a /a\n`, [{ ref: GO, onBuildPlatform: false, final: true }]],
    ['scratch is no base', `FROM --platform=$BUILDPLATFORM ${GO} AS b\nRUN go build\nFROM scratch\nCOPY --from=b /a /a\n`, [{ ref: GO, onBuildPlatform: true, final: false }]],
    ['a FROM that depends on the platform cannot be resolved here, so it is left out', 'ARG TARGETARCH\nFROM example.com/base-${TARGETARCH}:1\nCOPY a /a\n', []],
    ['an image a stage copies from is recorded, at the target platform even in a $BUILDPLATFORM stage', `FROM --platform=$BUILDPLATFORM ${GO} AS b\nCOPY --from=example.com/tools:1 /t /t\nFROM ${STATIC}\nCOPY --from=b /a /a\n`, [{ ref: GO, onBuildPlatform: true, final: false }, { ref: 'example.com/tools:1', onBuildPlatform: false, final: false }, { ref: STATIC, onBuildPlatform: false, final: true }]],
    ['an image a RUN mounts is recorded', `FROM ${STATIC}\nRUN --mount=type=bind,from=example.com/tools:1,target=/t true\n`, [{ ref: STATIC, onBuildPlatform: false, final: true }, { ref: 'example.com/tools:1', onBuildPlatform: false, final: false }]]
  ])('%s', (_name, dockerfile, expected) => {
    expect(usedBases(parseDockerfile(dockerfile), '')).toEqual(expected)
  })
})

describe('baseDigestsFor: the digest each platform used', () => {
  const bases = usedBases(parseDockerfile(TEMPLATE), 'runtime')
  test.each<[string, Record<string, Record<string, string> | string>, BaseDigests]>([
    [
      'multi-platform bases: the builder as the build machine runs it, the runtime base per target',
      { [GO]: { 'linux/amd64': d('1'), 'linux/arm64': d('2') }, [STATIC]: { 'linux/amd64': d('3'), 'linux/arm64': d('4') } },
      { 'linux/amd64': { [GO]: d('1'), [STATIC]: d('3') }, 'linux/arm64': { [GO]: d('1'), [STATIC]: d('4') } }
    ],
    ['a single-platform base is its own digest everywhere', { [GO]: d('1'), [STATIC]: d('5') }, { 'linux/amd64': { [GO]: d('1'), [STATIC]: d('5') }, 'linux/arm64': { [GO]: d('1'), [STATIC]: d('5') } }]
  ])('%s', (_name, indexes, expected) => {
    expect(baseDigestsFor(bases, ['linux/amd64', 'linux/arm64'], 'linux/amd64', indexes)).toEqual(expected)
  })
})

test('baseAnnotations: the OCI base name and digest of the final base, and every base, per platform manifest', () => {
  const bases = usedBases(parseDockerfile(TEMPLATE), 'runtime')
  expect(baseAnnotations(bases, { 'linux/arm64': { [GO]: d('1'), [STATIC]: d('4') } })).toEqual([
    `manifest[linux/arm64]:${BASE_NAME}=${STATIC}`,
    `manifest[linux/arm64]:${BASE_DIGEST}=${d('4')}`,
    `manifest[linux/arm64]:${BASES}={"${GO}":"${d('1')}","${STATIC}":"${d('4')}"}`
  ])
})

describe('decideRefresh', () => {
  const now: BaseDigests = { 'linux/amd64': { [GO]: d('1'), [STATIC]: d('3') }, 'linux/arm64': { [GO]: d('1'), [STATIC]: d('4') } }
  test.each<[string, Record<string, Record<string, string> | undefined>, ReturnType<typeof decideRefresh>]>([
    ['all equal: nothing to build', { 'linux/amd64': { [GO]: d('1'), [STATIC]: d('3') }, 'linux/arm64': { [GO]: d('1'), [STATIC]: d('4') } }, { rebuild: false, compared: [GO, STATIC] }],
    [
      'the runtime base moved on arm64',
      { 'linux/amd64': { [GO]: d('1'), [STATIC]: d('3') }, 'linux/arm64': { [GO]: d('1'), [STATIC]: d('9') } },
      { rebuild: true, why: `${STATIC} changed`, changes: [{ ref: STATIC, platform: 'linux/arm64', from: d('9'), to: d('4') }] }
    ],
    ['nothing recorded (a first release, another tool)', { 'linux/amd64': undefined, 'linux/arm64': undefined }, { rebuild: true, why: 'the image at the release tag records no bases for linux/amd64 (a first release, or built by another tool)', changes: [] }],
    [
      'a base the image did not use before',
      { 'linux/amd64': { [STATIC]: d('3') }, 'linux/arm64': { [STATIC]: d('4') } },
      { rebuild: true, why: `${GO} changed`, changes: [{ ref: GO, platform: 'linux/amd64', from: undefined, to: d('1') }, { ref: GO, platform: 'linux/arm64', from: undefined, to: d('1') }] }
    ]
  ])('%s', (_name, recorded, decision) => {
    expect(decideRefresh(now, recorded)).toEqual(decision)
  })

  test('recordedBases reads the annotation back; anything else is nothing recorded', () => {
    expect(recordedBases({ [BASES]: `{"${GO}":"${d('1')}"}` })).toEqual({ [GO]: d('1') })
    expect(recordedBases({ [BASES]: 'not json' })).toBeUndefined()
    expect(recordedBases(undefined)).toBeUndefined()
  })
})
