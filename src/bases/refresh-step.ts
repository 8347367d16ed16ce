/**
 * The "Bases" step before a build: each base the target uses resolved once to the digest every
 * platform will use (pinned for the build, recorded on each platform manifest), and under
 * `rebuild: if-base-changed` compared with what the image at the release tag recorded.
 */
import * as core from '../lib/log.js'
import type { VerifiedBase } from './verify-rules.js'
import { contextKey, pinnedRef } from './verify-rules.js'
import type { ParsedDockerfile } from '../dockerfile/parse.js'
import { nativeArches } from '../build/platform.js'
import type { BuildInputs } from '../inputs/build.js'
import type { ImageInputs } from '../inputs/image.js'
import type { GitHubContext } from '../lib/runner-env.js'
import type { RunOutputs } from '../report/outputs.js'
import { errorMessage } from '../lib/errors.js'
import type { ImageTools } from '../registry/imagetools.js'
import { isIndex, platformDigests } from '../registry/manifest.js'
import type { BaseDigests, RefreshDecision, UsedBase } from './refresh-rules.js'
import { baseAnnotations, baseDigestsFor, decideRefresh, recordedBases, usedBases } from './refresh-rules.js'

export interface ResolvedBases {
  used: UsedBase[]
  /** Bases this runner could not read (the builder may still reach them): neither pinned nor recorded. */
  unresolved: Array<{ ref: string; error: string }>
  digests: BaseDigests
  /** The index (or single manifest) digest each base resolved to. */
  pinned: Record<string, string>
  annotations: string[]
}

/** Resolves each base (a verified one at its verified digest) and what every platform uses of it. */
export async function resolveBases(parsed: ParsedDockerfile, target: string, platforms: string[], buildPlatform: string, verified: VerifiedBase[], tools: Pick<ImageTools, 'raw' | 'digest'>): Promise<ResolvedBases> {
  const used = usedBases(parsed, target)
  const indexes: Record<string, Record<string, string> | string> = {}
  const pinned: Record<string, string> = {}
  const unresolved: ResolvedBases['unresolved'] = []
  await Promise.all(
    used.map(async (b) => {
      const checked = verified.find((v) => v.ref === b.ref)
      const ref = checked ? pinnedRef(b.ref, checked.digest) : b.ref
      try {
        const [manifest, digest] = await Promise.all([tools.raw(ref), checked ? Promise.resolve(checked.digest) : tools.digest(ref)])
        indexes[b.ref] = isIndex(manifest) ? platformDigests(manifest) : digest
        pinned[b.ref] = digest
      } catch (err) {
        unresolved.push({ ref: b.ref, error: errorMessage(err) })
      }
    })
  )
  const resolvedOnly = used.filter((b) => indexes[b.ref] !== undefined)
  const digests = baseDigestsFor(resolvedOnly, platforms, buildPlatform, indexes)
  return { used: resolvedOnly, unresolved, digests, pinned, annotations: baseAnnotations(resolvedOnly, digests) }
}

/** Every resolved base pinned by digest for the build (a context the user gave for it is left alone). */
export function baseContexts(given: Array<[string, string]>, resolved: ResolvedBases): Array<[string, string]> {
  const out = [...given]
  for (const b of resolved.used) {
    const key = contextKey(b.ref)
    const digest = resolved.pinned[b.ref]
    if (!digest || out.some(([name]) => name === key || name === b.ref) || /@sha256:[a-f0-9]{64}$/.test(b.ref)) continue
    out.push([key, `docker-image://${pinnedRef(b.ref, digest)}`])
  }
  return out
}

/** What the image at the release tag recorded, per platform, against what a build would use now. */
export async function refreshDecision(name: string, tag: string, resolved: ResolvedBases, tools: Pick<ImageTools, 'find' | 'raw'>): Promise<{ decision: RefreshDecision; existing?: { digest: string; platforms: Record<string, string> } }> {
  const existing = await tools.find(`${name}:${tag}`)
  const recorded: Record<string, Record<string, string> | undefined> = {}
  for (const platform of Object.keys(resolved.digests)) {
    const digest = existing?.platforms[platform]
    recorded[platform] = digest ? recordedBases((await tools.raw(`${name}@${digest}`)).annotations) : undefined
  }
  const decision = decideRefresh(resolved.digests, recorded)
  if (decision.rebuild) {
    core.info(`rebuild: if-base-changed: building, because ${decision.why}`)
    for (const c of decision.changes) core.info(`  ${c.platform}: ${c.ref} ${c.from ?? '(not recorded)'} -> ${c.to}`)
  } else {
    core.info(`rebuild: if-base-changed: every base is as ${name}:${tag} recorded it (${decision.compared.join(', ')}); nothing to build`)
  }
  return { decision, existing: existing ? { digest: existing.digest, platforms: existing.platforms } : undefined }
}

/** What the Bases step reads from the run, and where it leaves what it learnt. */
export interface BasesRun<I> {
  inputs: I
  ctx: Pick<GitHubContext, 'nodeArch'>
  tools: Pick<ImageTools, 'raw' | 'digest' | 'find'>
  report: { notes: string[]; bases?: VerifiedBase[]; digest: string }
  outputs: RunOutputs
}

/**
 * The step (when pushing): the bases resolved once; the build is pinned to those digests and
 * records them on each platform manifest. Under `rebuild: if-base-changed`, returns nothing (and
 * sets the outputs) when every base is as the image at the release tag recorded it.
 */
export async function recordBases<I extends BuildInputs & ImageInputs>(run: BasesRun<I>, parsed: ParsedDockerfile): Promise<I | undefined> {
  const { inputs, report } = run
  if (!inputs.push) return inputs
  const platforms = inputs.platforms.map((p) => p.id)
  const buildPlatform = `linux/${nativeArches(run.ctx.nodeArch)[0] ?? 'amd64'}`
  const resolved = await core.group('Bases', () => resolveBases(parsed, inputs.target, platforms, buildPlatform, report.bases ?? [], run.tools))
  for (const u of resolved.unresolved) {
    if (inputs.rebuild === 'if-base-changed') throw new Error(`rebuild: if-base-changed cannot compare ${u.ref}: this runner cannot read it (${u.error})`)
    core.warning(`${u.ref} could not be read from this runner, so it is neither pinned nor recorded on the manifests (the builder resolves it itself): ${u.error}`)
  }
  if (inputs.rebuild === 'if-base-changed') {
    const tag = inputs.tags[0] ?? ''
    const { decision, existing } = await core.group('Refresh: compare the bases', () => refreshDecision(inputs.image.name, tag, resolved, run.tools))
    if (!decision.rebuild && existing) {
      report.notes.push(`rebuild: if-base-changed: nothing built or pushed; every base (${decision.compared.join(', ')}) is as ${inputs.image.name}:${tag} recorded it`)
      report.digest = existing.digest
      run.outputs.skipped = true
      run.outputs.release = { name: inputs.image.name, digest: existing.digest, tags: [], platforms: existing.platforms }
      return undefined
    }
    if (decision.rebuild) report.notes.push(`rebuild: if-base-changed: built, because ${decision.why}${decision.changes.map((c) => `; ${c.platform} ${c.ref}: ${c.from ?? '(not recorded)'} -> ${c.to}`).join('')}`)
  }
  run.outputs.skipped = false
  return { ...inputs, annotations: [...inputs.annotations, ...resolved.annotations], buildContexts: baseContexts(inputs.buildContexts, resolved) }
}
