import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { beforeAll, describe, expect, test, vi } from 'vitest'
import type { GitHubContext } from '../../../src/lib/runner-env.js'
import { parseInputs } from '../../../src/inputs/index.js'
import { list } from '../../../src/inputs/values.js'
import { parse } from 'yaml'
import { loadDockerfile } from '../../../src/dockerfile/parse.js'
import { imageLabels } from '../../../src/build/labels.js'

vi.mock('@actions/core', () => ({ setSecret: vi.fn(), getInput: vi.fn() }))

let ws: string
const DOCKERFILE = 'ARG BASE=gcr.io/distroless/static-debian13:nonroot\nFROM --platform=$BUILDPLATFORM golang:1.24 AS build\nRUN go build\nFROM ${BASE} AS runtime\nCOPY --from=build /x /x\n'

beforeAll(() => {
  ws = fs.mkdtempSync(path.join(os.tmpdir(), 'inputs-'))
  fs.writeFileSync(path.join(ws, 'Dockerfile'), DOCKERFILE)
  fs.mkdirSync(path.join(ws, 'docker'))
  fs.writeFileSync(path.join(ws, 'docker', 'Dockerfile.operator'), 'FROM scratch AS op\n')
  for (const f of ['trusted_root.json', 'signing_config.json', 'signing_config_rekor_v2.json']) fs.copyFileSync(path.join(import.meta.dirname, '../../fixtures/sigstore', f), path.join(ws, f))
  fs.symlinkSync('/etc/hostname', path.join(ws, 'escape'))
  fs.symlinkSync('/etc', path.join(ws, 'escape-dir'))
  fs.writeFileSync(path.join(ws, 'cosign.key'), '-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nabc\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n')
  fs.writeFileSync(path.join(ws, '.trivyignore'), '# not reachable\nCVE-2099-0001\n')
  fs.writeFileSync(path.join(ws, 'vex.json'), JSON.stringify({ '@context': 'https://openvex.dev/ns/v0.2.0', statements: [] }))
  fs.writeFileSync(path.join(ws, 'other.json'), '{"hello": 1}')
  fs.writeFileSync(path.join(ws, 'buildkitd.toml'), 'debug = true\n')
  fs.writeFileSync(path.join(ws, 'broken.json'), '{"@context": ')
})

const ctx = (over: Partial<GitHubContext> = {}): GitHubContext => ({
  workspace: ws,
  repository: 'vmafx/vmafx',
  owner: 'VmafX',
  ref: 'refs/heads/main',
  sha: 'abcdef0123456789abcdef0123456789abcdef01',
  serverUrl: 'https://github.com',
  apiUrl: 'https://api.github.com',
  workflowRef: 'vmafx/vmafx/.github/workflows/release.yml@refs/heads/main',
  runId: '1',
  runAttempt: 1,
  idTokenAvailable: true,
  runnerTemp: os.tmpdir(),
  nodeArch: 'x64',
  noDefaultAttestations: false,
  sourceDate: '',
  ...over
})

const reader = (values: Record<string, string>) => (name: string) => values[name] ?? ''
const NOW = new Date('2026-11-23T00:00:00Z')

