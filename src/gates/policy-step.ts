/**
 * The policy gate, in one place: findings from the Dockerfile before anything is built, and from
 * the pushed images before anything is signed, judged by the `policy` mode. `max-image-size` is
 * its own limit and fails whatever the mode.
 */
import * as core from '@actions/core'
import type { Readable } from 'node:stream'
import { checkPlatform } from './architecture-rules.js'
import { checkGoTargets } from '../dockerfile/arch-rules.js'
import type { ParsedDockerfile } from '../dockerfile/parse.js'
import type { ImageReads } from './pushed-image-rules.js'
import type { PolicyInputs } from '../inputs/index.js'
import { judge, platformFacts } from './pushed-image-rules.js'
import type { Pushed } from '../registry/imagetools.js'
import type { Platform } from '../build/platform.js'
import type { Finding, PolicyMode } from '../dockerfile/policy-rules.js'
import { checkDockerfile } from '../dockerfile/policy-rules.js'
import { withRetry } from '../lib/retry.js'

/** What the gate decided: notes for the summary, and the refusal when it refuses. */
export interface Verdict {
  notes: string[]
  refusal?: string
}

/** Logs each finding as the mode says; errors refuse in enforce mode and are warnings in warn mode. */
export function verdict(findings: Finding[], mode: PolicyMode, heading: string): Verdict {
  const notes: string[] = []
  for (const f of findings) {
    if (f.level === 'notice') core.notice(f.message)
    else if (f.level === 'warning' || mode === 'warn') core.warning(f.message)
    if (f.level !== 'error' || mode === 'warn') notes.push(f.message)
  }
  const errors = findings.filter((f) => f.level === 'error')
  return { notes, refusal: mode === 'enforce' && errors.length ? `${heading}:\n- ${errors.map((e) => e.message).join('\n- ')}` : undefined }
}

/** Before the build: the distroless, non-root rules and the Go architecture rules. */
export function dockerfileGate(parsed: ParsedDockerfile, o: PolicyInputs & { target: string; platforms: Platform[]; dockerfileName: string }): Verdict {
  if (o.policy === 'off') return { notes: ['policy: off: the distroless, non-root policy was not checked'] }
  core.startGroup('Policy (Dockerfile)')
  try {
    const findings = [
      ...checkDockerfile(parsed, { target: o.target, allowRoot: o.allowRoot, allowedBases: o.allowedBases, dockerfileName: o.dockerfileName }),
      ...checkGoTargets(parsed, o.target, o.platforms, o.dockerfileName)
    ]
    return verdict(findings, o.policy, 'Policy refuses this Dockerfile')
  } finally {
    core.endGroup()
  }
}

/** Registry reads the pushed-image checks need, besides manifests and configs. */
export interface PushedReads extends ImageReads {
  /** A layer blob, streamed. */
  blob(digest: string): Promise<Readable>
}

/**
 * After the push, before signing: each platform's user, its size (with max-image-size), and its
 * main binary's architecture. Each platform manifest is read once for all of them.
 */
export async function pushedImagesGate(name: string, pushed: Required<Pushed>, o: PolicyInputs, reads: PushedReads): Promise<Verdict> {
  if (o.policy === 'off' && o.maxImageSize === undefined) return { notes: [] }
  const manifests = new Map<string, ReturnType<ImageReads['manifest']>>()
  const once: ImageReads = {
    config: (ref) => reads.config(ref),
    manifest: (ref) => {
      let m = manifests.get(ref)
      if (!m) manifests.set(ref, (m = reads.manifest(ref)))
      return m
    }
  }
  const facts = await platformFacts(name, pushed, o.maxImageSize !== undefined, once)
  for (const f of facts) core.info(`${f.platform}: user "${f.user}"${f.size === undefined ? '' : `, ${f.size} bytes compressed`}`)
  const findings = judge(facts, { allowRoot: o.allowRoot || o.policy === 'off', maxSize: o.maxImageSize })
  if (o.policy !== 'off') {
    const checks = await Promise.all(
      Object.entries(pushed.platforms).map(async ([platform, digest]) => {
        const manifest = await once.manifest(`${name}@${digest}`)
        // A reset or a 5xx mid-layer starts that platform's check again.
        return withRetry(() => checkPlatform(platform, pushed.configs[platform] ?? {}, manifest, (d) => reads.blob(d)), { what: `checking the architecture of ${platform}` })
      })
    )
    for (const c of checks) core.info(c.line)
    findings.push(...checks.flatMap((c) => (c.finding ? [c.finding] : [])))
  }
  const policy = verdict(findings.filter((f) => f.rule !== 'max-image-size'), o.policy, 'Policy refuses the pushed image')
  const size = verdict(findings.filter((f) => f.rule === 'max-image-size'), 'enforce', 'Image too large')
  const refusal = [policy.refusal, size.refusal].filter(Boolean).join('\n')
  return { notes: [...policy.notes, ...size.notes], refusal: refusal || undefined }
}
