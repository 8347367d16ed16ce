/**
 * Keyless signing, end to end, against the local Sigstore STAND-IN (scripts/e2e/sigstore-standin.mjs:
 * GitHub's token service, Fulcio and Rekor on loopback; the public ones cannot be reached here).
 * The action finds the stand-in only through its `sigstore-trusted-root` / `sigstore-signing-config`
 * inputs and the job's ACTIONS_ID_TOKEN_REQUEST_URL: the same way it finds a private instance.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { parseAllDocuments, stringify } from 'yaml'
import { PREDICATE_URI } from '../../src/sigstore/cosign-argv.js'
import type { PredicateType } from '../../src/sigstore/cosign-argv.js'
import { COSIGN_SIGN_PREDICATE, policyName } from '../../src/supply-chain/deploy-policies.js'
import type { ActionRun } from './support/harness.js'
import { runAction } from './support/harness.js'
import { cosign, docker, e2e, githubClaims, idTokenJob, keylessInputs, keylessWorkspace, policyTester, rawManifest, requireEnvironment, secretLeaks, sigstore, sigstoreStats, testerDockerConfig, toolsChecksums, uniqueImage } from './support/env.js'
import { trustRootFile } from './support/trust-root.js'

const run = requireEnvironment()
const ISSUER = 'https://token.actions.githubusercontent.com'
const REPO = 'vmafx/demo-operator'

const inputs = keylessInputs

const identityFlags = (identity: string, issuer = ISSUER) => ['--certificate-identity', identity, '--certificate-oidc-issuer', issuer]
const verify3 = (ref: string, identity: string, issuer = ISSUER, attestation = false) =>
  cosign('cosign', [attestation ? 'verify-attestation' : 'verify', ...(attestation ? ['--type', 'cyclonedx'] : []), '--trusted-root', sigstore.trustedRoot, ...identityFlags(identity, issuer), ref])

/** The summary's cosign verify commands, run verbatim in the workspace as a consumer would paste them (the gh ones: asConsumer). */
function runSummaryCommands(summary: string, ws: string): Array<{ command: string; code: number; out: string }> {
  const block = /<pre lang="sh"><code>([\s\S]*?)<\/code><\/pre>/.exec(summary)?.[1] ?? ''
  const cosignDir = path.dirname(execFileSync('sh', ['-c', 'command -v cosign'], { encoding: 'utf8' }).trim())
  return block
    .split('\n')
    .filter((l) => l.startsWith('cosign '))
    .map((command) => {
      try {
        const out = execFileSync('bash', ['-c', command], { cwd: ws, env: { PATH: `${cosignDir}:/usr/bin:/bin`, HOME: process.env.HOME ?? '/root', DOCKER_CONFIG: testerDockerConfig }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
        return { command, code: 0, out }
      } catch (err) {
        const e = err as { status?: number; stdout?: string; stderr?: string }
        return { command, code: e.status ?? 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` }
      }
    })
}

/** Every file under DIR, read as text, for looking for a secret. */
function filesUnder(dir: string): string {
  if (!fs.existsSync(dir)) return ''
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => fs.readFileSync(path.join(d.parentPath, d.name), 'latin1'))
    .join('\n')
}

describe.runIf(run)('keyless release with cosign 3 through the trust-root inputs (issue 18)', () => {
  const ref = 'refs/tags/v1.4.0'
  const identity = `https://github.com/${REPO}/.github/workflows/release.yml@${ref}`
  let r: ActionRun
  let image: string
  let ws: string
  let job: ReturnType<typeof idTokenJob>
  let before: ReturnType<typeof sigstoreStats>
  let policies = ''

  beforeAll(async () => {
    image = uniqueImage('keyless')
    ws = keylessWorkspace()
    job = idTokenJob(githubClaims(REPO, ref))
    before = sigstoreStats()
    r = await runAction(inputs(image, { version: 'v1.4.0' }), {
      workspace: ws,
      github: { repository: REPO, ref },
      env: job.env,
      beforePost: (m) => (policies = m.outputs['deploy-policies'] ? fs.readFileSync(m.outputs['deploy-policies'], 'utf8') : '')
    })
    if (r.exitCode !== 0) console.log(r.log)
  })

  test('signs every digest, attests each platform SBOM and verifies, with no cosign-key', () => {
    expect(r.exitCode).toBe(0)
    expect(r.outputs.signed).toBe('true')
    const digests = r.summary.match(/sha256:[a-f0-9]{64}/g) ?? []
    expect(new Set(digests).size).toBe(3) // the index and two platforms
    expect(r.log).toContain(`Signing keylessly as ${identity}, issuer ${ISSUER} through the Sigstore instance of .sigstore/trusted_root.json`)
    expect(r.log).toMatch(/\[command\]\S*cosign sign --yes --signing-config \S+\/\.sigstore\/signing_config\.json --trusted-root \S+\/\.sigstore\/trusted_root\.json --recursive /)
    expect(r.summary).toContain(`<strong>Signed as:</strong> ${identity}, issuer ${ISSUER}</p>`)
    // The stand-in issued the certificates and logged the entries: nothing went to the public instance.
    const after = sigstoreStats()
    expect(after.certificates).toBeGreaterThan(before.certificates)
    expect(after.rekorEntries - before.rekorEntries).toBeGreaterThanOrEqual(3) // a signature per digest, an attestation per platform
  })

  test('each digest verifies for the workflow identity and issuer; each platform carries its own SBOM', () => {
    const index = `${image}@${r.outputs.digest ?? ''}`
    expect(verify3(index, identity).code).toBe(0)
    const manifests = (JSON.parse(docker(['buildx', 'imagetools', 'inspect', '--raw', index]).out) as { manifests: Array<{ digest: string; platform?: { architecture: string } }> }).manifests.filter((m) => m.platform?.architecture !== 'unknown')
    expect(manifests).toHaveLength(2)
    for (const m of manifests) {
      const v = verify3(`${image}@${m.digest}`, identity, ISSUER, true)
      expect(v.code, v.out).toBe(0)
      const statement = JSON.parse(Buffer.from((JSON.parse(v.out.split('\n')[0] ?? '{}') as { payload: string }).payload, 'base64').toString('utf8')) as { predicateType: string; subject: Array<{ digest: { sha256: string } }> }
      expect(statement.predicateType).toBe('https://cyclonedx.org/bom')
      expect(`sha256:${statement.subject[0]?.digest.sha256 ?? ''}`).toBe(m.digest)
    }
  })

  test('the summary verify commands pass when run verbatim', () => {
    const results = runSummaryCommands(r.summary, ws)
    // verify, verify-attestation (CycloneDX) and the SLSA v1 provenance for the index and two platforms
    expect(results.length).toBe(9)
    expect(results.filter((c) => c.command.includes('--type slsaprovenance1')).length).toBe(3)
    for (const c of results) {
      expect(c.command).toContain('--trusted-root .sigstore/trusted_root.json')
      expect(c.command).toContain(`--certificate-identity ${identity}`)
      expect(c.code, `${c.command}\n${c.out}`).toBe(0)
    }
    // Beside them, gh's: the trusted root as JSON lines, then provenance and SBOM of the index (by tag) and each platform.
    const gh = summaryLines(r.summary, ['gh', 'jq'])
    expect(gh).toHaveLength(7)
    for (const c of gh.map((command) => asConsumer(command, ws))) expect(c.code, `${c.command}\n${c.out}`).toBe(0)
  })

  test('a wrong identity or issuer fails verification', () => {
    const index = `${image}@${r.outputs.digest ?? ''}`
    const otherWorkflow = verify3(index, `https://github.com/${REPO}/.github/workflows/other.yml@${ref}`)
    expect(otherWorkflow.code).not.toBe(0)
    expect(otherWorkflow.out).toMatch(/no matching CertificateIdentity found, last error: expected SAN value "https:\/\/github\.com\/vmafx\/demo-operator\/\.github\/workflows\/other\.yml/)
    const otherIssuer = verify3(index, identity, 'https://accounts.google.com')
    expect(otherIssuer.code).not.toBe(0)
    expect(otherIssuer.out).toMatch(/no matching CertificateIdentity found.*expected issuer value "https:\/\/accounts\.google\.com"/)
  })

  test('the ID token appears nowhere: not in the log, the summary, the outputs, nor RUNNER_TEMP after post', () => {
    const tokens = job.tokens()
    expect(tokens.length).toBeGreaterThan(2) // the action's own, and one per cosign run
    expect(r.log).toContain('::add-mask::') // the token was masked before use
    expect(secretLeaks(r.log, tokens)).toEqual([])
    expect(secretLeaks(r.post?.log ?? '', tokens)).toEqual([])
    expect(secretLeaks(r.summary, tokens)).toEqual([])
    expect(secretLeaks(JSON.stringify(r.outputs), tokens)).toEqual([])
    expect(secretLeaks(filesUnder(r.runnerTemp), tokens)).toEqual([])
    // Nor a token's signature alone (what a partial print would show).
    expect(secretLeaks(r.log + filesUnder(r.runnerTemp), tokens.filter((t) => t.includes('.')).map((t) => t.split('.')[2] ?? ''))).toEqual([])
  })

  test("the deploy policies under policy-controller's own policy-tester, given the stand-in as a TrustRoot (a TUF repository) and trustRootRef: the release is admitted; another workflow's image and one missing its SBOM are refused", () => {
    type Authority = { keyless?: { url: string; identities: Array<{ issuer: string; subject: string }>; trustRootRef?: string }; ctlog?: { url: string; trustRootRef?: string }; signatureFormat?: string; attestations?: Array<{ predicateType: string }> }
    const cips = parseAllDocuments(policies)
      .map((d) => d.toJSON() as { kind: string; metadata: { name: string }; spec: { authorities: Authority[] } })
      .filter((d) => d.kind === 'ClusterImagePolicy')
    expect(cips.map((c) => c.metadata.name)).toEqual([policyName(image), policyName(image, '-attestations')])
    const rekorUrl = (JSON.parse(fs.readFileSync(sigstore.signingConfig, 'utf8')) as { rekorTlogUrls: Array<{ url: string }> }).rekorTlogUrls[0]?.url
    for (const c of cips) {
      const a = c.spec.authorities[0]
      expect(a?.keyless?.identities).toEqual([{ issuer: ISSUER, subject: identity }])
      expect(a?.ctlog?.url).toBe(rekorUrl)
      expect(a?.signatureFormat).toBe('bundle')
    }
    expect(cips[0]?.spec.authorities[0]?.attestations?.map((a) => a.predicateType)).toEqual([COSIGN_SIGN_PREDICATE])
    const required = cips[1]?.spec.authorities[0]?.attestations?.map((a) => a.predicateType) ?? []
    // The SBOM and the SLSA v1 provenance are attested to the index and to each platform's digest.
    expect(required).toEqual([PREDICATE_URI.cyclonedx, PREDICATE_URI.slsaprovenance1])
    expect(r.summary).toContain('the ClusterImagePolicies name no trustRootRef, so policy-controller judges them by the public Sigstore')

    // What a private-Sigstore user adds, as the summary's note says: a TrustRoot, and its name as
    // keyless.trustRootRef and ctlog.trustRootRef. Nothing else in the documents is changed.
    const TRUST_ROOT = 'bdi-e2e-sigstore'
    const withRef = cips.map((c) => ({ ...c, spec: { ...c.spec, authorities: c.spec.authorities.map((a) => ({ ...a, keyless: { ...a.keyless, trustRootRef: TRUST_ROOT }, ctlog: { ...a.ctlog, trustRootRef: TRUST_ROOT } })) } }))
    const policyFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'keyless-cip-')), 'policy.yaml')
    fs.writeFileSync(policyFile, withRef.map((c) => stringify(c)).join('---\n'))
    const tuf = trustRootFile(TRUST_ROOT, sigstore.trustedRoot, 'repository')
    const index = r.outputs.digest ?? ''
    const platforms = Object.values(JSON.parse(r.outputs['platform-digests'] ?? '{}') as Record<string, string>)
    expect(platforms).toHaveLength(2)

    // Control: the same keys given inline (sigstoreKeys) are refused by policy-tester v0.13.1, the
    // way the README says (it stores each log's ID as the ASCII of its hex, which no entry matches).
    const inline = policyTester(policyFile, `${image}@${index}`, trustRootFile(TRUST_ROOT, sigstore.trustedRoot, 'sigstoreKeys'))
    expect(inline.code, inline.out).toBe(1)
    expect(inline.out).toMatch(/not enough verified log entries from transparency log: 0 (<|\\u003c) 1/)

    // Admits this release: the index a tag names, and each platform's own digest.
    for (const digest of [index, ...platforms]) {
      const ok = policyTester(policyFile, `${image}@${digest}`, tuf)
      expect(ok.code, `${digest}: ${ok.out}`).toBe(0)
    }

    // Two more images under the same name (the policies' glob): the static base's platform
    // manifests, copied, then signed and attested keylessly by hand with cosign 3 through the stand-in.
    const base = (rawManifest(`${e2e.registry}/e2e/static:nonroot`).manifests ?? []).map((m) => `${e2e.registry}/e2e/static@${m.digest}`)
    const variant = (label: string, from: string) => {
      docker(['buildx', 'imagetools', 'create', '-t', `${image}:${label}`, from])
      const d = (JSON.parse(docker(['buildx', 'imagetools', 'inspect', '--format', '{{json .Manifest}}', `${image}:${label}`]).out) as { digest: string }).digest
      expect([index, ...platforms]).not.toContain(d)
      return `${image}@${d}`
    }
    const trustFlags = ['--signing-config', sigstore.signingConfig, '--trusted-root', sigstore.trustedRoot]
    const typeOf = Object.fromEntries(Object.entries(PREDICATE_URI).map(([t, uri]) => [uri, t as PredicateType]))
    // The smallest predicate cosign takes for each type (SLSA v1 needs its two required fields).
    const predicates = fs.mkdtempSync(path.join(os.tmpdir(), 'keyless-pred-'))
    const predicate = (uri: string) => {
      const file = path.join(predicates, `${typeOf[uri] ?? 'other'}.json`)
      fs.writeFileSync(file, uri === PREDICATE_URI.slsaprovenance1 ? JSON.stringify({ buildDefinition: { buildType: 'https://example.com/e2e', externalParameters: {} }, runDetails: { builder: { id: 'https://example.com/e2e' } } }) : '{}')
      return file
    }
    const keyless = (env: Record<string, string>, args: string[], ref: string) => {
      const c = cosign('cosign', [...args, '--yes', ...trustFlags, ref], env)
      expect(c.code, c.out).toBe(0)
    }

    // Another identity: another workflow of the same owner, through the same stand-in, signs and
    // attests everything the policies ask for.
    const otherRepo = 'vmafx/other-operator'
    const otherIdentity = `https://github.com/${otherRepo}/.github/workflows/release.yml@refs/heads/main`
    const otherJob = idTokenJob(githubClaims(otherRepo, 'refs/heads/main'))
    const foreign = variant('other-workflow', base[0] ?? '')
    keyless(otherJob.env, ['sign'], foreign)
    for (const t of required) keyless(otherJob.env, ['attest', '--type', typeOf[t] ?? t, '--predicate', predicate(t)], foreign)
    // cosign itself verifies it for that identity: the stand-in's material is sound, only the signer differs.
    expect(verify3(foreign, otherIdentity).code).toBe(0)
    const refusedForeign = policyTester(policyFile, foreign, tuf)
    expect(refusedForeign.code, refusedForeign.out).toBe(1)
    expect(refusedForeign.out).toContain('no matching CertificateIdentity found')
    expect(refusedForeign.out).toContain(`expected SAN value \\"${identity}\\", got \\"${otherIdentity}\\"`)

    // The release's own identity (another job of the same workflow): signed, the provenance
    // attested, the SBOM missing. The signature's policy passes, the attestations' refuses.
    const sameJob = idTokenJob(githubClaims(REPO, ref))
    const partial = variant('no-sbom', base[1] ?? '')
    keyless(sameJob.env, ['sign'], partial)
    keyless(sameJob.env, ['attest', '--type', 'slsaprovenance1', '--predicate', predicate(PREDICATE_URI.slsaprovenance1)], partial)
    expect(verify3(partial, identity).code).toBe(0)
    const refusedPartial = policyTester(policyFile, partial, tuf)
    expect(refusedPartial.code, refusedPartial.out).toBe(1)
    expect(refusedPartial.out).toContain(`no matching attestations with type ${PREDICATE_URI.cyclonedx}, checked the following predicateTypes: `)
    expect(refusedPartial.out).not.toContain('authority release-signer')
  })

  test('a re-run of the release adds no second signature or attestation', async () => {
    const mid = sigstoreStats()
    const again = await runAction(inputs(image, { version: 'v1.4.0' }), { workspace: ws, github: { repository: REPO, ref }, env: { ...job.env, GITHUB_RUN_ATTEMPT: '2' } })
    expect(again.exitCode, again.log).toBe(0)
    expect(again.outputs.digest).toBe(r.outputs.digest)
    expect(again.log).toContain('every digest already carries a valid signature; not signing again')
    expect(again.log).not.toMatch(/\[command\]\S*cosign (sign|attest) /)
    const end = sigstoreStats()
    expect(end.rekorEntries).toBe(mid.rekorEntries)
    expect(end.certificates).toBe(mid.certificates)
  })
})

/** Where gotools.sh put gh (github.com/cli/cli/v2, built from its module). */
const ghBin = path.join(e2e.state, 'gotools', 'gh')

/** Every line of every code block of the summary that starts with one of `tools`. */
function summaryLines(summary: string, tools: string[]): string[] {
  return [...summary.matchAll(/<pre lang="sh"><code>([\s\S]*?)<\/code><\/pre>/g)].flatMap((m) => (m[1] ?? '').split('\n')).filter((l) => tools.some((t) => l.startsWith(`${t} `)))
}

/**
 * A command run as a consumer pastes it, in bash, in the workspace: gh on PATH, logged in (gh
 * asks for a login even when it reads the bundles from the registry; no GitHub API is called:
 * the requests below go to the registries and nowhere else), the tester's registry login.
 */
function asConsumer(command: string, ws: string): { command: string; code: number; out: string } {
  const p = spawnSync('bash', ['-c', command], { cwd: ws, env: { PATH: `${path.dirname(ghBin)}:/usr/bin:/bin`, HOME: ws, DOCKER_CONFIG: testerDockerConfig, GH_TOKEN: 'e2e-not-a-github-token', GH_NO_UPDATE_NOTIFIER: '1' }, encoding: 'utf8', timeout: 120_000 })
  return { command, code: p.status ?? 1, out: `${p.stdout}${p.stderr}` }
}

describe.runIf(run)('gh attestation verify on a keyless release: index, every platform and a copy (issue 32)', () => {
  const ref = 'refs/tags/v1.5.0'
  const path1 = `e2e-ghverify-${Date.now().toString(36)}`
  const images = [`${e2e.registry}/${path1}`, `${e2e.registry2}/${path1}`]
  let r: ActionRun
  let ws: string
  let gh: Array<{ command: string; code: number; out: string }>

  beforeAll(async () => {
    if (!fs.existsSync(ghBin)) throw new Error(`no gh at ${ghBin}: scripts/e2e/gotools.sh builds it (gotools.sh gh)`)
    ws = keylessWorkspace()
    const job = idTokenJob(githubClaims(REPO, ref))
    r = await runAction(
      inputs('', { image: '', images: images.join('\n'), 'registry-auth': `${e2e.registry2}=${e2e.user2}:${e2e.password2}`, version: 'v1.5.0', 'vulnerability-gate': 'warn', 'trivy-db-repositories': e2e.trivyDb }),
      { workspace: ws, github: { repository: REPO, ref }, env: job.env }
    )
    if (r.exitCode !== 0) console.log(r.log)
    gh = summaryLines(r.summary, ['gh', 'jq']).map((c) => asConsumer(c, ws))
  })

  test('the release is signed in both registries; the summary prints gh commands for every subject of each', () => {
    expect(r.exitCode).toBe(0)
    expect(r.outputs.signed).toBe('true')
    const pd = JSON.parse(r.outputs['platform-digests'] ?? '{}') as Record<string, string>
    expect(Object.keys(pd).sort()).toEqual(['linux/amd64', 'linux/arm64'])
    const commands = gh.map((c) => c.command)
    for (const name of images) {
      // The index by its tag, as a consumer names it, then each platform by digest.
      expect(commands).toContain(`gh attestation verify oci://${name}:1.5.0 --bundle-from-oci --owner vmafx --signer-workflow github.com/${REPO}/.github/workflows/release.yml --custom-trusted-root trusted_root.jsonl`)
      for (const d of Object.values(pd)) {
        for (const type of ['', ' --predicate-type https://cyclonedx.org/bom', ' --predicate-type https://cosign.sigstore.dev/attestation/vuln/v1']) {
          expect(commands).toContain(`gh attestation verify oci://${name}@${d} --bundle-from-oci --owner vmafx --signer-workflow github.com/${REPO}/.github/workflows/release.yml${type} --custom-trusted-root trusted_root.jsonl`)
        }
      }
    }
  })

  test("the summary's gh commands pass when run verbatim: SLSA v1 provenance and the SBOM on the index (by tag), every platform and the copy; the scan on each platform", () => {
    // Per registry: the index (provenance, SBOM) and two platforms (provenance, SBOM, scan): 8.
    expect(gh.filter((c) => c.command.startsWith('gh '))).toHaveLength(16)
    for (const c of gh) expect(c.code, `${c.command}\n${c.out}`).toBe(0)
  })

  test("what gh verified, by its JSON: the index's SLSA v1 statements name the index digest, signed by the release workflow of owner vmafx", () => {
    const base = gh.find((c) => c.command.startsWith(`gh attestation verify oci://${images[1] ?? ''}:1.5.0 `) && !c.command.includes('--predicate-type'))?.command ?? ''
    expect(base).not.toBe('')
    const v = asConsumer(`${base} --format json`, ws)
    expect(v.code, v.out).toBe(0)
    const results = JSON.parse(v.out) as Array<{ verificationResult: { statement: { predicateType: string; subject: Array<{ digest: { sha256: string } }> }; signature: { certificate: { sourceRepositoryOwnerURI: string; buildSignerURI: string; runnerEnvironment: string } } } }>
    // One statement per platform's record, each on the index (the copy's index: the same digest).
    expect(results).toHaveLength(2)
    for (const x of results) {
      expect(x.verificationResult.statement.predicateType).toBe('https://slsa.dev/provenance/v1')
      expect(`sha256:${x.verificationResult.statement.subject[0]?.digest.sha256 ?? ''}`).toBe(r.outputs.digest)
      expect(x.verificationResult.signature.certificate).toMatchObject({ sourceRepositoryOwnerURI: 'https://github.com/vmafx', buildSignerURI: `https://github.com/${REPO}/.github/workflows/release.yml@${ref}`, runnerEnvironment: 'github-hosted' })
    }
  })

  test('another signer workflow, another owner, or a predicate the subject does not carry fails', () => {
    const base = gh.find((c) => c.command.startsWith(`gh attestation verify oci://${images[0] ?? ''}:1.5.0 `))?.command ?? ''
    expect(base).not.toBe('')
    // The control: the command as printed passes; each change below alone makes it fail. (gh
    // off a terminal says only 'verifying with issuer "sigstore.mock"', so the exit code tells.)
    expect(asConsumer(base, ws).code).toBe(0)
    const otherWorkflow = asConsumer(base.replace('/.github/workflows/release.yml', '/.github/workflows/other.yml'), ws)
    expect(otherWorkflow.code, otherWorkflow.out).not.toBe(0)
    const otherOwner = asConsumer(base.replace('--owner vmafx', '--owner someone-else'), ws)
    expect(otherOwner.code, otherOwner.out).not.toBe(0)
    // The index carries no scan: the vuln predicate is only on the platforms.
    const noScan = asConsumer(base.replace(' --custom-trusted-root', ' --predicate-type https://cosign.sigstore.dev/attestation/vuln/v1 --custom-trusted-root'), ws)
    expect(noScan.code, noScan.out).not.toBe(0)
  })
})

describe.runIf(run)('keyless with cosign 2, a reusable workflow, and a job without id-token (issue 18)', () => {
  test('cosign 2 signs and attests through the same inputs (mapped to its env and URL flags); cosign 3 and 2 verify it', async () => {
    const ref = 'refs/tags/v0.9.1'
    const identity = `https://github.com/${REPO}/.github/workflows/release.yml@${ref}`
    const image = uniqueImage('keyless2')
    const ws = keylessWorkspace()
    const job = idTokenJob(githubClaims(REPO, ref))
    const r = await runAction(inputs(image, { version: 'v0.9.1', 'cosign-version': e2e.cosign2, 'tools-checksums': toolsChecksums('cosign-linux-amd64') }), { workspace: ws, github: { repository: REPO, ref }, env: job.env })
    expect(r.exitCode, r.log).toBe(0)
    expect(r.outputs.signed).toBe('true')
    expect(r.log).toMatch(/\[command\]\S*cosign sign --yes --fulcio-url https:\/\/127\.0\.0\.1:\d+ --rekor-url https:\/\/127\.0\.0\.1:\d+ --recursive /)
    const index = `${image}@${r.outputs.digest ?? ''}`
    expect(verify3(index, identity).code).toBe(0)
    // cosign 2 on its own, with its documented env naming the stand-in's own PEM files.
    const standinDir = path.dirname(sigstore.trustedRoot)
    const rekorUrl = (JSON.parse(fs.readFileSync(sigstore.trustedRoot, 'utf8')) as { tlogs: Array<{ baseUrl: string }> }).tlogs[0]?.baseUrl ?? ''
    const env2 = {
      SIGSTORE_ROOT_FILE: path.join(standinDir, 'fulcio.pem'),
      SIGSTORE_REKOR_PUBLIC_KEY: path.join(standinDir, 'rekor.pub'),
      SIGSTORE_CT_LOG_PUBLIC_KEY_FILE: path.join(standinDir, 'ctlog.pub')
    }
    const v2 = cosign('cosign2', ['verify-attestation', '--type', 'cyclonedx', '--rekor-url', rekorUrl, ...identityFlags(identity), index], env2)
    expect(v2.code, v2.out).toBe(0)
    const commands = runSummaryCommands(r.summary, ws)
    expect(commands.length).toBeGreaterThanOrEqual(2)
    for (const c of commands) expect(c.code, `${c.command}\n${c.out}`).toBe(0)
    // cosign 2 attaches no bundles gh can find: no gh command, and the notes say why.
    expect(summaryLines(r.summary, ['gh'])).toEqual([])
    expect(r.summary).toContain('gh attestation verify --bundle-from-oci cannot verify this release: cosign 2 attaches its signatures in its own layout')
    expect(secretLeaks(r.log + r.summary + filesUnder(r.runnerTemp), job.tokens())).toEqual([])
  })

  test('a reusable workflow: signed as the called workflow (job_workflow_ref), which the summary names', async () => {
    const ref = 'refs/tags/v2.0.0'
    const called = 'vmafx/release-workflows/.github/workflows/image.yml@refs/heads/main'
    const image = uniqueImage('reusable')
    const ws = keylessWorkspace()
    const job = idTokenJob(githubClaims(REPO, ref, called))
    const r = await runAction(inputs(image, { version: 'v2.0.0', platforms: 'linux/amd64' }), { workspace: ws, github: { repository: REPO, ref }, env: job.env })
    expect(r.exitCode, r.log).toBe(0)
    const caller = `https://github.com/${REPO}/.github/workflows/release.yml@${ref}`
    expect(r.summary).toContain(`<strong>Signed as:</strong> https://github.com/${called}, issuer ${ISSUER} (the reusable workflow this job ran, called from ${caller})</p>`)
    const digest = `${image}@${r.outputs.digest ?? ''}`
    expect(verify3(digest, `https://github.com/${called}`).code).toBe(0)
    expect(verify3(digest, caller).code).not.toBe(0)
    const commands = runSummaryCommands(r.summary, ws)
    expect(commands.length).toBeGreaterThanOrEqual(2)
    for (const c of commands) expect(c.code, `${c.command}\n${c.out}`).toBe(0)
    // gh's commands name the called workflow as the signer, and the caller's owner; they pass.
    const gh = summaryLines(r.summary, ['gh', 'jq'])
    expect(gh.filter((l) => l.startsWith('gh ')).length).toBeGreaterThanOrEqual(2)
    for (const l of gh.filter((x) => x.startsWith('gh '))) expect(l).toContain('--owner vmafx --signer-workflow github.com/vmafx/release-workflows/.github/workflows/image.yml')
    for (const c of gh.map((command) => asConsumer(command, ws))) expect(c.code, `${c.command}\n${c.out}`).toBe(0)
  })

  test('no id-token permission: fails before the build, saying to add it or give a key; nothing pushed', async () => {
    const image = uniqueImage('no-id-token')
    const before = sigstoreStats()
    const r = await runAction(inputs(image, { version: 'v1.0.0', platforms: 'linux/amd64' }), { workspace: keylessWorkspace(), github: { repository: REPO, ref: 'refs/tags/v1.0.0' } })
    expect(r.exitCode).toBe(1)
    expect(r.log).toContain('::error::')
    expect(r.log).toContain('`permissions: { id-token: write }`')
    expect(r.log).toContain('cosign-key')
    expect(r.log).not.toContain('docker buildx build')
    expect(docker(['buildx', 'imagetools', 'inspect', `${image}:v1.0.0`], { allowFailure: true }).code).not.toBe(0)
    expect(sigstoreStats().certificates).toBe(before.certificates)
  })

  // Issue 30, part 6: an entry was judged by its end only, so a CA not yet in force was trusted early.
  test('a trusted root whose only certificate authority starts tomorrow is refused before anything runs; nothing pushed or signed', async () => {
    const image = uniqueImage('ca-not-yet')
    const root = JSON.parse(fs.readFileSync(sigstore.trustedRoot, 'utf8')) as { certificateAuthorities: Array<{ validFor?: { start?: string; end?: string } }> }
    const tomorrow = new Date(Date.now() + 24 * 3600 * 1000).toISOString()
    for (const ca of root.certificateAuthorities) ca.validFor = { start: tomorrow }
    const ws = keylessWorkspace()
    fs.writeFileSync(path.join(ws, '.sigstore/trusted_root.json'), JSON.stringify(root))
    const job = idTokenJob(githubClaims(REPO, 'refs/tags/v1.0.0'))
    const before = sigstoreStats()
    const r = await runAction(inputs(image, { version: 'v1.0.0', platforms: 'linux/amd64' }), { workspace: ws, env: job.env, github: { repository: REPO, ref: 'refs/tags/v1.0.0' } })
    expect(r.exitCode).toBe(1)
    expect(r.log).toContain('::error::Input `sigstore-trusted-root`: has no current certificate authority with a certificate chain')
    expect(r.log).not.toContain('docker buildx build')
    expect(docker(['buildx', 'imagetools', 'inspect', `${image}:1.0.0`], { allowFailure: true }).code).not.toBe(0)
    expect(sigstoreStats().certificates).toBe(before.certificates)
  })
})

describe.runIf(run)('a base your own org released keylessly with this action, verified through base-identities (issue 15)', () => {
  const BASES = 'vmafx/bases'
  const baseRef = 'refs/tags/v2.0.0'
  const publisher = `https://github.com/${BASES}/.github/workflows/release.yml@${baseRef}`
  let base: string

  beforeAll(async () => {
    // The org's base image: the e2e runtime base plus a CA file, released (and signed keylessly) by this action.
    const baseImage = uniqueImage('orgbase')
    const job = idTokenJob(githubClaims(BASES, baseRef))
    const ws = keylessWorkspace(`FROM ${e2e.registry}/e2e/static:nonroot\nCOPY go.mod /etc/org-ca.txt\n`)
    const r = await runAction(inputs(baseImage, { version: 'v2.0.0', sbom: 'false' }), { workspace: ws, github: { repository: BASES, ref: baseRef }, env: job.env })
    expect(r.exitCode, r.log).toBe(0)
    base = `${baseImage}:2.0.0`
  })

  const appDockerfile = () => `ARG RUNTIME_IMAGE\nFROM --platform=$BUILDPLATFORM ${e2e.registry}/e2e/golang:1.24 AS build\nARG TARGETOS TARGETARCH\nWORKDIR /src\nCOPY go.mod main.go ./\nRUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/hello .\n\nFROM \${RUNTIME_IMAGE} AS runtime\nCOPY --from=build /out/hello /hello\nUSER 65532:65532\nENTRYPOINT ["/hello"]\n`
  const appInputs = (identity: string) =>
    inputs(uniqueImage('orgapp'), { version: 'v1.0.0', sbom: 'false', 'build-args': `RUNTIME_IMAGE=${base}`, 'allowed-bases': `${e2e.registry}/e2e*`, 'base-identities': `${base.slice(0, base.lastIndexOf(':'))} ${identity} ${ISSUER}` })

  test('the base verifies against its publisher identity through the private trusted root, and the app is built on it', async () => {
    const job = idTokenJob(githubClaims(REPO, 'refs/tags/v1.0.0'))
    const r = await runAction(appInputs(publisher), { workspace: keylessWorkspace(appDockerfile()), github: { repository: REPO, ref: 'refs/tags/v1.0.0' }, env: job.env })
    expect(r.exitCode, r.log).toBe(0)
    const digest = (JSON.parse(docker(['buildx', 'imagetools', 'inspect', base, '--format', '{{json .Manifest}}']).out) as { digest: string }).digest
    expect(r.log).toContain(`Verified base ${base}: ${digest}, signed by ${publisher} (issuer ${ISSUER})`)
    expect(r.summary).toContain('Verified base images')
  })

  test('a base-identities line naming another workflow refuses the base before the build', async () => {
    const job = idTokenJob(githubClaims(REPO, 'refs/tags/v1.0.1'))
    const other = `https://github.com/${BASES}/.github/workflows/nightly.yml@refs/heads/main`
    const r = await runAction(appInputs(other), { workspace: keylessWorkspace(appDockerfile()), github: { repository: REPO, ref: 'refs/tags/v1.0.1' }, env: job.env })
    expect(r.exitCode).toBe(1)
    expect(r.log).toMatch(new RegExp(`base ${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(stage runtime\\) resolved to sha256:[a-f0-9]{64} and is not signed by ${other.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`))
    expect(r.log).not.toContain('buildx build')
  })
})
