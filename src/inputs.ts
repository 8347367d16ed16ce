/** The only module that reads inputs: one typed, validated object, or an error naming the input. */
import * as core from '@actions/core'
import * as fs from 'node:fs'
import * as path from 'node:path'
import type { GitHubContext } from './context.js'
import type { ParsedDockerfile } from './dockerfile.js'
import { finalStage, parseDockerfile, stageNames } from './dockerfile.js'
import type { Platform } from './platform.js'
import { parsePlatforms } from './platform.js'
import type { ImageName, SemVer } from './refs.js'
import { InputError } from './errors.js'
import { deriveTags, isImageRef, ociLabels, parseImageName, parseVersion, validateTag } from './refs.js'
import type { CosignKey } from './cosign-key.js'
import { parseCosignKey } from './cosign-key.js'
import type { Pem } from './pem.js'
import { parsePem } from './pem.js'
import type { SigstoreTrust } from './sigstore-trust.js'
import { readSigstoreTrust } from './sigstore-trust.js'
import type { PolicyMode } from './policy.js'
import { parseSize } from './policy.js'
import type { TemplateName } from './templates.js'
import { isTemplate, templatePath } from './templates.js'
import { parseMergeDigests } from './merge.js'
import type { RemoteBuilder } from './builder.js'
import { DEFAULT_BUILDKIT_IMAGE } from './builder.js'

export interface Inputs {
  image: ImageName
  /** Digests to merge into one index (merge mode: no build). */
  mergeDigests: string[]
  /** One platform pushed by digest, for a later merge. */
  pushByDigest: boolean
  builderEndpoint?: Omit<RemoteBuilder, 'tls'> & { tls: { ca?: Pem; cert?: Pem; key?: Pem } }
  /** The BuildKit image of a docker-container builder the action creates. */
  buildkitImage: string
  workspace: string
  context: string
  dockerfile: string
  /** Set when `dockerfile` named one of the action's templates (static, cc). */
  template?: string
  /** The Dockerfile parsed once, with build-args applied to FROM (absent when merging). */
  parsed?: ParsedDockerfile
  target: string
  platforms: Platform[]
  tags: string[]
  version?: SemVer
  buildArgs: Array<[string, string]>
  labels: Array<[string, string]>
  annotations: string[]
  /** Index-level annotations the action adds so registries show them for multi-arch images. */
  indexAnnotations: Array<[string, string]>
  push: boolean
  registryUsername: string
  registryPassword: string
  provenance: string
  cacheFrom: string[]
  cacheTo: string[]
  qemuImage: string
  sbom: boolean
  sbomArtifact: boolean
  sign: boolean
  verify: boolean
  cosignKey?: CosignKey
  cosignPassword: string
  transparencyLog: boolean
  /** A private Sigstore instance to sign with and verify against (absent: the public one). */
  sigstoreTrust?: SigstoreTrust
  cosignVersion: string
  syftVersion: string
  toolsUrl: string
  policy: PolicyMode
  allowRoot: boolean
  allowedBases: string[]
  maxImageSize?: number
}

export type InputReader = (name: string) => string

/** Inputs whose values are secrets: masked before anything else happens. */
export const SECRET_INPUTS = ['registry-password', 'cosign-key', 'cosign-password', 'builder-tls-key'] as const

export function readInputs(ctx: GitHubContext, now = new Date()): Inputs {
  const read: InputReader = (name) => core.getInput(name)
  for (const name of SECRET_INPUTS) {
    const value = read(name)
    if (value) maskSecret(value)
  }
  return parseInputs(read, ctx, now)
}

/** Masks a secret and each of its lines (the runner matches masks line by line). */
export function maskSecret(value: string): void {
  core.setSecret(value)
  for (const line of value.split(/\r?\n/)) if (line.trim().length >= 4 && line !== value) core.setSecret(line.trim())
}

