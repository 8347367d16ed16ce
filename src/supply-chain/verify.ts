/** The Verify step: every signature and attestation just made, checked as a consumer would. */
import type { Cosign } from '../sigstore/cosign-runner.js'
import type { PredicateType } from '../sigstore/cosign-argv.js'
import { verifyArgv, verifyAttestationArgv } from '../sigstore/cosign-argv.js'
import type { Subject } from './sign.js'

/** Each subject's signature; resolves per subject (started early, awaited in the Verify phase). */
export async function verifySignatures(cosign: Cosign, subjects: Subject[]): Promise<Array<PromiseSettledResult<string>>> {
  const identity = await cosign.identity
  return Promise.allSettled(subjects.map((s) => cosign.verify(verifyArgv(cosign.options, identity, cosign.ref(s.digest)), `signature of ${s.subject} ${s.digest}`)))
}

const LABEL: Record<PredicateType, string> = { cyclonedx: 'CycloneDX attestation', spdxjson: 'SPDX attestation', slsaprovenance02: 'SLSA provenance attestation', slsaprovenance1: 'SLSA provenance attestation', vuln: 'vulnerability scan attestation', openvex: 'reachability (OpenVEX) attestation' }

/** Each subject's attestation of one predicate type; resolves per subject. */
export async function verifyAttestations(cosign: Cosign, subjects: Array<Subject & { type?: PredicateType }>, type: PredicateType = 'cyclonedx'): Promise<Array<PromiseSettledResult<string>>> {
  const identity = await cosign.identity
  return Promise.allSettled(
    subjects.map((s) => {
      const t = s.type ?? type
      return cosign.verify(verifyAttestationArgv(cosign.options, identity, cosign.ref(s.digest), t), `${LABEL[t]}${t === 'cyclonedx' || t === 'spdxjson' ? '' : ` (${t})`} of ${s.subject} ${s.digest}`)
    })
  )
}
