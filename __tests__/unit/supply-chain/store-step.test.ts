import * as fs from 'node:fs'
import * as path from 'node:path'
import { describe, expect, test, vi } from 'vitest'

vi.mock('@actions/core', () => ({ info: vi.fn(), error: vi.fn(), warning: vi.fn(), group: (_n: string, fn: () => Promise<unknown>) => fn() }))

const { storeStep } = await import('../../../src/supply-chain/store-step.js')
const { StoreError } = await import('../../../src/supply-chain/attestation-store.js')
import type { SigstoreBundle, StoreClient } from '../../../src/supply-chain/attestation-store.js'
import type { StoreRun, ReferrerReader } from '../../../src/supply-chain/store-step.js'
import type { Signed } from '../../../src/supply-chain/release-step.js'

// Real cosign 3.1 bundles (see attestation-store.test.ts), varied per subject and predicate.
const FIXTURES = path.join(import.meta.dirname, '../../fixtures')
const base = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'cosign-3-vuln-attestation-bundle.json'), 'utf8')) as SigstoreBundle
const signatureBundle = fs.readFileSync(path.join(FIXTURES, 'cosign-3-signature-bundle.json'), 'utf8')
const SIGNER = 'https://github.com/vmafx/demo-operator/.github/workflows/release.yml@refs/tags/v3.2.0'
const INDEX = `sha256:${'1'.repeat(64)}`
const AMD64 = `sha256:${'a'.repeat(64)}`
const URI = { cyclonedx: 'https://cyclonedx.org/bom', slsaprovenance1: 'https://slsa.dev/provenance/v1', vuln: 'https://cosign.sigstore.dev/attestation/vuln/v1' }

function bundle(digest: string, predicateType: string, sig: string): string {
  const statement = JSON.parse(Buffer.from(base.dsseEnvelope?.payload ?? '', 'base64').toString('utf8')) as Record<string, unknown>
  statement.subject = [{ name: 'r', digest: { sha256: digest.slice(7) } }]
  statement.predicateType = predicateType
  return JSON.stringify({ ...base, dsseEnvelope: { ...base.dsseEnvelope, payload: Buffer.from(JSON.stringify(statement)).toString('base64'), signatures: [{ sig }] } })
}

