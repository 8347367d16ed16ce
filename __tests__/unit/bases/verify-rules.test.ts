import { describe, expect, test } from 'vitest'
import type { Base, BaseCheck, BasePlan } from '../../../src/bases/verify-rules.js'
import { DISTROLESS_SIGNER, contextKey, pinnedContexts, planBases, targetBases, verifyBaseArgv, verifyBases } from '../../../src/bases/verify-rules.js'
import { parseDockerfile } from '../../../src/dockerfile/parse.js'
import type { BasesInputs } from '../../../src/inputs/bases.js'

const D = 'sha256:' + 'd'.repeat(64)
const E = 'sha256:' + 'e'.repeat(64)
const TEMPLATE = `ARG BUILDER_IMAGE=golang:1.27.2-trixie
ARG RUNTIME_IMAGE=gcr.io/distroless/static-debian13:nonroot
ARG DEBUG_IMAGE=gcr.io/distroless/static-debian13:debug-nonroot
FROM --platform=$BUILDPLATFORM \${BUILDER_IMAGE} AS build
RUN go build -o /app .
FROM \${DEBUG_IMAGE} AS debug
COPY --from=build /app /app
FROM \${RUNTIME_IMAGE} AS runtime
COPY --from=build /app /app
`

describe('contextKey: the name BuildKit looks a FROM up by among named contexts', () => {
  test.each([
    ['golang:1.27.2-trixie', 'golang:1.27.2-trixie'],
    ['docker.io/library/golang:1.27', 'golang:1.27'],
    ['docker.io/bitnami/kubectl:1.31', 'bitnami/kubectl:1.31'],
    ['gcr.io/distroless/static-debian13:nonroot', 'gcr.io/distroless/static-debian13:nonroot'],
    ['gcr.io/distroless/static-debian13', 'gcr.io/distroless/static-debian13'],
    ['gcr.io/distroless/static-debian13:latest', 'gcr.io/distroless/static-debian13'],
    ['registry.example:5443/e2e/static:nonroot', 'registry.example:5443/e2e/static:nonroot'],
    ['registry.example/library/thing:1', 'registry.example/library/thing:1']
  ])('%s -> %s', (ref, key) => {
    expect(contextKey(ref)).toBe(key)
  })
})

describe('targetBases', () => {
  test('the stages the target runs, with ARGs and build-args substituted; scratch and stage names left out', () => {
    const parsed = parseDockerfile(TEMPLATE, { RUNTIME_IMAGE: 'gcr.io/distroless/static-debian13:nonroot@' + D })
    expect(targetBases(parsed, 'runtime', [])).toEqual({
      bases: [
        { ref: 'golang:1.27.2-trixie', context: 'golang:1.27.2-trixie', stages: ['build'] },
        { ref: 'gcr.io/distroless/static-debian13:nonroot@' + D, context: 'gcr.io/distroless/static-debian13:nonroot@' + D, stages: ['runtime'] }
      ],
      unchecked: []
    })
    expect(targetBases(parseDockerfile('FROM scratch AS a\nFROM a AS b\nFROM b\n'), '', []).bases).toEqual([])
  })

  test.each<[string, Array<[string, string]>, Partial<Base> | undefined, string | undefined]>([
    ['a docker-image:// context replaces the base: its image is checked, under the user\'s name', [['golang:1.27.2-trixie', 'docker-image://mirror.example/golang:1.27.2-trixie']], { ref: 'mirror.example/golang:1.27.2-trixie', context: 'golang:1.27.2-trixie' }, undefined],
    ['a directory context replaces it: not a registry image, not checked', [['golang:1.27.2-trixie', '/ws/golang-rootfs']], undefined, 'golang:1.27.2-trixie']
  ])('%s', (_name, contexts, base, unchecked) => {
    const found = targetBases(parseDockerfile(TEMPLATE), 'runtime', contexts)
    if (base) expect(found.bases[0]).toMatchObject(base)
    if (unchecked) expect(found.unchecked.map((u) => u.ref)).toEqual([unchecked])
  })

  test('a base named through a platform ARG cannot be resolved before the build: said, not guessed', () => {
    const found = targetBases(parseDockerfile('FROM gcr.io/distroless/static-debian13:nonroot-${TARGETARCH}\n'), '', [])
    expect(found.unchecked).toEqual([{ ref: 'gcr.io/distroless/static-debian13:nonroot-${TARGETARCH}', why: 'stage #0 names its base through a variable that depends on the platform' }])
  })
})

