import * as crypto from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { describe, expect, test } from 'vitest'
import { cosign2TrustEnv, current, parseSigningConfig, parseTrustedRoot, readSigstoreTrust } from '../../../src/sigstore/trust-roots.js'

// Made by cosign 3.1.1's `trusted-root create` / `signing-config create` (see fixtures/sigstore/README.md).
const FIX = path.join(import.meta.dirname, '..', '..', 'fixtures', 'sigstore')
const json = (name: string): unknown => JSON.parse(fs.readFileSync(path.join(FIX, name), 'utf8'))
const NOW = new Date('2026-11-28T00:00:00Z')
const samePublicKey = (a: string, b: string) => crypto.createPublicKey(a).export({ format: 'der', type: 'spki' }).equals(crypto.createPublicKey(b).export({ format: 'der', type: 'spki' }))

describe('parseTrustedRoot', () => {
  test('gives cosign 2 the Fulcio chain and the Rekor and CT log keys it was made from', () => {
    const t = parseTrustedRoot(json('trusted_root.json'), undefined, NOW)
    expect(new crypto.X509Certificate(t.fulcioRoots).raw.equals(new crypto.X509Certificate(fs.readFileSync(path.join(FIX, 'fulcio.pem'))).raw)).toBe(true)
    expect(samePublicKey(t.rekorKey ?? '', fs.readFileSync(path.join(FIX, 'rekor.pub'), 'utf8'))).toBe(true)
    expect(samePublicKey(t.ctlogKey ?? '', fs.readFileSync(path.join(FIX, 'ctlog.pub'), 'utf8'))).toBe(true)
  })

  test.each<[string, unknown, RegExp]>([
    ['a signing config given as the root', json('signing_config.json'), /^Input `sigstore-trusted-root`: is not a Sigstore trusted root: mediaType must be "application\/vnd\.dev\.sigstore\.trustedroot\+json;version=0\.1"/],
    ['a CA that expired', json('trusted_root_expired_ca.json'), /^Input `sigstore-trusted-root`: has no current certificate authority/],
    ['no CA at all', { mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1', tlogs: [] }, /has no current certificate authority/],
    ['a key that is not DER', { ...(json('trusted_root.json') as object), tlogs: [{ publicKey: { rawBytes: 'bm90IGEga2V5' } }] }, /the transparency log public key is not a DER SubjectPublicKeyInfo/]
  ])('refuses %s', (_name, root, error) => {
    expect(() => parseTrustedRoot(root, undefined, NOW)).toThrow(error)
  })
})

describe('current: a validFor window judged by its start and its end', () => {
  test.each<[string, { start?: string; end?: string } | undefined, boolean]>([
    ['no window', undefined, true],
    ['started, no end', { start: '2024-01-01T00:00:00Z' }, true],
    ['started, ends later', { start: '2024-01-01T00:00:00Z', end: '2027-01-01T00:00:00Z' }, true],
    ['ended', { start: '2024-01-01T00:00:00Z', end: '2025-01-01T00:00:00Z' }, false],
    ['ends exactly now', { end: '2026-11-28T00:00:00Z' }, false],
    ['starts in the future: not yet valid', { start: '2027-01-01T00:00:00Z' }, false],
    ['starts in the future, ends later still', { start: '2027-01-01T00:00:00Z', end: '2028-01-01T00:00:00Z' }, false],
    ['starts exactly now', { start: '2026-11-28T00:00:00Z' }, true],
    ['an unparsable start', { start: 'soon' }, false],
    ['an unparsable end', { end: 'never' }, false]
  ])('%s', (_name, validFor, expected) => {
    expect(current(validFor, NOW)).toBe(expected)
  })

  test('a CA whose start is in the future is not trusted yet', () => {
    const root = json('trusted_root.json') as { certificateAuthorities: Array<{ validFor?: object }> }
    const future = { ...root, certificateAuthorities: root.certificateAuthorities.map((c) => ({ ...c, validFor: { start: '2027-01-01T00:00:00Z' } })) }
    expect(() => parseTrustedRoot(future, undefined, NOW)).toThrow(/has no current certificate authority/)
  })

  test('a Fulcio URL that starts in the future is passed over', () => {
    const config = { mediaType: 'application/vnd.dev.sigstore.signingconfig.v0.2+json', caUrls: [{ url: 'https://next', validFor: { start: '2027-01-01T00:00:00Z' } }, { url: 'https://now', validFor: { start: '2024-01-01T00:00:00Z' } }] }
    expect(parseSigningConfig(config, undefined, NOW).fulcioUrl).toBe('https://now')
  })
})

describe('parseSigningConfig', () => {
  test.each<[string, string, { fulcioUrl: string; rekorUrl?: string }]>([
    ['Rekor v1', 'signing_config.json', { fulcioUrl: 'https://fulcio.corp.example', rekorUrl: 'https://rekor.corp.example' }],
    ['Rekor v2 only: no URL cosign 2 could write to', 'signing_config_rekor_v2.json', { fulcioUrl: 'https://fulcio.corp.example', rekorUrl: undefined }]
  ])('%s', (_name, file, expected) => {
    expect(parseSigningConfig(json(file), undefined, NOW)).toEqual(expected)
  })

  test.each<[string, unknown, RegExp]>([
    ['the trusted root given as the config', json('trusted_root.json'), /^Input `sigstore-signing-config`: is not a Sigstore signing config v0\.2/],
    ['no Fulcio', { mediaType: 'application/vnd.dev.sigstore.signingconfig.v0.2+json', rekorTlogUrls: [] }, /has no current caUrls entry: keyless signing needs a Fulcio URL/],
    ['only an expired Fulcio', { mediaType: 'application/vnd.dev.sigstore.signingconfig.v0.2+json', caUrls: [{ url: 'https://f', validFor: { start: '2024-01-01T00:00:00Z', end: '2025-01-01T00:00:00Z' } }] }, /has no current caUrls entry/]
  ])('refuses %s', (_name, config, error) => {
    expect(() => parseSigningConfig(config, undefined, NOW)).toThrow(error)
  })
})

describe('readSigstoreTrust', () => {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'trust-'))
  fs.mkdirSync(path.join(ws, '.sigstore'))
  for (const f of ['trusted_root.json', 'signing_config.json', 'signing_config_rekor_v2.json']) fs.copyFileSync(path.join(FIX, f), path.join(ws, '.sigstore', f))
  fs.writeFileSync(path.join(ws, 'broken.json'), '{"mediaType":')

  test('neither input: the public instance', () => {
    expect(readSigstoreTrust('', ' ', ws, 3)).toBeUndefined()
  })

  test('both: absolute paths for cosign, the given path for the summary', () => {
    const t = readSigstoreTrust('.sigstore/trusted_root.json', '.sigstore/signing_config.json', ws, 3)
    expect(t).toMatchObject({ trustedRoot: path.join(ws, '.sigstore/trusted_root.json'), signingConfig: path.join(ws, '.sigstore/signing_config.json'), trustedRootInput: '.sigstore/trusted_root.json', fulcioUrl: 'https://fulcio.corp.example', rekorUrl: 'https://rekor.corp.example' })
  })

  test('cosign 3 takes a Rekor v2 signing config as it is', () => {
    expect(readSigstoreTrust('.sigstore/trusted_root.json', '.sigstore/signing_config_rekor_v2.json', ws, 3)?.rekorUrl).toBeUndefined()
  })

  test.each<[string, string, string, number, RegExp]>([
    ['only the root', '.sigstore/trusted_root.json', '', 3, /^Input `sigstore-signing-config`: is empty, but sigstore-trusted-root is given/],
    ['only the config', '', '.sigstore/signing_config.json', 3, /^Input `sigstore-trusted-root`: is empty, but sigstore-signing-config is given/],
    ['a missing file', 'nope.json', '.sigstore/signing_config.json', 3, /^Input `sigstore-trusted-root`: names no readable file \(looked for .*nope\.json\)/],
    ['not JSON', 'broken.json', '.sigstore/signing_config.json', 3, /^Input `sigstore-trusted-root`: broken\.json is not JSON/],
    ['cosign 2 with only a Rekor v2 log', '.sigstore/trusted_root.json', '.sigstore/signing_config_rekor_v2.json', 2, /^Input `sigstore-signing-config`: lists no Rekor v1 log .* use cosign-version v3 or later/]
  ])('refuses %s', (_name, root, config, major, error) => {
    expect(() => readSigstoreTrust(root, config, ws, major)).toThrow(error)
  })

  test('cosign 2 gets its documented env, each naming a PEM file of the trusted root', () => {
    const t = readSigstoreTrust('.sigstore/trusted_root.json', '.sigstore/signing_config.json', ws, 2)
    if (!t) throw new Error('no trust')
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trust-env-'))
    const env = cosign2TrustEnv(t, dir)
    expect(Object.keys(env).sort()).toEqual(['SIGSTORE_CT_LOG_PUBLIC_KEY_FILE', 'SIGSTORE_REKOR_PUBLIC_KEY', 'SIGSTORE_ROOT_FILE'])
    expect(fs.readFileSync(env.SIGSTORE_ROOT_FILE ?? '', 'utf8')).toBe(t.fulcioRoots)
    expect(samePublicKey(fs.readFileSync(env.SIGSTORE_REKOR_PUBLIC_KEY ?? '', 'utf8'), fs.readFileSync(path.join(FIX, 'rekor.pub'), 'utf8'))).toBe(true)
    expect(samePublicKey(fs.readFileSync(env.SIGSTORE_CT_LOG_PUBLIC_KEY_FILE ?? '', 'utf8'), fs.readFileSync(path.join(FIX, 'ctlog.pub'), 'utf8'))).toBe(true)
  })
})
