import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { describe, expect, test } from 'vitest'
import { ChecksumMismatchError, KNOWN_SHA256, checksumFor } from '../../../src/tools/checksums.js'
import { pinnedSha256, sha256File, toolSpec, verifySha256 } from '../../../src/tools/install.js'
import { sbomFileName, syftArgv } from '../../../src/supply-chain/sbom.js'

describe('toolSpec: the GitHub release layout, or a mirror of it', () => {
  test.each([
    ['cosign', '3.1.3', 'x64', 'https://github.com/sigstore/cosign/releases/download/v3.1.3/cosign-linux-amd64', 'https://github.com/sigstore/cosign/releases/download/v3.1.3/cosign_checksums.txt', '4629c757b7618056f8ddd7e2625ae9fdd94c0372a65049520bc7d9df9efc7f71'],
    ['cosign', '3.1.3', 'arm64', 'https://github.com/sigstore/cosign/releases/download/v3.1.3/cosign-linux-arm64', 'https://github.com/sigstore/cosign/releases/download/v3.1.3/cosign_checksums.txt', 'c5d324e091826b0d7a78eb16fef316450b4eb9aaec045611c08ba06f5e73220a'],
    ['syft', '1.52.0', 'x64', 'https://github.com/anchore/syft/releases/download/v1.52.0/syft_1.52.0_linux_amd64.tar.gz', 'https://github.com/anchore/syft/releases/download/v1.52.0/syft_1.52.0_checksums.txt', 'caeedb81fb0491615f1ebd1761e4145d41ee86dd2cc7bf80669f9f5ad9d6133d'],
    ['syft', '1.52.0', 'arm64', 'https://github.com/anchore/syft/releases/download/v1.52.0/syft_1.52.0_linux_arm64.tar.gz', 'https://github.com/anchore/syft/releases/download/v1.52.0/syft_1.52.0_checksums.txt', 'c46d5e4c28e12aa4c5becfaa343ef1c7f89045b6b895f2c21d471c62db09c706'],
    ['cosign', '2.5.0', 'x64', 'https://github.com/sigstore/cosign/releases/download/v2.5.0/cosign-linux-amd64', 'https://github.com/sigstore/cosign/releases/download/v2.5.0/cosign_checksums.txt', undefined],
    // trivy's goreleaser names: Linux-64bit / Linux-ARM64 (trivy.dev installation docs).
    ['trivy', '0.74.0', 'x64', 'https://github.com/aquasecurity/trivy/releases/download/v0.74.0/trivy_0.74.0_Linux-64bit.tar.gz', 'https://github.com/aquasecurity/trivy/releases/download/v0.74.0/trivy_0.74.0_checksums.txt', '2ae6fe3ee734b7fdf11335663e18c75ea12dccc76062f09f164a3b0f8be4371a'],
    ['trivy', '0.74.0', 'arm64', 'https://github.com/aquasecurity/trivy/releases/download/v0.74.0/trivy_0.74.0_Linux-ARM64.tar.gz', 'https://github.com/aquasecurity/trivy/releases/download/v0.74.0/trivy_0.74.0_checksums.txt', 'b94ce1976bbf3c15b514b605ee88be7c6d94a29be2302847ff01cb794d47aad5'],
    ['trivy', '0.44.1', 'x64', 'https://github.com/aquasecurity/trivy/releases/download/v0.44.1/trivy_0.44.1_Linux-64bit.tar.gz', 'https://github.com/aquasecurity/trivy/releases/download/v0.44.1/trivy_0.44.1_checksums.txt', undefined]
  ] as const)('%s %s on %s', (name, version, arch, url, checksumsUrl, known) => {
    const spec = toolSpec(name, version, 'https://github.com', arch)
    expect(spec.url).toBe(url)
    expect(spec.checksumsUrl).toBe(checksumsUrl)
    expect(spec.knownSha256).toBe(known)
  })

  test('a mirror keeps the layout under tools-url', () => {
    expect(toolSpec('syft', '1.52.0', 'https://ghes.example/mirror', 'x64').url).toBe('https://ghes.example/mirror/anchore/syft/releases/download/v1.52.0/syft_1.52.0_linux_amd64.tar.gz')
  })

  const own = 'a'.repeat(64)
  test.each([
    // name, version, pins, the sha256 required, where it comes from
    ['cosign', '3.1.3', {}, '4629c757b7618056f8ddd7e2625ae9fdd94c0372a65049520bc7d9df9efc7f71', /^compiled-in table for cosign v3\.1\.3$/],
    ['cosign', '3.1.3', { 'cosign-linux-amd64': own }, own, /^tools-checksums input for cosign-linux-amd64$/],
    ['syft', '1.52.0', { 'syft_1.52.0_linux_amd64.tar.gz': own }, own, /^tools-checksums input/],
    // A pin for another asset changes nothing.
    ['syft', '1.52.0', { 'syft_1.51.0_linux_amd64.tar.gz': own }, 'caeedb81fb0491615f1ebd1761e4145d41ee86dd2cc7bf80669f9f5ad9d6133d', /^compiled-in/],
    ['trivy', '0.44.1', { 'trivy_0.44.1_Linux-64bit.tar.gz': own }, own, /^tools-checksums input/],
    // Neither: the checksums file next to the asset decides (undefined here).
    ['trivy', '0.44.1', {}, undefined, undefined]
  ] as const)('the sha256 %s %s must have, with pins %j', (name, version, pins, sha, source) => {
    const got = pinnedSha256(toolSpec(name, version, 'https://mirror.example', 'x64', pins))
    expect(got?.sha).toBe(sha)
    if (source) expect(got?.source).toMatch(source)
  })

  test('an unsupported runner architecture is named', () => {
    expect(() => toolSpec('cosign', '3.1.3', 'https://github.com', 's390x')).toThrow(/no release for this runner's architecture \(s390x\)/)
  })

  test('the compiled-in table covers exactly the default versions for amd64 and arm64', () => {
    expect(Object.keys(KNOWN_SHA256).sort()).toEqual([
      'cosign/3.1.3/cosign-linux-amd64',
      'cosign/3.1.3/cosign-linux-arm64',
      'syft/1.52.0/syft_1.52.0_linux_amd64.tar.gz',
      'syft/1.52.0/syft_1.52.0_linux_arm64.tar.gz',
      'trivy/0.74.0/trivy_0.74.0_Linux-64bit.tar.gz',
      'trivy/0.74.0/trivy_0.74.0_Linux-ARM64.tar.gz'
    ])
    for (const sha of Object.values(KNOWN_SHA256)) expect(sha).toMatch(/^[a-f0-9]{64}$/)
  })
})

describe('checksums files and verification', () => {
  const text = [
    '4629c757b7618056f8ddd7e2625ae9fdd94c0372a65049520bc7d9df9efc7f71  cosign-linux-amd64',
    'c5d324e091826b0d7a78eb16fef316450b4eb9aaec045611c08ba06f5e73220a  cosign-linux-arm64',
    '1111111111111111111111111111111111111111111111111111111111111111  cosign-linux-amd64.sig',
    '2222222222222222222222222222222222222222222222222222222222222222 *cosign-linux-arm'
  ].join('\n')

  test.each([
    ['cosign-linux-amd64', '4629c757b7618056f8ddd7e2625ae9fdd94c0372a65049520bc7d9df9efc7f71'],
    ['cosign-linux-arm', '2222222222222222222222222222222222222222222222222222222222222222'],
    ['cosign-linux-s390x', undefined]
  ])('checksumFor(%s)', (asset, sha) => {
    expect(checksumFor(text, asset)).toBe(sha)
  })

  test('a matching file passes; a mismatch names the file and shows both hashes', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sha-')), 'cosign-linux-amd64')
    fs.writeFileSync(file, 'not cosign')
    const actual = await sha256File(file)
    expect(actual).toBe('2d332e5b4bca8c73bb2c4409422392dbd5f73d03f29780e00830957db41a2a2a')
    await expect(verifySha256(file, 'cosign-linux-amd64', { sha: actual, source: 'x' })).resolves.toBeUndefined()
    const expected = KNOWN_SHA256['cosign/3.1.3/cosign-linux-amd64'] ?? ''
    let err: unknown
    try {
      await verifySha256(file, 'cosign-linux-amd64', { sha: expected, source: 'compiled-in table for cosign v3.1.3' })
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(ChecksumMismatchError)
    expect((err as Error).message).toBe(
      `sha256 mismatch for cosign-linux-amd64: expected ${expected} (compiled-in table for cosign v3.1.3), got ${actual}. The download is refused; check tools-url or the version.`
    )
  })
})

describe('syft CLI contract (syft docs: `syft scan [SOURCE]`, `--from registry`, `--platform`, `-o <format>=<file>`)', () => {
  test.each([
    ['linux/arm64', ['scan', '--from', 'registry', `ghcr.io/o/app@sha256:${'b'.repeat(64)}`, '--platform', 'linux/arm64', '-o', 'cyclonedx-json=/t/sbom-linux-arm64.cdx.json', '-q']],
    ['linux/arm/v7', ['scan', '--from', 'registry', `ghcr.io/o/app@sha256:${'b'.repeat(64)}`, '--platform', 'linux/arm/v7', '-o', 'cyclonedx-json=/t/sbom-linux-arm-v7.cdx.json', '-q']]
  ])('%s: the platform manifest by digest, CycloneDX JSON to a file', (platform, argv) => {
    expect(syftArgv(`ghcr.io/o/app@sha256:${'b'.repeat(64)}`, platform, `/t/${sbomFileName(platform)}`)).toEqual(argv)
  })
})
