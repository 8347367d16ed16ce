// Reachability (issue 33) with the real govulncheck (the action `go install`s golang.org/x/vuln at
// its default version with the machine's Go, from the Go module proxy, checked against the
// checksum database) and the real trivy, against two fixture databases:
//   - the Go vulnerability database of scripts/e2e/govulndb, read from a file:// URL:
//     GO-2099-0003 (CVE-2099-0003) in example.com/fixture/vulnerable.Name, GO-2099-0004
//     (CVE-2099-0004) in example.com/fixture/unreached.Parse, GO-2099-0005 in the standard
//     library's fmt.Sscanf, which no workload here calls;
//   - the trivy DB of scripts/e2e/trivy-db, which has CVE-2099-0003 and CVE-2099-0004 for those
//     modules (HIGH, with fixes) besides the Debian fixtures of e2e/static.
// The workloads are built for linux/amd64 and linux/arm64 with vendored modules (no proxy).
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { describe, expect, test } from 'vitest'
import { runAction } from './support/harness.js'
import { cosign, docker, e2e, keyPair, keySigning, localBases, requireEnvironment, testerDockerConfig, uniqueImage, workspace } from './support/env.js'

const run = requireEnvironment()
const R = e2e.registry
const PASSWORD = 'e2e-reach-password-4b2e'
const creds = { 'registry-username': e2e.user, 'registry-password': e2e.password }
const repoRoot = path.resolve(__dirname, '../..')
const GO_VULN_DB = `file://${path.join(repoRoot, 'scripts/e2e/govulndb')}`
// The Debian fixture with a fix (base-files) is not what these cases are about: a .trivyignore
// takes it out, and only-fixed the one without a fix (tzdata), the same for the action and for trivy alone.
const TRIVYIGNORE = '# the Debian fixture with a fix: not what this test is about\nCVE-2099-0001\n'

