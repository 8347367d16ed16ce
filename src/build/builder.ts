/** Which buildx builder to build with: the existing one when it can do the job, else one of our own. */
import * as core from '../lib/log.js'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { probeBuilderEndpoint } from './builder-endpoint.js'
import { run } from '../lib/exec.js'
import type { BuilderInputs } from '../inputs/builder.js'
import type { Pem } from '../lib/pem.js'
import { pemFile } from '../lib/pem.js'

export interface BuilderInfo {
  name: string
  driver: string
  platforms: string[]
}

/** Parses `docker buildx inspect` (text; stable across buildx releases, unlike its --format). */
export function parseBuilderInspect(text: string): BuilderInfo {
  const field = (key: string) => new RegExp(`^${key}:\\s*(.*)$`, 'm').exec(text)?.[1]?.trim() ?? ''
  const platforms = [...text.matchAll(/^Platforms:\s*(.*)$/gm)].flatMap((m) =>
    (m[1] ?? '').split(',').map((p) => p.trim().replace(/\*$/, '')).filter(Boolean)
  )
  return { name: field('Name'), driver: field('Driver'), platforms }
}

export interface BuilderNeeds {
  multiPlatform: boolean
  /** The docker engine keeps images in containerd (can hold multi-platform indexes). */
  containerdStore: boolean
  cacheExport: boolean
  /**
   * Every push is by digest (the tags move only after the gates); BuildKit inside dockerd does not
   * implement push-by-digest.
   */
  pushByDigest: boolean
  /** push: false: every platform is exported to a local OCI layout, which the classic image store's BuildKit cannot write. */
  localExport?: boolean
  /** buildkitd-config: only a builder started with it has it. */
  buildkitdConfig?: boolean
}

export interface BuilderChoice {
  create: boolean
  reason: string
}

export function chooseBuilder(current: BuilderInfo, needs: BuilderNeeds): BuilderChoice {
  if (needs.buildkitdConfig) {
    return { create: true, reason: `buildkitd-config is given, and a running builder keeps the configuration it started with: creating a docker-container builder with it` }
  }
  if (current.driver !== 'docker') {
    return { create: false, reason: `using the existing builder "${current.name}" (driver ${current.driver})` }
  }
  if (needs.pushByDigest) {
    return { create: true, reason: `the docker driver of "${current.name}" cannot push by digest (the release is pushed with no tag, and tagged only once the checks passed): creating a docker-container builder` }
  }
  if (needs.localExport && !needs.containerdStore) {
    return { create: true, reason: `the docker driver of "${current.name}" with the classic image store cannot export an OCI layout (push: false checks the build from one, locally): creating a docker-container builder` }
  }
  if (needs.containerdStore) {
    return { create: false, reason: `using the existing builder "${current.name}": the docker driver with the containerd image store builds and pushes multi-platform images${needs.cacheExport ? ' and exports cache' : ''}` }
  }
  if (needs.multiPlatform) {
    return { create: true, reason: `the existing builder "${current.name}" uses the docker driver with the classic image store, which cannot build multi-platform images: creating a docker-container builder` }
  }
  if (needs.cacheExport) {
    return { create: true, reason: `the docker driver with the classic image store cannot export cache (cache-to): creating a docker-container builder` }
  }
  return { create: false, reason: `using the existing builder "${current.name}" (single platform, docker driver)` }
}

export async function inspectBuilder(env: Record<string, string>): Promise<BuilderInfo> {
  const { stdout } = await run('docker', ['buildx', 'inspect'], { env, silent: true })
  return parseBuilderInspect(stdout)
}

/**
 * The current builder, and whether a docker-driver builder has the containerd image store (asked
 * only for multi-platform builds, which need it). Both questions at once: each is a CLI start.
 */
export async function probeBuilder(env: Record<string, string>, multiPlatform: boolean): Promise<{ current: BuilderInfo; containerdStore: boolean }> {
  const [current, store] = await Promise.all([inspectBuilder(env), multiPlatform ? containerdImageStore(env) : Promise.resolve(false)])
  return { current, containerdStore: current.driver === 'docker' && store }
}

export async function containerdImageStore(env: Record<string, string>): Promise<boolean> {
  const { stdout } = await run('docker', ['info', '--format', '{{json .DriverStatus}}'], { env, silent: true, allowFailure: true })
  return stdout.includes('io.containerd.snapshotter')
}

/**
 * `docker buildx create` for the docker-container builder the action makes itself. It runs the
 * `buildkit-image` (a mirror on air-gapped runners) on the host network, as the docker driver's
 * BuildKit inside dockerd does, so registries on the runner's loopback stay reachable.
 */
export function containerBuilderArgv(name: string, buildkitImage: string, configFile?: string): string[] {
  // buildx copies the file, and the CA and key files its [registry] sections name, into the container.
  const config = configFile ? ['--buildkitd-config', configFile] : []
  return ['buildx', 'create', '--name', name, '--driver', 'docker-container', '--driver-opt', `image=${buildkitImage},network=host`, ...config, '--bootstrap']
}