export function parseInputs(read: InputReader, ctx: GitHubContext, now = new Date()): Inputs {
  const image = parseImageName(read('image'), ctx.owner)
  const workspace = path.resolve(ctx.workspace)
  const mergeRaw = read('merge-digests').trim()
  const mergeDigests = mergeRaw ? parseMergeDigests(mergeRaw, image.name) : []
  const merging = mergeDigests.length > 0
  const pushByDigest = bool(read, 'push-by-digest', false)
  if (merging && pushByDigest) throw new InputError('push-by-digest', 'cannot be used with `merge-digests`: the matrix jobs push by digest, the merge job merges')

  const buildArgs = keyValues('build-args', read('build-args'), /^[A-Za-z_][A-Za-z0-9_]*$/)
  // BuildKit stamps the image config and history with SOURCE_DATE_EPOCH: reproducible re-runs.
  if (ctx.sourceDate && !buildArgs.some(([k]) => k === 'SOURCE_DATE_EPOCH')) {
    buildArgs.push(['SOURCE_DATE_EPOCH', String(Math.floor(Date.parse(ctx.sourceDate) / 1000))])
  }
  // A merge builds nothing: the job need not even check out the Dockerfile.
  let context = ''
  let dockerfile = ''
  let template: TemplateName | undefined
  let parsed: ParsedDockerfile | undefined
  const target = read('target').trim()
  if (!merging) {
    context = insideWorkspace('context', read('context') || '.', workspace, workspace, 'directory')
    const dockerfileInput = read('dockerfile').trim() || 'Dockerfile'
    // A template name selects the action's own Dockerfile; anything else is a path in the workspace.
    template = isTemplate(dockerfileInput) ? dockerfileInput : undefined
    dockerfile = template ? templatePath(template) : insideWorkspace('dockerfile', dockerfileInput, context, workspace, 'file')
    parsed = parseDockerfile(fs.readFileSync(dockerfile, 'utf8'), Object.fromEntries(buildArgs))
    if (parsed.stages.length === 0) throw new InputError('dockerfile', `${dockerfileLabel(dockerfile, workspace, template)} has no FROM instruction`)
    if (target && !finalStage(parsed, target)) {
      const names = stageNames(parsed)
      throw new InputError('target', `"${target}" is not a stage of ${dockerfileLabel(dockerfile, workspace, template)}; its stages are: ${names.length ? names.join(', ') : '(none named: add `AS name` to a FROM)'}`)
    }
  }

  const platforms = parsePlatforms(list(read('platforms') || 'linux/amd64,linux/arm64'))
  if (pushByDigest && platforms.length !== 1) {
    throw new InputError('push-by-digest', `builds one platform per job, but platforms lists ${platforms.length}: give one (e.g. platforms: \${{ matrix.platform }})`)
  }

  const versionRaw = read('version').trim()
  let version: SemVer | undefined
  if (versionRaw) {
    version = parseVersion(versionRaw)
    if (!version) throw new InputError('version', `"${versionRaw}" is not a release version such as v1.4.2, 1.5.0-rc.1 or component-v1.4.2`)
  }
  const explicitTags = list(read('tags')).map((t) => validateTag(t))
  if (new Set(explicitTags).size !== explicitTags.length) throw new InputError('tags', 'lists a tag twice')
  const tags = explicitTags.length ? explicitTags : deriveTags(version, { ref: ctx.ref, sha: ctx.sha })

  const push = bool(read, 'push', true)
  if (pushByDigest && !push) throw new InputError('push-by-digest', 'needs `push: true`')
  const userLabels = keyValues('labels', read('labels'), /^[A-Za-z0-9][A-Za-z0-9._/-]*$/)
  const title = image.path.split('/').pop() ?? image.path
  const defaults = ociLabels({
    serverUrl: ctx.serverUrl,
    repository: ctx.repository,
    sha: ctx.sha,
    title,
    version: version?.text ?? tags[0] ?? '',
    created: ctx.sourceDate || now.toISOString()
  })
  const labels = mergePairs(Object.entries(defaults), userLabels)
  const annotations = list(read('annotations'), /\n/).map((a) => {
    if (!/^[^=\s]+=/.test(a)) throw new InputError('annotations', `"${a}" is not KEY=VALUE (optionally TYPE:KEY=VALUE, e.g. index:org.opencontainers.image.description=...)`)
    return a
  })
  const described = (key: string) => annotations.some((a) => a.split('=')[0]?.split(':').pop() === key)
  const indexAnnotations: Array<[string, string]> = []
  const labelMap = Object.fromEntries(labels)
  if (!described('org.opencontainers.image.description')) {
    const description = labelMap['org.opencontainers.image.description'] ?? (ctx.repository ? `${title} from ${ctx.repository}` : title)
    indexAnnotations.push(['org.opencontainers.image.description', description])
  }
  if (!described('org.opencontainers.image.source') && labelMap['org.opencontainers.image.source']) {
    indexAnnotations.push(['org.opencontainers.image.source', labelMap['org.opencontainers.image.source']])
  }

  const provenance = read('provenance').trim()
  if (provenance && !/^(true|false|mode=(min|max)(,[a-z-]+=[^,]+)*|[a-z-]+=[^,]+(,[a-z-]+=[^,]+)*)$/.test(provenance)) {
    throw new InputError('provenance', `"${provenance}" is not a buildx --provenance value: true, false, mode=min or mode=max`)
  }

  const cosignKey = parseCosignKey(read('cosign-key'), workspace)
  // Per-platform digest pushes are signed, SBOM'd and attested once, on the merged index.
  const sign = bool(read, 'sign', !pushByDigest)
  const sbom = bool(read, 'sbom', !pushByDigest)
  const transparencyLog = bool(read, 'transparency-log', true)
  if (!transparencyLog && !cosignKey) {
    throw new InputError('transparency-log', 'false is only allowed with `cosign-key`: keyless signatures need the transparency log to be verifiable')
  }
  if (push && sign && !cosignKey && !ctx.idTokenAvailable) {
    throw new InputError('sign', 'keyless signing needs an OIDC token, and this job has none: add `permissions: { id-token: write }` to the job (or give `cosign-key`, or set `sign: false`)')
  }

  const cosignVersion = toolVersion('cosign-version', read('cosign-version') || DEFAULT_COSIGN_VERSION)
  const sigstoreTrust = readSigstoreTrust(read('sigstore-trusted-root'), read('sigstore-signing-config'), workspace, Number(cosignVersion.replace(/^v/, '').split('.')[0]))
  if (sigstoreTrust && !transparencyLog) {
    throw new InputError('sigstore-trusted-root', 'and sigstore-signing-config name a Sigstore instance, but transparency-log: false signs with the key alone and uses none: remove them, or turn the log on')
  }

  const policy = read('policy').trim() || 'enforce'
  if (policy !== 'enforce' && policy !== 'warn' && policy !== 'off') throw new InputError('policy', `"${policy}" is not one of enforce, warn, off`)
  const maxRaw = read('max-image-size').trim()
  const maxImageSize = maxRaw ? parseSize(maxRaw) : undefined
  if (maxRaw && maxImageSize === undefined) throw new InputError('max-image-size', `"${maxRaw}" is not a size such as 50MB, 800KB or 1.5GiB`)

  const endpoint = read('builder-endpoint').trim()
  if (endpoint && !/^(tcp|unix|ssh|docker-container|kube-pod):\/\/\S+$|^kubernetes(:\S+)?$/.test(endpoint)) {
    throw new InputError('builder-endpoint', `"${endpoint}" is neither a BuildKit address (tcp://host:port, unix://, ssh://) nor kubernetes[:driver options]`)
  }
  const ca = parsePem('builder-tls-ca', read('builder-tls-ca'), workspace)
  const cert = parsePem('builder-tls-cert', read('builder-tls-cert'), workspace)
  const key = parsePem('builder-tls-key', read('builder-tls-key'), workspace)
  if (!endpoint && (ca || cert || key)) throw new InputError('builder-endpoint', 'is empty, but builder-tls-* are given: they are for a remote BuildKit at builder-endpoint')
  const buildkitImage = read('buildkit-image').trim() || DEFAULT_BUILDKIT_IMAGE
  if (!isImageRef(buildkitImage)) {
    throw new InputError('buildkit-image', `"${buildkitImage}" is not an image reference such as moby/buildkit:buildx-stable-1 or mirror.example.com/moby/buildkit@sha256:…`)
  }

  return {
    image,
    mergeDigests,
    pushByDigest,
    builderEndpoint: endpoint ? { endpoint, tls: { ca, cert, key } } : undefined,
    buildkitImage,
    workspace,
    context,
    dockerfile,
    template,
    parsed,
    target,
    platforms,
    tags,
    version,
    buildArgs,
    labels,
    annotations,
    indexAnnotations,
    push,
    registryUsername: read('registry-username').trim(),
    registryPassword: read('registry-password'),
    provenance,
    cacheFrom: list(read('cache-from'), /\n/),
    cacheTo: list(read('cache-to'), /\n/),
    qemuImage: read('qemu-image').trim() || DEFAULT_QEMU_IMAGE,
    sbom,
    sbomArtifact: bool(read, 'sbom-artifact', true),
    sign,
    verify: bool(read, 'verify', true),
    cosignKey,
    cosignPassword: read('cosign-password'),
    transparencyLog,
    cosignVersion,
    sigstoreTrust,
    syftVersion: toolVersion('syft-version', read('syft-version') || DEFAULT_SYFT_VERSION),
    toolsUrl: toolsUrl(read('tools-url') || 'https://github.com'),
    policy,
    allowRoot: bool(read, 'allow-root', false),
    allowedBases: list(read('allowed-bases')),
    maxImageSize
  }
}

