/**
 * The policy gate's step, in one place: findings from the Dockerfile before anything is built, and from
 * the pushed images before anything is signed, judged by the `policy` mode. `max-image-size` is
 * its own limit and fails whatever the mode.
 */
import * as core from '../lib/log.js'
import type { Readable } from 'node:stream'
import { checkPlatform, hasConfig } from './architecture-rules.js'
import { checkGoTargets } from '../dockerfile/arch-rules.js'
import type { ParsedDockerfile } from '../dockerfile/parse.js'
import type { ImageReads } from './pushed-image-rules.js'
import type { ImageInputs } from '../inputs/image.js'
import type { PolicyInputs } from '../inputs/policy.js'
import type { ImageTools } from '../registry/imagetools.js'
import type { RegistryApi } from '../registry/http-api.js'
import { judge, platformFacts } from './pushed-image-rules.js'
import type { Pushed } from '../registry/manifest.js'
import type { Platform } from '../build/platform.js'
import { checkDockerfile } from '../dockerfile/policy-rules.js'
import { withRetry } from '../lib/retry.js'
import type { Refusal, Verdict } from './verdict.js'
import { applyVerdict, combine, judgeFindings } from './verdict.js'

/** Before the build: the distroless, non-root rules and the Go architecture rules. */
export function dockerfileGate(parsed: ParsedDockerfile, o: PolicyInputs & { target: string; platforms: Platform[]; dockerfileName: string }): Verdict {
  if (o.policy === 'off') return { notes: ['policy: off: the distroless, non-root policy was not checked'], warnings: [] }
  core.startGroup('Policy (Dockerfile)')
  try {
    const findings = [
      ...checkDockerfile(parsed, { target: o.target, allowRoot: o.allowRoot, allowedBases: o.allowedBases, dockerfileName: o.dockerfileName }),
      ...checkGoTargets(parsed, o.target, o.platforms, o.dockerfileName)
    ]
    return judgeFindings(findings, o.policy, 'Policy refuses this Dockerfile')
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
export async function pushedImagesGate(name: string, pushed: Required<Pushed>, o: PolicyInputs, reads: PushedReads, what = 'the pushed image'): Promise<Verdict> {
  if (o.policy === 'off' && o.maxImageSize === undefined) return { notes: [], warnings: [] }
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
        // A config the digests did not bring is read; one that cannot be read fails the check (checkPlatform).
        const given = pushed.configs[platform]
        const config = hasConfig(given) ? given : await once.config(`${name}@${digest}`)
        // A reset or a 5xx mid-layer starts that platform's check again.
        return withRetry(() => checkPlatform(platform, config, manifest, (d) => reads.blob(d)), { what: `checking the architecture of ${platform}` })
      })
    )
    for (const c of checks) core.info(c.line)
    findings.push(...checks.flatMap((c) => (c.finding ? [c.finding] : [])))
  }
  return combine(judgeFindings(findings.filter((f) => f.rule !== 'max-image-size'), o.policy, `Policy refuses ${what}`), judgeFindings(findings.filter((f) => f.rule === 'max-image-size'), 'enforce', 'Image too large'))
}

/** What the post-push gates read from the run; `refuse` names the tags that moved to a refused image. */
export interface PushedGateRun<I> {
  inputs: I
  report: { notes: string[] }
  refuse: (r: Refusal) => never
}

/** The step after the push: the policy checked again on what was pushed. */
export async function checkPushedImages(run: PushedGateRun<ImageInputs & PolicyInputs> & { tools: Pick<ImageTools, 'pushed' | 'raw' | 'config'>; api: Pick<RegistryApi, 'blob'> }, pushed: Pushed): Promise<void> {
  const { inputs, tools } = run
  if (inputs.policy === 'off' && inputs.maxImageSize === undefined) return
  await core.group('Policy (pushed images)', async () => {
    const { configs } = pushed.configs ? { configs: pushed.configs } : await tools.pushed(inputs.image.name, pushed.digest, Object.keys(pushed.platforms))
    const v = await pushedImagesGate(inputs.image.name, { ...pushed, configs }, inputs, {
      manifest: (ref) => tools.raw(ref, { justPushed: true }),
      config: (ref) => tools.config(ref, { justPushed: true }),
      blob: (digest) => run.api.blob(digest)
    })
    applyVerdict(v, run.report.notes, run.refuse)
  })
}
