/**
 * The other registries of `images`: each receives the pushed index by digest (copied, never built
 * again), then its tags (floating ones as its own history allows), then its own signatures and attestations, since those live in each
 * repository. One registry's failure does not stop the others; each says what it left undone.
 */
import * as core from '../lib/log.js'
import { errorMessage } from '../lib/errors.js'
import type { ImageTools } from '../registry/imagetools.js'
import { putTags } from '../tags/publish-step.js'
import type { ImageName } from '../tags/refs.js'
import type { Subject } from './sign.js'
import type { SubjectOutcome, SupplyChainResult, SupplyChainSpec } from './chain.js'

export interface CopyOutcome {
  name: string
  registry: string
  /** The index reached this registry with the same digest. */
  copied: boolean
  /** The tags set on it there. */
  tags?: string[]
  digests: SubjectOutcome[]
  verifyCommands: string[]
  notes: string[]
  failure?: string
}

export interface CopySpec {
  /** The first image, where the index was pushed. */
  from: string
  digest: string
  tags: string[]
  /** A copy's own tags (its floating tags decided from its own history), by image name; else `tags`. */
  tagsOf?: Record<string, string[]>
  subjects: Subject[]
  /** The first image's supply chain, as it ran: the copies reuse its SBOMs and provenance. */
  chain: Omit<SupplyChainSpec, 'name' | 'subjects'>
  /** The credential the action holds for a registry (undefined: docker's own, through imagetools). */
  credentialOf?: (registry: string) => { username: string; password: string } | undefined
}

export type RunSupplyChain = (spec: SupplyChainSpec) => Promise<SupplyChainResult>

/**
 * buildx's copy to another registry uploads each blob of the platform manifest twice at once
 * (seen in the e2e registry's log: every blob HEADed, POSTed and PUT twice) and can PUT the
 * manifest while one of those uploads is still open; distribution 2.8 then answers "blob unknown
 * to registry". The content is sound and the copy idempotent: a second attempt finds the blobs
 * there and uploads nothing.
 */
const COPY_RACE = /blob unknown to registry/i

/**
 * `docker buildx imagetools create` with one source, written as it is, copies the index: same
 * bytes, same digest. The content goes over once, by digest (`--tag NAME@DIGEST`: no tag, and the
 * registry refuses bytes of another digest); the tags are then set on the copy already there
 * (every tag in the copying call would be one parallel blob copy per tag, more of the race above).
 * The first tag is read back: a registry that rewrote the manifest on tagging is refused.
 */
export async function copyIndex(from: string, digest: string, to: ImageName, tags: string[], tools: Pick<ImageTools, 'create' | 'digest'>, credential?: { username: string; password: string }): Promise<void> {
  await tools.create({ tags: [`${to.name}@${digest}`], sources: [`${from}@${digest}`], carbonCopy: true }, `copying ${from}@${digest} to ${to.name}`, COPY_RACE)
  const [first] = tags
  if (!first) return
  // As in the first registry: a manifest PUT per tag (a second imagetools call would HEAD every blob again).
  if (credential) await putTags(to, tags, digest, credential)
  else await tools.create({ tags: tags.map((t) => `${to.name}:${t}`), sources: [`${to.name}@${digest}`], carbonCopy: true }, `tagging ${to.name}@${digest}`, COPY_RACE)
  const tagged = await tools.digest(`${to.name}:${first}`, { justPushed: true })
  if (tagged !== digest) throw new Error(`${to.name}:${first} is ${tagged} after the copy, not ${digest}: the registry rewrote the index, so the signatures made for ${digest} would not apply`)
}

export async function publishCopies(copies: readonly ImageName[], spec: CopySpec, tools: Pick<ImageTools, 'create' | 'digest'>, supplyChain: RunSupplyChain): Promise<CopyOutcome[]> {
  const outcomes: CopyOutcome[] = []
  // One registry at a time: the log groups stay readable, and cosign's keyless requests stay few at once.
  for (const to of copies) {
    const pending = spec.subjects.map((s): SubjectOutcome => ({ ...s, signature: 'pending', attestation: 'pending', provenance: 'pending' }))
    const outcome: CopyOutcome = { name: to.name, registry: to.registry, copied: false, digests: pending, verifyCommands: [], notes: [] }
    outcomes.push(outcome)
    try {
      await core.group(`Copy to ${to.name}`, async () => {
        const tags = spec.tagsOf?.[to.name] ?? spec.tags
        await copyIndex(spec.from, spec.digest, to, tags, tools, spec.credentialOf?.(to.registry))
        outcome.tags = tags
        core.info(`${to.name}@${spec.digest}: the same index, tagged ${tags.join(', ')}`)
      })
      outcome.copied = true
    } catch (err) {
      outcome.failure = `copying the index to ${to.registry} failed: ${errorMessage(err)}`
      core.error(`${to.registry}: ${outcome.failure}`)
      continue
    }
    const result = await supplyChain({ ...spec.chain, name: to.name, subjects: spec.subjects, sbomArtifact: false, heading: `in ${to.registry}` })
    outcome.digests = result.subjects
    outcome.verifyCommands = result.verifyCommands
    outcome.notes = result.notes
    if (result.failure) {
      outcome.failure = result.failure.message
      core.error(`${to.registry}: ${result.failure.message}`)
    }
  }
  return outcomes
}

/** What a registry is missing: pushed but not signed or attested there (or not copied at all). */
export function unfinishedCopy(c: CopyOutcome): string[] {
  if (!c.copied) return [`${c.name}: not copied (nothing pushed or signed there yet)`]
  const open = (s: SubjectOutcome['signature']) => s === 'failed' || s === 'pending'
  return c.digests.filter((d) => open(d.signature) || open(d.attestation) || open(d.provenance) || open(d.vulnerability ?? 'skipped')).map((d) => `${d.subject} ${c.name}@${d.digest}`)
}

/** One error for every registry that failed, naming each and what it left undone. */
export function copiesFailure(outcomes: readonly CopyOutcome[]): Error | undefined {
  const failed = outcomes.filter((o) => o.failure)
  if (!failed.length) return undefined
  const lines = failed.map((o) => {
    const open = unfinishedCopy(o)
    return `- ${o.registry}: ${o.failure ?? ''}${open.length ? `\n  Pushed but not signed or attested there: ${open.join(', ')}` : ''}`
  })
  return new Error(`Publishing to ${failed.length === 1 ? 'one registry' : `${failed.length} registries`} failed:\n${lines.join('\n')}\nRe-run the job: the copy is made again by digest (the same index), and what is signed already is checked, not added twice.`)
}
