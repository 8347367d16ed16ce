/**
 * A policy-controller `TrustRoot` (policy.sigstore.dev/v1alpha1) for a private Sigstore, made from
 * its trusted root (the JSON a `sigstore-trusted-root` input names), for policy-controller's
 * policy-tester in the e2e. Two forms:
 *
 * - `repository`: a TUF repository (root, snapshot, timestamp and targets metadata, signed with a
 *   fresh ed25519 key, expiring in 2099; consistent snapshots) holding the trusted root as a
 *   target, tarred, gzipped and inlined as `mirrorFS`, as policy-controller's air-gap form takes
 *   it. The target is present twice, with the same bytes: as `trusted_root.json`, the name
 *   policy-controller's reconciler reads (pkg/reconciler/trustroot/trustroot.go:181), and under
 *   the empty name, the one policy-tester v0.13.1 asks its TUF client for
 *   (cmd/tester/trustroot.go:43 passes "" to GetSigstoreKeysFromTuf); with only the first,
 *   policy-tester falls back to custom target metadata and finds no certificate authority.
 *   Parsed from the trusted root's JSON, the logs keep their IDs as bytes.
 * - `sigstoreKeys`: the same keys inline. policy-tester v0.13.1 recomputes each log's ID as the
 *   ASCII of its hex (pkg/apis/config/sigstore_keys.go:165-176), which no log entry matches.
 */
import { execFileSync } from 'node:child_process'
import * as crypto from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { stringify } from 'yaml'

/** TUF's canonical JSON (OLPC): keys sorted, no whitespace; enough for the strings and integers here. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`
  }
  return JSON.stringify(v)
}

const sha256 = (b: Buffer | string) => crypto.createHash('sha256').update(b).digest('hex')

/** A TUF repository serving TRUSTEDROOT, as a TrustRoot's `repository`: its root and its mirrorFS. */
function tufRepository(trustedRoot: Buffer): { root: Buffer; mirrorFS: Buffer } {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519')
  const key = { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex') } }
  const keyid = sha256(canonical(key))
  const expires = '2099-01-01T00:00:00Z'
  const sign = (signed: Record<string, unknown>) => Buffer.from(JSON.stringify({ signatures: [{ keyid, sig: crypto.sign(null, Buffer.from(canonical(signed)), privateKey).toString('hex') }], signed }))
  const meta = (b: Buffer) => ({ length: b.length, hashes: { sha256: sha256(b) } })
  const role = { keyids: [keyid], threshold: 1 }
  const common = { spec_version: '1.0', version: 1, expires }
  const root = sign({ _type: 'root', ...common, consistent_snapshot: true, keys: { [keyid]: key }, roles: { root: role, targets: role, snapshot: role, timestamp: role } })
  const target = meta(trustedRoot)
  const targets = sign({ _type: 'targets', ...common, targets: { 'trusted_root.json': target, '': target } })
  const snapshot = sign({ _type: 'snapshot', ...common, meta: { 'targets.json': { version: 1, ...meta(targets) } } })
  const timestamp = sign({ _type: 'timestamp', ...common, meta: { 'snapshot.json': { version: 1, ...meta(snapshot) } } })

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-tuf-'))
  const repo = path.join(dir, 'repository')
  fs.mkdirSync(path.join(repo, 'targets'), { recursive: true })
  const files: Record<string, Buffer> = { 'root.json': root, '1.root.json': root, '1.targets.json': targets, '1.snapshot.json': snapshot, 'timestamp.json': timestamp }
  // Consistent snapshots: a target is fetched as HASH.NAME (HASH.. for the empty name).
  files[`targets/${target.hashes.sha256}.trusted_root.json`] = trustedRoot
  files[`targets/${target.hashes.sha256}..`] = trustedRoot
  for (const [name, bytes] of Object.entries(files)) fs.writeFileSync(path.join(repo, name), bytes)
  const mirrorFS = execFileSync('tar', ['-C', dir, '--owner=0', '--group=0', '-czf', '-', 'repository'], { maxBuffer: 16 << 20 })
  fs.rmSync(dir, { recursive: true, force: true })
  return { root, mirrorFS }
}

interface TrustedRootJson {
  tlogs: Array<{ baseUrl: string; publicKey: { rawBytes: string } }>
  ctlogs: Array<{ baseUrl: string; publicKey: { rawBytes: string } }>
  certificateAuthorities: Array<{ subject: { organization: string; commonName: string }; uri: string; certChain: { certificates: Array<{ rawBytes: string }> } }>
}

const pem = (der: string, type: string) => `-----BEGIN ${type}-----\n${(der.match(/.{1,64}/g) ?? []).join('\n')}\n-----END ${type}-----\n`
const b64 = (s: string) => Buffer.from(s).toString('base64')

/** The TrustRoot NAME for the trusted root in TRUSTEDROOTFILE, as YAML in a file of its own; its path. */
export function trustRootFile(name: string, trustedRootFile: string, form: 'repository' | 'sigstoreKeys'): string {
  const raw = fs.readFileSync(trustedRootFile)
  let spec: Record<string, unknown>
  if (form === 'repository') {
    const { root, mirrorFS } = tufRepository(raw)
    spec = { repository: { root: root.toString('base64'), mirrorFS: mirrorFS.toString('base64'), targets: 'targets' } }
  } else {
    const tr = JSON.parse(raw.toString('utf8')) as TrustedRootJson
    const log = (l: TrustedRootJson['tlogs'][number]) => ({ baseURL: l.baseUrl, hashAlgorithm: 'sha-256', publicKey: b64(pem(l.publicKey.rawBytes, 'PUBLIC KEY')) })
    spec = {
      sigstoreKeys: {
        certificateAuthorities: tr.certificateAuthorities.map((c) => ({ subject: c.subject, uri: c.uri, certChain: b64(c.certChain.certificates.map((x) => pem(x.rawBytes, 'CERTIFICATE')).join('')) })),
        tLogs: tr.tlogs.map(log),
        ctLogs: tr.ctlogs.map(log)
      }
    }
  }
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-trustroot-')), 'trustroot.yaml')
  fs.writeFileSync(file, stringify({ apiVersion: 'policy.sigstore.dev/v1alpha1', kind: 'TrustRoot', metadata: { name }, spec }))
  return file
}
