/**
 * GitHub's attestation store, opt-in (issue 32, part 3): a keyless release in two registries
 * (`images`), with the vulnerability gate's scan attested, and `attestation-store: true`.
 * GitHub's API cannot be reached here: the store is the named STAND-IN of
 * scripts/e2e/attestation-store-standin.ts (GitHub's documented REST contract, in memory), found
 * through GITHUB_API_URL as a runner sets it; Sigstore is the stand-in of sigstore-standin.mjs.
 *
 * The store fails (503) after a few uploads: the step fails like an unfinished one, and a re-run
 * (GITHUB_RUN_ATTEMPT=2) signs nothing and uploads exactly what was missing. Then every stored
 * bundle, written to a file, passes `gh attestation verify --bundle FILE`.
 */
import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { AttestationStoreStandin, StoredAttestation } from '../../scripts/e2e/attestation-store-standin.js'
import { startAttestationStore } from '../../scripts/e2e/attestation-store-standin.js'
import type { ActionRun } from './support/harness.js'
import { runAction } from './support/harness.js'
import { e2e, githubClaims, idTokenJob, keylessInputs, keylessWorkspace, requireEnvironment, secretLeaks, sigstore, testerDockerConfig } from './support/env.js'

const run = requireEnvironment()
const REPO = 'vmafx/demo-operator'
const REF = 'refs/tags/v3.2.0'
/** The job's github.token, as the harness gives it: attestation-store-token's default. */
const TOKEN = 'ghs_e2e_not_a_real_token'
const ghBin = path.join(e2e.state, 'gotools', 'gh')
const WORKFLOW = `github.com/${REPO}/.github/workflows/release.yml`
const PROVENANCE = 'https://slsa.dev/provenance/v1'
const SBOM = 'https://cyclonedx.org/bom'
const VULN = 'https://cosign.sigstore.dev/attestation/vuln/v1'

/** gh as a consumer runs it, in the workspace (see keyless.test.ts: gh wants a login it never uses here). */
function gh(args: string[], ws: string): { code: number; out: string } {
  const p = spawnSync(ghBin, args, { cwd: ws, env: { PATH: '/usr/bin:/bin', HOME: ws, DOCKER_CONFIG: testerDockerConfig, GH_TOKEN: 'e2e-not-a-github-token', GH_NO_UPDATE_NOTIFIER: '1' }, encoding: 'utf8', timeout: 120_000 })
  return { code: p.status ?? 1, out: `${p.stdout}${p.stderr}` }
}

const sigOf = (s: StoredAttestation) => ((s.bundle.dsseEnvelope as { signatures: Array<{ sig: string }> }).signatures[0]?.sig ?? '')

