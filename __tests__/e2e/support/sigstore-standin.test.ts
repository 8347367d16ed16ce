/**
 * The e2e Sigstore STAND-IN's contract, pinned to what Fulcio's, Rekor's and GitHub's documentation
 * say the real services do, so that what cosign accepts from it, it would accept from them:
 * - Fulcio, docs/how-certificates-are-issued.md and docs/oidc.md: the ID token is checked (signature
 *   against the issuer's keys, `iss`, `aud: sigstore`, expiry); the public key's proof of
 *   possession is a signature over the token's subject; for GitHub Actions the SAN is the URI
 *   `https://github.com/` + `job_workflow_ref`. docs/oid-info.md: 1.3.6.1.4.1.57264.1.1-1.6
 *   (deprecated GitHub ones, raw strings), 1.8-1.23 (DER UTF8String), each from the GitHub claim
 *   its "Mapping OIDC token claims to Fulcio OIDs" table names; the SCT list
 *   1.3.6.1.4.1.11129.2.4.2 is embedded. Certificates live 10 minutes, EKU codeSigning.
 * - Rekor, openapi.yaml: createLogEntry answers 201 with `ETag` and `Location`; an equivalent entry
 *   is 409; the entry UUID is the RFC 6962 leaf hash; the signed entry timestamp signs the
 *   canonical JSON of body, integratedTime, logID and logIndex; inclusion proofs verify against
 *   the root hash of the tree at treeSize (RFC 9162 §2.1.3.2); the checkpoint is a signed note.
 * - GitHub, "About security hardening with OpenID Connect": GET ACTIONS_ID_TOKEN_REQUEST_URL with
 *   `Authorization: bearer ACTIONS_ID_TOKEN_REQUEST_TOKEN` (and `&audience=`) answers {"value": JWT}.
 */
// @peculiar/x509 needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata'
import * as x509 from '@peculiar/x509'
import * as crypto from 'node:crypto'
import { beforeAll, describe, expect, test } from 'vitest'
import * as jose from 'jose'
import type { Reply, Standin } from '../../../scripts/e2e/sigstore-standin.mjs'
import { GITHUB_ISSUER, createStandin, leafHash } from '../../../scripts/e2e/sigstore-standin.mjs'

const CLAIMS = {
  sub: 'repo:vmafx/op:ref:refs/tags/v1.0.0',
  repository: 'vmafx/op',
  repository_owner: 'vmafx',
  ref: 'refs/tags/v1.0.0',
  sha: 'c0ffee',
  event_name: 'push',
  workflow_ref: 'vmafx/op/.github/workflows/release.yml@refs/tags/v1.0.0',
  job_workflow_ref: 'vmafx/shared/.github/workflows/image.yml@refs/heads/main'
}

/** A whole GitHub Actions token, as GitHub's OIDC docs list its claims. */
const FULL_CLAIMS = {
  ...CLAIMS,
  workflow: 'release',
  job_workflow_sha: 'a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2',
  workflow_sha: 'c0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ff',
  repository_id: '74',
  repository_owner_id: '65',
  repository_visibility: 'private',
  runner_environment: 'github-hosted',
  run_id: '4242',
  run_attempt: '2',
  environment: 'production'
}

let clock = new Date('2026-11-28T12:00:00Z')
let s: Standin

beforeAll(async () => {
  s = await createStandin({ now: () => clock })
  s.urls.oidc = 'https://127.0.0.1:5470'
  s.urls.fulcio = 'https://127.0.0.1:5471'
  s.urls.rekor = 'https://127.0.0.1:5472'
})

function call(service: 'oidc' | 'fulcio' | 'rekor', method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const url = new URL(path, s.urls[service])
  return s.respond(service, { method, headers }, url, Buffer.from(body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body)))
}

/** What cosign sends Fulcio v2: a fresh P-256 key and its signature over the token's subject. */
function certRequest(token: string, subject = CLAIMS.sub, key = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' })) {
  return {
    key,
    body: {
      publicKeyRequest: {
        publicKey: { algorithm: 'ECDSA', content: key.publicKey.export({ format: 'pem', type: 'spki' }).toString() },
        proofOfPossession: crypto.sign('sha256', Buffer.from(subject), key.privateKey).toString('base64')
      }
    },
    headers: { authorization: `Bearer ${token}` }
  }
}

