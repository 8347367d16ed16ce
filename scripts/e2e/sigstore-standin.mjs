#!/usr/bin/env node
// A local Sigstore STAND-IN for the end-to-end suite: not Sigstore. The public Fulcio, Rekor and
// GitHub's token service cannot be reached from these machines, and no Fulcio or Rekor server is
// packaged in Debian. This serves, over HTTPS on loopback, what cosign 2.x and 3.x need for
// keyless signing and verification, and behaves like the real services wherever cosign or a
// verifier can tell (see __tests__/e2e/support/sigstore-standin.test.ts, taken from their docs):
//   OIDC   GitHub Actions' token service: ACTIONS_ID_TOKEN_REQUEST_URL answers
//          {"value": JWT} to `Authorization: bearer <request token>` (RS256, kid, JWKS served)
//   Fulcio POST /api/v2/signingCert (200) and the legacy /api/v1/signingCert (201, PEM chain):
//          checks the token's signature, iss, aud=sigstore, expiry and the proof of possession
//          (a signature over the token's subject); identity = https://github.com/ +
//          job_workflow_ref; the other claims become the extensions of Fulcio's docs/oid-info.md
//          (1.1-1.6 raw, 1.8-1.23 DER UTF8String, by its claim mapping); SCT embedded
//          (the CA and CT log are @sigstore/mock's)
//   Rekor  v1 API: POST /api/v1/log/entries (201, ETag and Location = UUID = leaf hash; 409 for
//          an entry already logged), GET /api/v1/log/entries/{uuid}, POST
//          /api/v1/log/entries/retrieve, GET /api/v1/log, GET /api/v1/log/publicKey. One
//          append-only RFC 6962 Merkle tree: signed entry timestamps, inclusion proofs and
//          signed checkpoints that verify against the tree as it grows
// Control (OIDC port only, the suite's side of the runner): POST /_standin/jobs {claims} ->
// {url, token} sets up one job's ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN; GET /_standin/tokens?job=ID
// lists the ID tokens that job was handed; GET /_standin/stats counts certificates and entries.
// It writes its Fulcio root, Rekor and CT log keys as PEM and its URLs to --dir; sigstore.sh turns
// them into trusted_root.json and signing_config.json with cosign's own `trusted-root create` and
// `signing-config create`.
import * as crypto from 'node:crypto'
import * as fs from 'node:fs'
import * as https from 'node:https'
import * as path from 'node:path'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { initializeCA, initializeCTLog } = require('@sigstore/mock')
const jose = require('jose')

export const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com'
const OID = {
  issuerV1: '1.3.6.1.4.1.57264.1.1',
  trigger: '1.3.6.1.4.1.57264.1.2',
  sha: '1.3.6.1.4.1.57264.1.3',
  workflowName: '1.3.6.1.4.1.57264.1.4',
  repository: '1.3.6.1.4.1.57264.1.5',
  ref: '1.3.6.1.4.1.57264.1.6',
  issuerV2: '1.3.6.1.4.1.57264.1.8',
  buildSignerURI: '1.3.6.1.4.1.57264.1.9',
  buildSignerDigest: '1.3.6.1.4.1.57264.1.10',
  runnerEnvironment: '1.3.6.1.4.1.57264.1.11',
  sourceRepoURI: '1.3.6.1.4.1.57264.1.12',
  sourceRepoDigest: '1.3.6.1.4.1.57264.1.13',
  sourceRepoRef: '1.3.6.1.4.1.57264.1.14',
  sourceRepoIdentifier: '1.3.6.1.4.1.57264.1.15',
  sourceRepoOwnerURI: '1.3.6.1.4.1.57264.1.16',
  sourceRepoOwnerIdentifier: '1.3.6.1.4.1.57264.1.17',
  buildConfigURI: '1.3.6.1.4.1.57264.1.18',
  buildConfigDigest: '1.3.6.1.4.1.57264.1.19',
  buildTrigger: '1.3.6.1.4.1.57264.1.20',
  runInvocationURI: '1.3.6.1.4.1.57264.1.21',
  sourceRepoVisibility: '1.3.6.1.4.1.57264.1.22',
  deploymentEnvironment: '1.3.6.1.4.1.57264.1.23'
}

class HttpError extends Error {
  constructor(status, message) {
    super(message)
    this.status = status
  }
}

const sha256 = (...parts) => {
  const h = crypto.createHash('sha256')
  for (const p of parts) h.update(p)
  return h.digest()
}
const toPEM = (der, label = 'CERTIFICATE') => `-----BEGIN ${label}-----\n${der.toString('base64').match(/.{1,64}/g).join('\n')}\n-----END ${label}-----\n`
const spkiDER = (key) => key.export({ format: 'der', type: 'spki' })
const ecKeyPair = () => crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' })

