// Issue 19, part 2: each platform manifest records its bases; `rebuild: if-base-changed` builds
// only when one moved. Against the real engine and registry, with the bundled action.
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import type { ActionRun } from './support/harness.js'
import { runAction } from './support/harness.js'
import { docker, e2e, requireEnvironment, uniqueImage, workspace } from './support/env.js'

const run = requireEnvironment()
const R = e2e.registry

const operator = {
  'go.mod': 'module example.com/operator\n\ngo 1.24\n',
  'main.go': 'package main\n\nimport "fmt"\n\nfunc main() {\n\tfmt.Println("operator")\n}\n'
}
const digestOf = (ref: string) => (JSON.parse(docker(['buildx', 'imagetools', 'inspect', ref, '--format', '{{json .Manifest}}']).out) as { digest: string }).digest
const raw = (ref: string) => JSON.parse(docker(['buildx', 'imagetools', 'inspect', '--raw', ref]).out) as { annotations?: Record<string, string>; manifests?: Array<{ digest: string; platform: { os: string; architecture: string } }> }

describe.runIf(run)('scheduled base refreshes: rebuild only when a base changed (issue 19)', () => {
  let image: string
  let base: string
  let first: ActionRun
  const release = () =>
    runAction(
      {
        image,
        dockerfile: 'static',
        version: 'v1.4.2',
        rebuild: 'if-base-changed',
        'build-args': `BUILDER_IMAGE=${R}/e2e/golang:1.24\nRUNTIME_IMAGE=${base}`,
        'allowed-bases': `${R}/e2e*`,
        'registry-username': e2e.user,
        'registry-password': e2e.password,
        sign: 'false',
        sbom: 'false'
      },
      { workspace: workspace(operator) }
    )

  beforeAll(async () => {
    image = uniqueImage('refresh')
    base = `${uniqueImage('refreshbase')}/static:nonroot`
    docker(['buildx', 'imagetools', 'create', '--tag', base, `${R}/e2e/static:nonroot`])
    first = await release()
  })

  test('the first release records nothing to compare with, so it builds; each platform manifest names its bases', () => {
    expect(first.exitCode, first.log).toBe(0)
    expect(first.outputs.skipped).toBe('false')
    expect(first.log).toContain('records no bases for linux/amd64 (a first release, or built by another tool)')
    const baseIndex = raw(base)
    for (const m of raw(`${image}@${first.outputs.digest}`).manifests ?? []) {
      if (m.platform.os === 'unknown') continue
      const platform = `${m.platform.os}/${m.platform.architecture}`
      const own = baseIndex.manifests?.find((b) => `${b.platform.os}/${b.platform.architecture}` === platform)?.digest
      const a = raw(`${image}@${m.digest}`).annotations ?? {}
      expect(a['org.opencontainers.image.base.name'], platform).toBe(base)
      expect(a['org.opencontainers.image.base.digest'], platform).toBe(own)
      expect(JSON.parse(a['io.github.vmafx.build-distroless-image.bases'] ?? '{}'), platform).toMatchObject({ [base]: own })
    }
  })

  test('a second run with every base unchanged builds and pushes nothing: skipped, the same digest', async () => {
    const before = fs.statSync(e2e.registryLog).size
    const again = await release()
    expect(again.exitCode, again.log).toBe(0)
    expect(again.outputs.skipped).toBe('true')
    expect(again.outputs.digest).toBe(first.outputs.digest)
    expect(again.log).not.toContain('buildx build')
    expect(again.summary).toContain(`every base (${R}/e2e/golang:1.24, ${base}) is as ${image}:1.4.2 recorded it`)
    expect(fs.readFileSync(e2e.registryLog, 'utf8').slice(before)).not.toMatch(/"PUT \/v2\/[^"]*manifests/)
  })

  test('after the base gets a new digest, the third run rebuilds, and the summary names the base with its old and new digest', async () => {
    const old = digestOf(base)
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-newbase-'))
    fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${base}\nCOPY security-fix.txt /etc/security-fix.txt\n`)
    fs.writeFileSync(path.join(dir, 'security-fix.txt'), 'CVE fixed\n')
    docker(['buildx', 'build', '--platform', 'linux/amd64,linux/arm64', '--provenance', 'false', '--tag', base, '--push', dir])
    expect(digestOf(base)).not.toBe(old)
    const third = await release()
    expect(third.exitCode, third.log).toBe(0)
    expect(third.outputs.skipped).toBe('false')
    expect(third.outputs.digest).not.toBe(first.outputs.digest)
    expect(third.summary).toMatch(new RegExp(`rebuild: if-base-changed: built, because ${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} changed; linux/amd64 ${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: sha256:[a-f0-9]{64} -&gt; sha256:[a-f0-9]{64}`))
    expect(digestOf(`${image}:1.4.2`)).toBe(third.outputs.digest)
  })
})

// Issue 30, part 2: an image the build copies out of is recorded like a base, so a new digest of it rebuilds.
describe.runIf(run)('scheduled base refreshes see an image read by COPY --from change (issue 30)', () => {
  test('the read image is recorded; when it moves, if-base-changed rebuilds and names it', async () => {
    const image = uniqueImage('refresh-read')
    const tools = `${uniqueImage('refreshtools')}/busybox:1`
    docker(['buildx', 'imagetools', 'create', '--tag', tools, `${R}/e2e/busybox:1`])
    const dockerfile = `FROM ${R}/e2e/static:nonroot\nCOPY --from=${tools} /bin/busybox /busybox\nENTRYPOINT ["/busybox", "true"]\n`
    const release = () =>
      runAction(
        { image, version: 'v2.0.0', rebuild: 'if-base-changed', 'allowed-bases': `${R}/e2e*`, 'registry-username': e2e.user, 'registry-password': e2e.password, sign: 'false', sbom: 'false' },
        { workspace: workspace({ Dockerfile: dockerfile }) }
      )
    const first = await release()
    expect(first.exitCode, first.log).toBe(0)
    const platforms = raw(`${image}@${first.outputs.digest}`).manifests?.filter((m) => m.platform.os === 'linux') ?? []
    expect(platforms.length).toBeGreaterThan(0)
    for (const m of platforms) expect(Object.keys(JSON.parse(raw(`${image}@${m.digest}`).annotations?.['io.github.vmafx.build-distroless-image.bases'] ?? '{}') as object)).toContain(tools)

    const old = digestOf(tools)
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-newtools-'))
    fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${tools}\nCOPY fix.txt /etc/fix.txt\n`)
    fs.writeFileSync(path.join(dir, 'fix.txt'), 'fixed\n')
    docker(['buildx', 'build', '--platform', 'linux/amd64,linux/arm64', '--provenance', 'false', '--tag', tools, '--push', dir])
    expect(digestOf(tools)).not.toBe(old)
    const second = await release()
    expect(second.exitCode, second.log).toBe(0)
    expect(second.outputs.skipped).toBe('false')
    expect(second.summary).toContain(`rebuild: if-base-changed: built, because ${tools} changed`)
    expect(digestOf(`${image}:2.0.0`)).toBe(second.outputs.digest)
  })
})
