/** The build slice: what buildx builds (`context`, `dockerfile`, `target`, `platforms`, build args, labels, annotations, provenance, cache). */
import * as fs from 'node:fs'
import * as path from 'node:path'
import type { GitHubContext } from '../lib/runner-env.js'
import { InputError } from '../lib/errors.js'
import type { Platform } from '../build/platform.js'
import { parsePlatforms } from '../build/platform.js'
import type { TemplateName } from '../dockerfile/templates.js'
import { isTemplate, templatePath } from '../dockerfile/templates.js'
import type { InputReader } from './values.js'
import { bool, insideWorkspace, keyValues, list } from './values.js'

export interface BuildInputs {
  /** `if-base-changed`: build only when a base moved since the image at the release tag was built. */
  rebuild: 'always' | 'if-base-changed'
  workspace: string
  /** Empty when merging: a merge builds nothing, so the job need not check out. */
  context: string
  dockerfile: string
  /** Set when `dockerfile` named one of the action's templates (static, cc). */
  template?: TemplateName
  target: string
  platforms: Platform[]
  buildArgs: Array<[string, string]>
  /** The `labels` input; the OCI defaults are added to them at build time. */
  userLabels: Array<[string, string]>
  annotations: string[]
  provenance: string
  cacheFrom: string[]
  cacheTo: string[]
  buildContexts: Array<[string, string]>
  noCache: boolean
  /** Stages rebuilt without cache (checked against the Dockerfile when it is read). */
  noCacheFilters: string[]
  pull: boolean
  network: string
  shmSize: string
  ulimits: string[]
  addHosts: string[]
  allow: string[]
}

/** docker's `--ulimit` names (`docker run --help`, ulimit(3)). */
const ULIMITS = ['core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack']
/** buildx `--allow` entitlements. */
const ENTITLEMENTS = ['network.host', 'security.insecure', 'device']
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/
const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/

/** A named context's value: a scheme buildx resolves, or a directory in the workspace (made absolute). */
function contextValue(name: string, value: string, workspace: string): string {
  if (/^(docker-image|oci-layout):\/\/\S+$/.test(value) || /^(https?|git|ssh):\/\/\S+$/.test(value) || /^target:[a-z0-9][a-z0-9._-]*$/i.test(value)) return value
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    throw new InputError('build-contexts', `"${name}=${value}": unknown scheme; use docker-image://, oci-layout://, a git or https URL, target:STAGE, or a directory in the workspace`)
  }
  return insideWorkspace('build-contexts', value, workspace, workspace, 'directory')
}

function buildInputsExtra(read: InputReader, workspace: string): Pick<BuildInputs, 'buildContexts' | 'noCache' | 'noCacheFilters' | 'pull' | 'network' | 'shmSize' | 'ulimits' | 'addHosts' | 'allow'> {
  const buildContexts = keyValues('build-contexts', read('build-contexts'), /^[A-Za-z0-9][A-Za-z0-9._:/@-]*$/).map(([k, v]) => [k, contextValue(k, v.trim(), workspace)] as [string, string])
  for (const [k, v] of buildContexts) if (!v) throw new InputError('build-contexts', `"${k}=" has no value`)
  const noCacheFilters = list(read('no-cache-filters')).map((f) => {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(f)) throw new InputError('no-cache-filters', `"${f}" is not a stage name`)
    return f.toLowerCase()
  })
  const network = read('network').trim()
  if (network && !['default', 'none', 'host'].includes(network)) throw new InputError('network', `"${network}" is not one of default, none, host`)
  const shmSize = read('shm-size').trim()
  if (shmSize && !/^\d+(\.\d+)? ?[kmgtp]?i?b?$/i.test(shmSize)) throw new InputError('shm-size', `"${shmSize}" is not a size such as 64m or 1g`)
  const ulimits = list(read('ulimit'), /\n/).map((u) => {
    const m = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(u)
    if (!m || !ULIMITS.includes(m[1] ?? '')) throw new InputError('ulimit', `"${u}" is not TYPE=SOFT[:HARD] with a docker ulimit type (${ULIMITS.join(', ')}), e.g. nofile=1024:1024`)
    return u
  })
  const addHosts = list(read('add-hosts')).map((h) => {
    const m = /^([^:=\s]+)[:=](.+)$/.exec(h)
    const host = m?.[1] ?? ''
    const ip = m?.[2] ?? ''
    if (!HOSTNAME.test(host) || !(IPV4.test(ip) || /^[0-9a-f:]+$/i.test(ip) || ip === 'host-gateway')) throw new InputError('add-hosts', `"${h}" is not HOST:IP (or HOST=IP), e.g. registry.internal:10.0.0.5`)
    return `${host}=${ip}`
  })
  const allow = list(read('allow')).map((a) => {
    if (!ENTITLEMENTS.includes(a)) throw new InputError('allow', `"${a}" is not one of ${ENTITLEMENTS.join(', ')}`)
    return a
  })
  if (network === 'host' && !allow.includes('network.host')) throw new InputError('network', 'host needs `allow: network.host` (and a builder started with that entitlement)')
  return { buildContexts, noCache: bool(read, 'no-cache', false), noCacheFilters, pull: bool(read, 'pull', false), network, shmSize, ulimits, addHosts, allow }
}

