/** `docker buildx build`: its argv, running it with retries (stopped when the tools fail), and reading its metadata file. */
import * as core from '../lib/log.js'
import * as fs from 'node:fs'
import { interruptChildren, run } from '../lib/exec.js'
import { isDigest } from '../tags/refs.js'
import { explainPullFailure, registryFailure, tlsAdvice } from '../registry/buildkit-errors.js'
import { RegistryAuthError } from '../registry/login.js'
import { errorMessage, errorText } from '../lib/errors.js'
import { authHint, classifyFailure, withRetry } from '../lib/retry.js'

export interface BuildSpec {
  /** True once the build was stopped on purpose (a tool download failed): not retried. */
  stopped?: () => boolean
  builder?: string
  context: string
  dockerfile: string
  target: string
  platforms: string[]
  /** Full references `NAME:TAG`. */
  tags: string[]
  buildArgs: Array<[string, string]>
  labels: Array<[string, string]>
  annotations: string[]
  indexAnnotations: Array<[string, string]>
  push: boolean
  provenance: string
  cacheFrom: string[]
  cacheTo: string[]
  metadataFile: string
  /** BUILDX_NO_DEFAULT_ATTESTATIONS is set: no provenance unless `provenance` asks for it. */
  noDefaultAttestations?: boolean
  /**
   * Push by digest, no tags: every push. The tags are set only after the gates passed (a refused
   * image must carry none), or by the merge job for a matrix leg.
   */
  pushByDigest?: { name: string }
  /** push: false: every platform is written to this directory as an OCI image layout (the local checks read it). */
  localLayout?: string
  /** `name=value` named contexts (`docker-image://`, `oci-layout://`, a URL, or an absolute directory). */
  buildContexts?: Array<[string, string]>
  noCache?: boolean
  noCacheFilters?: string[]
  pull?: boolean
  network?: string
  shmSize?: string
  ulimits?: string[]
  addHosts?: string[]
  allow?: string[]
  /** `--secret`: a file (inline values are written to one first) or an env var, by id. */
  secrets?: Array<{ id: string; src?: string; env?: string }>
  ssh?: string[]
}

export function buildArgv(s: BuildSpec): string[] {
  const argv = ['buildx', 'build']
  if (s.builder) argv.push('--builder', s.builder)
  argv.push('--file', s.dockerfile)
  if (s.target) argv.push('--target', s.target)
  argv.push('--platform', s.platforms.join(','))
  for (const [k, v] of s.buildArgs) argv.push('--build-arg', `${k}=${v}`)
  for (const [k, v] of s.labels) argv.push('--label', `${k}=${v}`)
  for (const a of s.annotations) argv.push('--annotation', a)
  // buildx exports an index for several platforms or when attestations ride along; otherwise a
  // lone manifest, where index annotations are refused and the manifest's own are what registries show.
  const level = exportsIndex(s) ? 'index' : 'manifest'
  for (const [k, v] of s.indexAnnotations) argv.push('--annotation', `${level}:${k}=${v}`)
  for (const c of s.cacheFrom) argv.push('--cache-from', c)
  for (const c of s.cacheTo) argv.push('--cache-to', c)
  for (const [name, value] of s.buildContexts ?? []) argv.push('--build-context', `${name}=${value}`)
  if (s.noCache) argv.push('--no-cache')
  if (s.noCacheFilters?.length) argv.push('--no-cache-filter', s.noCacheFilters.join(','))
  if (s.pull) argv.push('--pull')
  if (s.network) argv.push('--network', s.network)
  if (s.shmSize) argv.push('--shm-size', s.shmSize)
  for (const u of s.ulimits ?? []) argv.push('--ulimit', u)
  for (const h of s.addHosts ?? []) argv.push('--add-host', h)
  for (const a of s.allow ?? []) argv.push('--allow', a)
  // Paths and names only: a secret's value never reaches argv.
  for (const sec of s.secrets ?? []) argv.push('--secret', sec.env ? `id=${sec.id},env=${sec.env}` : `id=${sec.id},src=${sec.src ?? ''}`)
  for (const spec of s.ssh ?? []) argv.push('--ssh', spec)
  if (s.provenance) argv.push(`--provenance=${s.provenance}`)
  if (s.pushByDigest) {
    // With SOURCE_DATE_EPOCH the layers' file times are rewritten to it too, not only the config's:
    // a re-run on a new builder (no cache, as every GitHub job has) then yields the same platform
    // images, which is what lets it keep the earlier release's digest (build/rerun.ts).
    const epoch = s.buildArgs.some(([k]) => k === 'SOURCE_DATE_EPOCH') ? ',rewrite-timestamp=true' : ''
    argv.push('--output', `type=image,name=${s.pushByDigest.name},push-by-digest=true,name-canonical=true,push=true${epoch}`)
  } else if (s.localLayout) {
    // Nothing pushed, no tag: the layout holds every platform for the local checks; cache-to still warms the release's cache.
    argv.push('--output', `type=oci,dest=${s.localLayout},tar=false`)
  } else {
    for (const t of s.tags) argv.push('--tag', t)
    argv.push(s.push ? '--push' : '--output=type=image,push=false')
  }
  argv.push('--metadata-file', s.metadataFile)
  argv.push(s.context)
  return argv
}

