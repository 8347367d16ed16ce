/**
 * The tags move last. Every release is pushed by digest with no tag; once every gate (policy,
 * architecture, smoke run, vulnerabilities) passed on that digest, this step points the release's
 * tags at it, before it is signed. A refused image therefore carries no tag in any registry.
 */
import * as core from '@actions/core'
import { retag } from '../build/rerun.js'
import type { ImageInputs } from '../inputs/image.js'
import type { ImageTools } from '../registry/imagetools.js'
import type { Pushed } from '../registry/manifest.js'
import type { RunOutputs } from '../report/outputs.js'

export interface TagRun {
  inputs: Pick<ImageInputs, 'image' | 'tags' | 'push' | 'pushByDigest'>
  tools: Pick<ImageTools, 'create'>
  report: { tags: string[] }
  outputs: RunOutputs
}

/** Points the release's tags at the digest that passed the gates; a matrix leg (push-by-digest) gets none. */
export async function publishTags(run: TagRun, pushed: Pushed): Promise<void> {
  const { inputs } = run
  if (!inputs.push || inputs.pushByDigest || inputs.tags.length === 0) return
  const name = inputs.image.name
  const started = Date.now()
  await core.group('Tag the checked digest', () => retag(name, inputs.tags, pushed.digest, run.tools, `tagging ${name}@${pushed.digest}`))
  core.info(`Tagged in ${Date.now() - started} ms`)
  const refs = inputs.tags.map((t) => `${name}:${t}`)
  run.report.tags = refs
  if (run.outputs.release) run.outputs.release.tags = refs
}
