/** The policy, checked again on what was pushed: each platform's user and compressed size. */
import type { Finding } from './policy.js'
import { formatSize, runsAsRoot } from './policy.js'
import { run } from './exec.js'
import type { ImageConfig, PushedImage, RawManifest } from './manifest.js'
import { inspectRaw } from './manifest.js'
import { withRetry } from './retry.js'

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

export function judge(facts: PlatformFacts[], o: ImageCheckOptions): Finding[] {
  const findings: Finding[] = []
  for (const f of facts) {
    if (!o.allowRoot && runsAsRoot(f.user)) {
      findings.push({ level: 'error', message: `${f.platform}: the pushed image runs as root (config User "${f.user}"). Set USER 65532:65532 in the final stage, or \`allow-root: true\`.` })
    }
    if (o.maxSize !== undefined && f.size !== undefined && f.size > o.maxSize) {
      findings.push({ level: 'error', message: `${f.platform}: the image is ${formatSize(f.size)} compressed (${f.size} bytes), over max-image-size ${formatSize(o.maxSize)}` })
    }
  }
  return findings
}

/**
 * Each platform's user, from the configs read with the digests; the compressed size (a read of
 * each platform manifest) only when `max-image-size` asks for it.
 */
export async function platformFacts(
  name: string,
  pushed: PushedImage,
  needSizes: boolean,
  env: Record<string, string>,
  manifestOf: (ref: string) => Promise<RawManifest> = (ref) => inspectRaw(ref, env)
): Promise<PlatformFacts[]> {
  return Promise.all(
    Object.entries(pushed.platforms).map(async ([platform, digest]) => {
      const ref = `${name}@${digest}`
      const [config, manifest] = await Promise.all([pushed.configs[platform] ?? readConfig(ref, env), needSizes ? manifestOf(ref) : undefined])
      const user = config.config?.User ?? ''
      return { platform, user, size: manifest && (manifest.layers ?? []).reduce((sum, l) => sum + l.size, 0) }
    })
  )
}

/** One platform's config, when the index read did not bring it. */
async function readConfig(ref: string, env: Record<string, string>): Promise<ImageConfig> {
  const { stdout } = await withRetry(() => run('docker', ['buildx', 'imagetools', 'inspect', ref, '--format', '{{json .Image}}'], { env, silent: true }), {
    what: `reading the config of ${ref}`,
    alsoRetry: /not found/i
  })
  return JSON.parse(stdout) as ImageConfig
}