describe('GitHub token service', () => {
  test('answers {value: JWT} to the job bearer, signed by the key its JWKS serves, for the audience asked', async () => {
    const job = JSON.parse((await call('oidc', 'POST', '/_standin/jobs', { claims: CLAIMS })).body) as { url: string; token: string }
    expect(job.url).toMatch(/^https:\/\/127\.0\.0\.1:5470\/token\?api-version=2\.0&job=/)
    const noBearer = await call('oidc', 'GET', `${job.url}&audience=sigstore`)
    expect(noBearer.status).toBe(401)
    const r = await call('oidc', 'GET', `${job.url}&audience=sigstore`, undefined, { authorization: `bearer ${job.token}` })
    expect(r.status).toBe(200)
    const { value } = JSON.parse(r.body) as { value: string }
    const jwks = JSON.parse((await call('oidc', 'GET', '/.well-known/jwks')).body) as jose.JSONWebKeySet
    const config = JSON.parse((await call('oidc', 'GET', '/.well-known/openid-configuration')).body) as { issuer: string; jwks_uri: string }
    expect(config).toMatchObject({ issuer: GITHUB_ISSUER, jwks_uri: 'https://127.0.0.1:5470/.well-known/jwks' })
    const { payload, protectedHeader } = await jose.jwtVerify(value, jose.createLocalJWKSet(jwks), { issuer: GITHUB_ISSUER, audience: 'sigstore', currentDate: clock })
    expect(protectedHeader.alg).toBe('RS256')
    expect(payload).toMatchObject(CLAIMS)
  })
})

