/**
 * sha256 of the release assets of the default tool versions, compiled in (like
 * sigstore/cosign-installer's bootstrap table) so the defaults need no checksums download.
 * From the releases' cosign_checksums.txt and syft_1.51.0_checksums.txt.
 */
export const KNOWN_SHA256: Record<string, string> = {
  'cosign/3.1.2/cosign-linux-amd64': 'f7622ed3cf22e55e1ae6377c080979ff77a22da9981c11df222a2e444991e7cf',
  'cosign/3.1.2/cosign-linux-arm64': '90e7ae0b5dfd60f20816b52c012addf7fc055ebcc7bea4ce81c428ca8518c302',
  'syft/1.51.0/syft_1.51.0_linux_amd64.tar.gz': '2a2e837a2c8d59ec9af5472ee22d3b04ee463c4e44476ecf993fd1e5ab6ebc7f',
  'syft/1.51.0/syft_1.51.0_linux_arm64.tar.gz': '6c0466811541ea03add5213a60a1562f0851e4c0b0ecfdee1a694a9455285900'
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
