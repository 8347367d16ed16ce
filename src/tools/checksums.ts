/**
 * sha256 of the release assets of the default tool versions, compiled in (like
 * sigstore/cosign-installer's bootstrap table) so the defaults need no checksums download.
 * cosign v3.1.3 (fixes GHSA-fx35-mq7g-6g98): the sums of its cosign_checksums.txt, as pinned
 * independently by saschagrunert/nri-supply-chain (Makefile), Cloudopsshell/DeaconGuard
 * (install.sh) and MiltonTulli/ERC-7730 (release verification script). syft: syft_1.51.0_checksums.txt.
 * trivy v0.73.0: the Linux-64bit and Linux-ARM64 archives as pinned, both together, by several
 * independent projects' installers and Dockerfiles (e.g. a python installer pinning both, a
 * release-tool table with sizes, a toolbox installer script); the 0.69.x line is avoided.
 * `npm run validate-action` fails when this table, the default versions and action.yml disagree.
 */
export const KNOWN_SHA256: Record<string, string> = {
  'cosign/3.1.3/cosign-linux-amd64': '4629c757b7618056f8ddd7e2625ae9fdd94c0372a65049520bc7d9df9efc7f71',
  'cosign/3.1.3/cosign-linux-arm64': 'c5d324e091826b0d7a78eb16fef316450b4eb9aaec045611c08ba06f5e73220a',
  'syft/1.51.0/syft_1.51.0_linux_amd64.tar.gz': '2a2e837a2c8d59ec9af5472ee22d3b04ee463c4e44476ecf993fd1e5ab6ebc7f',
  'syft/1.51.0/syft_1.51.0_linux_arm64.tar.gz': '6c0466811541ea03add5213a60a1562f0851e4c0b0ecfdee1a694a9455285900',
  'trivy/0.73.0/trivy_0.73.0_Linux-64bit.tar.gz': '2edd39da482bb4e9831962487b68f68e3928ec3137794757f54d00383d79547b',
  'trivy/0.73.0/trivy_0.73.0_Linux-ARM64.tar.gz': '13833d97e8a1a5367471c372a173180157f593bece570e20d5d925fef552f5dd'
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