/** A registry holding, per image and digest, referrers (bundles by their text; one plain signature each). */
function registry(content: Record<string, Record<string, string[]>>): ReferrerReader {
  return (image) => {
    const blobs = new Map<string, string>()
    return {
      referrers: (digest) => {
        const list = [...(content[image.name]?.[digest] ?? []), signatureBundle]
        return Promise.resolve(list.map((text, i) => {
          blobs.set(`m-${digest}-${i}`, text)
          return { digest: `m-${digest}-${i}`, mediaType: 'application/vnd.oci.image.manifest.v1+json', artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json' }
        }).concat([{ digest: 'other', mediaType: 'application/vnd.oci.image.manifest.v1+json', artifactType: 'application/vnd.example.other' }]))
      },
      imageManifest: (digest) => Promise.resolve({ layers: [{ digest, mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json' }] }),
      blobText: (digest) => Promise.resolve(blobs.get(digest) ?? '')
    }
  }
}

/** The store: what it holds (DSSE signatures), and an answer per upload (an id, or a status to fail with). */
function store(held: string[], answers: Array<number | StoreErrorLike>) {
  const posted: string[] = []
  const client: StoreClient = {
    storedKeys: () => Promise.resolve(new Set(held)),
    create: (b) => {
      posted.push(b.dsseEnvelope?.signatures?.[0]?.sig ?? '')
      const a = answers.shift() ?? 1
      return typeof a === 'number' ? Promise.resolve(a) : Promise.reject(new StoreError(a.status, `POST …: HTTP ${a.status}`))
    }
  }
  return { client, posted }
}
interface StoreErrorLike { status: number }

const A = { registry: 'registry.example', path: 'o/app', name: 'registry.example/o/app' }
const B = { registry: 'quay.example', path: 'o/app', name: 'quay.example/o/app' }
const signed: Signed = {
  identity: { kind: 'keyless', certificateIdentity: SIGNER, issuer: 'https://token.actions.githubusercontent.com', owner: 'vmafx' },
  predicates: [
    { subject: 'index', digest: INDEX, type: 'cyclonedx' },
    { subject: 'linux/amd64', digest: AMD64, type: 'cyclonedx' },
    { subject: 'linux/amd64', digest: AMD64, type: 'vuln' }
  ],
  images: [A]
}
const content = {
  [A.name]: { [INDEX]: [bundle(INDEX, URI.cyclonedx, 'i-sbom')], [AMD64]: [bundle(AMD64, URI.cyclonedx, 'a-sbom'), bundle(AMD64, URI.vuln, 'a-vuln')] },
  [B.name]: { [INDEX]: [bundle(INDEX, URI.cyclonedx, 'b-i-sbom')], [AMD64]: [bundle(AMD64, URI.cyclonedx, 'b-a-sbom'), bundle(AMD64, URI.vuln, 'b-a-vuln')] }
}

function storeRun(on = true): StoreRun {
  return {
    inputs: { image: A, registryUsername: 'u', registryPassword: 'p', registryAuth: [], attestationStore: on, attestationStoreToken: 'ghs_t' },
    ctx: { apiUrl: 'https://api.github.com', repository: 'vmafx/demo-operator', serverUrl: 'https://github.com' },
    configDir: '/nonexistent',
    report: { notes: [] },
    outputs: {}
  }
}

describe('storeStep', () => {
  test('uploads each attestation bundle of every subject once (no signature), sets the IDs and the report', async () => {
    const run = storeRun()
    const s = store([], [11, 12, 13])
    await storeStep(run, signed, s.client, registry(content))
    expect(s.posted).toEqual(['i-sbom', 'a-sbom', 'a-vuln'])
    expect(run.outputs.attestationIds).toEqual([11, 12, 13])
    expect(run.report.attestationStore?.created.map((c) => [c.subject, c.ref, c.predicateType, c.url])).toEqual([
      ['index', `${A.name}@${INDEX}`, URI.cyclonedx, 'https://github.com/vmafx/demo-operator/attestations/11'],
      ['linux/amd64', `${A.name}@${AMD64}`, URI.cyclonedx, 'https://github.com/vmafx/demo-operator/attestations/12'],
      ['linux/amd64', `${A.name}@${AMD64}`, URI.vuln, 'https://github.com/vmafx/demo-operator/attestations/13']
    ])
  })

  test('a copy in another registry: its own bundles too', async () => {
    const s = store([], [])
    await storeStep(storeRun(), { ...signed, images: [A, B] }, s.client, registry(content))
    expect(s.posted).toEqual(['i-sbom', 'a-sbom', 'a-vuln', 'b-i-sbom', 'b-a-sbom', 'b-a-vuln'])
  })

  test('the reads go out at once: every referrer list and store list is asked for before the first answers', async () => {
    const asked: string[] = []
    let answer: () => void = () => undefined
    const gate = new Promise<void>((r) => (answer = r))
    const all = registry(content)
    const slow: ReferrerReader = (image) => {
      const api = all(image)
      return { ...api, referrers: (digest) => (asked.push(`referrers ${image.registry} ${digest.slice(-4)}`), gate.then(() => api.referrers(digest))) }
    }
    const s = store([], [])
    const client: StoreClient = { ...s.client, storedKeys: (digest) => (asked.push(`store ${digest.slice(-4)}`), gate.then(() => new Set<string>())) }
    const done = storeStep(storeRun(), { ...signed, images: [A, B] }, client, slow)
    await new Promise((r) => setTimeout(r, 10))
    expect(asked.sort()).toEqual([`referrers quay.example ${AMD64.slice(-4)}`, `referrers quay.example ${INDEX.slice(-4)}`, `referrers registry.example ${AMD64.slice(-4)}`, `referrers registry.example ${INDEX.slice(-4)}`, `store ${AMD64.slice(-4)}`, `store ${INDEX.slice(-4)}`].sort())
    answer()
    await done
    expect(s.posted).toEqual(['i-sbom', 'a-sbom', 'a-vuln', 'b-i-sbom', 'b-a-sbom', 'b-a-vuln'])
  })

  test('a re-run uploads only what the store lacks', async () => {
    const run = storeRun()
    const s = store(['i-sbom', 'a-sbom'], [21])
    await storeStep(run, signed, s.client, registry(content))
    expect(s.posted).toEqual(['a-vuln'])
    expect(run.outputs.attestationIds).toEqual([21])
    expect(run.report.attestationStore?.already).toBe(2)
  })

  test('a 503: the rest is not tried; the step fails like an unfinished one, naming each bundle left and the re-run', async () => {
    const run = storeRun()
    const s = store([], [31, { status: 503 }, { status: 503 }, { status: 503 }])
    const err = await storeStep(run, signed, s.client, registry(content)).catch((e: unknown) => e as Error)
    // Retried (three tries), then nothing more asked of the store.
    expect(s.posted).toEqual(['i-sbom', 'a-sbom', 'a-sbom', 'a-sbom'])
    expect(run.outputs.attestationIds).toEqual([31])
    expect(err).toBeInstanceOf(Error)
    expect(err?.message).toBe(
      [
        "Signed and attested, but not in GitHub's attestation store of vmafx/demo-operator (1 stored now, 0 stored before):",
        `- linux/amd64 ${A.name}@${AMD64} (${URI.cyclonedx}): POST …: HTTP 503`,
        `- linux/amd64 ${A.name}@${AMD64} (${URI.vuln}): not tried after the failure above (POST …: HTTP 503)`,
        'Nothing is lost: every bundle stays in the registry beside its digest. Re-run the job: it asks the store what it holds for each digest (GET /repos/vmafx/demo-operator/attestations/DIGEST) and uploads only what is missing; nothing is signed or attested again.'
      ].join('\n')
    )
  }, 20_000)

  test('a 422 refuses one bundle: the others are still uploaded', async () => {
    const run = storeRun()
    const s = store([], [41, { status: 422 }, 43])
    const err = await storeStep(run, signed, s.client, registry(content)).catch((e: unknown) => e as Error)
    expect(s.posted).toEqual(['i-sbom', 'a-sbom', 'a-vuln'])
    expect(run.outputs.attestationIds).toEqual([41, 43])
    expect(err?.message).toContain(`- linux/amd64 ${A.name}@${AMD64} (${URI.cyclonedx}): POST …: HTTP 422`)
  })

  test('an attested type without its bundle in the registry is reported missing', async () => {
    const s = store([], [])
    const err = await storeStep(storeRun(), signed, s.client, registry({ [A.name]: { [INDEX]: content[A.name]?.[INDEX] ?? [], [AMD64]: [bundle(AMD64, URI.cyclonedx, 'a-sbom')] } })).catch((e: unknown) => e as Error)
    expect(s.posted).toEqual(['i-sbom', 'a-sbom'])
    expect(err?.message).toContain(`- linux/amd64 ${A.name}@${AMD64} (vuln): no bundle of it signed as ${SIGNER} among the referrers of the digest`)
  })

  test.each<[string, boolean, Signed | undefined, string[]]>([
    ['attestation-store: false', false, signed, []],
    ['nothing signed (sign: false, or a push-by-digest leg)', true, undefined, ["attestation-store: nothing was attested here, so nothing was uploaded to GitHub's attestation store"]]
  ])('%s: the store is not asked', async (_what, on, what, notes) => {
    const run = storeRun(on)
    const s = store([], [])
    await storeStep(run, what, { ...s.client, storedKeys: () => Promise.reject(new Error('asked')) }, registry(content))
    expect(s.posted).toEqual([])
    expect(run.report.notes).toEqual(notes)
    expect(run.outputs.attestationIds).toBeUndefined()
  })
})