describe('Fulcio', () => {
  test('issues a code-signing certificate for a GitHub token: SAN from job_workflow_ref, issuer extensions, SCT, chained to the root', async () => {
    const token = await s.mint(CLAIMS, 'sigstore')
    const req = certRequest(token)
    const r = await call('fulcio', 'POST', '/api/v2/signingCert', req.body, req.headers)
    expect(r.status).toBe(200) // cosign rejects 201 here
    const chain = (JSON.parse(r.body) as { signedCertificateEmbeddedSct: { chain: { certificates: string[] } } }).signedCertificateEmbeddedSct.chain.certificates
    expect(chain).toHaveLength(2)
    const leaf = new x509.X509Certificate(chain[0] ?? '')
    const root = new x509.X509Certificate(chain[1] ?? '')
    expect(await leaf.verify({ publicKey: root.publicKey, signatureOnly: true })).toBe(true)
    expect(leaf.getExtension(x509.SubjectAlternativeNameExtension)?.names.toJSON()).toEqual([{ type: 'url', value: 'https://github.com/vmafx/shared/.github/workflows/image.yml@refs/heads/main' }])
    expect(Buffer.from(leaf.getExtension('1.3.6.1.4.1.57264.1.1')?.value ?? new ArrayBuffer(0)).toString()).toBe(GITHUB_ISSUER)
    expect(Buffer.from(leaf.getExtension('1.3.6.1.4.1.57264.1.8')?.value ?? new ArrayBuffer(0)).subarray(2).toString()).toBe(GITHUB_ISSUER)
    expect(Buffer.from(leaf.getExtension('1.3.6.1.4.1.57264.1.9')?.value ?? new ArrayBuffer(0)).subarray(2).toString()).toBe('https://github.com/vmafx/shared/.github/workflows/image.yml@refs/heads/main')
    expect(leaf.getExtension('1.3.6.1.4.1.11129.2.4.2')).not.toBeNull()
    expect(leaf.getExtension(x509.ExtendedKeyUsageExtension)?.usages).toEqual([x509.ExtendedKeyUsage.codeSigning])
    expect(leaf.notAfter.getTime() - leaf.notBefore.getTime()).toBe(10 * 60_000)
    const spki = Buffer.from(leaf.publicKey.rawData)
    expect(spki.equals(req.key.publicKey.export({ format: 'der', type: 'spki' }))).toBe(true)
  })

  // docs/oid-info.md: 1.1-1.6 are raw strings; 1.8-1.23 are DER UTF8String (tag 0x0C, one length byte here).
  describe("every extension from the token's claims, as docs/oid-info.md maps them", () => {
    let leaf: x509.X509Certificate
    beforeAll(async () => {
      const token = await s.mint(FULL_CLAIMS, 'sigstore')
      const req = certRequest(token)
      const r = await call('fulcio', 'POST', '/api/v2/signingCert', req.body, req.headers)
      leaf = new x509.X509Certificate((JSON.parse(r.body) as { signedCertificateEmbeddedSct: { chain: { certificates: string[] } } }).signedCertificateEmbeddedSct.chain.certificates[0] ?? '')
    })
    const der = (oid: string) => {
      const v = Buffer.from(leaf.getExtension(oid)?.value ?? new ArrayBuffer(0))
      expect(v[0], `${oid} is a UTF8String`).toBe(0x0c)
      expect(v[1], `${oid} length`).toBe(v.length - 2)
      return v.subarray(2).toString()
    }
    const raw = (oid: string) => Buffer.from(leaf.getExtension(oid)?.value ?? new ArrayBuffer(0)).toString()
    test.each([
      ['1.1 Issuer (deprecated, raw)', '1.3.6.1.4.1.57264.1.1', raw, GITHUB_ISSUER],
      ['1.2 GitHub Workflow Trigger (raw): event_name', '1.3.6.1.4.1.57264.1.2', raw, 'push'],
      ['1.3 GitHub Workflow SHA (raw): sha', '1.3.6.1.4.1.57264.1.3', raw, 'c0ffee'],
      ['1.4 GitHub Workflow Name (raw): workflow', '1.3.6.1.4.1.57264.1.4', raw, 'release'],
      ['1.5 GitHub Workflow Repository (raw): repository', '1.3.6.1.4.1.57264.1.5', raw, 'vmafx/op'],
      ['1.6 GitHub Workflow Ref (raw): ref', '1.3.6.1.4.1.57264.1.6', raw, 'refs/tags/v1.0.0'],
      ['1.8 Issuer (V2): iss', '1.3.6.1.4.1.57264.1.8', der, GITHUB_ISSUER],
      ['1.9 Build Signer URI: server_url + job_workflow_ref', '1.3.6.1.4.1.57264.1.9', der, 'https://github.com/vmafx/shared/.github/workflows/image.yml@refs/heads/main'],
      ['1.10 Build Signer Digest: job_workflow_sha', '1.3.6.1.4.1.57264.1.10', der, 'a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2'],
      ['1.11 Runner Environment: runner_environment', '1.3.6.1.4.1.57264.1.11', der, 'github-hosted'],
      ['1.12 Source Repository URI: server_url + repository', '1.3.6.1.4.1.57264.1.12', der, 'https://github.com/vmafx/op'],
      ['1.13 Source Repository Digest: sha', '1.3.6.1.4.1.57264.1.13', der, 'c0ffee'],
      ['1.14 Source Repository Ref: ref', '1.3.6.1.4.1.57264.1.14', der, 'refs/tags/v1.0.0'],
      ['1.15 Source Repository Identifier: repository_id', '1.3.6.1.4.1.57264.1.15', der, '74'],
      ['1.16 Source Repository Owner URI: server_url + repository_owner', '1.3.6.1.4.1.57264.1.16', der, 'https://github.com/vmafx'],
      ['1.17 Source Repository Owner Identifier: repository_owner_id', '1.3.6.1.4.1.57264.1.17', der, '65'],
      ['1.18 Build Config URI: server_url + workflow_ref', '1.3.6.1.4.1.57264.1.18', der, 'https://github.com/vmafx/op/.github/workflows/release.yml@refs/tags/v1.0.0'],
      ['1.19 Build Config Digest: workflow_sha', '1.3.6.1.4.1.57264.1.19', der, 'c0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ff'],
      ['1.20 Build Trigger: event_name', '1.3.6.1.4.1.57264.1.20', der, 'push'],
      ['1.21 Run Invocation URI: server_url + repository + /actions/runs/ + run_id + /attempts/ + run_attempt', '1.3.6.1.4.1.57264.1.21', der, 'https://github.com/vmafx/op/actions/runs/4242/attempts/2'],
      ['1.22 Source Repository Visibility At Signing: repository_visibility', '1.3.6.1.4.1.57264.1.22', der, 'private'],
      ['1.23 Deployment Environment: environment', '1.3.6.1.4.1.57264.1.23', der, 'production']
    ])('%s', (_name, oid, read, expected) => {
      expect(read(oid)).toBe(expected)
    })

    test('a claim the token lacks gives no extension (not an empty one)', async () => {
      const token = await s.mint(CLAIMS, 'sigstore')
      const req = certRequest(token)
      const r = await call('fulcio', 'POST', '/api/v2/signingCert', req.body, req.headers)
      const partial = new x509.X509Certificate((JSON.parse(r.body) as { signedCertificateEmbeddedSct: { chain: { certificates: string[] } } }).signedCertificateEmbeddedSct.chain.certificates[0] ?? '')
      for (const n of [10, 11, 15, 17, 19, 21, 22, 23]) expect(partial.getExtension(`1.3.6.1.4.1.57264.1.${n}`), `1.${n}`).toBeNull()
      expect(partial.getExtension('1.3.6.1.4.1.57264.1.16')).not.toBeNull()
    })
  })

  test('the legacy v1 API (cosign 2) answers 201 with the PEM chain', async () => {
    const token = await s.mint(CLAIMS, 'sigstore')
    const key = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
    const body = { publicKey: { algorithm: 'ecdsa', content: key.publicKey.export({ format: 'der', type: 'spki' }).toString('base64') }, signedEmailAddress: crypto.sign('sha256', Buffer.from(CLAIMS.sub), key.privateKey).toString('base64') }
    const r = await call('fulcio', 'POST', '/api/v1/signingCert', body, { authorization: `Bearer ${token}` })
    expect(r.status).toBe(201)
    expect(r.headers['content-type']).toBe('application/pem-certificate-chain')
    expect(r.body.match(/-----BEGIN CERTIFICATE-----/g)).toHaveLength(2)
  })

  const otherKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 })
  test.each<[string, () => Promise<{ token: string; subject?: string }>, number, RegExp]>([
    ['no token', () => Promise.resolve({ token: '' }), 401, /no identity token/],
    ['a token signed by another key', () => new jose.SignJWT(CLAIMS).setProtectedHeader({ alg: 'RS256' }).setIssuer(GITHUB_ISSUER).setAudience('sigstore').setIssuedAt().setExpirationTime('5m').sign(otherKey.privateKey).then((token) => ({ token })), 401, /invalid identity token/],
    ['the audience of the repository owner, not sigstore', () => s.mint(CLAIMS, 'https://github.com/vmafx').then((token) => ({ token })), 401, /invalid identity token: unexpected "aud" claim value/],
    ['an expired token', async () => {
      const token = await s.mint(CLAIMS, 'sigstore')
      clock = new Date(clock.getTime() + 10 * 60_000)
      return { token }
    }, 401, /invalid identity token: "exp" claim timestamp check failed/],
    ['a proof of possession over another subject', () => s.mint(CLAIMS, 'sigstore').then((token) => ({ token, subject: 'repo:evil/op:ref:refs/heads/main' })), 400, /the proof of possession does not verify/],
    ['a token without job_workflow_ref (not GitHub Actions-shaped)', () => s.mint({ sub: CLAIMS.sub }, 'sigstore').then((token) => ({ token })), 400, /needs job_workflow_ref/]
  ])('refuses %s', async (_name, make, status, message) => {
    const { token, subject } = await make()
    const req = certRequest(token, subject)
    const r = await call('fulcio', 'POST', '/api/v2/signingCert', req.body, token ? req.headers : {})
    expect(r.status).toBe(status)
    expect((JSON.parse(r.body) as { message: string }).message).toMatch(message)
  })

  test('a token from another issuer, even signed by a trusted key, is refused', async () => {
    const req = certRequest(await s.mint(CLAIMS, 'sigstore', 'https://accounts.google.com'))
    const r = await call('fulcio', 'POST', '/api/v2/signingCert', req.body, req.headers)
    expect(r.status).toBe(401)
    expect((JSON.parse(r.body) as { message: string }).message).toMatch(/invalid identity token: unexpected "iss" claim value/)
  })
})

