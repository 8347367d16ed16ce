/**
 * The Attest step: each platform's SBOM (CycloneDX or SPDX) and SLSA provenance attested to its own digest,
 * and every SBOM to the index.
 */
import * as core from '../lib/log.js'
import type { Cosign } from '../sigstore/cosign-runner.js'
import type { PredicateType } from '../sigstore/cosign-argv.js'
import { REKOR_MAX_REQUEST_BYTES, attestArgv, rekorRequestEstimate, verifyAttestationArgv } from '../sigstore/cosign-argv.js'
import type { Provenance } from './provenance.js'
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

/** One predicate to attest to one digest. */
export interface Predicate {
  digest: string
  type: PredicateType
  file: string
  /** For the log: `cosign attest DIGEST (linux/amd64 SBOM)`. */
  what: string
}

/** A platform's vulnerability scan and its reachability OpenVEX, attested to its digest when the gate passed. */
export interface VulnScan {
  platform: string
  digest: string
  /** The `vuln` predicate (vulnerability-attestation). */
  predicateFile?: string
  /** govulncheck's OpenVEX (reachability). */
  vexFile?: string
}

/**
 * What to attest to each subject: SBOMs, then provenance, then the scan. The index gets every
 * platform's SBOM and provenance, each statement's subject the index digest: `IMAGE:TAG` resolves
 * to the index, and a consumer checking it (`cosign verify-attestation`, `gh attestation verify
 * oci://IMAGE:TAG`) finds each platform's build record there, as buildx recorded it.
 */
export function predicatesFor(subject: Subject, sboms: SbomResult[], provenance: Provenance[], scans: VulnScan[] = []): Predicate[] {
  const own = subject.subject === 'index' ? sboms : sboms.filter((b) => b.platform === subject.subject || b.digest === subject.digest)
  const sbomPredicates = own.map((b) => ({ digest: subject.digest, type: b.type, file: b.file, what: `cosign attest ${subject.digest}${subject.subject === 'index' ? ` (${b.platform} SBOM)` : ''}` }))
  const prov = subject.subject === 'index' ? provenance : provenance.filter((p) => p.digest === subject.digest)
  const vuln = subject.subject === 'index' ? [] : scans.filter((v) => v.digest === subject.digest)
  return [
    ...sbomPredicates,
    ...prov.map((p) => ({ digest: subject.digest, type: p.type, file: p.file, what: `cosign attest --type ${p.type} ${subject.digest}${subject.subject === 'index' ? ` (${p.platform} provenance)` : ''}` })),
    ...vuln.flatMap((v) => (v.predicateFile ? [{ digest: subject.digest, type: 'vuln' as const, file: v.predicateFile, what: `cosign attest --type vuln ${subject.digest}` }] : [])),
    ...vuln.flatMap((v) => (v.vexFile ? [{ digest: subject.digest, type: 'openvex' as const, file: v.vexFile, what: `cosign attest --type openvex ${subject.digest}` }] : []))
  ]
}

/**
 * Attests every subject's predicates; resolves per subject and predicate type, so a failure in
 * one leaves the others' outcome known. Different digests in parallel; one digest's attestations
 * one at a time (each rewrites its .att). A re-run skips a type the digest already carries.
 */
export async function attestAll(cosign: Cosign, subjects: Subject[], predicates: (s: Subject) => Predicate[], rerun: boolean): Promise<Array<Map<PredicateType, PromiseSettledResult<void>>>> {
  const identity = await cosign.identity
  const already = async (digest: string, type: PredicateType) => rerun && (await cosign.passes(verifyAttestationArgv(cosign.options, identity, cosign.ref(digest), type)))
  return Promise.all(
    subjects.map(async (s) => {
      const outcomes = new Map<PredicateType, PromiseSettledResult<void>>()
      const list = predicates(s)
      for (const type of new Set(list.map((p) => p.type))) {
        try {
          if (await already(s.digest, type)) {
            core.info(`Re-run: ${s.digest} already carries a valid ${type} attestation`)
          } else {
            for (const p of list.filter((x) => x.type === type)) await cosign.write(attestArgv(cosign.options, cosign.ref(p.digest), p.file, p.type), p.what)
          }
          outcomes.set(type, { status: 'fulfilled', value: undefined })
        } catch (reason) {
          outcomes.set(type, { status: 'rejected', reason })
        }
      }
      return outcomes
    })
  )
}