// noinline: the functions are tiny, and an inlined function leaves no symbol for govulncheck to see.
const modules = {
  'vendor/modules.txt': '# example.com/fixture/unreached v0.2.0\n## explicit\nexample.com/fixture/unreached\n# example.com/fixture/vulnerable v0.1.0\n## explicit\nexample.com/fixture/vulnerable\n',
  'vendor/example.com/fixture/vulnerable/vulnerable.go': 'package vulnerable\n\n// Name is the vulnerable code.\n//\n//go:noinline\nfunc Name() string { return "vulnerable v0.1.0" }\n',
  'vendor/example.com/fixture/unreached/unreached.go':
    'package unreached\n\nimport "strings"\n\n// Parse is the vulnerable code; no workload calls it.\nfunc Parse(s string) []string { return strings.Fields(s) }\n\n// Version is what the workloads call.\n//\n//go:noinline\nfunc Version() string { return "unreached v0.2.0" }\n'
}
const dockerfile = `FROM --platform=$BUILDPLATFORM ${R}/e2e/golang:1.24 AS build
ARG TARGETOS TARGETARCH
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -mod=vendor -trimpath -o /out/reach .
FROM ${R}/e2e/static:nonroot
COPY --from=build /out/reach /usr/local/bin/reach
USER 65532:65532
ENTRYPOINT ["reach"]
`
const goMod = 'module example.com/reach\n\ngo 1.24\n\nrequire (\n\texample.com/fixture/unreached v0.2.0\n\texample.com/fixture/vulnerable v0.1.0\n)\n'
/** Calls vulnerable.Name (reachable) and links unreached without calling Parse. */
const reaches = {
  ...modules,
  'go.mod': goMod,
  'main.go': 'package main\n\nimport (\n\t"fmt"\n\n\t"example.com/fixture/unreached"\n\t"example.com/fixture/vulnerable"\n)\n\nfunc main() { fmt.Println("reach with", vulnerable.Name(), "and", unreached.Version()) }\n',
  '.trivyignore': TRIVYIGNORE,
  Dockerfile: dockerfile
}
/** Links unreached only, never calling Parse: its one Go finding is present, not reachable. */
const unreachable = {
  ...modules,
  'go.mod': goMod.replace('\texample.com/fixture/vulnerable v0.1.0\n', ''),
  'vendor/modules.txt': modules['vendor/modules.txt'].replace(/# example\.com\/fixture\/vulnerable[\s\S]*$/, ''),
  'main.go': 'package main\n\nimport (\n\t"fmt"\n\n\t"example.com/fixture/unreached"\n)\n\nfunc main() { fmt.Println("reach with", unreached.Version()) }\n',
  '.trivyignore': TRIVYIGNORE,
  Dockerfile: dockerfile
}

/** The gate's policy, as trivy flags: the same severity, fixed only, any finding fails. */
const GATE_FLAGS = ['--severity', 'CRITICAL,HIGH', '--ignore-unfixed', '--exit-code', '1']

/**
 * trivy by itself with the given policy flags, against the fixture DB (and the suite's ignore
 * file for the Debian fixture); exit code, findings and what VEX suppressed.
 */
function trivyAlone(ref: string, policy: string[]): { code: number; ids: string[]; suppressed: string[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reach-trivy-'))
  fs.writeFileSync(path.join(dir, '.trivyignore'), TRIVYIGNORE)
  const out = path.join(dir, 'report.json')
  let code = 0
  try {
    execFileSync(process.env.BDI_TRIVY ?? 'trivy', ['image', ...policy, '--scanners', 'vuln', '--image-src', 'remote', '--db-repository', e2e.trivyDb, '--cache-dir', path.join(dir, 'cache'), '--ignorefile', path.join(dir, '.trivyignore'), '--format', 'json', '--output', out, '--show-suppressed', '--quiet', ref], {
      env: { ...process.env, DOCKER_CONFIG: testerDockerConfig },
      stdio: ['ignore', 'pipe', 'pipe']
    })
  } catch (err) {
    code = (err as { status?: number }).status ?? -1
    if (code !== 1) throw err
  }
  const report = JSON.parse(fs.readFileSync(out, 'utf8')) as { Results?: Array<{ Vulnerabilities?: Array<{ VulnerabilityID: string }>; ExperimentalModifiedFindings?: Array<{ Status: string; Finding: { VulnerabilityID: string } }> }> }
  fs.rmSync(dir, { recursive: true, force: true })
  return {
    code,
    ids: (report.Results ?? []).flatMap((r) => (r.Vulnerabilities ?? []).map((v) => v.VulnerabilityID)).sort(),
    // What a VEX statement suppressed (the ignore file's show as "ignored").
    suppressed: (report.Results ?? []).flatMap((r) => (r.ExperimentalModifiedFindings ?? []).filter((m) => m.Status === 'not_affected').map((m) => m.Finding.VulnerabilityID)).sort()
  }
}

/** The README's consumer commands (section "Reproducing the verdict"), as written there. */
function readmeConsumerCommands(): { cosign: string; trivy: string } {
  const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8')
  const section = readme.slice(readme.indexOf('### Reproducing the verdict'))
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? ''
  const lines = block.replace(/\\\n\s*/g, '').trim().split('\n')
  return { cosign: lines[0] ?? '', trivy: lines[1] ?? '' }
}

describe.runIf(run)('reachability with the real govulncheck and trivy (issue 33)', () => {
  const keys = run ? keyPair(PASSWORD) : { key: '', pub: '', dir: '' }
  const inputs = (image: string, extra: Record<string, string> = {}) => ({
    image,
    version: 'v1.3.0',
    ...creds,
    ...keySigning(keys.key, PASSWORD),
    ...localBases,
    platforms: 'linux/amd64,linux/arm64',
    'trivy-db-repositories': e2e.trivyDb,
    'vulnerability-gate': 'high',
    'only-fixed': 'true',
    'vulnerability-ignore': '.trivyignore',
    reachability: 'true',
    'go-vuln-db': GO_VULN_DB,
    ...extra
  })
  const verify = (ref: string, type?: string) => cosign('cosign', [type ? 'verify-attestation' : 'verify', '--key', keys.pub, '--insecure-ignore-tlog=true', ...(type ? ['--type', type] : []), ref])

  test('a reachable Go finding refuses on both platforms, naming the symbol govulncheck found; the unreachable one is listed as such; nothing is signed', async () => {
    const image = uniqueImage('reach-called')
    const r = await runAction(inputs(image), { workspace: workspace(reaches) })
    expect(r.exitCode, r.log).toBe(1)
    expect(r.log).toContain('go install golang.org/x/vuln/cmd/govulncheck@v1.10.0')
    for (const p of ['linux/amd64', 'linux/arm64']) expect(r.log).toContain(`${p}: /usr/local/bin/reach: GO-2099-0003 reachable, GO-2099-0004 not reachable, GO-2099-0005 not reachable`)
    const error = r.log.split('\n').find((l) => l.startsWith('::error::')) ?? ''
    expect(error).toContain('Vulnerability gate (high): 2 HIGH at or above HIGH (linux/amd64: 1 HIGH; linux/arm64: 1 HIGH)')
    for (const p of ['linux/amd64', 'linux/arm64']) {
      expect(error).toContain(`${p}: CVE-2099-0003 is reachable: govulncheck GO-2099-0003 (CVE-2099-0003): example.com/fixture/vulnerable@v0.1.0 is called: example.com/fixture/vulnerable.Name`)
    }
    expect(error).not.toContain('CVE-2099-0004 is reachable')
    // The summary: the refusing finding in the gate's table, the unreachable one apart, with its evidence.
    expect(r.summary.match(/<td>example\.com\/fixture\/vulnerable<\/td><td>v0\.1\.0<\/td><td>CVE-2099-0003<\/td><td>HIGH<\/td>/g)).toHaveLength(2)
    expect(r.summary.match(/<td>example\.com\/fixture\/unreached<\/td><td>v0\.2\.0<\/td><td>CVE-2099-0004<\/td><td>HIGH<\/td><td>govulncheck GO-2099-0004 \(CVE-2099-0004\): example\.com\/fixture\/unreached@v0\.2\.0 is linked, but none of its vulnerable symbols \(example\.com\/fixture\/unreached\.Parse\) is in the binary<\/td>/g)).toHaveLength(2)
    // Nothing signed: real cosign finds no signature, and no OpenVEX attestation, anywhere.
    const platforms = JSON.parse(r.outputs['platform-digests'] ?? '{}') as Record<string, string>
    const digests = [r.outputs.digest ?? '', ...Object.values(platforms)]
    expect(digests).toHaveLength(3)
    for (const d of digests) expect(verify(`${image}@${d}`).code).not.toBe(0)
    for (const d of Object.values(platforms)) expect(verify(`${image}@${d}`, 'openvex').code).not.toBe(0)
    // Pushed by digest and refused before the tags move: no tag points anywhere (issue 30, part 1).
    const tag = docker(['buildx', 'imagetools', 'inspect', '--format', '{{json .Manifest}}', `${image}:1.3.0`], { allowFailure: true })
    expect(tag.code, tag.out).not.toBe(0)
    expect(error).toContain('No tag was moved')
  })

  test('only the unreachable finding: the gate passes where trivy alone at the same severity refuses; the OpenVEX attestation verifies; the README consumer command agrees', async () => {
    const image = uniqueImage('reach-linked')
    let policies = ''
    const r = await runAction(inputs(image), { workspace: workspace(unreachable), beforePost: (m) => (policies = fs.readFileSync(m.outputs['deploy-policies'] ?? '', 'utf8')) })
    expect(r.exitCode, r.log).toBe(0)
    for (const p of ['linux/amd64', 'linux/arm64']) {
      expect(r.log).toContain(`${p}: /usr/local/bin/reach: GO-2099-0004 not reachable, GO-2099-0005 not reachable`)
      expect(r.log).toContain(`${p}: no findings (CRITICAL, HIGH, fixed only)`)
      expect(r.log).toContain(`${p}: present, not reachable: CVE-2099-0004 HIGH (example.com/fixture/unreached)`)
    }
    expect(r.summary).toContain('present, not reachable')
    expect(r.outputs.signed).toBe('true')
    // The deploy policies require the OpenVEX attestation too, from the key that signed.
    for (const part of ['kind: ClusterImagePolicy', 'kind: ClusterPolicy', `glob: ${image}*`, 'predicateType: https://openvex.dev/ns', 'type: https://openvex.dev/ns', fs.readFileSync(keys.pub, 'utf8').split('\n')[1] ?? 'no key']) expect(policies).toContain(part)
    const platforms = JSON.parse(r.outputs['platform-digests'] ?? '{}') as Record<string, string>
    expect(Object.keys(platforms).sort()).toEqual(['linux/amd64', 'linux/arm64'])
    const { cosign: cosignLine, trivy: trivyLine } = readmeConsumerCommands()
    for (const [platform, digest] of Object.entries(platforms)) {
      const ref = `${image}@${digest}`
      // trivy alone, at the same severity and with the same ignore file, refuses: CVE-2099-0004 is there.
      const alone = trivyAlone(ref, GATE_FLAGS)
      expect(alone.code, platform).toBe(1)
      expect(alone.ids).toEqual(['CVE-2099-0004'])

      // The OpenVEX attestation verifies with real cosign, and is govulncheck's document for this binary.
      const att = verify(ref, 'openvex')
      expect(att.code, att.out).toBe(0)
      const statement = JSON.parse(Buffer.from((JSON.parse(att.out.trim().split('\n')[0] ?? '{}') as { payload: string }).payload, 'base64').toString()) as {
        predicateType: string
        subject: Array<{ digest: { sha256: string } }>
        predicate: { author: string; statements: Array<{ vulnerability: { name: string; aliases: string[] }; products: Array<{ '@id': string }>; status: string; justification?: string }> }
      }
      expect(statement.predicateType).toBe('https://openvex.dev/ns')
      expect(statement.subject[0]?.digest.sha256).toBe(digest.replace('sha256:', ''))
      expect(statement.predicate.author).toBe('build-distroless-image with govulncheck v1.10.0')
      expect(statement.predicate.statements.map((s) => [s.vulnerability.name, s.vulnerability.aliases, s.products.map((p) => p['@id'].replace(/stdlib@v[\d.]+$/, 'stdlib@GO')), s.status, s.justification])).toEqual([
        ['GO-2099-0004', ['CVE-2099-0004'], ['pkg:golang/example.com/fixture/unreached@v0.2.0'], 'not_affected', 'vulnerable_code_not_in_execute_path'],
        ['GO-2099-0005', ['CVE-2099-0005'], ['pkg:golang/stdlib@GO'], 'not_affected', 'vulnerable_code_not_in_execute_path']
      ])

      // The README's consumer commands, word for word, with this image and key; the suite's own
      // DB, cache and ignore file added to trivy (a consumer's trivy has its own).
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reach-consumer-'))
      const consumerCosign = cosignLine.replace('--key cosign.pub', `--key ${keys.pub} --insecure-ignore-tlog=true`).replace('IMAGE@PLATFORM_DIGEST', ref)
      expect(consumerCosign).not.toBe(cosignLine)
      execFileSync('bash', ['-o', 'pipefail', '-c', consumerCosign], { cwd: dir, env: { ...process.env, DOCKER_CONFIG: testerDockerConfig }, stdio: ['ignore', 'pipe', 'pipe'] })
      const vexFile = path.join(dir, 'reachability.openvex.json')
      expect((JSON.parse(fs.readFileSync(vexFile, 'utf8')) as { author: string }).author).toBe('build-distroless-image with govulncheck v1.10.0')
      const words = trivyLine.split(' ')
      expect(words.slice(0, 2)).toEqual(['trivy', 'image'])
      const flags = words.slice(2, -1).map((w) => (w === 'reachability.openvex.json' ? vexFile : w))
      expect(words[words.length - 1]).toBe('IMAGE@PLATFORM_DIGEST')
      // The README's policy is the gate's: the same severity, fixed only, failing on any finding.
      expect(flags.filter((w) => w !== '--vex' && w !== vexFile)).toEqual(GATE_FLAGS)
      const consumer = trivyAlone(ref, flags)
      fs.rmSync(dir, { recursive: true, force: true })
      expect(consumer.code, platform).toBe(0)
      expect(consumer.ids).toEqual([])
      expect(consumer.suppressed).toEqual(['CVE-2099-0004'])
    }
  })

  test('a program that is not Go is skipped with a notice; the Debian finding of the base refuses as before', async () => {
    const image = uniqueImage('reach-notgo')
    const notGo = {
      Dockerfile: `FROM ${R}/e2e/busybox:1 AS bb\nFROM ${R}/e2e/static:nonroot\nCOPY --from=bb /bin/busybox /usr/local/bin/server\nUSER 65532:65532\nENTRYPOINT ["server"]\n`
    }
    const r = await runAction(inputs(image, { platforms: 'linux/amd64', 'vulnerability-ignore': '' }), { workspace: workspace(notGo) })
    expect(r.exitCode, r.log).toBe(1)
    expect(r.log).toContain('::notice::Reachability, linux/amd64: /usr/local/bin/server is not a Go program (no Go build info), so govulncheck has nothing to read; its findings are judged without reachability')
    const error = r.log.split('\n').find((l) => l.startsWith('::error::')) ?? ''
    expect(error).toContain('Vulnerability gate (high): 1 HIGH at or above HIGH (linux/amd64: 1 HIGH)')
    expect(error).not.toContain('Reachable Go code')
    expect(r.summary).toMatch(/<td>base-files<\/td><td>13[^<]*<\/td><td>CVE-2099-0001<\/td><td>HIGH<\/td><td>99\.0<\/td>/)
    expect(r.summary).toContain('linux/amd64: ➖ /usr/local/bin/server is not a Go program')
  })
})
