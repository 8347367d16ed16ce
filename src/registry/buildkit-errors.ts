/**
 * Which registry BuildKit's error is about, and whether it was pulling or pushing: a 401 from the
 * bases' registry must not read as the push registry refusing. BuildKit (through containerd's
 * resolver) says `failed to resolve source metadata for REF` when it reads a base, `failed to
 * push REF` when it writes, and names the request it made: `unexpected status from HEAD request
 * to https://HOST/v2/…: 401 Unauthorized`, or Go's `Head "https://HOST/v2/…": tls: …`.
 */
import { classifyFailure } from '../lib/retry.js'
import { baseLocation } from './pull-access.js'

export interface RegistryFailure {
  host: string
  op: 'pull' | 'push'
  /** The reference BuildKit named, when it named one. */
  ref?: string
  kind: 'auth' | 'tls'
  /** The line of BuildKit's output that says it. */
  said: string
}

const PULL_METHODS = new Set(['HEAD', 'GET'])

/** The failure a build's output reports, or undefined when it is neither a refusal nor an untrusted certificate. */
export function registryFailure(text: string): RegistryFailure | undefined {
  const tls = /x509:|tls: failed to verify certificate/i
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean)
  // The last such line: buildx ends with the one that names the reference (`ERROR: failed to build: …`); progress lines before it do not.
  const last = [...lines].reverse()
  const said = last.find((l) => tls.test(l)) ?? last.find((l) => classifyFailure(l) === 'auth' && /https:\/\/|failed to (resolve source metadata|push)|pull access denied/.test(l))
  if (!said) return undefined
  const kind = tls.test(said) ? 'tls' : 'auth'
  const pulled = /failed to resolve source metadata for (\S+?):? /.exec(said)?.[1]
  const pushed = /failed to push (\S+?):? /.exec(said)?.[1]
  // A /v2/ URL names the registry; a token URL (auth.example/token) names only its token service.
  const request = /\b(HEAD|GET|PUT|POST|PATCH|Head|Get|Put|Post|Patch)(?: request to)? "?https:\/\/([^/"\s]+)\/v2\//.exec(said)
  const ref = pulled ?? pushed
  const host = ref ? baseLocation(ref).registry : request?.[2]
  if (!host) return undefined
  const op = pulled ? 'pull' : pushed ? 'push' : PULL_METHODS.has((request?.[1] ?? '').toUpperCase()) ? 'pull' : 'push'
  return { host, op, ref, kind, said }
}

/** What to tell the user: the registry, what BuildKit was doing there, and the fix for that registry. */
export function explainPullFailure(f: RegistryFailure): string {
  const what = f.ref ? `${f.ref} from ${f.host}` : `from ${f.host}`
  if (f.kind === 'tls') return tlsAdvice(f, `BuildKit could not pull ${what}: the builder does not trust ${f.host}'s certificate`)
  return [
    `BuildKit could not pull ${what}: ${f.host} refused (BuildKit said: ${f.said})`,
    `The builder pulls with the credentials in the action's docker config. Give one that can read it there: a registry-auth line ${f.host}=USERNAME:TOKEN (from a secret), or a login to ${f.host} in a step before this one (docker/login-action).`
  ].join('\n')
}

export function tlsAdvice(f: RegistryFailure, headline: string): string {
  return [
    `${headline} (BuildKit said: ${f.said})`,
    `The builder has a trust store of its own: give it ${f.host}'s CA with buildkitd-config-inline, e.g. [registry."${f.host}"] ca = ["/path/on/the/runner/ca.pem"] (or a buildkitd-config file). A builder the action does not create (builder-endpoint, or one set up before this step) is configured where it runs.`
  ].join('\n')
}
