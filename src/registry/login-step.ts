/** The login step: every registry the release reaches, before anything is built. */
import * as core from '@actions/core'
import type { ImageInputs } from '../inputs/image.js'
import { InputError } from '../lib/errors.js'
import { hasCredentials, login } from './login.js'

/** Every registry before anything is built: a wrong token for a copy fails before the first push. */
export async function logIn(inputs: ImageInputs, configDir: string): Promise<void> {
  const { registry } = inputs.image
  await core.group(`Log in to ${[registry, ...inputs.registryAuth.map((c) => c.host)].join(', ')}`, async () => {
    await login(configDir, registry, inputs.registryUsername, inputs.registryPassword)
    for (const c of inputs.registryAuth) await login(configDir, c.host, c.username, c.password, `the registry-auth line for ${c.host}`)
  })
}

/** Each copy's registry needs credentials: from registry-auth, the first image's, or an earlier login. */
export function refuseCopiesWithoutCredentials(inputs: ImageInputs, configDir: string): void {
  const given = new Set([inputs.image.registry, ...inputs.registryAuth.map((c) => c.host)])
  const missing = [...new Set(inputs.copies.map((c) => c.registry))].filter((host) => !given.has(host) && !hasCredentials(configDir, host))
  if (!missing.length) return
  throw new InputError('registry-auth', `has no credentials for ${missing.join(', ')} (in \`images\`): add a line ${missing[0] ?? 'HOST'}=USERNAME:TOKEN for each, from a secret, or log in to ${missing.length > 1 ? 'them' : 'it'} in an earlier step (docker/login-action)`)
}