describe('parseInputs: good inputs', () => {
  test.each([
    ['', 'docker.io/moby/buildkit:v0.26.2@sha256:de10faf919fc71ba4eb1dd7bd6449566d012b0c9436b1c61bfee21d621b009aa'],
    ['mirror.example.com:5000/moby/buildkit:v0.25.2', 'mirror.example.com:5000/moby/buildkit:v0.25.2'],
    [`registry.bdi.test:5443/e2e/buildkit@sha256:${'a'.repeat(64)}`, `registry.bdi.test:5443/e2e/buildkit@sha256:${'a'.repeat(64)}`]
  ])('buildkit-image %j -> %s', (value, expected) => {
    expect(parseInputs(reader({ image: 'op', 'buildkit-image': value }), ctx()).buildkitImage).toBe(expected)
  })

  test('buildkitd-config: none, a file in the workspace, or inline', () => {
    const read = (values: Record<string, string>) => parseInputs(reader({ image: 'op', ...values }), ctx()).buildkitdConfig
    expect(read({})).toBeUndefined()
    expect(read({ 'buildkitd-config': 'buildkitd.toml' })).toEqual({ file: fs.realpathSync(path.join(ws, 'buildkitd.toml')) })
    const toml = '[registry."harbor.corp"]\n  ca = ["/etc/corp/ca.pem"]\n'
    expect(read({ 'buildkitd-config-inline': toml })).toEqual({ inline: toml })
  })

  test('the quick-start step', () => {
    const i = parseInputs(reader({ image: 'ghcr.io/vmafx/vmafx-operator', dockerfile: 'docker/Dockerfile.operator', platforms: 'linux/amd64,linux/arm64' }), ctx())
    expect(i.image.name).toBe('ghcr.io/vmafx/vmafx-operator')
    expect(i.dockerfile).toBe(fs.realpathSync(path.join(ws, 'docker/Dockerfile.operator')))
    expect(i.platforms.map((p) => p.id)).toEqual(['linux/amd64', 'linux/arm64'])
    expect(i.tags).toEqual(['main', 'sha-abcdef0'])
    expect(i.push).toBe(true)
    expect(i.sign).toBe(true)
    expect(i.cosignVersion).toBe('3.1.3')
    expect(i.syftVersion).toBe('1.52.0')
    expect(i.toolsUrl).toBe('https://github.com')
  })

  test('defaults: Dockerfile, ., and both platforms', () => {
    const i = parseInputs(reader({ image: 'op' }), ctx())
    expect(i.image.name).toBe('ghcr.io/vmafx/op')
    expect(i.context).toBe(fs.realpathSync(ws))
    expect(i.platforms.map((p) => p.id)).toEqual(['linux/amd64', 'linux/arm64'])
  })

  test('OCI labels from the context, overridden by labels; index annotations', () => {
    const i = parseInputs(reader({ image: 'op', version: 'v1.4.2', labels: 'org.opencontainers.image.title=The Operator\nextra=1' }), ctx())
    const l = imageLabels({ ...i, imagePath: i.image.path }, ctx(), NOW)
    expect(Object.fromEntries(l.labels)).toEqual({
      'org.opencontainers.image.title': 'The Operator',
      'org.opencontainers.image.created': '2026-11-23T00:00:00.000Z',
      'org.opencontainers.image.source': 'https://github.com/vmafx/vmafx',
      'org.opencontainers.image.revision': 'abcdef0123456789abcdef0123456789abcdef01',
      'org.opencontainers.image.version': '1.4.2',
      extra: '1'
    })
    expect(l.indexAnnotations).toEqual([
      ['org.opencontainers.image.description', 'op from vmafx/vmafx'],
      ['org.opencontainers.image.source', 'https://github.com/vmafx/vmafx']
    ])
  })

  test('a user description annotation replaces the default', () => {
    const i = parseInputs(reader({ image: 'op', annotations: 'index:org.opencontainers.image.description=Mine' }), ctx())
    expect(imageLabels({ ...i, imagePath: i.image.path }, ctx(), NOW).indexAnnotations.map(([k]) => k)).toEqual(['org.opencontainers.image.source'])
    expect(i.annotations).toEqual(['index:org.opencontainers.image.description=Mine'])
  })

  test('without a version, the first tag names the version label', () => {
    const i = parseInputs(reader({ image: 'op', tags: 'edge' }), ctx())
    expect(Object.fromEntries(imageLabels({ ...i, imagePath: i.image.path }, ctx(), NOW).labels)['org.opencontainers.image.version']).toBe('edge')
  })

  test.each([
    ['tags given replace derived ones', { tags: 'edge\nnightly' }, (i: ReturnType<typeof parseInputs>) => expect(i.tags).toEqual(['edge', 'nightly'])],
    ['target in the middle of the file', { target: 'build' }, (i: ReturnType<typeof parseInputs>) => expect(i.target).toBe('build')],
    ['build-args keep = in values', { 'build-args': 'A=1\nB=x=y\n# comment\n' }, (i: ReturnType<typeof parseInputs>) => expect(i.buildArgs).toEqual([['A', '1'], ['B', 'x=y']])],
    ['newline platforms', { platforms: 'linux/amd64\nlinux/arm/v7\n' }, (i: ReturnType<typeof parseInputs>) => expect(i.platforms.map((p) => p.id)).toEqual(['linux/amd64', 'linux/arm/v7'])],
    ['push: false (a pull request) keeps the smoke run and the vulnerability gate: they run on the local build', { push: 'false', 'smoke-args': '--version', 'vulnerability-gate': 'high' }, (i: ReturnType<typeof parseInputs>) => expect([i.push, i.smoke?.args, i.vulnerabilityGate]).toEqual([false, ['--version'], 'high'])],
    ['booleans in any case YAML accepts', { push: 'False', sbom: 'TRUE' }, (i: ReturnType<typeof parseInputs>) => expect([i.push, i.sbom]).toEqual([false, true])],
    ['cosign-key as a file', { 'cosign-key': 'cosign.key', 'transparency-log': 'false' }, (i: ReturnType<typeof parseInputs>) => expect(i.cosignKey).toEqual({ kind: 'file', path: path.join(ws, 'cosign.key') })],
    ['attestation-store off by default; on with its token (keyless, cosign 3)', { 'attestation-store-token': 'ghs_x' }, (i: ReturnType<typeof parseInputs>) => expect([i.attestationStore, parseInputs(reader({ image: 'op', 'attestation-store': 'true', 'attestation-store-token': 'ghs_x' }), ctx()).attestationStore]).toEqual([false, true])],
    ['cosign-key as a KMS reference', { 'cosign-key': 'awskms:///alias/release' }, (i: ReturnType<typeof parseInputs>) => expect(i.cosignKey).toEqual({ kind: 'ref', ref: 'awskms:///alias/release' })],
    ['tag-suffix on every derived tag, latest included', { version: 'v1.4.2', 'tag-suffix': '-debug' }, (i: ReturnType<typeof parseInputs>) => expect([i.tags, i.tagSuffix]).toEqual([['1.4.2-debug', '1.4-debug', '1-debug', 'latest-debug'], '-debug'])],
    ['tag-prefix on the version tags, not on latest', { version: 'v1.4.2', 'tag-prefix': 'v' }, (i: ReturnType<typeof parseInputs>) => expect([i.tags, i.tagsFromVersion, i.latest]).toEqual([['v1.4.2', 'v1.4', 'v1', 'latest'], true, 'auto'])],
    ['a tag ref is the release version (label and tags)', {}, (i: ReturnType<typeof parseInputs>) => expect([i.version?.text, i.tagsFromVersion]).toEqual([undefined, false])],
    ['explicit tags are not version tags', { version: 'v1.4.2', tags: 'stable', latest: 'false' }, (i: ReturnType<typeof parseInputs>) => expect([i.tags, i.tagsFromVersion, i.latest]).toEqual([['stable'], false, 'false'])],
    ['build-contexts: an image by name, a directory made absolute', { 'build-contexts': 'golang:1.24=docker-image://mirror.example/golang:1.24\ndocs=docker\nsrc=target:build' }, (i: ReturnType<typeof parseInputs>) => expect(i.buildContexts).toEqual([['golang:1.24', 'docker-image://mirror.example/golang:1.24'], ['docs', fs.realpathSync(path.join(ws, 'docker'))], ['src', 'target:build']])],
    ['the other build inputs', { 'no-cache': 'true', 'no-cache-filters': 'build', pull: 'true', network: 'none', 'shm-size': '128m', ulimit: 'nofile=1024:2048', 'add-hosts': 'registry.internal:10.0.0.5,gw=host-gateway', allow: 'security.insecure' }, (i: ReturnType<typeof parseInputs>) =>
      expect([i.noCache, i.noCacheFilters, i.pull, i.network, i.shmSize, i.ulimits, i.addHosts, i.allow]).toEqual([true, ['build'], true, 'none', '128m', ['nofile=1024:2048'], ['registry.internal=10.0.0.5', 'gw=host-gateway'], ['security.insecure']])],
    ['secrets, secret-files, secret-envs and github-token, one list by id', { secrets: 'NPM_TOKEN=npm_abc=def\n# a comment\n', 'secret-files': 'netrc=docker/Dockerfile.operator', 'secret-envs': 'aws=AWS_CREDS', 'github-token': 'ghs_tok', ssh: 'default' }, (i: ReturnType<typeof parseInputs>) =>
      expect([i.buildSecrets, i.ssh]).toEqual([[{ id: 'NPM_TOKEN', value: 'npm_abc=def' }, { id: 'netrc', file: path.join(ws, 'docker/Dockerfile.operator') }, { id: 'aws', env: 'AWS_CREDS' }, { id: 'GIT_AUTH_TOKEN', value: 'ghs_tok' }], ['default']])],
    ['tools-url trailing slash dropped', { 'tools-url': 'https://mirror.example/gh/' }, (i: ReturnType<typeof parseInputs>) => expect(i.toolsUrl).toBe('https://mirror.example/gh')],
    ['tools-checksums in the checksums-file format, comments and * kept out', { 'tools-checksums': `# built from source\n${'A'.repeat(64)}  cosign-linux-amd64\n\n${'b'.repeat(64)} *syft_1.52.0_linux_amd64.tar.gz\n` }, (i: ReturnType<typeof parseInputs>) =>
      expect(i.toolsChecksums).toEqual({ 'cosign-linux-amd64': 'a'.repeat(64), 'syft_1.52.0_linux_amd64.tar.gz': 'b'.repeat(64) })],
    ['no tools-checksums: no pins', {}, (i: ReturnType<typeof parseInputs>) => expect(i.toolsChecksums).toEqual({})],
    ['sbom-format defaults to cyclonedx', {}, (i: ReturnType<typeof parseInputs>) => expect(i.sbomFormat).toBe('cyclonedx')],
    ['vulnerability-sarif: a new file in a new directory of the workspace', { 'vulnerability-gate': 'high', 'vulnerability-sarif': 'reports/trivy.sarif' }, (i: ReturnType<typeof parseInputs>) => expect(i.vulnerabilitySarif).toBe(path.join(fs.realpathSync(ws), 'reports', 'trivy.sarif'))],
    ['no vulnerability-sarif: none written', { 'vulnerability-gate': 'high' }, (i: ReturnType<typeof parseInputs>) => expect(i.vulnerabilitySarif).toBeUndefined()],
    ['sbom-format spdx, in any case', { 'sbom-format': 'SPDX' }, (i: ReturnType<typeof parseInputs>) => expect(i.sbomFormat).toBe('spdx')]
  ])('%s', (_name, values, check) => {
    check(parseInputs(reader({ image: 'op', ...values }), ctx()))
  })
})

