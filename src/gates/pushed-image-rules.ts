/** The policy, checked again on what was pushed: each platform's user and compressed size. */
import { runsAsRoot } from '../dockerfile/policy-rules.js'
import { formatSize } from '../lib/size.js'
import type { GateFinding } from './verdict.js'
import type { Pushed } from '../registry/manifest.js'
import type { ImageConfig, RawManifest } from '../registry/manifest.js'

export interface ImageCheckOptions {
  allowRoot: boolean
  maxSize?: number
}

export interface PlatformFacts {
  platform: string
  user: string
  /** Sum of the compressed layer sizes in the manifest (read only for max-image-size). */
  size?: number
}

export function judge(facts: PlatformFacts[], o: ImageCheckOptions): GateFinding[] {
  const findings: GateFinding[] = []
  for (const f of facts) {
    if (!o.allowRoot && runsAsRoot(f.user)) {
      findings.push({ rule: 'non-root', level: 'error', message: `${f.platform}: the pushed image runs as root (config User "${f.user}"). Set USER 65532:65532 in the final stage, or \`allow-root: true\`.` })
    }
    if (o.maxSize !== undefined && f.size !== undefined && f.size > o.maxSize) {
      findings.push({ rule: 'max-image-size', level: 'error', message: `${f.platform}: the image is ${formatSize(f.size)} compressed (${f.size} bytes), over max-image-size ${formatSize(o.maxSize)}` })
    }
  }
  return findings
}

/** How the checks read the registry: a platform's manifest and config by reference. */
export interface ImageReads {
  manifest(ref: string): Promise<RawManifest>
  config(ref: string): Promise<ImageConfig>
}

/**
 * Each platform's user, from the configs read with the digests; the compressed size (a read of
 * each platform manifest) only when `max-image-size` asks for it.
 */
export async function platformFacts(name: string, pushed: Pushed, needSizes: boolean, reads: ImageReads): Promise<PlatformFacts[]> {
  return Promise.all(
    Object.entries(pushed.platforms).map(async ([platform, digest]) => {
      const ref = `${name}@${digest}`
      const [config, manifest] = await Promise.all([pushed.configs?.[platform] ?? reads.config(ref), needSizes ? reads.manifest(ref) : undefined])
      const user = config.config?.User ?? ''
      return { platform, user, size: manifest && (manifest.layers ?? []).reduce((sum, l) => sum + l.size, 0) }
    })
  )
}
