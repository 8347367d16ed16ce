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
import { parseAllDocuments, stringify } from 'yaml'
import { policyName } from '../../src/supply-chain/deploy-policies.js'
import { runAction } from './support/harness.js'
import { cosign, docker, e2e, keyPair, keySigning, localBases, policyTester, rawManifest, requireEnvironment, testerDockerConfig, toolsChecksums, uniqueImage, workspace } from './support/env.js'

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

/** YAML documents in a file of their own. */
function cipFile(yaml: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'reach-cip-')), 'policy.yaml')
  fs.writeFileSync(file, yaml)
  return file
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
    // The deploy policies: the key that signed, and what every signed digest carries. The OpenVEX
    // and the scan are on the platform digests only, not on the index a tag names, so not required;
    // a key-signed cosign 3 release gets no ClusterImagePolicy (policy-tester shows why below).
    for (const part of ['kind: ClusterPolicy', `- ${image}*`, 'type: https://cyclonedx.org/bom', fs.readFileSync(keys.pub, 'utf8').split('\n')[1] ?? 'no key']) expect(policies).toContain(part)
    for (const part of ['kind: ClusterImagePolicy', 'https://openvex.dev/ns', 'https://cosign.sigstore.dev/attestation/vuln/v1']) expect(policies).not.toContain(part)
    expect(r.summary).toContain("deploy-policies: vuln, openvex are attested to each platform's digest, not to the index a tag names, so the policies do not require them")
    expect(r.summary).toContain("deploy-policies: no ClusterImagePolicy: policy-controller (v0.13.1) verifies a key's signatures only in cosign 2's layout")
    const platforms = JSON.parse(r.outputs['platform-digests'] ?? '{}') as Record<string, string>
    expect(Object.keys(platforms).sort()).toEqual(['linux/amd64', 'linux/arm64'])
    // Why: policy-controller's tester refuses this release under either layout a key authority could name.
    const keyPolicy = (format: string) => cipFile(`apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata:\n  name: cosign3-key\nspec:\n  images:\n  - glob: ${image}*\n  authorities:\n  - name: release-signer\n${format}    key:\n      hashAlgorithm: sha256\n      data: |\n${fs.readFileSync(keys.pub, 'utf8').trim().split('\n').map((l) => `        ${l}`).join('\n')}\n`)
    const legacy = policyTester(keyPolicy(''), `${image}@${r.outputs.digest ?? ''}`)
    expect(legacy.code, legacy.out).toBe(1)
    expect(legacy.out).toContain('no signatures found')
    const bundle = policyTester(keyPolicy('    signatureFormat: bundle\n'), `${image}@${r.outputs.digest ?? ''}`)
    expect(bundle.code, bundle.out).toBe(1)
    expect(bundle.out).toContain('when using the new bundle format, the authority must be keyless')
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

  test("the deploy policies under policy-controller's own policy-tester: a cosign 2 release is admitted; an image of another key, one missing an attestation and one attested but not signed are refused", async () => {
    const image = uniqueImage('reach-policy')
    let policies = ''
    const r = await runAction(inputs(image, { platforms: 'linux/amd64', 'cosign-version': `v${e2e.cosign2}`, 'tools-checksums': toolsChecksums('cosign-linux-amd64') }), {
      workspace: workspace(unreachable),
      beforePost: (m) => (policies = m.outputs['deploy-policies'] ? fs.readFileSync(m.outputs['deploy-policies'], 'utf8') : '')
    })
    expect(r.exitCode, r.log).toBe(0)
    // policy-tester reads ClusterImagePolicies only: the Kyverno document is left out of its file.
    const docs = parseAllDocuments(policies).map((d) => d.toJSON() as { kind: string; metadata: { name: string }; spec: { authorities: Array<{ attestations?: Array<{ predicateType: string }> }> } })
    const cips = docs.filter((d) => d.kind === 'ClusterImagePolicy')
    expect(cips.map((c) => c.metadata.name)).toEqual([policyName(image), policyName(image, '-attestations')])
    const required = cips[1]?.spec.authorities[0]?.attestations?.map((a) => a.predicateType) ?? []
    // The index carries the SBOM and the provenance; the scan and the OpenVEX only the platform's digest.
    expect(required).toHaveLength(2)
    expect(required).toContain('https://cyclonedx.org/bom')
    expect(required.some((t) => t.startsWith('https://slsa.dev/provenance/'))).toBe(true)
    expect(r.summary).toContain("deploy-policies: vuln, openvex are attested to each platform's digest, not to the index a tag names, so the policies do not require them")
    const policyFile = cipFile(cips.map((c) => stringify(c)).join('---\n'))
    const platforms = JSON.parse(r.outputs['platform-digests'] ?? '{}') as Record<string, string>
    const index = r.outputs.digest ?? ''
    expect(Object.values(platforms)).not.toContain(index)

    // Admits this release: the index a tag names, and the platform's own digest.
    for (const digest of [index, ...Object.values(platforms)]) {
      const ok = policyTester(policyFile, `${image}@${digest}`)
      expect(ok.code, ok.out).toBe(0)
    }

    // Three more images under the same name (the policies' glob), each a digest of its own: the
    // static base's index and its two platform manifests, copied, signed and attested by hand with cosign 2.
    const base3 = [`${R}/e2e/static:nonroot`, ...(rawManifest(`${R}/e2e/static:nonroot`).manifests ?? []).map((m) => `${R}/e2e/static@${m.digest}`)]
    expect(base3).toHaveLength(3)
    const variant = (label: string, from: string) => {
      docker(['buildx', 'imagetools', 'create', '-t', `${image}:${label}`, from])
      const d = (JSON.parse(docker(['buildx', 'imagetools', 'inspect', '--format', '{{json .Manifest}}', `${image}:${label}`]).out) as { digest: string }).digest
      expect(d).not.toBe(index)
      return `${image}@${d}`
    }
    // The smallest predicate cosign 2 takes for each type (SLSA v1 needs its two required fields).
    const slsa1 = JSON.stringify({ buildDefinition: { buildType: 'https://example.com/e2e', externalParameters: {} }, runDetails: { builder: { id: 'https://example.com/e2e' } } })
    const predicateOf = (type: string) => cipFile(type === 'slsaprovenance1' ? slsa1 : '{}')
    const cosign2 = (args: string[], key: string, ref: string) => {
      const c = cosign('cosign2', [...args, '--key', key, '--tlog-upload=false', '--yes', ref], { COSIGN_PASSWORD: PASSWORD })
      expect(c.code, c.out).toBe(0)
    }
    const typeOf = (uri: string) => (uri === 'https://cyclonedx.org/bom' ? 'cyclonedx' : uri === 'https://slsa.dev/provenance/v1' ? 'slsaprovenance1' : 'slsaprovenance02')
    const keyFile = path.join(keys.dir, 'cosign.key')
    const other = keyPair(PASSWORD)
    const otherKey = path.join(other.dir, 'cosign.key')

    // Another identity: signed and attested with everything the policy asks for, by another key.
    const foreign = variant('other-key', base3[0] ?? '')
    cosign2(['sign'], otherKey, foreign)
    for (const t of required) cosign2(['attest', '--type', typeOf(t), '--predicate', predicateOf(typeOf(t))], otherKey, foreign)
    const refusedForeign = policyTester(policyFile, foreign)
    expect(refusedForeign.code, refusedForeign.out).toBe(1)
    // The tester stops at the first policy that fails (either: neither has a match for this key).
    expect(refusedForeign.out).toMatch(/(signature key validation failed for authority release-signer|attestation key validation failed for authority release-attestations) for /)

    // The release's key, but the provenance missing: the signature policy passes, the attestations' refuses.
    const partial = variant('no-provenance', base3[1] ?? '')
    cosign2(['sign'], keyFile, partial)
    cosign2(['attest', '--type', 'cyclonedx', '--predicate', predicateOf('cyclonedx')], keyFile, partial)
    const refusedPartial = policyTester(policyFile, partial)
    expect(refusedPartial.code, refusedPartial.out).toBe(1)
    const provenance = required.find((t) => t.startsWith('https://slsa.dev/provenance/')) ?? 'no provenance required'
    expect(refusedPartial.out).toContain(`no matching attestations with type ${provenance}`)
    expect(refusedPartial.out).not.toContain('authority release-signer')

    // Every attestation by the release's key, no signature: refused by the signature's policy (why
    // the signature and the attestations are two policies, not two authorities of one).
    const unsigned = variant('unsigned', base3[2] ?? '')
    for (const t of required) cosign2(['attest', '--type', typeOf(t), '--predicate', predicateOf(typeOf(t))], keyFile, unsigned)
    const refusedUnsigned = policyTester(policyFile, unsigned)
    expect(refusedUnsigned.code, refusedUnsigned.out).toBe(1)
    expect(refusedUnsigned.out).toContain('signature key validation failed for authority release-signer for ')
    expect(refusedUnsigned.out).toContain('no signatures found')
    expect(refusedUnsigned.out).not.toContain('authority release-attestations')
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
