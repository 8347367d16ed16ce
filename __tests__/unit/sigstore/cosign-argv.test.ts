import { describe, expect, test } from 'vitest'
import type { CosignOptions, Identity, PredicateType } from '../../../src/sigstore/cosign-argv.js'
import { GITHUB_OIDC_ISSUER, REKOR_MAX_REQUEST_BYTES, attestArgv, consumerVerifyCommand, keylessIdentity, rekorRequestEstimate, signArgv, verifyArgv, verifyAttestationArgv } from '../../../src/sigstore/cosign-argv.js'

const D = 'sha256:' + 'a'.repeat(64)
const REF = `ghcr.io/o/app@${D}`
const v3Key: CosignOptions = { major: 3, key: '/t/cosign.key', transparencyLog: false }
const v2Key: CosignOptions = { major: 2, key: '/t/cosign.key', transparencyLog: false }
const keyless3: CosignOptions = { major: 3, transparencyLog: true }
const keyless2: CosignOptions = { major: 2, transparencyLog: true }
const trust = { trustedRoot: '/ws/.sigstore/trusted_root.json', signingConfig: '/ws/.sigstore/signing_config.json', trustedRootInput: '.sigstore/trusted_root.json', fulcioUrl: 'https://fulcio.corp.example', rekorUrl: 'https://rekor.corp.example' }
const private3: CosignOptions = { ...keyless3, trust }
const private2: CosignOptions = { ...keyless2, trust }
const pub: Identity = { kind: 'key', publicKey: '/t/cosign.pub' }
const gh: Identity = keylessIdentity('https://github.com', 'o/app/.github/workflows/release.yml@refs/tags/v1.4.2')

describe('signArgv', () => {
  test.each<[string, CosignOptions, boolean, string[]]>([
    ['cosign 3, key, no tlog: --use-signing-config=false is required', v3Key, true, ['sign', '--yes', '--key', '/t/cosign.key', '--use-signing-config=false', '--tlog-upload=false', '--recursive', REF]],
    ['cosign 2, key, no tlog: --tlog-upload=false alone', v2Key, true, ['sign', '--yes', '--key', '/t/cosign.key', '--tlog-upload=false', '--recursive', REF]],
    ['cosign 3 keyless', keyless3, true, ['sign', '--yes', '--recursive', REF]],
    ['cosign 2 keyless, not recursive', keyless2, false, ['sign', '--yes', REF]],
    ['cosign 3, private instance: its signing config and trusted root', private3, true, ['sign', '--yes', '--signing-config', '/ws/.sigstore/signing_config.json', '--trusted-root', '/ws/.sigstore/trusted_root.json', '--recursive', REF]],
    ['cosign 2, private instance: the URL flags (the keys go by env)', private2, false, ['sign', '--yes', '--fulcio-url', 'https://fulcio.corp.example', '--rekor-url', 'https://rekor.corp.example', REF]],
    ['KMS key with the log', { major: 3, key: 'awskms:///alias/release', transparencyLog: true }, false, ['sign', '--yes', '--key', 'awskms:///alias/release', REF]]
  ])('%s', (_name, o, recursive, argv) => {
    expect(signArgv(o, REF, recursive)).toEqual(argv)
  })

  test.each(['ghcr.io/o/app:1.4.2', 'ghcr.io/o/app', `ghcr.io/o/app:1@sha256:abc`])('refuses to sign %s (not by digest)', (ref) => {
    expect(() => signArgv(v3Key, ref, false)).toThrow(/only NAME@sha256:DIGEST references are signed, never tags/)
    expect(() => attestArgv(v3Key, ref, '/s.json')).toThrow(/never tags/)
  })
})

test.each<[string, CosignOptions, string[]]>([
  ['cosign 3 key no tlog', v3Key, ['attest', '--yes', '--key', '/t/cosign.key', '--use-signing-config=false', '--tlog-upload=false', '--type', 'cyclonedx', '--predicate', '/s.json', REF]],
  ['cosign 2 key no tlog', v2Key, ['attest', '--yes', '--key', '/t/cosign.key', '--tlog-upload=false', '--type', 'cyclonedx', '--predicate', '/s.json', REF]],
  ['keyless', keyless3, ['attest', '--yes', '--type', 'cyclonedx', '--predicate', '/s.json', REF]],
  ['cosign 3, private instance', private3, ['attest', '--yes', '--signing-config', '/ws/.sigstore/signing_config.json', '--trusted-root', '/ws/.sigstore/trusted_root.json', '--type', 'cyclonedx', '--predicate', '/s.json', REF]],
  ['cosign 2, private instance', private2, ['attest', '--yes', '--fulcio-url', 'https://fulcio.corp.example', '--rekor-url', 'https://rekor.corp.example', '--type', 'cyclonedx', '--predicate', '/s.json', REF]]
])('attestArgv: %s', (_name, o, argv) => {
  expect(attestArgv(o, REF, '/s.json')).toEqual(argv)
})

