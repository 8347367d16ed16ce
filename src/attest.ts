/** The Attest step: each platform's CycloneDX SBOM attested to its own digest, and all of them to the index. */
import * as core from '@actions/core'
import type { Cosign } from './cosign-runner.js'
import { REKOR_MAX_REQUEST_BYTES, attestArgv, rekorRequestEstimate, verifyAttestationArgv } from './cosign.js'
import type { SbomResult } from './sbom.js'
import type { Subject } from './sign.js'

/** Refuses, before any attestation, an SBOM too large for the public Rekor's request limit. */
export function checkRekorLimit(sboms: SbomResult[], publicRekor: boolean): void {
  if (!publicRekor) return
  for (const s of sboms) {
    if (rekorRequestEstimate(s.bytes) > REKOR_MAX_REQUEST_BYTES) {
      throw new Error(`The SBOM of ${s.platform} is ${s.bytes} bytes; attested with the transparency log on, its Rekor entry would exceed the ${REKOR_MAX_REQUEST_BYTES}-byte request limit of Rekor's public instance. Slim the image, or attest without the public log (cosign-key with transparency-log: false).`)
    }
  }
}

/**
 * Attests every subject; resolves per subject, so a failure in one leaves the others' outcome
 * known. Different digests in parallel; one digest's attestations one at a time (each rewrites its .att).
 */
export async function attestSboms(cosign: Cosign, subjects: Subject[], sboms: SbomResult[], rerun: boolean): Promise<Array<PromiseSettledResult<void>>> {
  const identity = await cosign.identity
  const already = async (digest: string) => rerun && (await cosign.passes(verifyAttestationArgv(cosign.options, identity, cosign.ref(digest))))
  return Promise.allSettled(
    subjects.map(async (s) => {
      if (await already(s.digest)) {
        core.info(`Re-run: ${s.digest} already carries a valid CycloneDX attestation`)
        return
      }
      const own = s.subject === 'index' ? sboms : sboms.filter((b) => b.platform === s.subject || b.digest === s.digest)
      for (const b of own) {
        await cosign.write(attestArgv(cosign.options, cosign.ref(s.digest), b.file), `cosign attest ${s.digest}${s.subject === 'index' ? ` (${b.platform} SBOM)` : ''}`)
      }
    })
  )
}
