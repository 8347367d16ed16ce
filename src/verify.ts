/** The Verify step: every signature and attestation just made, checked as a consumer would. */
import type { Cosign } from './cosign-runner.js'
import { verifyArgv, verifyAttestationArgv } from './cosign.js'
import type { Subject } from './sign.js'

/** Each subject's signature; resolves per subject (started early, awaited in the Verify phase). */
export async function verifySignatures(cosign: Cosign, subjects: Subject[]): Promise<Array<PromiseSettledResult<string>>> {
  const identity = await cosign.identity
  return Promise.allSettled(subjects.map((s) => cosign.verify(verifyArgv(cosign.options, identity, cosign.ref(s.digest)), `signature of ${s.subject} ${s.digest}`)))
}

export async function verifyAttestations(cosign: Cosign, subjects: Subject[]): Promise<Array<PromiseSettledResult<string>>> {
  const identity = await cosign.identity
  return Promise.allSettled(subjects.map((s) => cosign.verify(verifyAttestationArgv(cosign.options, identity, cosign.ref(s.digest)), `CycloneDX attestation of ${s.subject} ${s.digest}`)))
}
