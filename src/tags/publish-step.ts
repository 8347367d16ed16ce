/**
 * The tags move last. Every release is pushed by digest with no tag; once every gate (policy,
 * architecture, smoke run, vulnerabilities) passed on that digest, this step points the release's
 * tags at it, before it is signed. A refused image therefore carries no tag in any registry.
 */
import * as core from '../lib/log.js'
import { retag } from '../build/rerun.js'
import type { ImageInputs } from '../inputs/image.js'
import { withRetry } from '../lib/retry.js'
import { RegistryApi } from '../registry/http-api.js'
import type { ImageTools } from '../registry/imagetools.js'
import { credentialsFor } from '../registry/login.js'
import type { Pushed } from '../registry/manifest.js'
import type { RunOutputs } from '../report/outputs.js'
import type { ImageName } from './refs.js'

export interface TagRun {
  inputs: Pick<ImageInputs, 'image' | 'tags' | 'push' | 'pushByDigest' | 'registryUsername' | 'registryPassword' | 'registryAuth'>
  tools: Pick<ImageTools, 'create'>
  configDir: string
  report: { tags: string[] }
  outputs: RunOutputs
}

/** Points the release's tags at the digest that passed the gates; a matrix leg (push-by-digest) gets none. */
export async function publishTags(run: TagRun, pushed: Pushed): Promise<void> {
  const { inputs } = run
  if (!inputs.push || inputs.pushByDigest || inputs.tags.length === 0) return
  const name = inputs.image.name
  const started = Date.now()
  await core.group('Tag the checked digest', () => tag(run, pushed.digest))
  core.info(`Tagged in ${Date.now() - started} ms`)
  const refs = inputs.tags.map((t) => `${name}:${t}`)
  run.report.tags = refs
  if (run.outputs.release) run.outputs.release.tags = refs
}

/**
 * Each tag is one manifest PUT of the index the repository already holds (its platforms and
 * attestations were pushed with it, by digest), retried on its own: `imagetools create` copies
 * every child again per call, so one failing request in a flaky registry fails the whole call,
 * and a retry repeats all of it. With no credential the action can read (a credential helper
 * holds it), imagetools does it with docker's own.
 */
async function tag(run: TagRun, digest: string): Promise<void> {
  const { image, tags } = run.inputs
  const credential = credentialsFor(run.inputs, run.configDir, image.registry)
  if (!credential) return retag(image.name, tags, digest, run.tools, `tagging ${image.name}@${digest}`)
  await putTags(image, tags, digest, credential)
}

/** One manifest PUT per tag of the index `image` holds at `digest` (its bytes read once), each retried on its own. */
export async function putTags(image: ImageName, tags: readonly string[], digest: string, credential: { username: string; password: string }): Promise<void> {
  const api = new RegistryApi({ registry: image.registry, repository: image.path, ...credential })
  const index = await withRetry(() => api.manifestBytes(digest), { what: `reading ${image.name}@${digest}` })
  for (const t of tags) {
    await withRetry(() => api.putManifest(t, index), { what: `tagging ${image.name}:${t}` })
    core.info(`${image.name}:${t} -> ${digest}`)
  }
}