export async function createBuilder(name: string, buildkitImage: string, env: Record<string, string>, configFile?: string): Promise<void> {
  await run('docker', containerBuilderArgv(name, buildkitImage, configFile), { env })
  core.info(`Created builder ${name} (docker-container driver, image ${buildkitImage}${configFile ? `, buildkitd config ${configFile}` : ''}); the post step removes it`)
}

/** The buildkitd.toml to start the builder with: the user's file, or the inline text written to the run's temp dir. */
export function buildkitdConfigFile(config: BuilderInputs['buildkitdConfig'], workDir: string): string | undefined {
  if (!config) return undefined
  if ('file' in config) return config.file
  const file = path.join(workDir, 'buildkitd.toml')
  fs.writeFileSync(file, config.inline, { mode: 0o600 })
  return file
}

export async function removeBuilder(name: string, env: Record<string, string>): Promise<void> {
  await run('docker', ['buildx', 'rm', '--force', name], { env, allowFailure: true })
}

export interface RemoteBuilder {
  /** `tcp://host:port` (or unix://, ssh://) for buildx's remote driver, or `kubernetes[:opt=v,…]`. */
  endpoint: string
  tls: { ca?: string; cert?: string; key?: string }
}

/** `docker buildx create` for an existing distributed engine: remote BuildKit or Kubernetes. */
export function remoteBuilderArgv(name: string, b: RemoteBuilder): string[] {
  if (b.endpoint === 'kubernetes' || b.endpoint.startsWith('kubernetes:')) {
    const opts = b.endpoint.slice('kubernetes'.length).replace(/^:/, '')
    return ['buildx', 'create', '--name', name, '--driver', 'kubernetes', ...(opts ? ['--driver-opt', opts] : []), '--bootstrap']
  }
  const tls = [b.tls.ca && `cacert=${b.tls.ca}`, b.tls.cert && `cert=${b.tls.cert}`, b.tls.key && `key=${b.tls.key}`].filter(Boolean).join(',')
  return ['buildx', 'create', '--name', name, '--driver', 'remote', ...(tls ? ['--driver-opt', tls] : []), '--bootstrap', b.endpoint]
}

export async function createRemoteBuilder(name: string, b: RemoteBuilder, env: Record<string, string>): Promise<void> {
  await run('docker', remoteBuilderArgv(name, b), { env })
  core.info(`Created builder ${name} (${b.endpoint.startsWith('kubernetes') ? 'kubernetes' : 'remote'} driver); the post step removes it`)
}

/** The builder to use (undefined: the current one), and the words that tell the user which it is. */
export interface PreparedBuilder {
  name?: string
  description: string
}

export type BuilderProbe = ReturnType<typeof probeBuilder>

/**
 * The Builder phase: a remote BuildKit when `builder-endpoint` names one; else the current builder
 * when it can do the job, else a docker-container builder of our own. `created` is told the name
 * of any builder made, before it is made, so post removes it whatever happens.
 */
export async function prepareBuilder(
  o: BuilderInputs & { multiPlatform: boolean; cacheExport: boolean; pushByDigest: boolean; localExport?: boolean },
  name: string,
  env: Record<string, string>,
  workDir: string,
  probe: BuilderProbe | undefined,
  created: (name: string) => void
): Promise<PreparedBuilder> {
  if (o.builderEndpoint) {
    const { endpoint, tls } = o.builderEndpoint
    created(name)
    const file = (p: Pem | undefined, base: string) => (p === undefined ? undefined : pemFile(p, workDir, base))
    const files = { ca: file(tls.ca, 'builder-ca.pem'), cert: file(tls.cert, 'builder-cert.pem'), key: file(tls.key, 'builder-key.pem') }
    await probeBuilderEndpoint(endpoint, files)
    await createRemoteBuilder(name, { endpoint, tls: files }, env)
    const driver = endpoint.startsWith('kubernetes') ? 'kubernetes' : 'remote'
    return { name, description: `builder ${name} (driver ${driver}${driver === 'remote' ? `, ${endpoint}` : ''})` }
  }
  const { current, containerdStore } = await (probe ?? probeBuilder(env, o.multiPlatform || Boolean(o.localExport)))
  const choice = chooseBuilder(current, { multiPlatform: o.multiPlatform, containerdStore, cacheExport: o.cacheExport, pushByDigest: o.pushByDigest, localExport: o.localExport, buildkitdConfig: Boolean(o.buildkitdConfig) })
  core.info(choice.reason)
  if (!choice.create) return { description: `builder ${current.name} (driver ${current.driver})` }
  created(name)
  await createBuilder(name, o.buildkitImage, env, buildkitdConfigFile(o.buildkitdConfig, workDir))
  return { name, description: `builder ${name} (driver docker-container, ${o.buildkitImage}${o.buildkitdConfig ? ', with buildkitd-config' : ''})` }
}
