/** The login step: every registry the release reaches, before anything is built. */
import * as core from '../lib/log.js'
import * as fs from 'node:fs'
import * as path from 'node:path'
import type { ImageInputs } from '../inputs/image.js'
import { InputError } from '../lib/errors.js'
import { RegistryAuthError, hasCredentials, login, userDockerConfigDir } from './login.js'
import type { Credential, PushAccess, Transport } from './push-access.js'
import { checkPushAccess, configCredential } from './push-access.js'
import { baseLocation, checkPullAccess } from './pull-access.js'

/**
 * Every registry before anything is built: a wrong token for a copy fails before the first push,
 * and a base registry that will not let the builder read fails before the build. `bases` are the
 * images the build reads (none in a merge job).
 */
export async function logIn(inputs: ImageInputs, configDir: string, bases: readonly string[] = [], transport?: Transport): Promise<void> {
  const { registry } = inputs.image
  refuseUnusedRegistryAuth(inputs, bases)
  await core.group(`Log in to ${[registry, ...inputs.registryAuth.map((c) => c.host)].join(', ')}`, async () => {
    await login(configDir, registry, inputs.registryUsername, inputs.registryPassword)
    for (const c of inputs.registryAuth) await login(configDir, c.host, c.username, c.password, `the registry-auth line for ${c.host}`)
    // push: false pushes nothing: a login only serves reads (private bases), and no push right is asked for.
    if (inputs.push) await checkCredentials(inputs, configDir, transport)
    await checkBaseAccess(inputs, configDir, bases, transport)
  })
}

/** A registry-auth line for a host that neither an image nor a base uses is a typo (a missing port, another host). */
export function refuseUnusedRegistryAuth(inputs: ImageInputs, bases: readonly string[]): void {
  const used = new Set([...inputs.copies.map((c) => c.registry), ...bases.map((b) => baseLocation(b).registry)])
  const unused = inputs.registryAuth.find((c) => !used.has(c.host))
  if (!unused) return
  throw new InputError('registry-auth', `names ${unused.host}, which no image in \`images\` and no base image of the build uses (${[...used].join(', ') || 'no other registry'}); check the host, with its port if it has one`)
}

/** Where a registry's credential comes from, as the error names it. */
interface Source {
  credential: Credential
  from: string
  fix: string
}

/** `what`: what the credential must be able to do there ("push there", "read REPO"). */
function sourceOf(inputs: ImageInputs, registry: string, config: Parameters<typeof configCredential>[0], what = 'push there'): Promise<Source | undefined> | Source | undefined {
  if (registry === inputs.image.registry && inputs.registryPassword) {
    return { credential: { username: inputs.registryUsername, password: inputs.registryPassword }, from: 'registry-username and registry-password', fix: `give registry-username and registry-password that can ${what}` }
  }
  const line = inputs.registryAuth.find((c) => c.host === registry)
  if (line) return { credential: { username: line.username, password: line.password }, from: `the registry-auth line for ${registry}`, fix: `give that line a token that can ${what}` }
  const file = path.join(userDockerConfigDir(), 'config.json')
  return configCredential(config, registry).then((credential) =>
    credential
      ? { credential, from: `the docker config an earlier step logged in with (${file})`, fix: `log in to ${registry} again in that step (docker/login-action) with a token that can ${what}, or give a registry-auth line for it` }
      : undefined
  )
}

function readConfig(configDir: string): object {
  try {
    return JSON.parse(fs.readFileSync(path.join(configDir, 'config.json'), 'utf8')) as object
  } catch {
    return {} // No config: only the inputs' credentials.
  }
}

/**
 * Each base read (its manifest, with HEAD) with the credential the builder will pull it with,
 * the same one the action's docker config hands BuildKit. A refusal fails the step, naming the
 * registry, the base and where the credential came from (or that there was none); a registry
 * that does not answer, or a base not found, is a warning (the build will tell).
 */
export async function checkBaseAccess(inputs: ImageInputs, configDir: string, bases: readonly string[], transport?: Transport): Promise<void> {
  if (!bases.length) return
  const config = readConfig(configDir)
  const refused: string[] = []
  const byRepo = new Map<string, string>()
  for (const ref of bases) {
    const loc = baseLocation(ref)
    // One read per repository: the tags of one repository share its access rules.
    const key = `${loc.registry}/${loc.repository}`
    if (byRepo.has(key)) continue
    byRepo.set(key, ref)
    const source = await sourceOf(inputs, loc.registry, config, `read ${loc.repository}`)
    const access = await checkPullAccess(loc, source?.credential, transport)
    const from = source ? source.from : `no credential (nothing in registry-auth or in the job's docker config for ${loc.registry})`
    if (access.kind === 'ok') core.info(`Base ${ref}: readable from ${loc.registry} with ${source ? source.from : 'no credential'}: ${access.how}`)
    else if (access.kind === 'unknown') core.warning(`Could not check that base ${ref} can be read from ${loc.registry} (with ${from}) before the build: ${access.why}`)
    else {
      const fix = source ? source.fix : `add a registry-auth line ${loc.registry}=USERNAME:TOKEN (from a secret), or log in to ${loc.registry} in a step before this one (docker/login-action)`
      refused.push(`- ${loc.registry} refused to let the builder read base ${ref}, with ${from}: ${access.why}; ${fix}`)
    }
  }
  if (refused.length) throw new RegistryAuthError(`A base image's registry refused the pull (checked before anything is built; nothing was built or pushed):\n${refused.join('\n')}`)
}

/**
 * A token request for push on each image's repository, with the credential it will be pushed
 * with. Any refusal fails the step here, naming host, repository and where the credential came
 * from; a registry that does not answer is a warning (the push will tell).
 */
export async function checkCredentials(inputs: ImageInputs, configDir: string, transport?: Transport): Promise<void> {
  const config = readConfig(configDir)
  const refused: string[] = []
  for (const name of [inputs.image, ...inputs.copies]) {
    const source = await sourceOf(inputs, name.registry, config)
    // No credential at all: the first image is pushed anonymously (said at login); a copy without one was refused as input.
    if (!source) continue
    const access: PushAccess = await checkPushAccess(name.registry, name.path, source.credential, transport)
    if (access.kind === 'ok') core.info(`Push to ${name.name} with ${source.from}: ${access.how}`)
    else if (access.kind === 'unknown') core.warning(`Could not check the credential for ${name.name} (${source.from}) before the build: ${access.why}`)
    else refused.push(`- ${name.name}, with ${source.from}: ${access.why}; ${source.fix}`)
  }
  if (refused.length) throw new RegistryAuthError(`A registry credential would fail the push (checked before anything is built; nothing was pushed):\n${refused.join('\n')}`)
}

/** Each copy's registry needs credentials: from registry-auth, the first image's, or an earlier login. */
export function refuseCopiesWithoutCredentials(inputs: ImageInputs, configDir: string): void {
  const given = new Set([inputs.image.registry, ...inputs.registryAuth.map((c) => c.host)])
  const missing = [...new Set(inputs.copies.map((c) => c.registry))].filter((host) => !given.has(host) && !hasCredentials(configDir, host))
  if (!missing.length) return
  throw new InputError('registry-auth', `has no credentials for ${missing.join(', ')} (in \`images\`): add a line ${missing[0] ?? 'HOST'}=USERNAME:TOKEN for each, from a secret, or log in to ${missing.length > 1 ? 'them' : 'it'} in an earlier step (docker/login-action)`)
}