/** BuildKit's SLSA v1 provenance (a BuildKit too old for it records v0.2, and the run warns). */
export const DEFAULT_PROVENANCE = 'mode=max,version=v1'

const DEFAULT_DOCKERFILE = 'Dockerfile'

/**
 * `dockerfile` is relative to `context`. A path given that is not there but is relative to the
 * workspace is what build-push-action's `file` means (`context: app`, `file: app/Dockerfile`), so
 * it is taken from there: a migrated workflow builds what it built before. The default stays in the
 * context (build-push-action's default is `{context}/Dockerfile` too). Neither: the error names both.
 */
function dockerfilePath(value: string, context: string, workspace: string): string {
  const inContext = path.resolve(context, value)
  const inWorkspace = path.resolve(workspace, value)
  if (value === DEFAULT_DOCKERFILE || inContext === inWorkspace || fs.existsSync(inContext)) return insideWorkspace('dockerfile', value, context, workspace, 'file')
  if (fs.existsSync(inWorkspace)) return insideWorkspace('dockerfile', value, workspace, workspace, 'file')
  throw new InputError('dockerfile', `file "${value}" does not exist: looked for ${inContext} (relative to context) and ${inWorkspace} (relative to the workspace, as build-push-action's file)`)
}

export function parseBuildInputs(read: InputReader, ctx: GitHubContext, merging: boolean): BuildInputs {
  const workspace = path.resolve(ctx.workspace)
  const buildArgs = keyValues('build-args', read('build-args'), /^[A-Za-z_][A-Za-z0-9_]*$/)
  // BuildKit stamps the image config and history with SOURCE_DATE_EPOCH: reproducible re-runs.
  if (ctx.sourceDate && !buildArgs.some(([k]) => k === 'SOURCE_DATE_EPOCH')) {
    buildArgs.push(['SOURCE_DATE_EPOCH', String(Math.floor(Date.parse(ctx.sourceDate) / 1000))])
  }
  let context = ''
  let dockerfile = ''
  let template: TemplateName | undefined
  if (!merging) {
    context = insideWorkspace('context', read('context') || '.', workspace, workspace, 'directory')
    const dockerfileInput = read('dockerfile').trim() || DEFAULT_DOCKERFILE
    // A template name selects the action's own Dockerfile; anything else is a path in the workspace.
    template = isTemplate(dockerfileInput) ? dockerfileInput : undefined
    dockerfile = template ? templatePath(template) : dockerfilePath(dockerfileInput, context, workspace)
  }
  const annotations = list(read('annotations'), /\n/).map((a) => {
    if (!/^[^=\s]+=/.test(a)) throw new InputError('annotations', `"${a}" is not KEY=VALUE (optionally TYPE:KEY=VALUE, e.g. index:org.opencontainers.image.description=...)`)
    return a
  })
  // SLSA v1 (what `gh attestation verify` checks by default), with the full build record; not when
  // the job set BUILDX_NO_DEFAULT_ATTESTATIONS, which asks buildx for no provenance unless given.
  const provenance = read('provenance').trim() || (ctx.noDefaultAttestations ? '' : DEFAULT_PROVENANCE)
  if (provenance && !/^(true|false|mode=(min|max)(,[a-z-]+=[^,]+)*|[a-z-]+=[^,]+(,[a-z-]+=[^,]+)*)$/.test(provenance)) {
    throw new InputError('provenance', `"${provenance}" is not a buildx --provenance value: true, false, mode=min or mode=max`)
  }
  const rebuild = read('rebuild').trim() || 'always'
  if (rebuild !== 'always' && rebuild !== 'if-base-changed') throw new InputError('rebuild', `"${rebuild}" is not one of always, if-base-changed`)
  if (rebuild === 'if-base-changed' && merging) throw new InputError('rebuild', 'if-base-changed compares what a build would use; a merge-digests job builds nothing')
  return {
    rebuild,
    workspace,
    context,
    dockerfile,
    template,
    target: read('target').trim(),
    platforms: parsePlatforms(list(read('platforms') || 'linux/amd64,linux/arm64')),
    buildArgs,
    userLabels: keyValues('labels', read('labels'), /^[A-Za-z0-9][A-Za-z0-9._/-]*$/),
    annotations,
    provenance,
    cacheFrom: list(read('cache-from'), /\n/),
    cacheTo: list(read('cache-to'), /\n/),
    ...buildInputsExtra(read, workspace)
  }
}
