/** Registry login into a docker config of the action's own; the user's ~/.docker stays untouched. */
import * as core from '../lib/log.js'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import type { ImageInputs } from '../inputs/image.js'
import { run } from '../lib/exec.js'
import { errorText } from '../lib/errors.js'
import { authHint, classifyFailure, withRetry } from '../lib/retry.js'

/** Links into the user's docker config dir so contexts, builders and plugins stay visible. */
const SHARED_ENTRIES = ['contexts', 'buildx', 'cli-plugins']

export function userDockerConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_CONFIG || path.join(os.homedir(), '.docker')
}

/** The keys a docker config may hold a registry's credentials under (Docker Hub has its legacy URL). */
export function configKeys(host: string): string[] {
  return ['docker.io', 'index.docker.io', 'registry-1.docker.io'].includes(host) ? [host, 'https://index.docker.io/v1/', 'docker.io', 'index.docker.io'] : [host]
}

/**
 * Creates a private docker config dir (0700) seeded from the user's config without any credential
 * store or credentials for the registries the action logs in to, so `docker login` writes only
 * here and post can delete it. Credentials for other registries (an earlier login step's) stay.
 */
export function createDockerConfig(runnerTemp: string, registries: string | readonly string[], userDir = userDockerConfigDir()): string {
  fs.mkdirSync(runnerTemp, { recursive: true })
  const dir = fs.mkdtempSync(path.join(runnerTemp, 'build-distroless-image-docker-'))
  fs.chmodSync(dir, 0o700)
  let config: Record<string, unknown> = {}
  try {
    config = JSON.parse(fs.readFileSync(path.join(userDir, 'config.json'), 'utf8')) as Record<string, unknown>
  } catch {
    // No user config (the usual case on a fresh runner).
  }
  delete config.credsStore
  const helpers = config.credHelpers as Record<string, string> | undefined
  const auths = config.auths as Record<string, unknown> | undefined
  for (const key of (typeof registries === 'string' ? [registries] : registries).flatMap(configKeys)) {
    if (helpers) delete helpers[key]
    if (auths) delete auths[key]
  }
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, 2), { mode: 0o600 })
  for (const entry of SHARED_ENTRIES) {
    const target = path.join(userDir, entry)
    if (fs.existsSync(target)) fs.symlinkSync(target, path.join(dir, entry))
  }
  return dir
}

/** Whether the action's docker config can authenticate to `host` without a login of its own. */
export function hasCredentials(configDir: string, host: string): boolean {
  let config: { auths?: Record<string, Record<string, unknown>>; credHelpers?: Record<string, string> } = {}
  try {
    config = JSON.parse(fs.readFileSync(path.join(configDir, 'config.json'), 'utf8')) as typeof config
  } catch {
    return false
  }
  return configKeys(host).some((k) => {
    const a = config.auths?.[k]
    return Boolean(config.credHelpers?.[k] || a?.auth || a?.identitytoken || (a?.username && a.password))
  })
}

/**
 * The username and password a docker config holds for `host` (an `auth` or a username and
 * password), for the action's own registry reads; undefined when it holds none or a helper has them.
 */
export function configCredentials(configDir: string, host: string): { username: string; password: string } | undefined {
  let config: { auths?: Record<string, { auth?: string; username?: string; password?: string }> } = {}
  try {
    config = JSON.parse(fs.readFileSync(path.join(configDir, 'config.json'), 'utf8')) as typeof config
  } catch {
    return undefined
  }
  for (const k of configKeys(host)) {
    const a = config.auths?.[k]
    if (a?.username && a.password) return { username: a.username, password: a.password }
    if (!a?.auth) continue
    const text = Buffer.from(a.auth, 'base64').toString('utf8')
    const colon = text.indexOf(':')
    if (colon > 0) return { username: text.slice(0, colon), password: text.slice(colon + 1) }
  }
  return undefined
}

/**
 * The credentials the action's own registry reads and writes use for `host`: the first
 * registry's inputs, else its `registry-auth` line, else what an earlier login step left in the
 * action's docker config. Undefined: none the action can read (anonymous, or a credential helper's).
 */
export function credentialsFor(inputs: Pick<ImageInputs, 'image' | 'registryUsername' | 'registryPassword' | 'registryAuth'>, configDir: string, host: string): { username: string; password: string } | undefined {
  if (host === inputs.image.registry && inputs.registryPassword) return { username: inputs.registryUsername, password: inputs.registryPassword }
  const line = inputs.registryAuth.find((c) => c.host === host)
  return line ? { username: line.username, password: line.password } : configCredentials(configDir, host)
}

export function dockerEnv(configDir: string): Record<string, string> {
  return { DOCKER_CONFIG: configDir }
}

export class RegistryAuthError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'RegistryAuthError'
  }
}

/** `docker login` with the password on stdin; refused credentials fail at once with what to fix. */
const FIRST_REGISTRY_INPUTS = 'registry-username and registry-password'

/** `inputs` names where the credentials came from, for the error. */
export async function login(configDir: string, registry: string, username: string, password: string, inputs = FIRST_REGISTRY_INPUTS): Promise<void> {
  if (!password) {
    // The action's docker config holds no credential for the first registry (createDockerConfig):
    // an earlier login step's (docker/login-action) is not used, which a migrated workflow expects.
    const userDir = userDockerConfigDir()
    if (inputs === FIRST_REGISTRY_INPUTS && hasCredentials(userDir, registry)) {
      core.warning(`No registry-password given: not logging in to ${registry}, and the push will be anonymous. An earlier step logged in to ${registry} (${path.join(userDir, 'config.json')}), but the action does not use that login for the registry of \`image\`: give its user and token as registry-username and registry-password.`)
    } else {
      core.notice(`No registry-password given: not logging in to ${registry}; the push will be anonymous.`)
    }
    return
  }
  if (!username) throw new RegistryAuthError('Input `registry-username` is empty while `registry-password` is set: give the user the password belongs to')
  try {
    await withRetry(
      () => run('docker', ['login', '--username', username, '--password-stdin', registry], { input: password, env: dockerEnv(configDir), silent: true }),
      { what: `docker login ${registry}` }
    )
  } catch (err) {
    const text = errorText(err)
    const kind = classifyFailure(text)
    if (kind === 'auth') {
      const hint = inputs === FIRST_REGISTRY_INPUTS ? authHint(text, registry) : `${registry} refused the credentials: check ${inputs}.`
      throw new RegistryAuthError(`Login to ${registry} failed: ${hint}`, { cause: err })
    }
    // dockerd retries a loopback registry over plain HTTP and reports only that last answer, so a
    // refused password can surface as "400 Bad Request": name the inputs either way.
    if (kind === 'other') {
      throw new RegistryAuthError(`Login to ${registry} failed: check ${inputs} (docker said: ${lastLine(text)})`, { cause: err })
    }
    throw err
  }
  core.info(`Logged in to ${registry} as ${username} (credentials in the action's own docker config, removed in post)`)
}

/** Logs out and deletes the action's docker config dir; never touches the user's. */
export async function logout(configDir: string, registry: string): Promise<void> {
  if (!configDir || !fs.existsSync(configDir)) return
  await run('docker', ['logout', registry], { env: dockerEnv(configDir), silent: true, allowFailure: true })
  fs.rmSync(configDir, { recursive: true, force: true })
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop()?.trim() ?? ''
}