/** RFC 9162 §2.1.3.2: recompute the root from a leaf hash and its audit path. */
function rootFromProof(index: number, size: number, leaf: Buffer, path: Buffer[]): Buffer {
  let fn = index
  let sn = size - 1
  let r = leaf
  const node = (l: Buffer, rr: Buffer) => crypto.createHash('sha256').update(Buffer.from([1])).update(l).update(rr).digest()
  for (const p of path) {
    if (sn === 0) throw new Error('proof too long')
    if (fn % 2 === 1 || fn === sn) {
      r = node(p, r)
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn >>= 1
          sn >>= 1
        }
      }
    } else {
      r = node(r, p)
    }
    fn >>= 1
    sn >>= 1
  }
  if (sn !== 0) throw new Error('proof too short')
  return r
}

interface LogEntry {
  body: string
  integratedTime: number
  logID: string
  logIndex: number
  verification: { signedEntryTimestamp: string; inclusionProof: { logIndex: number; treeSize: number; rootHash: string; hashes: string[]; checkpoint: string } }
}

function hashedrekord(n: number) {
  return { kind: 'hashedrekord', apiVersion: '0.0.1', spec: { data: { hash: { algorithm: 'sha256', value: crypto.createHash('sha256').update(`artifact ${n}`).digest('hex') } }, signature: { content: Buffer.from(`sig ${n}`).toString('base64'), publicKey: { content: 'cGVt' } } } }
}