export function exportsIndex(s: Pick<BuildSpec, 'platforms' | 'provenance' | 'noDefaultAttestations'>): boolean {
  if (s.platforms.length > 1) return true
  if (s.provenance) return !/^(false|mode=false)$/.test(s.provenance)
  return !s.noDefaultAttestations
}

export interface BuildMetadata {
  digest: string
  mediaType: string
  raw: Record<string, unknown>
}

export function parseMetadata(text: string): BuildMetadata {
  const raw = JSON.parse(text) as Record<string, unknown>
  const descriptor = raw['containerimage.descriptor'] as { digest?: string; mediaType?: string } | undefined
  const digest = (raw['containerimage.digest'] as string | undefined) ?? descriptor?.digest ?? ''
  if (!isDigest(digest)) throw new Error(`buildx metadata has no image digest (keys: ${Object.keys(raw).join(', ')})`)
  return { digest, mediaType: descriptor?.mediaType ?? '', raw }
}

/** Runs the build; a transient push failure re-runs it (cached, so only the push repeats). */
export async function build(spec: BuildSpec, env: Record<string, string>, registry: string): Promise<BuildMetadata> {
  try {
    await withRetry(() => run('docker', buildArgv(spec), { env }), { what: 'docker buildx build --push', stopped: spec.stopped })
  } catch (err) {
    const text = errorText(err)
    // The registry BuildKit names, and whether it pulled or pushed: a base registry's 401 is not the push registry's.
    const failure = registryFailure(text)
    if (failure?.op === 'pull') throw new RegistryAuthError(explainPullFailure(failure), { cause: err })
    if (failure?.kind === 'tls') throw new RegistryAuthError(tlsAdvice(failure, `BuildKit could not push to ${failure.host}: the builder does not trust its certificate`), { cause: err })
    if (spec.push && classifyFailure(text) === 'auth') {
      const host = failure?.host ?? registry
      throw new RegistryAuthError(`Push to ${host} was refused: ${authHint(text, host)}`, { cause: err })
    }
    throw err
  }
  return parseMetadata(fs.readFileSync(spec.metadataFile, 'utf8'))
}

/**
 * Interrupts the build (found by its metadata file) when the tool install fails while it runs.
 * The child may not be spawned yet when the failure lands: it is looked for for up to 2 s.
 */
export function stopOnToolFailure(installs: Promise<unknown>, metadataFile: string, building: () => boolean): { failure?: unknown } {
  const state: { failure?: unknown } = {}
  installs.catch(async (err: unknown) => {
    state.failure = err
    for (let i = 0; i < 20 && building(); i++) {
      if (interruptChildren(metadataFile)) {
        core.warning(`${errorMessage(err)}: stopping the build before it pushes`)
        return
      }
      await new Promise((r) => setTimeout(r, 100))
    }
  })
  return state
}
