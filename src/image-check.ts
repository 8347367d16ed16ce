/** The policy, checked again on what was pushed: each platform's user and compressed size. */
import type { Finding } from './policy.js'
import { formatSize, runsAsRoot } from './policy.js'
import { run } from './exec.js'
import { inspectRaw } from './manifest.js'
import { withRetry } from './retry.js'

export interface ImageCheckOptions {
  allowRoot: boolean
  maxSize?: number
}

export interface PlatformFacts {
  platform: string
  user: string
  /** Sum of the compressed layer sizes in the manifest. */
  size: number
}

export function judge(facts: PlatformFacts[], o: ImageCheckOptions): Finding[] {
  const findings: Finding[] = []
  for (const f of facts) {
    if (!o.allowRoot && runsAsRoot(f.user)) {
      findings.push({ level: 'error', message: `${f.platform}: the pushed image runs as root (config User "${f.user}"). Set USER 65532:65532 in the final stage, or \`allow-root: true\`.` })
    }
    if (o.maxSize !== undefined && f.size > o.maxSize) {
      findings.push({ level: 'error', message: `${f.platform}: the image is ${formatSize(f.size)} compressed (${f.size} bytes), over max-image-size ${formatSize(o.maxSize)}` })
    }
  }
  return findings
}

export async function platformFacts(name: string, platforms: Record<string, string>, env: Record<string, string>): Promise<PlatformFacts[]> {
  return Promise.all(
    Object.entries(platforms).map(async ([platform, digest]) => {
      const ref = `${name}@${digest}`
      const [manifest, config] = await Promise.all([
        inspectRaw(ref, env),
        withRetry(() => run('docker', ['buildx', 'imagetools', 'inspect', ref, '--format', '{{json .Image}}'], { env, silent: true }), { what: `reading the config of ${ref}`, alsoRetry: /not found/i })
      ])
      const image = JSON.parse(config.stdout) as { config?: { User?: string } }
      const size = (manifest.layers ?? []).reduce((sum, l) => sum + l.size, 0)
      return { platform, user: image.config?.User ?? '', size }
    })
  )
}