/** RFC 6962 Merkle tree hashing, as Rekor (Trillian) does it. */
export const leafHash = (data) => sha256(Buffer.from([0]), data)
const nodeHash = (l, r) => sha256(Buffer.from([1]), l, r)
const split = (n) => 2 ** Math.floor(Math.log2(n - 1)) // largest power of two < n
function treeHash(leaves) {
  if (leaves.length === 1) return leaves[0]
  const k = split(leaves.length)
  return nodeHash(treeHash(leaves.slice(0, k)), treeHash(leaves.slice(k)))
}
function auditPath(m, leaves) {
  if (leaves.length <= 1) return []
  const k = split(leaves.length)
  return m < k ? [...auditPath(m, leaves.slice(0, k)), treeHash(leaves.slice(k))] : [...auditPath(m - k, leaves.slice(k)), treeHash(leaves.slice(0, k))]
}

/** JSON canonicalisation (RFC 8785) for what Rekor signs: keys sorted, no whitespace. */
function canonical(v) {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`
  return JSON.stringify(v)
}

export async function createStandin({ host = '127.0.0.1', now = () => new Date() } = {}) {
  const oidcKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 })
  const kid = sha256(spkiDER(oidcKey.publicKey)).toString('hex').slice(0, 16)
  const caKeys = ecKeyPair()
  const ctKeys = ecKeyPair()
  const rekorKeys = ecKeyPair()
  const ctlog = await initializeCTLog(ctKeys)
  const ca = await initializeCA(caKeys, ctlog)
  const rekorPub = spkiDER(rekorKeys.publicKey)
  const rekorLogID = sha256(rekorPub)
  const treeID = crypto.randomInt(2 ** 47)
  const jobs = new Map()
  const log = { leaves: [], entries: [], byUUID: new Map() }
  const stats = { tokens: 0, certificates: 0, rejected: [] }
  const urls = {}

  // --- OIDC: GitHub Actions' token service ---------------------------------------------------
  async function mint(claims, audience, issuer = GITHUB_ISSUER) {
    const iat = Math.floor(now().getTime() / 1000)
    return new jose.SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .setIssuer(issuer)
      .setAudience(audience)
      .setIssuedAt(iat)
      .setNotBefore(iat - 5)
      .setExpirationTime(iat + 300)
      .setJti(crypto.randomUUID())
      .sign(oidcKey.privateKey)
  }

  async function oidc(req, url, body) {
    if (req.method === 'POST' && url.pathname === '/_standin/jobs') {
      const { claims } = JSON.parse(body.toString() || '{}')
      if (!claims || typeof claims.job_workflow_ref !== 'string') throw new HttpError(400, 'claims.job_workflow_ref is required')
      const id = crypto.randomUUID()
      const token = crypto.randomBytes(24).toString('hex')
      jobs.set(id, { token, claims, minted: [] })
      return json(200, { url: `${urls.oidc}/token?api-version=2.0&job=${id}`, token })
    }
    if (req.method === 'GET' && url.pathname === '/_standin/stats') {
      return json(200, { tokens: stats.tokens, certificates: stats.certificates, rekorEntries: log.entries.length, rejected: stats.rejected })
    }
    if (req.method === 'GET' && url.pathname === '/_standin/tokens') {
      // What a job was handed, so the suite can look for it where it must not be.
      return json(200, jobs.get(url.searchParams.get('job') ?? '')?.minted ?? [])
    }
    if (req.method === 'GET' && url.pathname === '/token') {
      const job = jobs.get(url.searchParams.get('job') ?? '')
      const auth = req.headers.authorization ?? ''
      if (!job || !/^bearer /i.test(auth) || auth.slice(7) !== job.token) throw new HttpError(401, 'bad request token')
      stats.tokens++
      const audience = url.searchParams.get('audience') || `https://github.com/${job.claims.repository_owner ?? ''}`
      const value = await mint(job.claims, audience)
      job.minted.push(value)
      return json(200, { count: 1, value })
    }
    if (req.method === 'GET' && url.pathname === '/.well-known/openid-configuration') {
      return json(200, { issuer: GITHUB_ISSUER, jwks_uri: `${urls.oidc}/.well-known/jwks`, id_token_signing_alg_values_supported: ['RS256'] })
    }
    if (req.method === 'GET' && url.pathname === '/.well-known/jwks') {
      return json(200, { keys: [{ ...oidcKey.publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' }] })
    }
    throw new HttpError(404, `no route ${req.method} ${url.pathname}`)
  }

  // --- Fulcio -------------------------------------------------------------------------------
  const jwks = jose.createLocalJWKSet({ keys: [{ ...oidcKey.publicKey.export({ format: 'jwk' }), kid, alg: 'RS256' }] })

  async function verifyToken(token) {
    try {
      const { payload } = await jose.jwtVerify(token, jwks, { issuer: GITHUB_ISSUER, audience: 'sigstore', currentDate: now() })
      return payload
    } catch (e) {
      throw new HttpError(401, `invalid identity token: ${e.message}`)
    }
  }

  function parsePublicKey(content) {
    try {
      const text = content.includes('BEGIN') ? content : Buffer.from(content, 'base64').toString('latin1')
      return text.includes('BEGIN') ? crypto.createPublicKey(text) : crypto.createPublicKey({ key: Buffer.from(content, 'base64'), format: 'der', type: 'spki' })
    } catch (e) {
      throw new HttpError(400, `cannot parse the public key: ${e.message}`)
    }
  }

  /** The subject the proof of possession signs: email for email issuers, else sub (Fulcio's challenge). */
  function checkPossession(key, claims, proofB64) {
    const subject = typeof claims.email === 'string' ? claims.email : claims.sub
    if (typeof subject !== 'string' || !subject) throw new HttpError(400, 'the token has no sub claim')
    if (!proofB64) throw new HttpError(400, 'no proof of possession')
    if (!crypto.verify('sha256', Buffer.from(subject), key, Buffer.from(proofB64, 'base64'))) {
      throw new HttpError(400, 'the proof of possession does not verify: it must be a signature over the token subject with the requested key')
    }
  }

  // Fulcio's docs/oid-info.md, "Mapping OIDC token claims to Fulcio OIDs", GitHub column:
  // server_url is https://github.com for GitHub's issuer. Only claims the token carries become
  // extensions (Fulcio leaves out what it has no claim for).
  function extensions(claims) {
    const gh = 'https://github.com'
    const ext = [
      { oid: OID.issuerV1, value: claims.iss, legacy: true },
      { oid: OID.issuerV2, value: claims.iss }
    ]
    const add = (claim, oid, legacyOid, map = (v) => v) => {
      const v = claims[claim]
      if (typeof v !== 'string') return
      if (legacyOid) ext.push({ oid: legacyOid, value: v, legacy: true })
      if (oid) ext.push({ oid, value: map(v) })
    }
    add('event_name', OID.buildTrigger, OID.trigger)
    add('sha', OID.sourceRepoDigest, OID.sha)
    add('workflow', undefined, OID.workflowName)
    add('repository', OID.sourceRepoURI, OID.repository, (v) => `${gh}/${v}`)
    add('ref', OID.sourceRepoRef, OID.ref)
    add('job_workflow_ref', OID.buildSignerURI, undefined, (v) => `${gh}/${v}`)
    add('job_workflow_sha', OID.buildSignerDigest)
    add('runner_environment', OID.runnerEnvironment)
    add('repository_id', OID.sourceRepoIdentifier)
    add('repository_owner', OID.sourceRepoOwnerURI, undefined, (v) => `${gh}/${v}`)
    add('repository_owner_id', OID.sourceRepoOwnerIdentifier)
    add('workflow_ref', OID.buildConfigURI, undefined, (v) => `${gh}/${v}`)
    add('workflow_sha', OID.buildConfigDigest)
    add('repository_visibility', OID.sourceRepoVisibility)
    add('environment', OID.deploymentEnvironment)
    if (claims.repository && claims.run_id && claims.run_attempt) {
      ext.push({ oid: OID.runInvocationURI, value: `${gh}/${claims.repository}/actions/runs/${claims.run_id}/attempts/${claims.run_attempt}` })
    }
    return ext
  }

  async function issue(token, keyContent, proof) {
    if (!token) throw new HttpError(401, 'no identity token')
    const claims = await verifyToken(token)
    if (typeof claims.job_workflow_ref !== 'string') throw new HttpError(400, 'a GitHub Actions token needs job_workflow_ref')
    const key = parsePublicKey(keyContent)
    checkPossession(key, claims, proof)
    const leaf = await ca.issueCertificate({ publicKey: spkiDER(key), subjectAltName: `https://github.com/${claims.job_workflow_ref}`, extensions: extensions(claims) })
    stats.certificates++
    return [toPEM(leaf), toPEM(ca.rootCertificate)]
  }

  async function fulcio(req, url, body) {
    const bearer = /^bearer /i.test(req.headers.authorization ?? '') ? req.headers.authorization.slice(7) : undefined
    if (req.method === 'POST' && url.pathname === '/api/v2/signingCert') {
      const r = JSON.parse(body.toString())
      if (!r.publicKeyRequest) throw new HttpError(400, 'only publicKeyRequest is supported by the stand-in')
      const chain = await issue(bearer ?? r.credentials?.oidcIdentityToken, r.publicKeyRequest.publicKey?.content ?? '', r.publicKeyRequest.proofOfPossession)
      return json(200, { signedCertificateEmbeddedSct: { chain: { certificates: chain } } })
    }
    if (req.method === 'POST' && url.pathname === '/api/v1/signingCert') {
      const r = JSON.parse(body.toString())
      const chain = await issue(bearer, r.publicKey?.content ?? '', r.signedEmailAddress)
      return { status: 201, headers: { 'content-type': 'application/pem-certificate-chain' }, body: chain.join('') }
    }
    if (req.method === 'GET' && url.pathname === '/api/v1/rootCert') {
      return { status: 200, headers: { 'content-type': 'application/pem-certificate-chain' }, body: toPEM(ca.rootCertificate) }
    }
    if (req.method === 'GET' && url.pathname === '/api/v2/trustBundle') {
      return json(200, { chains: [{ certificates: [toPEM(ca.rootCertificate)] }] })
    }
    throw new HttpError(404, `no route ${req.method} ${url.pathname}`)
  }

  // --- Rekor --------------------------------------------------------------------------------
  function checkpoint(size, root) {
    const origin = `${host} - ${treeID}`
    const note = `${origin}\n${size}\n${root.toString('base64')}\n`
    const sig = crypto.sign('sha256', Buffer.from(note), rekorKeys.privateKey)
    return `${note}\n\u2014 ${host} ${Buffer.concat([rekorLogID.subarray(0, 4), sig]).toString('base64')}\n`
  }

  function view(index) {
    const e = log.entries[index]
    const size = log.leaves.length
    const root = treeHash(log.leaves)
    return {
      [e.uuid]: {
        body: e.body.toString('base64'),
        integratedTime: e.integratedTime,
        logID: rekorLogID.toString('hex'),
        logIndex: index,
        verification: {
          signedEntryTimestamp: e.set,
          inclusionProof: {
            logIndex: index,
            treeSize: size,
            rootHash: root.toString('hex'),
            hashes: auditPath(index, log.leaves).map((h) => h.toString('hex')),
            checkpoint: checkpoint(size, root)
          }
        }
      }
    }
  }

  function append(proposed) {
    if (!proposed || typeof proposed.kind !== 'string' || typeof proposed.apiVersion !== 'string' || !proposed.spec) {
      throw new HttpError(400, 'a proposed entry needs kind, apiVersion and spec')
    }
    const body = Buffer.from(canonical(proposed))
    const leaf = leafHash(body)
    const uuid = leaf.toString('hex')
    if (log.byUUID.has(uuid)) return { conflict: uuid }
    const index = log.leaves.length
    const integratedTime = Math.floor(now().getTime() / 1000)
    const setPayload = canonical({ body: body.toString('base64'), integratedTime, logID: rekorLogID.toString('hex'), logIndex: index })
    const set = crypto.sign('sha256', Buffer.from(setPayload), rekorKeys.privateKey).toString('base64')
    log.leaves.push(leaf)
    log.entries.push({ uuid, body, integratedTime, set })
    log.byUUID.set(uuid, index)
    return { index }
  }

  const entryID = (uuid) => uuid.slice(-64) // accepts the 80-hex EntryID (tree ID + UUID) too

  async function rekor(req, url, body) {
    if (req.method === 'POST' && url.pathname === '/api/v1/log/entries') {
      const r = append(JSON.parse(body.toString()))
      const uuid = r.conflict ?? log.entries[r.index].uuid
      const location = `/api/v1/log/entries/${uuid}`
      if (r.conflict) return json(409, { code: 409, message: `An equivalent entry already exists in the transparency log with UUID ${uuid}` }, { location, etag: uuid })
      return json(201, view(r.index), { location, etag: uuid })
    }
    const m = /^\/api\/v1\/log\/entries\/([0-9a-f]{64,80})$/.exec(url.pathname)
    if (req.method === 'GET' && m) {
      const index = log.byUUID.get(entryID(m[1]))
      if (index === undefined) throw new HttpError(404, 'entry not found')
      return json(200, view(index))
    }
    if (req.method === 'POST' && url.pathname === '/api/v1/log/entries/retrieve') {
      const r = JSON.parse(body.toString())
      const found = [...(r.entryUUIDs ?? []).map((u) => log.byUUID.get(entryID(u))), ...(r.logIndexes ?? [])].filter((i) => i !== undefined && log.entries[i])
      return json(200, found.map(view))
    }
    if (req.method === 'GET' && url.pathname === '/api/v1/log') {
      const size = log.leaves.length
      const root = size ? treeHash(log.leaves) : sha256(Buffer.alloc(0))
      return json(200, { rootHash: root.toString('hex'), treeSize: size, signedTreeHead: checkpoint(size, root), treeID: String(treeID) })
    }
    if (req.method === 'GET' && url.pathname === '/api/v1/log/publicKey') {
      return { status: 200, headers: { 'content-type': 'application/x-pem-file' }, body: toPEM(rekorPub, 'PUBLIC KEY') }
    }
    throw new HttpError(404, `no route ${req.method} ${url.pathname}`)
  }

  function json(status, value, headers = {}) {
    return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(value) }
  }

  const handlers = { oidc, fulcio, rekor }

  /** The trust material as PEM, for `cosign trusted-root create` (sigstore.sh makes the JSON with it). */
  const pems = () => ({ 'fulcio.pem': toPEM(ca.rootCertificate), 'rekor.pub': toPEM(rekorPub, 'PUBLIC KEY'), 'ctlog.pub': toPEM(spkiDER(ctKeys.publicKey), 'PUBLIC KEY') })

  /** One request to one service, answered as the real ones answer errors (JSON code and message). */
  async function respond(name, req, url, body) {
    try {
      return await handlers[name](req, url, body)
    } catch (e) {
      // A body that is not JSON is the client's error, as Rekor and Fulcio answer it.
      const status = e instanceof HttpError ? e.status : e instanceof SyntaxError ? 400 : 500
      stats.rejected.push(`${name} ${req.method} ${url.pathname}: ${status} ${e.message}`)
      return json(status, { code: status, message: e.message })
    }
  }

  return { handlers, respond, urls, pems, stats, mint, jobs, rekorPublicKey: rekorKeys.publicKey, ctPublicKey: ctKeys.publicKey, caRoot: ca.rootCertificate }
}

/** Serves the three services on their own ports; answers errors as the real ones do (JSON). */
export async function serve(standin, { host = '127.0.0.1', ports = { oidc: 0, fulcio: 0, rekor: 0 }, tls, requestLog } = {}) {
  const servers = {}
  for (const name of ['oidc', 'fulcio', 'rekor']) {
    const server = https.createServer(tls, (req, res) => {
      const chunks = []
      req.on('data', (c) => chunks.push(c))
      req.on('end', () => {
        const url = new URL(req.url, standin.urls[name])
        standin.respond(name, req, url, Buffer.concat(chunks)).then((r) => {
            if (requestLog) fs.appendFileSync(requestLog, JSON.stringify({ t: Date.now(), service: name, method: req.method, path: url.pathname, status: r.status }) + '\n')
            res.writeHead(r.status, r.headers)
            res.end(r.body)
          })
      })
    })
    await new Promise((resolve, reject) => {
      server.once('error', reject)
      server.listen(ports[name] ?? 0, host, resolve)
    })
    servers[name] = server
    standin.urls[name] = `https://${host}:${server.address().port}`
  }
  return { servers, close: () => Promise.all(Object.values(servers).map((s) => new Promise((r) => s.close(r)))) }
}

// As a program: node sigstore-standin.mjs --dir DIR --cert C --key K [--port-base N]
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(`--${name}`)
    return i > 0 ? process.argv[i + 1] : fallback
  }
  const dir = arg('dir')
  const base = Number(arg('port-base', '5470'))
  const standin = await createStandin()
  await serve(standin, {
    ports: { oidc: base, fulcio: base + 1, rekor: base + 2 },
    tls: { cert: fs.readFileSync(arg('cert')), key: fs.readFileSync(arg('key')) },
    requestLog: path.join(dir, 'requests.log')
  })
  for (const [name, content] of Object.entries(standin.pems())) fs.writeFileSync(path.join(dir, name), content)
  // Written last: its presence says the services are up.
  fs.writeFileSync(path.join(dir, 'urls.json'), JSON.stringify(standin.urls) + '\n')
  console.log(`sigstore stand-in: oidc ${standin.urls.oidc} fulcio ${standin.urls.fulcio} rekor ${standin.urls.rekor}`)
}
