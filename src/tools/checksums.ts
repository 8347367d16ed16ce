/**
 * sha256 of the release assets of the default tool versions, compiled in (like
 * sigstore/cosign-installer's bootstrap table) so the defaults need no checksums download.
 * cosign v3.1.3 (fixes GHSA-fx35-mq7g-6g98, the newest the Go module proxy serves): the sums of
 * its cosign_checksums.txt, as pinned independently by saschagrunert/nri-supply-chain (Makefile),
 * Cloudopsshell/DeaconGuard (install.sh) and MiltonTulli/ERC-7730 (release verification script).
 * syft v1.52.0 (the newest whose linux amd64 and arm64 sums agree across independent pins): both
 * archives as pinned together by a TypeScript CLI's generated tool table, a Portuguese dev-setup
 * installer, a release-verification doc and a Korean checksums table copied from
 * syft_1.52.0_checksums.txt (v1.54.0's arm64 sum had a single pin, so it was not taken).
 * trivy v0.74.0 (the newest the proxy serves for Go 1.26): Linux-64bit and Linux-ARM64 as pinned
 * together by a generated TypeScript tool table, a Bazel/Starlark toolchain table, a Go tool
 * installer and a shell fetch script, amd64 also by a justfile and a Jenkins script.
 * `npm run validate-action` fails when this table, the default versions and action.yml disagree.
 */
export const KNOWN_SHA256: Record<string, string> = {
  'cosign/3.1.3/cosign-linux-amd64': '4629c757b7618056f8ddd7e2625ae9fdd94c0372a65049520bc7d9df9efc7f71',
  'cosign/3.1.3/cosign-linux-arm64': 'c5d324e091826b0d7a78eb16fef316450b4eb9aaec045611c08ba06f5e73220a',
  'syft/1.52.0/syft_1.52.0_linux_amd64.tar.gz': 'caeedb81fb0491615f1ebd1761e4145d41ee86dd2cc7bf80669f9f5ad9d6133d',
  'syft/1.52.0/syft_1.52.0_linux_arm64.tar.gz': 'c46d5e4c28e12aa4c5becfaa343ef1c7f89045b6b895f2c21d471c62db09c706',
  'trivy/0.74.0/trivy_0.74.0_Linux-64bit.tar.gz': '2ae6fe3ee734b7fdf11335663e18c75ea12dccc76062f09f164a3b0f8be4371a',
  'trivy/0.74.0/trivy_0.74.0_Linux-ARM64.tar.gz': 'b94ce1976bbf3c15b514b605ee88be7c6d94a29be2302847ff01cb794d47aad5'
}

/** Finds an asset's sha256 in a goreleaser checksums file (`<hex>  <name>` per line). */
export function checksumFor(checksumsText: string, asset: string): string | undefined {
  for (const line of checksumsText.split('\n')) {
    const m = /^([a-f0-9]{64})\s+\*?(\S+)\s*$/.exec(line.trim())
    if (m && m[2] === asset) return m[1]
  }
  return undefined
}

export class ChecksumMismatchError extends Error {
  constructor(file: string, source: string, expected: string, actual: string) {
    super(`sha256 mismatch for ${file}: expected ${expected} (${source}), got ${actual}. The download is refused; check tools-url or the version.`)
    this.name = 'ChecksumMismatchError'
  }
}
