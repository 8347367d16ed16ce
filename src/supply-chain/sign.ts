/** The Sign step: every pushed digest signed by digest; a re-run checks before adding signatures. */
import * as core from '../lib/log.js'
import type { Cosign } from '../sigstore/cosign-runner.js'
import { signArgv, verifyArgv } from '../sigstore/cosign-argv.js'

export interface Subject {
  /** `index` or a platform such as `linux/arm64`. */
  subject: string
  digest: string
}

/** Signs the index recursively (which covers each platform manifest), or each lone digest. */
export async function signDigests(cosign: Cosign, subjects: Subject[], rerun: boolean): Promise<void> {
  if (rerun) {
    // Only a re-run needs the identity (the public key) before signing.
    const identity = await cosign.identity
    const checks = await Promise.all(subjects.map((s) => cosign.passes(verifyArgv(cosign.options, identity, cosign.ref(s.digest)))))
    if (checks.every(Boolean)) {
      core.info('Re-run: every digest already carries a valid signature; not signing again')
      return
    }
  }
  const index = subjects.find((s) => s.subject === 'index')
  if (index) {
    await cosign.write(signArgv(cosign.options, cosign.ref(index.digest), true), `cosign sign ${index.digest}`)
  } else {
    for (const s of subjects) await cosign.write(signArgv(cosign.options, cosign.ref(s.digest), false), `cosign sign ${s.digest}`)
  }
}

/** What is signed: the index (when there is one) first, then each platform manifest. */
export function subjectsOf(pushed: { digest: string; platforms: Record<string, string> }): Subject[] {
  const platforms = Object.entries(pushed.platforms).map(([subject, digest]) => ({ subject, digest }))
  const single = platforms.length === 1 && platforms[0]?.digest === pushed.digest
  return single ? platforms : [{ subject: 'index', digest: pushed.digest }, ...platforms]
}