export const DEFAULT_QEMU_IMAGE = 'docker.io/tonistiigi/binfmt:qemu-v10.2.3@sha256:400a4873b838d1b89194d982c45e5fb3cda4593fbfd7e08a02e76b03b21166f0'
export const DEFAULT_COSIGN_VERSION = 'v3.1.2'
export const DEFAULT_SYFT_VERSION = 'v1.51.0'

/** Comma- or newline-separated list; blank entries and `#` comment lines dropped. */
export function list(value: string, sep: RegExp = /[,\n]/): string[] {
  return value
    .split(sep)
    .map((s) => s.trim())
    .filter((s) => s && !s.startsWith('#'))
}

const TRUE = ['true', 'True', 'TRUE']
const FALSE = ['false', 'False', 'FALSE']

function bool(read: InputReader, name: string, fallback: boolean): boolean {
  const value = read(name).trim()
  if (!value) return fallback
  if (TRUE.includes(value)) return true
  if (FALSE.includes(value)) return false
  throw new InputError(name, `"${value}" is not a boolean: use true or false`)
}

function keyValues(name: string, value: string, keyPattern: RegExp): Array<[string, string]> {
  const seen = new Set<string>()
  return list(value, /\n/).map((line) => {
    const eq = line.indexOf('=')
    const key = eq > 0 ? line.slice(0, eq).trim() : ''
    if (!key) throw new InputError(name, `"${line}" is not KEY=VALUE`)
    if (!keyPattern.test(key)) throw new InputError(name, `"${key}" is not a valid key`)
    if (seen.has(key)) throw new InputError(name, `"${key}" is given twice`)
    seen.add(key)
    return [key, line.slice(eq + 1)] as [string, string]
  })
}

