/**
 * The only module that reads inputs. Each slice is typed and validated in the file named for its
 * concern (image, build, builder, supply chain, policy); this one masks the secrets, composes the
 * slices and checks the rules that span two of them.
 */
import * as core from '../lib/log.js'
import type { GitHubContext } from '../lib/runner-env.js'
import { InputError } from '../lib/errors.js'
import type { BasesInputs } from './bases.js'
import { parseBasesInputs } from './bases.js'
import type { BuildInputs } from './build.js'
import { parseBuildInputs } from './build.js'
import type { BuilderInputs } from './builder.js'
import { parseBuilderInputs } from './builder.js'
import type { ImageInputs } from './image.js'
import { parseImageInputs } from './image.js'
import type { PolicyInputs } from './policy.js'
import { parsePolicyInputs } from './policy.js'
import type { ReachabilityInputs } from './reachability.js'
import { parseReachabilityInputs } from './reachability.js'
import type { SecretsInputs } from './secrets.js'
import { parseSecretsInputs, secretValues } from './secrets.js'
import type { SmokeInputs } from './smoke.js'
import { parseSmokeInputs } from './smoke.js'
import type { SupplyChainInputs } from './supply-chain.js'
import { parseSupplyChainInputs } from './supply-chain.js'
import type { InputReader } from './values.js'
import type { VulnerabilityInputs } from './vulnerability.js'
import { parseVulnerabilityInputs } from './vulnerability.js'

export type { BasesInputs, BuildInputs, BuilderInputs, ImageInputs, InputReader, PolicyInputs, ReachabilityInputs, SecretsInputs, SmokeInputs, SupplyChainInputs, VulnerabilityInputs }

export type Inputs = ImageInputs & BuildInputs & SecretsInputs & BuilderInputs & SupplyChainInputs & PolicyInputs & BasesInputs & SmokeInputs & VulnerabilityInputs & ReachabilityInputs

/** Inputs whose values are secrets: masked before anything else happens. */
export const SECRET_INPUTS = ['registry-password', 'registry-auth', 'cosign-key', 'cosign-password', 'builder-tls-key', 'secrets', 'github-token', 'attestation-store-token'] as const

export function readInputs(ctx: GitHubContext): Inputs {
  const read: InputReader = (name) => core.getInput(name)
  for (const name of SECRET_INPUTS) {
    const value = read(name)
    if (value) maskSecret(value)
  }
  const inputs = parseInputs(read, ctx)
  // Each build secret's value on its own, not only its `id=value` line; each registry token too.
  for (const value of secretValues(inputs)) maskSecret(value)
  for (const c of inputs.registryAuth) maskSecret(c.password)
  return inputs
}

/** Masks a secret and each of its lines (the runner matches masks line by line). */
export function maskSecret(value: string): void {
  core.setSecret(value)
  for (const line of value.split(/\r?\n/)) if (line.trim().length >= 4 && line !== value) core.setSecret(line.trim())
}

/**
 * buildx's `mode=max` provenance records every build-arg value (checked against BuildKit: secrets
 * appear by id only, never by value). So a secret can reach the attestation only through a build-arg.
 */
function refuseSecretsInMaxProvenance(build: BuildInputs, secrets: SecretsInputs): void {
  if (!/(^|,)mode=max(,|$)/.test(build.provenance)) return
  for (const s of secrets.buildSecrets) {
    if (!s.value || s.value.length < 4) continue
    const arg = build.buildArgs.find(([, v]) => v.includes(s.value ?? ''))
    if (arg) {
      throw new InputError('provenance', `mode=max records every build-arg value in the SLSA provenance, which is attested and readable by anyone who can pull the image, and build-arg ${arg[0]} carries the value of secret ${s.id}. Pass it only through secrets (buildx records secrets by id, never by value), or use provenance: mode=min`)
    }
  }
}

export function parseInputs(read: InputReader, ctx: GitHubContext): Inputs {
  const image = parseImageInputs(read, ctx)
  const build = parseBuildInputs(read, ctx, image.mergeDigests.length > 0)
  if (build.rebuild === 'if-base-changed' && (!image.push || image.pushByDigest || image.tags.length === 0)) {
    throw new InputError('rebuild', 'if-base-changed compares with the image at the release tag, so it needs push: true, tags, and no push-by-digest')
  }
  if (image.pushByDigest && build.platforms.length !== 1) {
    throw new InputError('push-by-digest', `builds one platform per job, but platforms lists ${build.platforms.length}: give one (e.g. platforms: \${{ matrix.platform }})`)
  }
  const supplyChain = parseSupplyChainInputs(read, ctx, image)
  const secrets = parseSecretsInputs(read, build.workspace, ctx.runnerTemp)
  refuseSecretsInMaxProvenance(build, secrets)
  // Asked to attest provenance and told not to record it: refused here, not found out after the push.
  if (!image.mergeDigests.length && image.push && supplyChain.sign && supplyChain.provenanceAttestation && /^(false|mode=false)$/.test(build.provenance)) {
    throw new InputError('provenance', `is ${build.provenance}, so buildx records no SLSA provenance, but provenance-attestation is true (the default) and a release is never signed without the provenance it was asked to carry: drop provenance: ${build.provenance}, or set provenance-attestation: false`)
  }
  const bases = parseBasesInputs(read, build.workspace)
  if (bases.baseIdentities.length && supplyChain.sigstoreTrust && supplyChain.cosignMajor < 3) {
    throw new InputError('base-identities', 'are checked against sigstore-trusted-root, which the action hands to cosign 3 only: use cosign-version 3.x, or drop sigstore-trusted-root')
  }
  const smoke = parseSmokeInputs(read)
  if (smoke.smoke && image.mergeDigests.length) {
    throw new InputError(smoke.smoke.http ? 'smoke-http-port' : 'smoke-args', 'runs where the image is built: give it to the jobs that build each platform (each runs its own platform, natively on a runner of that architecture), not to the merge job')
  }
  const vulnerability = parseVulnerabilityInputs(read, build.workspace, supplyChain.sign, ctx.runnerTemp)
  if (vulnerability.vulnerabilityGate !== 'off') {
    if (image.pushByDigest) {
      throw new InputError('vulnerability-gate', 'runs where the release is signed: give it to the merge job, which scans every platform before it signs, not to the jobs that push one platform by digest')
    }
  }
  const reachability = parseReachabilityInputs(read, vulnerability.vulnerabilityGate)
  return { ...image, ...build, ...secrets, ...supplyChain, ...parsePolicyInputs(read), ...parseBuilderInputs(read, build.workspace), ...bases, ...smoke, ...vulnerability, ...reachability }
}
