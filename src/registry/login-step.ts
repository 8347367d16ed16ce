/** The login step: every registry the release reaches, before anything is built. */
import * as core from '@actions/core'
import * as fs from 'node:fs'
import * as path from 'node:path'
import type { ImageInputs } from '../inputs/image.js'
import { InputError } from '../lib/errors.js'
import type { ImageName } from '../tags/refs.js'
import { RegistryAuthError, hasCredentials, login, userDockerConfigDir } from './login.js'
import type { Credential, PushAccess, Transport } from './push-access.js'
import { checkPushAccess, configCredential } from './push-access.js'

/** Every registry before anything is built: a wrong token for a copy fails before the first push. */
export async function logIn(inputs: ImageInputs, configDir: string, transport?: Transport): Promise<void> {
  const { registry } = inputs.image
  await core.group(`Log in to ${[registry, ...inputs.registryAuth.map((c) => c.host)].join(', ')}`, async () => {
    await login(configDir, registry, inputs.registryUsername, inputs.registryPassword)
    for (const c of inputs.registryAuth) await login(configDir, c.host, c.username, c.password, `the registry-auth line for ${c.host}`)
    // push: false pushes nothing: a login only serves reads (private bases), and no push right is asked for.
    if (inputs.push) await checkCredentials(inputs, configDir, transport)
  })
}

/** Where a registry's credential comes from, as the error names it. */
interface Source {
  credential: Credential
  from: string
  fix: string
}

function sourceOf(inputs: ImageInputs, name: ImageName, config: Parameters<typeof configCredential>[0]): Promise<Source | undefined> | Source | undefined {
  if (name.registry === inputs.image.registry && inputs.registryPassword) {
    return { credential: { username: inputs.registryUsername, password: inputs.registryPassword }, from: 'registry-username and registry-password', fix: 'give registry-username and registry-password that can push there' }
  }
  const line = inputs.registryAuth.find((c) => c.host === name.registry)
  if (line) return { credential: { username: line.username, password: line.password }, from: `the registry-auth line for ${name.registry}`, fix: 'give that line a token that can push there' }
  const file = path.join(userDockerConfigDir(), 'config.json')
  return configCredential(config, name.registry).then((credential) =>
    credential
      ? { credential, from: `the docker config an earlier step logged in with (${file})`, fix: `log in to ${name.registry} again in that step (docker/login-action) with a token that can push there, or give a registry-auth line for it` }
      : undefined
  )
}

/**
 * A token request for push on each image's repository, with the credential it will be pushed
 * with. Any refusal fails the step here, naming host, repository and where the credential came
 * from; a registry that does not answer is a warning (the push will tell).
 */
export async function checkCredentials(inputs: ImageInputs, configDir: string, transport?: Transport): Promise<void> {
  let config = {}
  try {
    config = JSON.parse(fs.readFileSync(path.join(configDir, 'config.json'), 'utf8')) as object
  } catch {
    // No config: only the inputs' credentials.
  }
  const refused: string[] = []
  for (const name of [inputs.image, ...inputs.copies]) {
    const source = await sourceOf(inputs, name, config)
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
