/** Running cosign for the sign, attest and verify steps: one binary, env and option set, by digest. */
import type { CosignOptions, Identity } from './cosign-argv.js'
import { run } from '../lib/exec.js'
import { errorMessage } from '../lib/errors.js'
import { withRetry } from '../lib/retry.js'

export interface Cosign {
  options: CosignOptions
  /** `NAME@DIGEST` of the image being released. */
  ref(digest: string): string
  /** Runs a command that changes something (logged; transient failures retried). */
  write(args: string[], what: string): Promise<void>
  /** Runs a check quietly: true when it passes. */
  passes(args: string[]): Promise<boolean>
  /** Runs a verification quietly; resolves to `what`, or throws "Verification failed for the …". */
  verify(args: string[], what: string): Promise<string>
  /** Who the signatures are made as: keyless identity, or the public key of `cosign-key`. */
  identity: Promise<Identity>
}

export function cosignRunner(bin: string, name: string, env: Record<string, string>, options: CosignOptions, identity: Promise<Identity>): Cosign {
  return {
    options,
    identity,
    ref: (digest) => `${name}@${digest}`,
    write: async (args, what) => {
      await withRetry(() => run(bin, args, { env }), { what })
    },
    passes: async (args) => (await run(bin, args, { env, silent: true, allowFailure: true })).exitCode === 0,
    verify: async (args, what) => {
      try {
        await withRetry(() => run(bin, args, { env, silent: true }), { what: `verifying ${what}` })
        return what
      } catch (err) {
        throw new Error(`Verification failed for the ${what}: ${errorMessage(err)}`, { cause: err })
      }
    }
  }
}
