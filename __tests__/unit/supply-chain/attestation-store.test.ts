import * as fs from 'node:fs'
import * as path from 'node:path'
import { describe, expect, test } from 'vitest'
import type { Expected, Fetch, FoundBundle, SigstoreBundle } from '../../../src/supply-chain/attestation-store.js'
import { StoreError, attestationUrl, bundleKey, expectedOf, nextLink, selectBundles, signerOf, statementOf, storeClient, transientStore } from '../../../src/supply-chain/attestation-store.js'

// Real cosign 3.1.3 output, read back from the e2e registry's referrers (the sha256-<hex> tag) of
// a platform digest after a keyless release through the Sigstore stand-in: the vulnerability scan
// attested to it, and its signature, which cosign 3.1 also writes as a DSSE in-toto statement
// (predicate type https://sigstore.dev/cosign/sign/v1).
const FIXTURES = path.join(import.meta.dirname, '../../fixtures')
const vulnBundle = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'cosign-3-vuln-attestation-bundle.json'), 'utf8')) as SigstoreBundle
const signatureBundle = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'cosign-3-signature-bundle.json'), 'utf8')) as SigstoreBundle
const SIGNER = 'https://github.com/vmafx/demo-operator/.github/workflows/release.yml@refs/tags/v3.2.0'
const VULN = 'https://cosign.sigstore.dev/attestation/vuln/v1'
const DIGEST = `sha256:${(JSON.parse(Buffer.from(vulnBundle.dsseEnvelope?.payload ?? '', 'base64').toString('utf8')) as { subject: Array<{ digest: { sha256: string } }> }).subject[0]?.digest.sha256 ?? ''}`

/** The fixture with another statement (subject, predicate type) and signature, the certificate kept. */
function variant(o: { digest?: string; predicateType?: string; sig: string }): SigstoreBundle {
  const statement = JSON.parse(Buffer.from(vulnBundle.dsseEnvelope?.payload ?? '', 'base64').toString('utf8')) as { subject: Array<{ digest: { sha256: string } }>; predicateType: string }
  if (o.digest) statement.subject = [{ ...statement.subject[0], digest: { sha256: o.digest.slice(7) } }]
  if (o.predicateType) statement.predicateType = o.predicateType
  return { ...vulnBundle, dsseEnvelope: { ...vulnBundle.dsseEnvelope, payload: Buffer.from(JSON.stringify(statement)).toString('base64'), signatures: [{ sig: o.sig }] } }
}