describe('verify', () => {
  test.each<[string, CosignOptions, Identity, string[]]>([
    ['key, no tlog', v3Key, pub, ['verify', '--key', '/t/cosign.pub', '--insecure-ignore-tlog=true', '--output', 'json', REF]],
    [
      'keyless: the workflow identity and GitHub issuer',
      keyless3,
      gh,
      ['verify', '--certificate-identity', 'https://github.com/o/app/.github/workflows/release.yml@refs/tags/v1.4.2', '--certificate-oidc-issuer', 'https://token.actions.githubusercontent.com', '--output', 'json', REF]
    ],
    [
      'cosign 3, private instance: --trusted-root',
      private3,
      gh,
      ['verify', '--certificate-identity', 'https://github.com/o/app/.github/workflows/release.yml@refs/tags/v1.4.2', '--certificate-oidc-issuer', 'https://token.actions.githubusercontent.com', '--trusted-root', '/ws/.sigstore/trusted_root.json', '--output', 'json', REF]
    ],
    [
      'cosign 2, private instance: --rekor-url (the trust root goes by env)',
      private2,
      gh,
      ['verify', '--certificate-identity', 'https://github.com/o/app/.github/workflows/release.yml@refs/tags/v1.4.2', '--certificate-oidc-issuer', 'https://token.actions.githubusercontent.com', '--rekor-url', 'https://rekor.corp.example', '--output', 'json', REF]
    ]
  ])('verifyArgv: %s', (_name, o, id, argv) => {
    expect(verifyArgv(o, id, REF)).toEqual(argv)
  })

  test('verifyAttestationArgv asks for the cyclonedx type', () => {
    expect(verifyAttestationArgv(v2Key, pub, REF)).toEqual(['verify-attestation', '--key', '/t/cosign.pub', '--insecure-ignore-tlog=true', '--type', 'cyclonedx', '--output', 'json', REF])
  })

  // cosign attest --help: "--type ... (slsaprovenance|slsaprovenance02|slsaprovenance1|link|spdx|spdxjson|cyclonedx|vuln|openvex|custom)"
  test.each<[PredicateType, string[], string[]]>([
    ['slsaprovenance02', ['attest', '--yes', '--type', 'slsaprovenance02', '--predicate', '/p.json', REF], ['verify-attestation', '--certificate-identity', 'https://github.com/o/app/.github/workflows/release.yml@refs/tags/v1.4.2', '--certificate-oidc-issuer', GITHUB_OIDC_ISSUER, '--type', 'slsaprovenance02', '--output', 'json', REF]],
    ['slsaprovenance1', ['attest', '--yes', '--type', 'slsaprovenance1', '--predicate', '/p.json', REF], ['verify-attestation', '--certificate-identity', 'https://github.com/o/app/.github/workflows/release.yml@refs/tags/v1.4.2', '--certificate-oidc-issuer', GITHUB_OIDC_ISSUER, '--type', 'slsaprovenance1', '--output', 'json', REF]],
    ['vuln', ['attest', '--yes', '--type', 'vuln', '--predicate', '/p.json', REF], ['verify-attestation', '--certificate-identity', 'https://github.com/o/app/.github/workflows/release.yml@refs/tags/v1.4.2', '--certificate-oidc-issuer', GITHUB_OIDC_ISSUER, '--type', 'vuln', '--output', 'json', REF]]
  ])('provenance or a scan as %s: attested and verified by that type', (type, attest, verify) => {
    expect(attestArgv(keyless3, REF, '/p.json', type)).toEqual(attest)
    expect(verifyAttestationArgv(keyless3, gh, REF, type)).toEqual(verify)
    expect(consumerVerifyCommand(keyless3, gh, REF, type)).toContain(`cosign verify-attestation --type ${type} --certificate-identity`)
  })

  test('the consumer command in the summary', () => {
    expect(consumerVerifyCommand(keyless3, gh, REF)).toBe(`cosign verify --certificate-identity https://github.com/o/app/.github/workflows/release.yml@refs/tags/v1.4.2 --certificate-oidc-issuer https://token.actions.githubusercontent.com ${REF}`)
    expect(consumerVerifyCommand(v3Key, pub, REF, 'cyclonedx')).toBe(`cosign verify-attestation --type cyclonedx --key cosign.pub --insecure-ignore-tlog=true ${REF}`)
  })

  test.each([private3, private2])('the consumer command carries the trusted root as the workflow named it (cosign %#)', (o) => {
    expect(consumerVerifyCommand(o, gh, REF, 'cyclonedx')).toBe(
      `cosign verify-attestation --type cyclonedx --certificate-identity https://github.com/o/app/.github/workflows/release.yml@refs/tags/v1.4.2 --certificate-oidc-issuer https://token.actions.githubusercontent.com --trusted-root .sigstore/trusted_root.json ${REF}`
    )
  })

  test('a path with a space or quote is quoted for sh', () => {
    expect(consumerVerifyCommand({ ...private3, trust: { ...trust, trustedRootInput: "trust roots/it's.json" } }, gh, REF)).toContain(`--trusted-root 'trust roots/it'\\''s.json' ${REF}`)
  })
})

test.each([
  [1_000_000, true],
  [17_000_000, true],
  [18_500_000, false]
])('an SBOM of %i bytes fits Rekor: %s', (bytes, fits) => {
  expect(rekorRequestEstimate(bytes) <= REKOR_MAX_REQUEST_BYTES).toBe(fits)
})
