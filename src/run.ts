/**
 * One release run's shared state: the inputs (tags and build contexts settled as the steps go),
 * the runner, the registry clients, the tool downloads, and where the report and outputs gather.
 * Each step takes the run and reads the part it declares.
 */
import * as core from './lib/log.js'
import * as fs from 'node:fs'
import * as path from 'node:path'
import type { Refusal } from './gates/verdict.js'
import type { Inputs } from './inputs/index.js'
import type { Watched } from './lib/background.js'
import { startNow, watch } from './lib/background.js'
import * as state from './lib/post-state.js'
import type { GitHubContext } from './lib/runner-env.js'
import { RegistryApi } from './registry/http-api.js'
import type { Pushed } from './registry/manifest.js'
import { ImageTools } from './registry/imagetools.js'
import { refuseCopiesWithoutCredentials } from './registry/login-step.js'
import { createDockerConfig, dockerEnv } from './registry/login.js'
import type { RunOutputs } from './report/outputs.js'
import type { Report } from './report/summary.js'
import { subjectsOf } from './supply-chain/sign.js'
import type { Tools } from './tools/install.js'
import { startToolInstall } from './tools/install.js'

export interface Run {
  inputs: Inputs
  ctx: GitHubContext
  now: Date
  report: Report
  outputs: RunOutputs
  /** The run's private temp dir (keys written from input, SBOMs, secrets); post removes it. */
  workDir: string
  /** The action's own docker config dir, holding the registry logins. */
  configDir: string
  env: Record<string, string>
  tools: ImageTools
  api: RegistryApi
  /** The tools download while QEMU, the builder and the build run; awaited only after the push. */
  installs: Promise<Tools>
  installed: Watched
  /** A post-push check refused the image: nothing is signed or tagged, and the error says so. */
  refuse: (r: Refusal) => never
}

/** The run's temp dir, docker config and clients; the tool downloads start here. */
export function startRun(inputs: Inputs, ctx: GitHubContext, report: Report, outputs: RunOutputs, now: Date, verifyBases: boolean): Run {
  const workDir = fs.mkdtempSync(path.join(ctx.runnerTemp, 'build-distroless-image-'))
  fs.chmodSync(workDir, 0o700)
  state.save({ workDir })
  const { registry } = inputs.image
  const configDir = createDockerConfig(ctx.runnerTemp, [registry, ...inputs.registryAuth.map((c) => c.host)])
  state.save({ dockerConfig: configDir, registry })
  refuseCopiesWithoutCredentials(inputs, configDir)
  const env = dockerEnv(configDir)
  const tools = new ImageTools(env)
  const api = new RegistryApi({ registry, repository: inputs.image.path, username: inputs.registryUsername, password: inputs.registryPassword })
  // rebuild: if-base-changed may find nothing to build: only what the base check needs (cosign)
  // starts now, the rest once a build is decided (buildDecided), so a run with nothing new to do
  // waits for no download it will not use.
  const installs = startToolInstall(inputs.rebuild === 'if-base-changed' ? { ...inputs, verifyBases, push: false, vulnerabilityGate: 'off' } : { ...inputs, verifyBases }, ctx.nodeArch)
  const run: Run = { inputs, ctx, now, report, outputs, workDir, configDir, env, tools, api, installs, installed: watch(installs), refuse: (r) => refuseAfterPush(run, r) }
  return run
}

/** A build is decided (rebuild: if-base-changed found a base changed): the downloads held back start now, during the build. */
export function buildDecided(run: Run): void {
  if (run.inputs.rebuild !== 'if-base-changed') return
  // After the base check's cosign (already awaited): the tool cache then has it, and nothing downloads twice.
  const installs = run.installs.then(async (first) => {
    const rest = await startToolInstall({ ...run.inputs, verifyBases: false }, run.ctx.nodeArch)
    return { cosign: rest.cosign ?? first.cosign, syft: rest.syft, trivy: rest.trivy }
  })
  run.installs = startNow(installs)
  run.installed = watch(run.installs)
}

/**
 * The push happened, by digest: the report and outputs say where the release is. No tag is set and
 * nothing is signed yet; the tags step records the tags once the gates passed.
 */
export function recordPush(run: Run, pushed: Pushed): void {
  const { inputs, report } = run
  report.pushed = true
  report.digest = pushed.digest
  report.tags = []
  run.outputs.release = { name: inputs.image.name, digest: pushed.digest, tags: [], platforms: pushed.platforms }
  for (const [platform, digest] of Object.entries(pushed.platforms)) core.info(`${platform}: ${digest}`)
  report.digests = subjectsOf(pushed).map((s) => ({ ...s, signature: 'skipped', attestation: 'skipped', provenance: 'skipped' }))
  run.outputs.signed = false
}

function refuseAfterPush(run: Run, refusal: Refusal): never {
  const { name } = run.inputs.image
  const tags = run.inputs.pushByDigest ? [] : run.inputs.tags
  const kept = tags.length ? `; ${tags.join(', ')} stay where they were, in every registry` : ''
  run.report.refused = `No tag was moved: ${name}@${run.report.digest} is in the registry by digest only${kept}. Fix the image and release again.`
  throw new Error(`${refusal.message}\nNot signed or attested. ${run.report.refused}`)
}
