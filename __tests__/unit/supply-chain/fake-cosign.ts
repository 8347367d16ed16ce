/** A Cosign that records every command and fails the ones a test names, for the Sign, Attest and Verify steps. */
import type { Cosign } from '../../../src/sigstore/cosign-runner.js'

export const N = 'r.example/o/app'
export const IDX = 'sha256:' + '1'.repeat(64)
export const AMD = 'sha256:' + '2'.repeat(64)
export const ARM = 'sha256:' + '3'.repeat(64)

export interface FakeCosign extends Cosign {
  written: string[][]
  checked: string[][]
}

/** `fails(args)` says which writes and verifications fail; `passes` answers the quiet checks. */
export function fakeCosign(o: { fails?: (args: string[]) => boolean; passes?: (args: string[]) => boolean } = {}): FakeCosign {
  const written: string[][] = []
  const checked: string[][] = []
  return {
    written,
    checked,
    options: { major: 3, key: '/k/cosign.key', transparencyLog: true },
    identity: Promise.resolve({ kind: 'key', publicKey: '/k/cosign.pub' }),
    ref: (digest) => `${N}@${digest}`,
    write: (args) => {
      written.push(args)
      return o.fails?.(args) ? Promise.reject(new Error(`cosign ${args[0] ?? ''} failed`)) : Promise.resolve()
    },
    passes: (args) => {
      checked.push(args)
      return Promise.resolve(o.passes?.(args) ?? false)
    },
    verify: (args, what) => {
      checked.push(args)
      return o.fails?.(args) ? Promise.reject(new Error(`Verification failed for the ${what}`)) : Promise.resolve(what)
    }
  }
}
