// The attestation store stand-in's contract, as GitHub's REST API documents "Create an attestation"
// (POST /repos/{owner}/{repo}/attestations, body {"bundle": …}: 201 {"id": N}, 403, 422) and
// "List attestations" (GET /repos/{owner}/{repo}/attestations/{subject_digest}: 200
// {"attestations": [{"bundle", "repository_id", "bundle_url"}]}, paged by the Link header with
// per_page, before and after), driven by raw requests and by the action's own client.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest'
import type { AttestationStoreStandin } from '../../../scripts/e2e/attestation-store-standin.js'
import { startAttestationStore } from '../../../scripts/e2e/attestation-store-standin.js'
import { StoreError, storeClient } from '../../../src/supply-chain/attestation-store.js'

const TOKEN = 'ghs_standin_contract'
const D1 = `sha256:${'1'.repeat(64)}`
const D2 = `sha256:${'2'.repeat(64)}`

/** A bundle of the shape the docs' request example shows: v0.3, verification material, a DSSE envelope of an in-toto statement. */
function bundle(digest: string, sig: string, predicateType = 'https://slsa.dev/provenance/v1') {
  const statement = { _type: 'https://in-toto.io/Statement/v1', subject: [{ name: 'registry.example/app', digest: { sha256: digest.slice(7) } }], predicateType, predicate: {} }
  return {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: { certificate: { rawBytes: 'MIIB' }, tlogEntries: [] },
    dsseEnvelope: { payload: Buffer.from(JSON.stringify(statement)).toString('base64'), payloadType: 'application/vnd.in-toto+json', signatures: [{ sig, keyid: '' }] }
  }
}

let store: AttestationStoreStandin
beforeAll(async () => {
  store = await startAttestationStore({ token: TOKEN })
})
afterAll(() => store.close())
beforeEach(() => store.fail(false))

const post = (body: unknown, token = TOKEN, repo = 'vmafx/app') =>
  fetch(`${store.url}/repos/${repo}/attestations`, { method: 'POST', headers: { authorization: `Bearer ${token}`, accept: 'application/vnd.github+json', 'content-type': 'application/json' }, body: JSON.stringify(body) })
const list = (digest: string, query = '', repo = 'vmafx/app') => fetch(`${store.url}/repos/${repo}/attestations/${digest}${query}`, { headers: { authorization: `Bearer ${TOKEN}` } })

describe('the attestation store stand-in (GitHub REST API: repository attestations)', () => {
  test('POST with a bundle: 201 and {"id": N}; the listing of the subject digest returns it with repository_id and bundle_url', async () => {
    const b = bundle(D1, 'c2lnLWE=')
    const res = await post({ bundle: b })
    expect(res.status).toBe(201)
    const { id } = (await res.json()) as { id: number }
    expect(typeof id).toBe('number')
    const got = await list(D1)
    expect(got.status).toBe(200)
    const body = (await got.json()) as { attestations: Array<{ bundle: unknown; repository_id: number; bundle_url: string }> }
    expect(body.attestations).toHaveLength(1)
    expect(body.attestations[0]?.bundle).toEqual(b)
    expect(typeof body.attestations[0]?.repository_id).toBe('number')
    expect(body.attestations[0]?.bundle_url).toMatch(/^http/)
  })

  test.each<[string, unknown, number]>([
    ['no bundle', {}, 422],
    ['not a Sigstore bundle', { bundle: { mediaType: 'application/json' } }, 422],
    ['no verification material', { bundle: { ...bundle(D1, 'eA=='), verificationMaterial: undefined } }, 422]
  ])('POST with %s: %i', async (_what, body, status) => {
    const res = await post(body)
    expect(res.status).toBe(status)
    expect(((await res.json()) as { message: string }).message).toBe('Validation Failed')
  })

  test('another token: 401; an unknown digest: 200 with an empty list; another repository does not see the bundle', async () => {
    expect((await post({ bundle: bundle(D2, 'eHg=') }, 'ghs_other')).status).toBe(401)
    expect(await (await list(`sha256:${'9'.repeat(64)}`)).json()).toEqual({ attestations: [] })
    expect((await post({ bundle: bundle(D2, 'eXk=') })).status).toBe(201)
    expect(await (await list(D2, '', 'vmafx/other')).json()).toEqual({ attestations: [] })
  })

  test('more than per_page: a Link rel="next" page with the rest; predicate_type filters', async () => {
    for (let i = 0; i < 3; i++) expect((await post({ bundle: bundle(D2, `cGFnZS0${i}`, i === 2 ? 'https://cyclonedx.org/bom' : undefined) })).status).toBe(201)
    const first = await list(D2, '?per_page=2')
    const link = first.headers.get('link') ?? ''
    expect(link).toMatch(/^<http:\/\/127\.0\.0\.1:\d+\/repos\/vmafx\/app\/attestations\/sha256:2+\?per_page=2&after=\d+>; rel="next"$/)
    expect(((await first.json()) as { attestations: unknown[] }).attestations).toHaveLength(2)
    const second = await fetch(/<([^>]+)>/.exec(link)?.[1] ?? '', { headers: { authorization: `Bearer ${TOKEN}` } })
    expect(((await second.json()) as { attestations: unknown[] }).attestations).toHaveLength(2)
    expect(second.headers.get('link')).toBeNull()
    const sboms = (await (await list(D2, '?predicate_type=https://cyclonedx.org/bom')).json()) as { attestations: unknown[] }
    expect(sboms.attestations).toHaveLength(1)
  })

  test('an outage: 503 to POSTs after the first n, until it ends', async () => {
    store.fail(1)
    expect((await post({ bundle: bundle(D1, 'b3V0LTE=') })).status).toBe(201)
    expect((await post({ bundle: bundle(D1, 'b3V0LTI=') })).status).toBe(503)
    expect((await post({ bundle: bundle(D1, 'b3V0LTM=') })).status).toBe(503)
    store.fail(false)
    expect((await post({ bundle: bundle(D1, 'b3V0LTM=') })).status).toBe(201)
  })

  test("the action's client: create resolves to the id; storedKeys follows the pages and gives each DSSE signature; a 503 is a StoreError with its status", async () => {
    const client = storeClient(store.url, 'vmafx/client', TOKEN)
    const ids = [await client.create(bundle(D1, 'azE=')), await client.create(bundle(D1, 'azI='))]
    expect(ids[1]).toBeGreaterThan(ids[0] ?? 0)
    expect([...(await client.storedKeys(D1))].sort()).toEqual(['azE=', 'azI='])
    store.fail(0)
    const err = await client.create(bundle(D1, 'azM=')).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StoreError)
    expect((err as StoreError).status).toBe(503)
    const readOnly = await startAttestationStore({ token: TOKEN, readOnly: true })
    const refused = await storeClient(readOnly.url, 'vmafx/client', TOKEN).create(bundle(D1, 'azQ=')).catch((e: unknown) => e)
    await readOnly.close()
    expect((refused as Error).message).toContain('add `permissions: { attestations: write }` to the job')
  })
})