describe.runIf(run)("GitHub's attestation store: every bundle once, a 5xx finished by a re-run (issue 32)", () => {
  const suffix = `e2e-store-${Date.now().toString(36)}`
  const images = [`${e2e.registry}/${suffix}`, `${e2e.registry2}/${suffix}`]
  let store: AttestationStoreStandin
  let ws: string
  let job: ReturnType<typeof idTokenJob>
  let first: ActionRun
  let again: ActionRun
  let platforms: Record<string, string>

  const release = (attempt: string) =>
    runAction(
      keylessInputs('', {
        images: images.join('\n'),
        'registry-auth': `${e2e.registry2}=${e2e.user2}:${e2e.password2}`,
        version: 'v3.2.0',
        'vulnerability-gate': 'warn',
        'trivy-db-repositories': e2e.trivyDb,
        'attestation-store': 'true'
      }),
      { workspace: ws, github: { repository: REPO, ref: REF }, env: { ...job.env, GITHUB_API_URL: store.url, GITHUB_RUN_ATTEMPT: attempt } }
    )

  beforeAll(async () => {
    if (!fs.existsSync(ghBin)) throw new Error(`no gh at ${ghBin}: scripts/e2e/gotools.sh builds it (gotools.sh gh)`)
    store = await startAttestationStore({ token: TOKEN })
    ws = keylessWorkspace()
    job = idTokenJob(githubClaims(REPO, REF))
    // The store takes four bundles, then answers 503 to every upload.
    store.fail(4)
    first = await release('1')
    store.fail(false)
    again = await release('2')
    platforms = JSON.parse(first.outputs['platform-digests'] ?? '{}') as Record<string, string>
  })
  afterAll(() => store?.close())

  test('the first attempt signs and attests everything, stores four bundles, and fails naming what the store lacks and how a re-run finishes it', () => {
    expect(first.exitCode, first.log).toBe(1)
    expect(first.outputs.signed).toBe('true')
    expect(first.log).toContain("::error::Signed and attested, but not in GitHub's attestation store of vmafx/demo-operator (4 stored now, 0 stored before):")
    expect(first.log).toMatch(/HTTP 503 .*stand-in outage/)
    expect(first.log).toContain('Nothing is lost: every bundle stays in the registry beside its digest. Re-run the job: it asks the store what it holds for each digest (GET /repos/vmafx/demo-operator/attestations/DIGEST) and uploads only what is missing; nothing is signed or attested again.')
    expect(first.outputs['attestation-ids']?.split('\n')).toEqual(store.stored().slice(0, 4).map((s) => String(s.id)))
    expect(first.summary).toContain('⚠️ Not in the attestation store yet')
    // After the first 503 (tried three times) the store is not asked again in that attempt.
    expect(store.requests.filter((r) => r.startsWith('POST') && r.endsWith(' 503'))).toHaveLength(3)
  })

  test('the re-run signs and attests nothing, and uploads exactly what was missing', () => {
    expect(again.exitCode, again.log).toBe(0)
    expect(again.outputs.digest).toBe(first.outputs.digest)
    // No cosign run that writes (the log shows every command the action runs): the re-run checked, signed nothing.
    expect(again.log).not.toMatch(/\[command\]\S*cosign (sign|attest) /)
    expect(again.log).toContain('every digest already carries a valid signature; not signing again')
    expect(again.log).toMatch(/Re-run: sha256:[0-9a-f]{64} already carries a valid vuln attestation/)
    const stored = store.stored()
    // Nothing twice: every DSSE signature once.
    expect(new Set(stored.map(sigOf)).size).toBe(stored.length)
    expect(again.outputs['attestation-ids']?.split('\n')).toEqual(stored.slice(4).map((s) => String(s.id)))
    expect(again.log).toContain(`${stored.length - 4} bundle(s) to upload; 4 already in the store`)
    expect(again.summary).toContain(`${stored.length - 4} stored now, 4 stored by an earlier attempt`)
    expect(secretLeaks(first.log + again.log + first.summary + again.summary, [TOKEN])).toEqual([])
  })

  test('one bundle per subject and predicate, in each registry: the index carries each platform\'s SBOM and provenance, each platform its own and its scan', () => {
    const stored = store.stored()
    const digests = { index: first.outputs.digest ?? '', ...platforms }
    expect(Object.keys(platforms).sort()).toEqual(['linux/amd64', 'linux/arm64'])
    const count = (digest: string, type: string) => stored.filter((s) => s.subjects.includes(digest) && s.predicateType === type).length
    const registries = images.length
    expect(count(digests.index, PROVENANCE)).toBe(2 * registries)
    expect(count(digests.index, SBOM)).toBe(2 * registries)
    expect(count(digests.index, VULN)).toBe(0)
    for (const d of Object.values(platforms)) for (const t of [PROVENANCE, SBOM, VULN]) expect(count(d, t), `${d} ${t}`).toBe(registries)
    expect(stored).toHaveLength(registries * (4 + 2 * 3))
    // Every bundle is a statement about a digest of this release, nothing else (no signatures).
    for (const s of stored) expect(Object.values(digests).some((d) => s.subjects.includes(d))).toBe(true)
    expect(new Set(stored.map((s) => s.repository))).toEqual(new Set(['vmafx/demo-operator']))
  })

  test('each stored bundle passes gh attestation verify --bundle FILE for its digest, workflow and predicate type', () => {
    fs.writeFileSync(path.join(ws, 'trusted_root.jsonl'), `${JSON.stringify(JSON.parse(fs.readFileSync(sigstore.trustedRoot, 'utf8')))}\n`)
    const stored = store.stored()
    expect(stored.length).toBeGreaterThan(0)
    for (const s of stored) {
      const file = path.join(ws, `bundle-${s.id}.json`)
      fs.writeFileSync(file, JSON.stringify(s.bundle))
      const digest = s.subjects[0] ?? ''
      const v = gh(['attestation', 'verify', `oci://${images[0] ?? ''}@${digest}`, '--bundle', file, '--owner', 'vmafx', '--signer-workflow', WORKFLOW, '--predicate-type', s.predicateType, '--custom-trusted-root', 'trusted_root.jsonl'], ws)
      expect(v.code, `${s.id} ${digest} ${s.predicateType}\n${v.out}`).toBe(0)
    }
    // The control: a bundle given with another predicate type, or for another digest, fails.
    const one = stored.find((s) => s.predicateType === VULN)
    expect(one).toBeDefined()
    const file = path.join(ws, `bundle-${one?.id ?? 0}.json`)
    const digest = one?.subjects[0] ?? ''
    expect(gh(['attestation', 'verify', `oci://${images[0] ?? ''}@${digest}`, '--bundle', file, '--owner', 'vmafx', '--signer-workflow', WORKFLOW, '--predicate-type', SBOM, '--custom-trusted-root', 'trusted_root.jsonl'], ws).code).not.toBe(0)
    const other = Object.values(platforms).find((d) => d !== digest) ?? ''
    expect(gh(['attestation', 'verify', `oci://${images[0] ?? ''}@${other}`, '--bundle', file, '--owner', 'vmafx', '--signer-workflow', WORKFLOW, '--predicate-type', VULN, '--custom-trusted-root', 'trusted_root.jsonl'], ws).code).not.toBe(0)
  })
})