describe('Rekor', () => {
  const entries: Array<[string, LogEntry]> = []

  beforeAll(async () => {
    for (let n = 0; n < 7; n++) {
      const r = await call('rekor', 'POST', '/api/v1/log/entries', hashedrekord(n))
      expect(r.status).toBe(201)
      const [[uuid, entry]] = Object.entries(JSON.parse(r.body) as Record<string, LogEntry>) as [[string, LogEntry]]
      expect(r.headers.etag).toBe(uuid)
      expect(r.headers.location).toBe(`/api/v1/log/entries/${uuid}`)
      entries.push([uuid, entry])
    }
  })

  test('the UUID is the RFC 6962 leaf hash of the canonical body', () => {
    for (const [uuid, e] of entries) expect(uuid).toBe(leafHash(Buffer.from(e.body, 'base64')).toString('hex'))
  })

  test('the signed entry timestamp verifies with the log key over body, integratedTime, logID, logIndex', () => {
    for (const [, e] of entries) {
      const payload = JSON.stringify({ body: e.body, integratedTime: e.integratedTime, logID: e.logID, logIndex: e.logIndex })
      expect(crypto.verify('sha256', Buffer.from(payload), s.rekorPublicKey, Buffer.from(e.verification.signedEntryTimestamp, 'base64'))).toBe(true)
    }
    expect(entries[0]?.[1].logID).toBe(crypto.createHash('sha256').update(s.rekorPublicKey.export({ format: 'der', type: 'spki' })).digest('hex'))
  })

  test('each inclusion proof verifies against its root, and again against the grown tree', async () => {
    for (const [uuid, e] of entries) {
      const p = e.verification.inclusionProof
      expect(p.treeSize).toBe(e.logIndex + 1)
      const root = rootFromProof(p.logIndex, p.treeSize, Buffer.from(uuid, 'hex'), p.hashes.map((h) => Buffer.from(h, 'hex')))
      expect(root.toString('hex')).toBe(p.rootHash)
      const now = Object.values(JSON.parse((await call('rekor', 'GET', `/api/v1/log/entries/${uuid}`)).body) as Record<string, LogEntry>)[0]
      const q = now?.verification.inclusionProof
      expect(q?.treeSize).toBe(entries.length)
      expect(rootFromProof(q?.logIndex ?? -1, q?.treeSize ?? 0, Buffer.from(uuid, 'hex'), (q?.hashes ?? []).map((h) => Buffer.from(h, 'hex'))).toString('hex')).toBe(q?.rootHash)
    }
  })

  test('the checkpoint is a signed note over origin, size and root', () => {
    const p = entries[6]?.[1].verification.inclusionProof
    const [note, sigLine] = (p?.checkpoint ?? '').split('\n\n')
    const lines = (note ?? '').split('\n')
    expect(lines[1]).toBe(String(p?.treeSize))
    expect(Buffer.from(lines[2] ?? '', 'base64').toString('hex')).toBe(p?.rootHash)
    const m = /^\u2014 (\S+) (\S+)\n$/.exec(sigLine ?? '')
    const sig = Buffer.from(m?.[2] ?? '', 'base64')
    expect(sig.subarray(0, 4).toString('hex')).toBe(entries[0]?.[1].logID.slice(0, 8))
    expect(crypto.verify('sha256', Buffer.from(`${note}\n`), s.rekorPublicKey, sig.subarray(4))).toBe(true)
  })

  test('an equivalent entry is 409 with the existing Location; the log does not grow', async () => {
    const r = await call('rekor', 'POST', '/api/v1/log/entries', hashedrekord(3))
    expect(r.status).toBe(409)
    expect(r.headers.location).toBe(`/api/v1/log/entries/${entries[3]?.[0] ?? ''}`)
    const info = JSON.parse((await call('rekor', 'GET', '/api/v1/log')).body) as { treeSize: number }
    expect(info.treeSize).toBe(entries.length)
  })

  test('retrieve finds entries by UUID; a malformed entry is 400', async () => {
    const found = JSON.parse((await call('rekor', 'POST', '/api/v1/log/entries/retrieve', { entryUUIDs: [entries[2]?.[0]] })).body) as Array<Record<string, LogEntry>>
    expect(Object.keys(found[0] ?? {})).toEqual([entries[2]?.[0]])
    expect((await call('rekor', 'POST', '/api/v1/log/entries', { kind: 'hashedrekord' })).status).toBe(400)
    expect((await call('rekor', 'POST', '/api/v1/log/entries', 'not json')).status).toBe(400)
  })
})
