/** The policy slice: `policy`, `allow-root`, `allowed-bases`, `max-image-size`. */
import { InputError } from '../lib/errors.js'
import { parseSize } from '../lib/size.js'
import type { InputReader } from './values.js'
import { bool, list } from './values.js'

export type PolicyMode = 'enforce' | 'warn' | 'off'

export interface PolicyInputs {
  policy: PolicyMode
  allowRoot: boolean
  /** Image patterns (`*` matches anything) accepted besides gcr.io/distroless/*. */
  allowedBases: string[]
  /** Bytes, compressed, per platform; fails the step whatever the policy mode. */
  maxImageSize?: number
}

export function parsePolicyInputs(read: InputReader): PolicyInputs {
  const policy = read('policy').trim() || 'enforce'
  if (policy !== 'enforce' && policy !== 'warn' && policy !== 'off') throw new InputError('policy', `"${policy}" is not one of enforce, warn, off`)
  const maxRaw = read('max-image-size').trim()
  const maxImageSize = maxRaw ? parseSize(maxRaw) : undefined
  if (maxRaw && maxImageSize === undefined) throw new InputError('max-image-size', `"${maxRaw}" is not a size such as 50MB, 800KB or 1.5GiB`)
  return { policy, allowRoot: bool(read, 'allow-root', false), allowedBases: list(read('allowed-bases')), maxImageSize }
}