describe('targetBases: every image a stage reads is a base (COPY --from, RUN --mount=from)', () => {
  const KUBECTL = 'registry.example/tools/kubectl:1.31'
  test.each<[string, string, Array<Pick<Base, 'ref' | 'context' | 'stages'>>, string[]]>([
    ['COPY --from=<image>', `FROM ${'gcr.io/distroless/static'}\nCOPY --from=${KUBECTL} /bin/kubectl /kubectl\n`, [{ ref: 'gcr.io/distroless/static', context: 'gcr.io/distroless/static', stages: ['#0'] }, { ref: KUBECTL, context: KUBECTL, stages: ['#0 (COPY --from, line 2)'] }], []],
    ['RUN --mount=from=<image>', `FROM scratch AS out\nRUN --mount=from=${KUBECTL},target=/k cp /k/bin/kubectl /kubectl\n`, [{ ref: KUBECTL, context: KUBECTL, stages: ['out (RUN --mount, line 2)'] }], []],
    ['RUN --mount=type=bind,from=<image>', `FROM scratch\nRUN --mount=type=bind,from=${KUBECTL},source=/bin,target=/k true\n`, [{ ref: KUBECTL, context: KUBECTL, stages: ['#0 (RUN --mount, line 2)'] }], []],
    ['RUN --mount=type=cache,from=<image>', `FROM scratch\nRUN --mount=type=cache,from=${KUBECTL},target=/c true\n`, [{ ref: KUBECTL, context: KUBECTL, stages: ['#0 (RUN --mount, line 2)'] }], []],
    ['docker.io images get the context name BuildKit looks them up by', 'FROM scratch\nCOPY --from=docker.io/library/busybox:1.37 /bin/busybox /busybox\n', [{ ref: 'docker.io/library/busybox:1.37', context: 'busybox:1.37', stages: ['#0 (COPY --from, line 2)'] }], []],
    ['an image both a FROM and a COPY --from: one base, both uses listed', `FROM ${KUBECTL} AS k\nFROM scratch\nCOPY --from=${KUBECTL} /x /x\nCOPY --from=k /y /y\n`, [{ ref: KUBECTL, context: KUBECTL, stages: ['#1 (COPY --from, line 3)', 'k'] }], []],
    ['a read through a variable cannot be named before the build: listed as unchecked', 'FROM scratch\nARG TOOLS\nCOPY --from=$TOOLS /x /x\n', [], ['$TOOLS']],
    ['a stage the target does not reach is not read', `FROM ${KUBECTL} AS unused\nFROM scratch AS other\nCOPY --from=${KUBECTL} /x /x\nFROM scratch\nCOPY a /a\n`, [], []]
  ])('%s', (_name, dockerfile, bases, unchecked) => {
    const found = targetBases(parseDockerfile(dockerfile), '', [])
    expect(found.bases.map(({ ref, context, stages }) => ({ ref, context, stages: [...stages].sort() }))).toEqual(bases.map((b) => ({ ...b, stages: [...b.stages].sort() })))
    expect(found.unchecked.map((u) => u.ref)).toEqual(unchecked)
  })

  test('a stage by name, by index, or named later in the file is no image, and its base is one (BuildKit finds every stage by name)', () => {
    const found = targetBases(parseDockerfile(`FROM scratch AS runtime\nCOPY --from=0 /x /x\nCOPY --from=Tools /y /y\nFROM ${KUBECTL} AS tools\nFROM scratch AS other\n`), 'runtime', [])
    expect(found).toEqual({ bases: [{ ref: KUBECTL, context: KUBECTL, stages: ['tools'] }], unchecked: [] })
  })

  test.each<[string, string, Record<string, string>, string]>([
    ['a # syntax= line', '# syntax=docker/dockerfile:1.12\nFROM scratch\n', {}, 'docker/dockerfile:1.12'],
    ['the BUILDKIT_SYNTAX build-arg, over the line', '# syntax=docker/dockerfile:1\nFROM scratch\n', { BUILDKIT_SYNTAX: 'example.com/frontend:1' }, 'example.com/frontend:1']
  ])('the frontend image runs in the build: listed as unchecked, so verify-bases: all refuses it (%s)', (_name, dockerfile, args, frontend) => {
    const found = targetBases(parseDockerfile(dockerfile, args), '', [])
    expect(found.unchecked).toEqual([{ ref: frontend, why: 'the Dockerfile frontend (# syntax= or BUILDKIT_SYNTAX): BuildKit runs it to read the Dockerfile, and the action neither verifies nor pins it' }])
    expect(() => planBases(found, { verifyBases: 'all', baseIdentities: [], baseKey: { kind: 'file', path: '/ws/base.pub' } })).toThrow(`these bases cannot be verified: ${frontend} (the Dockerfile frontend`)
  })

  test('a read replaced by a docker-image:// build context is checked at that image', () => {
    const found = targetBases(parseDockerfile('FROM scratch\nCOPY --from=tools:1 /x /x\n'), '', [['tools:1', 'docker-image://mirror.example/tools:1']])
    expect(found.bases).toEqual([{ ref: 'mirror.example/tools:1', context: 'tools:1', stages: ['#0 (COPY --from, line 2)'] }])
  })

  test('verify-bases: all refuses an image nobody covers that the build copies from, by name, before anything runs', () => {
    const found = targetBases(parseDockerfile(`FROM gcr.io/distroless/static-debian13:nonroot\nCOPY --from=${KUBECTL} /bin/kubectl /kubectl\n`), '', [])
    expect(() => planBases(found, { verifyBases: 'all', baseIdentities: [] })).toThrow(`Input \`verify-bases\`: is all, but these bases cannot be verified: ${KUBECTL} (not a distroless image, and no base-identities line matches it)`)
  })

  test('verify-bases: all refuses a read it cannot name', () => {
    const found = targetBases(parseDockerfile('FROM gcr.io/distroless/static-debian13:nonroot\nARG TOOLS\nCOPY --from=${TOOLS} /x /x\n'), '', [])
    expect(() => planBases(found, { verifyBases: 'all', baseIdentities: [] })).toThrow('${TOOLS} (stage #0 (COPY --from, line 3) names the image through a variable)')
  })
})