describe('reading a bundle', () => {
  test("cosign 3's attestation bundle: its in-toto statement, DSSE signature and signer", () => {
    expect(vulnBundle.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json')
    expect(statementOf(vulnBundle)).toEqual({ predicateType: VULN, subjects: [DIGEST] })
    expect(DIGEST).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(bundleKey(vulnBundle)).toBe(vulnBundle.dsseEnvelope?.signatures?.[0]?.sig)
    expect(signerOf(vulnBundle)).toBe(SIGNER)
  })

  test("cosign 3's signature bundle is a statement too, of cosign's own signing predicate: never an attested type", () => {
    expect(statementOf(signatureBundle)).toEqual({ predicateType: 'https://sigstore.dev/cosign/sign/v1', subjects: [DIGEST] })
  })

  test.each<[string, SigstoreBundle]>([
    ['a message signature (no DSSE envelope)', { mediaType: vulnBundle.mediaType, verificationMaterial: vulnBundle.verificationMaterial }],
    ['another payload type', { ...vulnBundle, dsseEnvelope: { ...vulnBundle.dsseEnvelope, payloadType: 'application/vnd.dev.cosign.simplesigning.v1+json' } }],
    ['a payload that is not JSON', { ...vulnBundle, dsseEnvelope: { ...vulnBundle.dsseEnvelope, payload: Buffer.from('{').toString('base64') } }],
    ['a statement without a predicate type', { ...vulnBundle, dsseEnvelope: { ...vulnBundle.dsseEnvelope, payload: Buffer.from('{"subject":[]}').toString('base64') } }]
  ])('not an attestation: %s', (_what, bundle) => {
    expect(statementOf(bundle)).toBeUndefined()
  })

  test.each<[string, SigstoreBundle, string | undefined]>([
    ['the signature bundle carries the same signer', signatureBundle, SIGNER],
    ['no verification material (a key)', { ...vulnBundle, verificationMaterial: { } }, undefined],
    ['a certificate that does not parse', { ...vulnBundle, verificationMaterial: { certificate: { rawBytes: 'bm90IGEgY2VydA==' } } }, undefined],
    ['a v0.1 certificate chain', { ...vulnBundle, verificationMaterial: { x509CertificateChain: { certificates: [{ rawBytes: vulnBundle.verificationMaterial?.certificate?.rawBytes ?? '' }] } } }, SIGNER]
  ])('signerOf: %s', (_what, bundle, signer) => {
    expect(signerOf(bundle)).toBe(signer)
  })
})

describe('selectBundles: what goes to the store', () => {
  const OTHER = `sha256:${'e'.repeat(64)}`
  const A = 'registry.example/app'
  const B = 'quay.example/app'
  const expectVuln: Expected[] = [{ subject: 'linux/amd64', digest: DIGEST, type: 'vuln' }]
  const found = (image: string, bundle: SigstoreBundle, digest = DIGEST): FoundBundle => ({ image, subject: 'linux/amd64', digest, bundle })
  const k = (sig: string) => sig

  test.each<[string, string[], Expected[], FoundBundle[], string[], string[], string[], string[]]>([
    // name, images, expected, found, stored keys, -> upload keys, already keys, missing "image subject type"
    ['the attestation of the digest, not yet stored', [A], expectVuln, [found(A, vulnBundle)], [], [bundleKey(vulnBundle) ?? ''], [], []],
    ['stored by an earlier attempt', [A], expectVuln, [found(A, vulnBundle)], [bundleKey(vulnBundle) ?? ''], [], [bundleKey(vulnBundle) ?? ''], []],
    ['a signature among the referrers is not uploaded', [A], expectVuln, [found(A, signatureBundle), found(A, variant({ sig: k('v1') }))], [], ['v1'], [], []],
    ['another predicate type than attested is left', [A], expectVuln, [found(A, variant({ sig: 'sbom', predicateType: 'https://cyclonedx.org/bom' }))], [], [], [], [`${A} linux/amd64 vuln`]],
    ['a statement about another digest is left', [A], expectVuln, [found(A, variant({ sig: 'other', digest: OTHER }))], [], [], [], [`${A} linux/amd64 vuln`]],
    ['the same bundle listed twice is uploaded once', [A], expectVuln, [found(A, variant({ sig: 'twice' })), found(A, variant({ sig: 'twice' }))], [], ['twice'], [], []],
    ['each registry of images carries its own bundles: both', [A, B], expectVuln, [found(A, variant({ sig: 'a' })), found(B, variant({ sig: 'b' }))], ['a'], ['b'], ['a'], []],
    ['a copy without its bundle is missing there', [A, B], expectVuln, [found(A, variant({ sig: 'a' }))], [], ['a'], [], [`${B} linux/amd64 vuln`]],
    [
      'the index: every platform\'s SBOM, one type expected, each bundle uploaded',
      [A],
      expectedOf([{ subject: 'index', digest: DIGEST, type: 'cyclonedx' }, { subject: 'index', digest: DIGEST, type: 'cyclonedx' }]),
      [{ image: A, subject: 'index', digest: DIGEST, bundle: variant({ sig: 'amd64', predicateType: 'https://cyclonedx.org/bom' }) }, { image: A, subject: 'index', digest: DIGEST, bundle: variant({ sig: 'arm64', predicateType: 'https://cyclonedx.org/bom' }) }],
      [],
      ['amd64', 'arm64'],
      [],
      []
    ]
  ])('%s', (_name, images, expected, bundles, stored, upload, already, missing) => {
    const s = selectBundles(images, expected, bundles, new Set(stored), SIGNER)
    expect(s.upload.map((u) => u.key)).toEqual(upload)
    expect(s.stored.map((u) => u.key)).toEqual(already)
    expect(s.missing.map((m) => `${m.image} ${m.subject} ${m.type}`)).toEqual(missing)
    for (const u of s.upload) expect(u.predicateType).toBe(statementOf(u.bundle)?.predicateType)
  })

  test("another signer's bundle on the digest is not this release's", () => {
    const s = selectBundles([A], expectVuln, [found(A, vulnBundle)], new Set(), 'https://github.com/someone/else/.github/workflows/x.yml@refs/heads/main')
    expect(s.upload).toEqual([])
    expect(s.missing).toHaveLength(1)
  })

  test('expectedOf: one (subject, type) each, in order', () => {
    expect(expectedOf([
      { subject: 'index', digest: 'sha256:i', type: 'cyclonedx' },
      { subject: 'index', digest: 'sha256:i', type: 'cyclonedx' },
      { subject: 'index', digest: 'sha256:i', type: 'slsaprovenance1' },
      { subject: 'linux/amd64', digest: 'sha256:a', type: 'vuln' }
    ])).toEqual([
      { subject: 'index', digest: 'sha256:i', type: 'cyclonedx' },
      { subject: 'index', digest: 'sha256:i', type: 'slsaprovenance1' },
      { subject: 'linux/amd64', digest: 'sha256:a', type: 'vuln' }
    ])
  })
})

/** A fetch that answers from a table and records each request. */
function fakeFetch(answers: Array<{ status: number; body: unknown; link?: string }>) {
  const calls: Array<{ url: string; method: string; headers: Record<string, string>; body?: unknown }> = []
  const f: Fetch = (url, init) => {
    calls.push({ url, method: init.method, headers: init.headers, ...(init.body ? { body: JSON.parse(init.body) as unknown } : {}) })
    const a = answers.shift() ?? { status: 500, body: {} }
    return Promise.resolve({ status: a.status, headers: { get: (n: string) => (n === 'link' ? (a.link ?? null) : null) }, text: () => Promise.resolve(JSON.stringify(a.body)) })
  }
  return { f, calls }
}

describe('the REST client', () => {
  const API = 'https://api.github.com'
  const headers = { accept: 'application/vnd.github+json', authorization: 'Bearer ghs_t', 'x-github-api-version': '2022-11-28', 'user-agent': 'build-distroless-image' }

  test('create: POST /repos/OWNER/REPO/attestations with {"bundle": …}; 201 {"id": N} resolves to N', async () => {
    const { f, calls } = fakeFetch([{ status: 201, body: { id: 77 } }])
    expect(await storeClient(`${API}/`, 'vmafx/op', 'ghs_t', f).create(vulnBundle)).toBe(77)
    expect(calls).toEqual([{ url: `${API}/repos/vmafx/op/attestations`, method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: { bundle: vulnBundle } }])
  })

  test.each<[string, number, unknown, RegExp, boolean]>([
    ['403: the permission', 403, { message: 'Resource not accessible by integration' }, /HTTP 403 .*add `permissions: \{ attestations: write \}` to the job/, false],
    ['401: the token', 401, { message: 'Bad credentials' }, /HTTP 401 .*the token was refused \(attestation-store-token\)/, false],
    ['422: the bundle', 422, { message: 'Validation Failed' }, /HTTP 422 .*the store refused the bundle/, false],
    ['503: worth a re-run', 503, { message: 'Service Unavailable' }, /^POST https:\/\/api\.github\.com\/repos\/vmafx\/op\/attestations: HTTP 503/, true],
    ['429: worth a re-run', 429, { message: 'rate limited' }, /HTTP 429/, true],
    ['201 without an id', 201, {}, /HTTP 201 without an attestation id/, false]
  ])('create refused, %s', async (_what, status, body, message, transient) => {
    const { f } = fakeFetch([{ status, body }])
    const err = await storeClient(API, 'vmafx/op', 'ghs_t', f).create(vulnBundle).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StoreError)
    expect((err as Error).message).toMatch(message)
    expect(transientStore(err)).toBe(transient)
  })

  test('storedKeys: GET …/attestations/DIGEST?per_page=100, every page of the Link header, each DSSE signature', async () => {
    const { f, calls } = fakeFetch([
      { status: 200, body: { attestations: [{ bundle: variant({ sig: 'p1' }), repository_id: 1, bundle_url: 'u' }] }, link: `<${API}/repos/vmafx/op/attestations/${DIGEST}?per_page=100&after=c1>; rel="next"` },
      { status: 200, body: { attestations: [{ bundle: variant({ sig: 'p2' }) }, { bundle: null, bundle_url: 'u' }] } }
    ])
    expect([...(await storeClient(API, 'vmafx/op', 'ghs_t', f).storedKeys(DIGEST))]).toEqual(['p1', 'p2'])
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([`GET ${API}/repos/vmafx/op/attestations/${DIGEST}?per_page=100`, `GET ${API}/repos/vmafx/op/attestations/${DIGEST}?per_page=100&after=c1`])
    expect(calls[0]?.headers).toEqual(headers)
  })

  test.each<[string, number, unknown, string[]]>([
    ['none stored: an empty list', 200, { attestations: [] }, []],
    ['none stored: 404', 404, { message: 'Not Found' }, []]
  ])('storedKeys, %s', async (_what, status, body, keys) => {
    const { f } = fakeFetch([{ status, body }])
    expect([...(await storeClient(API, 'vmafx/op', 'ghs_t', f).storedKeys(DIGEST))]).toEqual(keys)
  })

  test('storedKeys refused: a StoreError with the status', async () => {
    const { f } = fakeFetch([{ status: 502, body: { message: 'Bad Gateway' } }])
    const err = await storeClient(API, 'vmafx/op', 'ghs_t', f).storedKeys(DIGEST).catch((e: unknown) => e)
    expect((err as StoreError).status).toBe(502)
  })

  test.each<[string, string, string | undefined]>([
    ['next on the API host', `<${API}/repos/o/r/attestations/d?after=x>; rel="next"`, `${API}/repos/o/r/attestations/d?after=x`],
    ['next and prev', `<${API}/a?before=y>; rel="prev", <${API}/a?after=x>; rel="next"`, `${API}/a?after=x`],
    ['no next', `<${API}/a?before=y>; rel="prev"`, undefined],
    ['next on another host: the token stays home', '<https://evil.example/a>; rel="next"', undefined],
    ['empty', '', undefined]
  ])('nextLink: %s', (_what, link, next) => {
    expect(nextLink(link, API)).toBe(next)
  })

  test.each<[unknown, boolean]>([
    [new StoreError(500, 'x'), true],
    [new StoreError(422, 'x'), false],
    [new Error('fetch failed'), true]
  ])('transientStore(%s) is %s', (err, transient) => {
    expect(transientStore(err)).toBe(transient)
  })

  test('attestationUrl: the page GitHub shows, as actions/attest gives it', () => {
    expect(attestationUrl('https://github.com/', 'vmafx/op', 12)).toBe('https://github.com/vmafx/op/attestations/12')
  })
})