describe.runIf(run)("GitHub's attestation store without attestations: write (issue 32)", () => {
  test('the store answers 403: asked once, the step fails naming the permission, everything stays signed and attested in the registry', async () => {
    const store = await startAttestationStore({ token: TOKEN, readOnly: true })
    try {
      const ws = keylessWorkspace()
      const job = idTokenJob(githubClaims(REPO, 'refs/tags/v3.3.0'))
      const image = `${e2e.registry}/e2e-store-403-${Date.now().toString(36)}`
      const r = await runAction(
        keylessInputs(image, { platforms: 'linux/amd64', version: 'v3.3.0', 'attestation-store': 'true' }),
        { workspace: ws, github: { repository: REPO, ref: 'refs/tags/v3.3.0' }, env: { ...job.env, GITHUB_API_URL: store.url } }
      )
      expect(r.exitCode, r.log).toBe(1)
      expect(r.outputs.signed).toBe('true')
      expect(r.log).toMatch(/::error::GitHub's attestation store did not take the \S+ bundle of \S+: POST http:\/\/127\.0\.0\.1:\d+\/repos\/vmafx\/demo-operator\/attestations: HTTP 403 .*add `permissions: \{ attestations: write \}` to the job/)
      expect(r.log).toContain('not tried after the failure above')
      expect(r.log).toContain('Re-run the job: it asks the store what it holds for each digest')
      // One POST, no retry of a refusal, nothing stored; the listing was read first.
      expect(store.requests.filter((x) => x.startsWith('POST'))).toEqual(['POST /repos/vmafx/demo-operator/attestations 403'])
      expect(store.requests.some((x) => x.startsWith(`GET /repos/vmafx/demo-operator/attestations/${r.outputs.digest ?? ''} 200`))).toBe(true)
      expect(store.stored()).toEqual([])
      expect(r.outputs['attestation-ids']).toBe('')
    } finally {
      await store.close()
    }
  })
})