test('a release tag ref (release-please component/v) gives the version, its tags and its label', () => {
  const c = ctx({ ref: 'refs/tags/operator/v2.1.0' })
  const i = parseInputs(reader({ image: 'op' }), c)
  expect([i.version?.text, i.tagsFromVersion, i.tags]).toEqual(['2.1.0', true, ['2.1.0', '2.1', '2', 'latest']])
  expect(Object.fromEntries(imageLabels({ ...i, imagePath: i.image.path }, c, NOW).labels)['org.opencontainers.image.version']).toBe('2.1.0')
})

test('the commit time of the event stamps created and SOURCE_DATE_EPOCH, so re-runs match', () => {
  const c = ctx({ sourceDate: '2026-11-20T10:00:00.000Z' })
  const i = parseInputs(reader({ image: 'op' }), c)
  expect(Object.fromEntries(imageLabels({ ...i, imagePath: i.image.path }, c, NOW).labels)['org.opencontainers.image.created']).toBe('2026-11-20T10:00:00.000Z')
  expect(i.buildArgs).toEqual([['SOURCE_DATE_EPOCH', '1795168800']])
})

describe('parseInputs: bad inputs name the input and the fix', () => {
  test.each<[string, Record<string, string>, Partial<GitHubContext>, RegExp]>([
    ['image with a tag', { image: 'ghcr.io/o/a:1' }, {}, /^Input `image`: .*contains a tag/],
    ['dockerfile escaping the workspace', { image: 'op', dockerfile: '../../../../etc/hostname' }, {}, /^Input `dockerfile`: .*outside the workspace/],
    ['missing dockerfile', { image: 'op', dockerfile: 'Nope' }, {}, /^Input `dockerfile`: file "Nope" does not exist/],
    ['context that is a file', { image: 'op', context: 'Dockerfile' }, {}, /^Input `context`: "Dockerfile" is not a directory/],
    ['bad platform', { image: 'op', platforms: 'linux/x86' }, {}, /^Input `platforms`: .*unknown architecture "x86"/],
    ['bad boolean', { image: 'op', sign: 'on' }, {}, /^Input `sign`: "on" is not a boolean: use true, false or auto/],
    ['bad build-arg', { image: 'op', 'build-args': '1A=x' }, {}, /^Input `build-args`: "1A" is not a valid key/],
    ['duplicate build-arg', { image: 'op', 'build-args': 'A=1\nA=2' }, {}, /^Input `build-args`: "A" is given twice/],
    ['bad label', { image: 'op', labels: 'novalue' }, {}, /^Input `labels`: "novalue" is not KEY=VALUE/],
    ['bad annotation', { image: 'op', annotations: '=x' }, {}, /^Input `annotations`: "=x" is not KEY=VALUE/],
    ['bad tag', { image: 'op', tags: 'ok\nnot ok' }, {}, /^Input `tags`: "not ok" is not a valid tag/],
    ['smoke run in the merge job', { image: 'op', 'merge-digests': 'sha256:' + 'a'.repeat(64), 'smoke-args': '--version' }, {}, /^Input `smoke-args`: runs where the image is built: give it to the jobs that build each platform/],
    ['probe in the merge job', { image: 'op', 'merge-digests': 'sha256:' + 'a'.repeat(64), 'smoke-http-port': '8080' }, {}, /^Input `smoke-http-port`: runs where the image is built/],
    ['push: false in a merge job', { image: 'op', push: 'false', 'merge-digests': 'sha256:' + 'a'.repeat(64) }, {}, /^Input `merge-digests`: is given with `push: false`: a merge job only pushes/],
    ['push: false with push-by-digest', { image: 'op', push: 'false', 'push-by-digest': 'true', platforms: 'linux/amd64' }, {}, /^Input `push-by-digest`: needs `push: true`: push: false \(a pull-request run\) builds and checks every platform locally/],
    ['duplicate tag', { image: 'op', tags: 'a\na' }, {}, /^Input `tags`: lists a tag twice/],
    ['bad version', { image: 'op', version: 'v1.2' }, {}, /^Input `version`: "v1.2" is not a release version/],
    ['bad latest', { image: 'op', latest: 'yes' }, {}, /^Input `latest`: "yes" is not one of auto, true, false/],
    ['bad tag-prefix', { image: 'op', 'tag-prefix': '-v' }, {}, /^Input `tag-prefix`: "-v" cannot start a tag/],
    ['rebuild not a mode', { image: 'op', rebuild: 'weekly' }, {}, /^Input `rebuild`: "weekly" is not one of always, if-base-changed/],
    ['rebuild: if-base-changed without a push', { image: 'op', rebuild: 'if-base-changed', push: 'false' }, {}, /^Input `rebuild`: if-base-changed compares with the image at the release tag, so it needs push: true, tags, and no push-by-digest/],
    ['bad tag-suffix', { image: 'op', 'tag-suffix': '/debug' }, {}, /^Input `tag-suffix`: "\/debug" cannot end a tag/],
    ['tag-suffix with explicit tags', { image: 'op', tags: 'a', 'tag-suffix': '-debug' }, {}, /^Input `tag-suffix`: applies to the tags the action derives; with `tags` given, write the suffix into them/],
    ['a tag-prefix too long for the tags', { image: 'op', version: `1.2.3-${'a'.repeat(70)}`, 'tag-prefix': 'p'.repeat(60) }, {}, /^Input `tag-prefix`: "p{60}1\.2\.3-a{70}" is not a valid tag/],
    ['build-contexts without a value', { image: 'op', 'build-contexts': 'golang' }, {}, /^Input `build-contexts`: "golang" is not KEY=VALUE/],
    ['build-contexts with an unknown scheme', { image: 'op', 'build-contexts': 'x=ftp://host/x' }, {}, /^Input `build-contexts`: "x=ftp:\/\/host\/x": unknown scheme/],
    ['build-contexts outside the workspace', { image: 'op', 'build-contexts': 'x=../../..' }, {}, /^Input `build-contexts`: .*outside the workspace/],
    ['build-contexts naming a context twice', { image: 'op', 'build-contexts': 'x=docker-image://a\nx=docker-image://b' }, {}, /^Input `build-contexts`: "x" is given twice/],
    ['bad no-cache', { image: 'op', 'no-cache': 'yes' }, {}, /^Input `no-cache`: "yes" is not a boolean/],
    ['bad network', { image: 'op', network: 'bridge' }, {}, /^Input `network`: "bridge" is not one of default, none, host/],
    ['network host without the entitlement', { image: 'op', network: 'host' }, {}, /^Input `network`: host needs `allow: network.host`/],
    ['bad shm-size', { image: 'op', 'shm-size': 'lots' }, {}, /^Input `shm-size`: "lots" is not a size/],
    ['bad ulimit', { image: 'op', ulimit: 'files=10' }, {}, /^Input `ulimit`: "files=10" is not TYPE=SOFT\[:HARD\]/],
    ['bad add-hosts', { image: 'op', 'add-hosts': 'registry.internal' }, {}, /^Input `add-hosts`: "registry.internal" is not HOST:IP/],
    ['bad allow', { image: 'op', allow: 'root' }, {}, /^Input `allow`: "root" is not one of network.host, security.insecure, device/],
    ['a secret line without an id: the error never shows the line', { image: 'op', secrets: 'ok=1\nhunter2-no-id' }, {}, /^Input `secrets`: line 2 is not ID=VALUE/],
    ['the same secret id twice', { image: 'op', secrets: 'GIT_AUTH_TOKEN=a', 'github-token': 'b' }, {}, /^Input `github-token`: secret id "GIT_AUTH_TOKEN" is given twice/],
    ['a secret file outside the workspace and RUNNER_TEMP', { image: 'op', 'secret-files': 'k=/etc/shadow' }, {}, /^Input `secret-files`: line 1: \/etc\/shadow is not a file inside the workspace or RUNNER_TEMP/],
    ['a secret file that is a symlink out of the workspace', { image: 'op', 'secret-files': 'k=escape' }, {}, /^Input `secret-files`: line 1: .*escape is not a file inside the workspace or RUNNER_TEMP \(symlinks followed\)/],
    ['a secret file that does not exist', { image: 'op', 'secret-files': 'k=nope.txt' }, {}, /^Input `secret-files`: line 1: .*nope\.txt is not a file inside the workspace or RUNNER_TEMP/],
    ['a secret env that is not a name', { image: 'op', 'secret-envs': 'k=$TOKEN' }, {}, /^Input `secret-envs`: line 1: "\$TOKEN" is not an environment variable name/],
    ['a bad ssh spec', { image: 'op', ssh: 'default=a=b' }, {}, /^Input `ssh`: "default=a=b" is not a buildx --ssh spec/],
    ['bad provenance', { image: 'op', provenance: 'maybe' }, {}, /^Input `provenance`: "maybe" is not a buildx --provenance value/],
    ['provenance: false while provenance-attestation is true (the default)', { image: 'op', provenance: 'false' }, {}, /^Input `provenance`: is false, so buildx records no SLSA provenance, but provenance-attestation is true \(the default\).*drop provenance: false, or set provenance-attestation: false/],
    ['provenance: mode=false while provenance-attestation is true', { image: 'op', provenance: 'mode=false', 'provenance-attestation': 'true' }, {}, /^Input `provenance`: is mode=false/],
    ['bad cosign-version', { image: 'op', 'cosign-version': 'latest' }, {}, /^Input `cosign-version`: "latest" is not a release version/],
    ['sbom-format not one the action makes', { image: 'op', 'sbom-format': 'spdx-tag-value' }, {}, /^Input `sbom-format`: "spdx-tag-value" is not an SBOM format the action makes: give cyclonedx \(the default\) or spdx/],
    ['provenance mode=max with a secret value in a build-arg: named by arg and id, never by value', { image: 'op', provenance: 'mode=max', secrets: 'NPM_TOKEN=tok-9f8e7d', 'build-args': 'TOKEN=tok-9f8e7d' }, {}, /^Input `provenance`: mode=max records every build-arg value .* build-arg TOKEN carries the value of secret NPM_TOKEN\. Pass it only through secrets/],
    ['provenance mode=max with the github-token in a build-arg', { image: 'op', provenance: 'mode=max,version=v1', 'github-token': 'ghs_abcdef123456', 'build-args': 'URL=https://x:ghs_abcdef123456@github.com' }, {}, /^Input `provenance`: .* build-arg URL carries the value of secret GIT_AUTH_TOKEN/],
    ['cosign-version older than the lines the action drives', { image: 'op', 'cosign-version': 'v0.1.0' }, {}, /^Input `cosign-version`: v0\.1\.0 is not a cosign the action can drive: give a 2\.x or 3\.x release/],
    ['cosign-version from a line not known yet', { image: 'op', 'cosign-version': 'v4.0.0' }, {}, /^Input `cosign-version`: v4\.0\.0 is not a cosign the action can drive: give a 2\.x or 3\.x release/],
    ['cosign 1.x', { image: 'op', 'cosign-version': '1.13.6' }, {}, /^Input `cosign-version`: v1\.13\.6 is not a cosign the action can drive/],
    ['verify-bases not a mode', { image: 'op', 'verify-bases': 'yes' }, {}, /^Input `verify-bases`: "yes" is not one of distroless, all, off/],
    ['base-key that is a private key', { image: 'op', 'verify-bases': 'all', 'base-key': '-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nx\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----' }, {}, /^Input `base-key`: is not a public key: give the publisher's cosign\.pub/],
    ['base-key that is no file', { image: 'op', 'verify-bases': 'all', 'base-key': 'keys/base.pub' }, {}, /^Input `base-key`: is neither a PEM public key nor an existing file/],
    ['base-key without verify-bases: all', { image: 'op', 'base-key': '-----BEGIN PUBLIC KEY-----\nx\n-----END PUBLIC KEY-----' }, {}, /^Input `base-key`: is used with verify-bases: all .* but verify-bases is distroless/],
    ['base-identities with two fields', { image: 'op', 'base-identities': 'cgr.dev/chainguard/* https://github.com/chainguard-images/images/.github/workflows/release.yaml@refs/heads/main' }, {}, /^Input `base-identities`: line 1 is not "IMAGE_GLOB IDENTITY ISSUER"/],
    ['base-identities with an issuer that is no URL', { image: 'op', 'base-identities': 'cgr.dev/* someone github' }, {}, /^Input `base-identities`: line 1: the issuer "github" is not an https URL/],
    ['verify-bases: off with a base-key', { image: 'op', 'verify-bases': 'off', 'base-identities': 'x/* a https://i' }, {}, /^Input `verify-bases`: is off, but base-key or base-identities is given/],
    ['base-identities through a private instance with cosign 2', { image: 'op', 'cosign-version': 'v2.5.0', 'sigstore-trusted-root': 'trusted_root.json', 'sigstore-signing-config': 'signing_config.json', 'base-identities': 'x/* a https://i' }, {}, /^Input `base-identities`: are checked against sigstore-trusted-root, which the action hands to cosign 3 only/],
    ['syft-version older than the CLI the action drives', { image: 'op', 'syft-version': 'v0.98.0' }, {}, /^Input `syft-version`: v0\.98\.0 is older than 1\.0\.0/],
    ['bad tools-url', { image: 'op', 'tools-url': 'ftp://x' }, {}, /^Input `tools-url`: "ftp:\/\/x" must be an http\(s\) URL/],
    ['tools-checksums line without a sha256', { image: 'op', 'tools-checksums': 'cosign-linux-amd64' }, {}, /^Input `tools-checksums`: line 1 \("cosign-linux-amd64"\) is not "<sha256> {2}<asset>"/],
    ['tools-checksums with a short hash', { image: 'op', 'tools-checksums': `${'a'.repeat(63)}  cosign-linux-amd64` }, {}, /^Input `tools-checksums`: line 1 .* is not "<sha256> {2}<asset>"/],
    ['tools-checksums pinning one asset twice', { image: 'op', 'tools-checksums': `${'a'.repeat(64)}  cosign-linux-amd64\n${'b'.repeat(64)}  cosign-linux-amd64` }, {}, /^Input `tools-checksums`: cosign-linux-amd64 is pinned twice, to different sha256s/],
    ['transparency-log false without a key', { image: 'op', 'transparency-log': 'false' }, {}, /^Input `transparency-log`: false is only allowed with `cosign-key`/],
    ['keyless without id-token', { image: 'op' }, { idTokenAvailable: false }, /^Input `sign`: keyless signing needs an OIDC token.*id-token: write/],
    ['attestation-store with a key', { image: 'op', 'attestation-store': 'true', 'attestation-store-token': 't', 'cosign-key': 'cosign.key' }, {}, /^Input `attestation-store`: true needs keyless signing: GitHub's attestation store and `gh attestation verify` judge Fulcio certificates/],
    ['attestation-store with cosign 2', { image: 'op', 'attestation-store': 'true', 'attestation-store-token': 't', 'cosign-version': 'v2.5.0' }, {}, /^Input `attestation-store`: true needs cosign 3: .*cosign 2 writes none/],
    ['attestation-store without a token', { image: 'op', 'attestation-store': 'true' }, {}, /^Input `attestation-store-token`: is empty, and attestation-store: true writes to GitHub's API with it: .*attestations: write/],
    ['attestation-store without a repository', { image: 'op', 'attestation-store': 'true', 'attestation-store-token': 't' }, { repository: '' }, /^Input `attestation-store`: true stores the attestations in the job's repository, and GITHUB_REPOSITORY \(""\) names none/],
    ['attestation-store that is not a boolean', { image: 'op', 'attestation-store': 'yes please' }, {}, /^Input `attestation-store`: "yes please" is not a boolean/],
    ['public key given as cosign-key', { image: 'op', 'cosign-key': '-----BEGIN PUBLIC KEY-----\nx\n-----END PUBLIC KEY-----' }, {}, /^Input `cosign-key`: is a public key/],
    ['a trusted root without its signing config', { image: 'op', 'sigstore-trusted-root': 'trusted_root.json' }, {}, /^Input `sigstore-signing-config`: is empty, but sigstore-trusted-root is given/],
    [
      'a private instance with transparency-log: false',
      { image: 'op', 'cosign-key': 'cosign.key', 'transparency-log': 'false', 'sigstore-trusted-root': 'trusted_root.json', 'sigstore-signing-config': 'signing_config.json' },
      {},
      /^Input `sigstore-trusted-root`: and sigstore-signing-config name a Sigstore instance, but transparency-log: false/
    ],
    ['cosign 2 and a Rekor v2-only instance', { image: 'op', 'cosign-version': 'v2.5.0', 'sigstore-trusted-root': 'trusted_root.json', 'sigstore-signing-config': 'signing_config_rekor_v2.json' }, {}, /^Input `sigstore-signing-config`: lists no Rekor v1 log/],
    ['unknown key scheme', { image: 'op', 'cosign-key': 'vault://x' }, {}, /^Input `cosign-key`: unknown key reference scheme/],
    ['missing key file', { image: 'op', 'cosign-key': 'nope.key' }, {}, /^Input `cosign-key`: is neither PEM content/],
    ['buildkit-image smuggling a driver-opt', { image: 'op', 'buildkit-image': 'moby/buildkit:v0.25,network=none' }, {}, /^Input `buildkit-image`: .* is not an image reference/],
    ['buildkitd-config and its inline form', { image: 'op', 'buildkitd-config': 'buildkitd.toml', 'buildkitd-config-inline': 'debug = true' }, {}, /^Input `buildkitd-config`: and buildkitd-config-inline are both set/],
    ['buildkitd-config that is missing', { image: 'op', 'buildkitd-config': 'nope.toml' }, {}, /^Input `buildkitd-config`: file "nope\.toml" does not exist/],
    ['buildkitd-config outside the workspace', { image: 'op', 'buildkitd-config': 'escape' }, {}, /^Input `buildkitd-config`: .*outside the workspace/],
    ['buildkitd-config-inline with a remote BuildKit', { image: 'op', 'builder-endpoint': 'tcp://10.0.0.5:1234', 'buildkitd-config-inline': 'debug = true' }, {}, /^Input `buildkitd-config-inline`: configures a builder the action creates, but builder-endpoint names a remote BuildKit/],
    ['buildkit-image with spaces', { image: 'op', 'buildkit-image': 'moby/buildkit latest' }, {}, /^Input `buildkit-image`: .* is not an image reference/],
    ['an unknown gate', { image: 'op', 'vulnerability-gate': 'severe' }, {}, /^Input `vulnerability-gate`: "severe" is not one of off, warn, critical, high, medium, low/],
    ['a DB repository with a scheme', { image: 'op', 'vulnerability-gate': 'high', 'trivy-db-repositories': 'https://ghcr.io/aquasecurity/trivy-db' }, {}, /^Input `trivy-db-repositories`: "https:\/\/ghcr\.io\/aquasecurity\/trivy-db" has a scheme/],
    ['a DB repository that is not one', { image: 'op', 'vulnerability-gate': 'high', 'trivy-db-repositories': 'trivy db' }, {}, /^Input `trivy-db-repositories`: "trivy db" is not an OCI repository/],
    ['an ignore file that is missing', { image: 'op', 'vulnerability-gate': 'high', 'vulnerability-ignore': 'nope' }, {}, /^Input `vulnerability-ignore`: file "nope" does not exist/],
    ['an ignore file outside the workspace', { image: 'op', 'vulnerability-gate': 'high', 'vulnerability-ignore': 'escape' }, {}, /^Input `vulnerability-ignore`: .*outside the workspace/],
    ['JSON that is not OpenVEX', { image: 'op', 'vulnerability-gate': 'high', 'vulnerability-ignore': 'other.json' }, {}, /^Input `vulnerability-ignore`: "other\.json" is JSON but not an OpenVEX document/],
    ['broken JSON', { image: 'op', 'vulnerability-gate': 'high', 'vulnerability-ignore': 'broken.json' }, {}, /^Input `vulnerability-ignore`: "broken\.json" starts like JSON but does not parse/],
    ['vulnerability-sarif with the gate off', { image: 'op', 'vulnerability-sarif': 'trivy.sarif' }, {}, /^Input `vulnerability-sarif`: names a SARIF file, but vulnerability-gate is off/],
    ['vulnerability-sarif outside the workspace and RUNNER_TEMP', { image: 'op', 'vulnerability-gate': 'high', 'vulnerability-sarif': '/etc/trivy.sarif' }, {}, /^Input `vulnerability-sarif`: "\/etc\/trivy\.sarif" resolves to \/etc\/trivy\.sarif, outside the workspace and RUNNER_TEMP/],
    ['vulnerability-sarif through a symlinked directory out of the workspace', { image: 'op', 'vulnerability-gate': 'high', 'vulnerability-sarif': 'escape-dir/trivy.sarif' }, {}, /^Input `vulnerability-sarif`: "escape-dir\/trivy\.sarif" resolves to \/etc\/trivy\.sarif, outside/],
    ['vulnerability-sarif naming a directory', { image: 'op', 'vulnerability-gate': 'high', 'vulnerability-sarif': 'docker' }, {}, /^Input `vulnerability-sarif`: "docker" is a directory/],
    ['a bad trivy-version', { image: 'op', 'vulnerability-gate': 'high', 'trivy-version': 'latest' }, {}, /^Input `trivy-version`: "latest" is not a release version/],
    ['the gate on a push-by-digest leg', { image: 'op', 'vulnerability-gate': 'high', 'push-by-digest': 'true', platforms: 'linux/arm64' }, {}, /^Input `vulnerability-gate`: runs where the release is signed: give it to the merge job/],
    ['a vuln attestation without signing', { image: 'op', 'vulnerability-gate': 'high', sign: 'false', 'vulnerability-attestation': 'true' }, {}, /^Input `vulnerability-attestation`: is true, but sign is false/],
    ['a vuln attestation without the gate', { image: 'op', 'vulnerability-attestation': 'true' }, {}, /^Input `vulnerability-attestation`: is true, but vulnerability-gate is off/]
  ])('%s', (_name, values, over, message) => {
    expect(() => parseInputs(reader(values), ctx(over))).toThrow(message)
  })

  test.each<[string, Record<string, string>]>([
    ['mode=max without secrets', { provenance: 'mode=max', 'build-args': 'A=1' }],
    ['provenance: false with provenance-attestation: false', { provenance: 'false', 'provenance-attestation': 'false' }],
    ['provenance: false with sign: false', { provenance: 'false', sign: 'false' }],
    ['provenance: false with push: false', { provenance: 'false', push: 'false' }],
    ['mode=max with a secret not in any build-arg', { provenance: 'mode=max', secrets: 'NPM_TOKEN=tok-9f8e7d', 'build-args': 'A=1' }],
    ['mode=min with a secret in a build-arg (min records no build-arg values)', { provenance: 'mode=min', secrets: 'NPM_TOKEN=tok-9f8e7d', 'build-args': 'TOKEN=tok-9f8e7d' }],
    ['cosign 2.x', { 'cosign-version': 'v2.5.0' }],
    ['cosign 3.x', { 'cosign-version': '3.1.3' }],
    ['syft 1.0.0', { 'syft-version': 'v1.0.0' }],
    ['verify-bases: all with a public key as PEM', { 'verify-bases': 'all', 'base-key': '-----BEGIN PUBLIC KEY-----\nx\n-----END PUBLIC KEY-----' }],
    ['base-identities with a comment and blank lines', { 'base-identities': '# chainguard\ncgr.dev/chainguard/* https://github.com/chainguard-images/images/.github/workflows/release.yaml@refs/heads/main https://token.actions.githubusercontent.com\n\n' }]
  ])('accepted: %s', (_name, values) => {
    expect(() => parseInputs(reader({ image: 'op', ...values }), ctx())).not.toThrow()
  })

  test.each<[string, Record<string, string>, object]>([
    ['off by default, nothing to attest', {}, { vulnerabilityGate: 'off', onlyFixed: false, vulnerabilityAttestation: false, trivyVersion: '0.74.0', trivyDbRepositories: ['mirror.gcr.io/aquasec/trivy-db', 'ghcr.io/aquasecurity/trivy-db'] }],
    ['high: attested by default (signing is on)', { 'vulnerability-gate': 'HIGH' }, { vulnerabilityGate: 'high', vulnerabilityAttestation: true }],
    ['high without signing: not attested', { 'vulnerability-gate': 'high', sign: 'false' }, { vulnerabilityAttestation: false }],
    ['a .trivyignore', { 'vulnerability-gate': 'high', 'vulnerability-ignore': '.trivyignore' }, { vulnerabilityIgnore: { file: expect.stringMatching(/\/\.trivyignore$/) as unknown as string, kind: 'trivyignore' } }],
    ['an OpenVEX document', { 'vulnerability-gate': 'warn', 'vulnerability-ignore': 'vex.json' }, { vulnerabilityIgnore: { file: expect.stringMatching(/\/vex\.json$/) as unknown as string, kind: 'openvex' } }],
    ['own DB repositories, in order, with a port, comments skipped', { 'vulnerability-gate': 'critical', 'trivy-db-repositories': '# ours first\nregistry.corp:5000/mirror/trivy-db\nghcr.io/aquasecurity/trivy-db:2\n', 'trivy-version': 'v0.44.1' }, { trivyDbRepositories: ['registry.corp:5000/mirror/trivy-db', 'ghcr.io/aquasecurity/trivy-db:2'], trivyVersion: '0.44.1' }]
  ])('vulnerability inputs: %s', (_name, values, expected) => {
    expect(parseInputs(reader({ image: 'op', ...values }), ctx())).toMatchObject(expected)
  })

  test('keyless without id-token is fine when nothing is pushed or signed', () => {
    expect(() => parseInputs(reader({ image: 'op', push: 'false' }), ctx({ idTokenAvailable: false }))).not.toThrow()
    expect(() => parseInputs(reader({ image: 'op', sign: 'false' }), ctx({ idTokenAvailable: false }))).not.toThrow()
  })
})

test.each([
  ['a,b', ['a', 'b']],
  ['a\nb\n', ['a', 'b']],
  [' a , \n# note\n b ', ['a', 'b']],
  ['', []]
])('list(%j)', (value, items) => {
  expect(list(value)).toEqual(items)
})

describe('loadDockerfile: read once, before anything reaches the registry', () => {
  test('a target in the middle of the file, build-args applied to FROM', () => {
    const i = parseInputs(reader({ image: 'op', target: 'build', 'build-args': 'BASE=gcr.io/distroless/base-debian13:nonroot' }), ctx())
    const { parsed, label } = loadDockerfile(i)
    expect(label).toBe('Dockerfile')
    expect(parsed.stages.map((s) => [s.name, s.image])).toEqual([['build', 'golang:1.24'], ['runtime', 'gcr.io/distroless/base-debian13:nonroot']])
  })

  test.each([
    ['unknown target', { image: 'op', target: 'debug' }, /^Input `target`: "debug" is not a stage of Dockerfile; its stages are: build, runtime/],
    ['a file without FROM', { image: 'op', dockerfile: 'docker/Empty' }, /^Input `dockerfile`: docker\/Empty has no FROM instruction/],
    ['no-cache-filters naming no stage', { image: 'op', 'no-cache-filters': 'build,tests' }, /^Input `no-cache-filters`: "tests" is not a stage of Dockerfile; its stages are: build, runtime/]
  ])('%s', (_name, values, message) => {
    fs.writeFileSync(path.join(ws, 'docker', 'Empty'), '# nothing to build\n')
    expect(() => loadDockerfile(parseInputs(reader(values), ctx()))).toThrow(message)
  })

  test('a template is named as such', () => {
    expect(loadDockerfile(parseInputs(reader({ image: 'op', dockerfile: 'static' }), ctx())).label).toBe('template static (dockerfiles/Dockerfile.static)')
  })
})

test('no input error ever carries a secret value', () => {
  for (const values of [{ secrets: 'hunter2secret' }, { secrets: 'a=b\n=hunter2secret' }, { secrets: 'x y=hunter2secret' }]) {
    expect(() => parseInputs(reader({ image: 'op', ...values }), ctx())).toThrow(/^Input `secrets`: line \d is not ID=VALUE/)
    try {
      parseInputs(reader({ image: 'op', ...values }), ctx())
    } catch (err) {
      expect(String(err)).not.toContain('hunter2')
    }
  }
})

test('secret-files: a file under RUNNER_TEMP (written by an earlier step) is accepted, resolved', () => {
  const runnerTemp = fs.mkdtempSync(path.join(os.tmpdir(), 'runner-temp-'))
  fs.writeFileSync(path.join(runnerTemp, 'netrc'), 'machine example.com\n')
  const i = parseInputs(reader({ image: 'op', 'secret-files': `netrc=${path.join(runnerTemp, 'netrc')}` }), ctx({ runnerTemp }))
  expect(i.buildSecrets).toEqual([{ id: 'netrc', file: fs.realpathSync(path.join(runnerTemp, 'netrc')) }])
})

test.each([
  ['nothing given: SLSA v1 with the full build record', {}, {}, 'mode=max,version=v1'],
  ['the job set BUILDX_NO_DEFAULT_ATTESTATIONS: nothing asked of buildx, as before', {}, { noDefaultAttestations: true }, ''],
  ['given: passed as it is', { provenance: 'mode=min' }, {}, 'mode=min']
])('provenance default: %s', (_name, values: Record<string, string>, c: Partial<GitHubContext>, expected) => {
  expect(parseInputs(reader({ image: 'op', ...values }), ctx(c)).provenance).toBe(expected)
})

describe("action.yml's declared defaults (issue 34): the runner passes them when an input is left out, and they mean what leaving it out means", () => {
  const action = parse(fs.readFileSync(path.join(import.meta.dirname, '../../../action.yml'), 'utf8')) as { inputs: Record<string, { default?: string }> }
  // `${{ github.* }}` defaults are evaluated by the runner; the harness's e2e runs cover those.
  const declared = Object.fromEntries(Object.entries(action.inputs).flatMap(([name, spec]) => (spec.default !== undefined && !String(spec.default).includes('${{') ? [[name, String(spec.default)]] : [])))

  test('the defaults the README states are declared', () => {
    expect(declared).toMatchObject({ 'smoke-http-path': '/', 'smoke-timeout': '30s', 'vulnerability-attestation': 'auto', sbom: 'auto', sign: 'auto' })
  })

  test.each<[string, Record<string, string>]>([
    ['a release', { image: 'op' }],
    ['a push-by-digest leg (sign and sbom auto: off)', { image: 'op', 'push-by-digest': 'true', platforms: 'linux/arm64' }],
    ['a merge job', { image: 'op', 'merge-digests': `sha256:${'a'.repeat(64)}\nsha256:${'b'.repeat(64)}` }],
    ['the gate on (vulnerability-attestation auto: on)', { image: 'op', 'vulnerability-gate': 'high' }],
    ['the gate on, unsigned (vulnerability-attestation auto: off)', { image: 'op', 'vulnerability-gate': 'warn', sign: 'false' }],
    ['a smoke run', { image: 'op', 'smoke-args': '--version' }],
    ['a probe', { image: 'op', 'smoke-http-port': '8080' }],
    ['no push', { image: 'op', push: 'false' }]
  ])('%s: the same inputs with every declared default given as the runner gives it', (_name, values) => {
    expect(parseInputs(reader({ ...declared, ...values }), ctx())).toEqual(parseInputs(reader(values), ctx()))
  })

  test.each([
    ['sign', 'auto', true],
    ['sbom', 'auto', true],
    ['sign', 'false', false],
    ['sbom', 'FALSE', false]
  ])('%s: %s -> %s', (name, value, expected) => {
    const i = parseInputs(reader({ image: 'op', [name]: value }), ctx())
    expect(name === 'sign' ? i.sign : i.sbom).toBe(expected)
  })

  test('a smoke timeout or path other than the default still needs the smoke run', () => {
    expect(() => parseInputs(reader({ image: 'op', 'smoke-timeout': '45s' }), ctx())).toThrow(/^Input `smoke-timeout`: applies to the smoke run, which is off/)
    expect(() => parseInputs(reader({ image: 'op', 'smoke-http-path': '/healthz' }), ctx())).toThrow(/^Input `smoke-http-path`: needs smoke-http-port/)
    expect(parseInputs(reader({ image: 'op', 'smoke-http-port': '8080', 'smoke-http-path': '/' }), ctx()).smoke).toEqual({ args: [], http: { port: 8080, path: '/' }, timeoutMs: 30_000 })
  })
})

describe('dockerfile: relative to context, or as build-push-action\'s file relative to the workspace (issue 34)', () => {
  beforeAll(() => {
    fs.mkdirSync(path.join(ws, 'svc', 'docker'), { recursive: true })
    fs.writeFileSync(path.join(ws, 'svc', 'Dockerfile.svc'), 'FROM scratch\n')
    fs.writeFileSync(path.join(ws, 'svc', 'docker', 'Dockerfile.operator'), 'FROM scratch AS inner\n')
  })
  const resolve = (values: Record<string, string>) => parseInputs(reader({ image: 'op', ...values }), ctx()).dockerfile
  const real = (f: string) => fs.realpathSync(path.join(ws, f))

  test.each([
    ['in the context', { context: 'svc', dockerfile: 'Dockerfile.svc' }, 'svc/Dockerfile.svc'],
    ['the workspace-relative path build-push-action users have', { context: 'svc', dockerfile: 'svc/Dockerfile.svc' }, 'svc/Dockerfile.svc'],
    ['the same, written ./svc/…', { context: './svc', dockerfile: './svc/Dockerfile.svc' }, 'svc/Dockerfile.svc'],
    ['both exist: the context wins, as documented', { context: 'svc', dockerfile: 'docker/Dockerfile.operator' }, 'svc/docker/Dockerfile.operator'],
    ['only the workspace has it', { context: 'svc/docker', dockerfile: 'docker/Dockerfile.operator' }, 'docker/Dockerfile.operator']
  ])('%s', (_name, values, expected) => {
    expect(resolve(values)).toBe(real(expected))
  })

  test('the default Dockerfile stays in the context (build-push-action\'s default is {context}/Dockerfile too): not the workspace root one', () => {
    expect(() => resolve({ context: 'svc' })).toThrow(/^Input `dockerfile`: file "Dockerfile" does not exist \(looked for .*\/svc\/Dockerfile\)/)
  })

  test('in neither place: the error names both paths', () => {
    const msg = `Input \`dockerfile\`: file "svc/Nope" does not exist: looked for ${path.join(fs.realpathSync(ws), 'svc', 'svc', 'Nope')} (relative to context) and ${path.join(fs.realpathSync(ws), 'svc', 'Nope')} (relative to the workspace, as build-push-action's file)`
    expect(() => parseInputs(reader({ image: 'op', context: 'svc', dockerfile: 'svc/Nope' }), ctx({ workspace: fs.realpathSync(ws) }))).toThrow(msg)
  })

  test('the workspace-relative path may not leave the workspace either', () => {
    expect(() => resolve({ context: 'svc', dockerfile: '../escape' })).toThrow(/^Input `dockerfile`: .*outside the workspace/)
  })
})