describe('planBases', () => {
  const found = targetBases(parseDockerfile(TEMPLATE), 'runtime', [])
  const o = (over: Partial<BasesInputs> = {}): BasesInputs => ({ verifyBases: 'distroless', baseIdentities: [], ...over })
  const checks = (p: BasePlan) => p.verify.map((b) => [b.ref, b.check])

  test.each<[string, BasesInputs, Array<[string, BaseCheck | undefined]>, string[]]>([
    ['distroless (default): the distroless base against Google\'s identity, the Go builder listed as not checked', o(), [['gcr.io/distroless/static-debian13:nonroot', { kind: 'keyless', identity: DISTROLESS_SIGNER.identity, issuer: DISTROLESS_SIGNER.issuer, publicSigstore: true }]], ['golang:1.27.2-trixie']],
    [
      'a base-identities line for the builder',
      o({ baseIdentities: [{ pattern: 'golang:*', identity: 'https://github.com/docker-library/x', issuer: 'https://token.actions.githubusercontent.com' }] }),
      [
        ['golang:1.27.2-trixie', { kind: 'keyless', identity: 'https://github.com/docker-library/x', issuer: 'https://token.actions.githubusercontent.com', publicSigstore: false }],
        ['gcr.io/distroless/static-debian13:nonroot', { kind: 'keyless', identity: DISTROLESS_SIGNER.identity, issuer: DISTROLESS_SIGNER.issuer, publicSigstore: true }]
      ],
      []
    ],
    [
      'all with base-key: everything no identity covers is checked against the key',
      o({ verifyBases: 'all', baseKey: { kind: 'file', path: '/ws/base.pub' } }),
      [
        ['golang:1.27.2-trixie', { kind: 'key' }],
        ['gcr.io/distroless/static-debian13:nonroot', { kind: 'keyless', identity: DISTROLESS_SIGNER.identity, issuer: DISTROLESS_SIGNER.issuer, publicSigstore: true }]
      ],
      []
    ],
    ['off', o({ verifyBases: 'off' }), [], []]
  ])('%s', (_name, inputs, expected, unchecked) => {
    const plan = planBases(found, inputs)
    expect(checks(plan)).toEqual(expected)
    expect(plan.unchecked.map((u) => u.ref)).toEqual(unchecked)
  })

  test('all without a rule for a base is refused before anything runs, naming it', () => {
    expect(() => planBases(found, o({ verifyBases: 'all' }))).toThrow(
      /^Input `verify-bases`: is all, but these bases cannot be verified: golang:1\.27\.2-trixie \(not a distroless image, and no base-identities line matches it\)\. Add a base-identities line or base-key/
    )
  })
})

