import { PREDICATE_URI } from '../../../src/sigstore/cosign-argv.js'
import { describe, expect, test } from 'vitest'
import type { Identity } from '../../../src/sigstore/cosign-argv.js'
import { GH_TRUSTED_ROOT, ghTrustedRootCommand, ghUnavailable, ghVerifyCommand } from '../../../src/sigstore/gh-verify.js'

const D = 'sha256:' + 'a'.repeat(64)
const id = { kind: 'keyless' as const, certificateIdentity: 'https://github.com/vmafx/shared/.github/workflows/image.yml@refs/heads/main', issuer: 'https://token.actions.githubusercontent.com', owner: 'vmafx' }
const trust = { trustedRoot: '/ws/.sigstore/trusted_root.json', signingConfig: '/ws/.sigstore/signing_config.json', trustedRootInput: '.sigstore/trusted_root.json', fulcioUrl: 'https://fulcio.internal' }
const base = `gh attestation verify oci://ghcr.io/vmafx/op@${D} --bundle-from-oci --owner vmafx --signer-workflow github.com/vmafx/shared/.github/workflows/image.yml`

describe('ghVerifyCommand', () => {
  test.each([
    ['SLSA v1 provenance: gh\'s default predicate type, no flag', {}, 'slsaprovenance1' as const, base],
    ['SLSA v0.2 provenance', {}, 'slsaprovenance02' as const, `${base} --predicate-type https://slsa.dev/provenance/v0.2`],
    ['a CycloneDX SBOM', {}, 'cyclonedx' as const, `${base} --predicate-type https://cyclonedx.org/bom`],
    ['an SPDX SBOM', {}, 'spdxjson' as const, `${base} --predicate-type https://spdx.dev/Document`],
    ['the vulnerability scan', {}, 'vuln' as const, `${base} --predicate-type https://cosign.sigstore.dev/attestation/vuln/v1`],
    ['a private Sigstore: its trusted root, as JSON lines', { trust }, 'slsaprovenance1' as const, `${base} --custom-trusted-root trusted_root.jsonl`]
  ])('%s', (_name, o, type, expected) => {
    expect(ghVerifyCommand(o, id, `ghcr.io/vmafx/op@${D}`, type)).toBe(expected)
  })

  test('the index by its tag, as a consumer names it', () => {
    expect(ghVerifyCommand({}, id, 'ghcr.io/vmafx/op:1.4.2', 'slsaprovenance1')).toBe('gh attestation verify oci://ghcr.io/vmafx/op:1.4.2 --bundle-from-oci --owner vmafx --signer-workflow github.com/vmafx/shared/.github/workflows/image.yml')
  })

  test('every predicate type cosign attests has its in-toto URI', () => {
    expect(Object.keys(PREDICATE_URI).sort()).toEqual(['cyclonedx', 'openvex', 'slsaprovenance02', 'slsaprovenance1', 'spdxjson', 'vuln'])
  })
})

test('the trusted root is made JSON lines for gh, quoted when the path needs it', () => {
  expect(ghTrustedRootCommand('.sigstore/trusted_root.json')).toBe(`jq -c . .sigstore/trusted_root.json > ${GH_TRUSTED_ROOT}`)
  expect(ghTrustedRootCommand('my root.json')).toBe(`jq -c . 'my root.json' > ${GH_TRUSTED_ROOT}`)
})

describe('ghUnavailable', () => {
  test.each<[string, number, Identity, RegExp | undefined]>([
    ['cosign 3, keyless, owner known', 3, id, undefined],
    ['a key: no command, and no note', 3, { kind: 'key', publicKey: '/w/cosign.pub' }, undefined],
    ['cosign 2: says so, and what to change', 2, id, /cosign 2 attaches its signatures in its own layout, not as Sigstore bundles in OCI referrers.*Sign with cosign 3/],
    ['a token without repository_owner', 3, { ...id, owner: undefined }, /no repository_owner/]
  ])('%s', (_name, major, identity, expected) => {
    const why = ghUnavailable({ major }, identity)
    if (expected) expect(why).toMatch(expected)
    else expect(why).toBeUndefined()
  })
})