function mergePairs(base: Array<[string, string]>, over: Array<[string, string]>): Array<[string, string]> {
  const map = new Map(base)
  for (const [k, v] of over) map.set(k, v)
  return [...map.entries()]
}

function insideWorkspace(name: string, value: string, base: string, workspace: string, kind: 'file' | 'directory'): string {
  const resolved = path.resolve(base, value)
  let real: string
  try {
    real = fs.realpathSync(resolved)
  } catch {
    throw new InputError(name, `${kind} "${value}" does not exist (looked for ${resolved})`)
  }
  const realWorkspace = fs.realpathSync(workspace)
  if (real !== realWorkspace && !real.startsWith(realWorkspace + path.sep)) {
    throw new InputError(name, `"${value}" resolves to ${real}, outside the workspace ${realWorkspace}; use a path inside the repository`)
  }
  const stat = fs.statSync(real)
  if (kind === 'file' ? !stat.isFile() : !stat.isDirectory()) throw new InputError(name, `"${value}" is not a ${kind}`)
  return real
}

/** How errors name the Dockerfile: the template, or its path in the workspace. */
export function dockerfileLabel(file: string, workspace: string, template?: string): string {
  return template ? `template ${template} (dockerfiles/Dockerfile.${template})` : path.relative(workspace, file) || file
}

function toolVersion(name: string, value: string): string {
  const v = value.trim()
  if (!/^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(v)) throw new InputError(name, `"${v}" is not a release version such as v3.1.2`)
  return v.replace(/^v/, '')
}

function toolsUrl(value: string): string {
  let url: URL
  try {
    url = new URL(value.trim())
  } catch {
    throw new InputError('tools-url', `"${value}" is not a URL`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new InputError('tools-url', `"${value}" must be an http(s) URL`)
  return url.toString().replace(/\/+$/, '')
}