describe('verifyBaseArgv: cosign verify by digest', () => {
  const ref = `gcr.io/distroless/static-debian13@${D}`
  test.each<[string, BaseCheck, Parameters<typeof verifyBaseArgv>[2], string[]]>([
    // distroless README: cosign verify $IMAGE_NAME --certificate-oidc-issuer https://accounts.google.com --certificate-identity keyless@distroless.iam.gserviceaccount.com
    [
      'distroless, keyless on the public Sigstore (a private trusted root is not used for it)',
      { kind: 'keyless', identity: 'keyless@distroless.iam.gserviceaccount.com', issuer: 'https://accounts.google.com', publicSigstore: true },
      { transparencyLog: true, trustedRoot: '/ws/trusted_root.json' },
      ['verify', '--certificate-identity', 'keyless@distroless.iam.gserviceaccount.com', '--certificate-oidc-issuer', 'https://accounts.google.com', '--output', 'json', ref]
    ],
    [
      'a base-identities publisher through the release\'s private instance (cosign 3 --trusted-root)',
      { kind: 'keyless', identity: 'https://github.com/o/bases/.github/workflows/release.yml@refs/heads/main', issuer: 'https://token.actions.githubusercontent.com', publicSigstore: false },
      { transparencyLog: true, trustedRoot: '/ws/trusted_root.json' },
      ['verify', '--certificate-identity', 'https://github.com/o/bases/.github/workflows/release.yml@refs/heads/main', '--certificate-oidc-issuer', 'https://token.actions.githubusercontent.com', '--trusted-root', '/ws/trusted_root.json', '--output', 'json', ref]
    ],
    // cosign docs: cosign verify --key cosign.pub IMAGE; without a log: --insecure-ignore-tlog=true
    ['base-key with the log', { kind: 'key' }, { transparencyLog: true, publicKey: '/w/base-key.pub' }, ['verify', '--key', '/w/base-key.pub', '--output', 'json', ref]],
    ['base-key, transparency-log: false', { kind: 'key' }, { transparencyLog: false, publicKey: '/w/base-key.pub' }, ['verify', '--key', '/w/base-key.pub', '--insecure-ignore-tlog=true', '--output', 'json', ref]]
  ])('%s', (_name, check, o, argv) => {
    expect(verifyBaseArgv(check, ref, o)).toEqual(argv)
  })

  test('never by tag', () => {
    expect(() => verifyBaseArgv({ kind: 'key' }, 'gcr.io/distroless/static-debian13:nonroot', { transparencyLog: true, publicKey: '/k' })).toThrow(/by digest/)
  })
})

describe('verifyBases and pinnedContexts', () => {
  const plan: BasePlan = {
    verify: [
      { ref: 'gcr.io/distroless/static-debian13:nonroot', context: 'gcr.io/distroless/static-debian13:nonroot', stages: ['runtime'], check: { kind: 'keyless', ...DISTROLESS_SIGNER, publicSigstore: true } },
      { ref: `golang:1.27.2-trixie@${E}`, context: `golang:1.27.2-trixie@${E}`, stages: ['build'], check: { kind: 'key' } }
    ],
    unchecked: []
  }

  test('each base resolved once (a pinned FROM is not resolved), verified by that digest, then pinned by context', async () => {
    const resolved: string[] = []
    const verified: string[] = []
    const list = await verifyBases(plan, {
      digest: (ref) => (resolved.push(ref), Promise.resolve(D)),
      cosign: (args) => (verified.push(args[args.length - 1] ?? ''), Promise.resolve()),
      options: { transparencyLog: false, publicKey: '/w/base-key.pub' }
    })
    expect(resolved).toEqual(['gcr.io/distroless/static-debian13:nonroot'])
    expect(verified.sort()).toEqual([`gcr.io/distroless/static-debian13@${D}`, `golang@${E}`])
    expect(pinnedContexts([['docs', '/ws/docs']], list)).toEqual([
      ['docs', '/ws/docs'],
      ['gcr.io/distroless/static-debian13:nonroot', `docker-image://gcr.io/distroless/static-debian13@${D}`]
    ])
  })

  test('a user context that was verified is pinned in place', () => {
    expect(pinnedContexts([['golang:1.27', 'docker-image://mirror.example/golang:1.27']], [{ ref: 'mirror.example/golang:1.27', digest: D, stages: ['build'], signer: 'k', context: 'golang:1.27' }])).toEqual([['golang:1.27', `docker-image://mirror.example/golang@${D}`]])
  })

  test('every failure is named with its digest and the signer expected, in one error', async () => {
    await expect(
      verifyBases(plan, { digest: () => Promise.resolve(D), cosign: () => Promise.reject(new Error('no matching signatures')), options: { transparencyLog: false, publicKey: '/k' } })
    ).rejects.toThrow(
      `Base image verification failed, so nothing was built or pushed:\n- base gcr.io/distroless/static-debian13:nonroot (stage runtime) resolved to ${D} and is not signed by keyless@distroless.iam.gserviceaccount.com (issuer https://accounts.google.com): no matching signatures\n- base golang:1.27.2-trixie@${E} (stage build) resolved to ${E} and is not signed by the key in base-key: no matching signatures`
    )
  })
})
