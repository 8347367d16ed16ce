/**
 * The build stage's step: QEMU, the builder, then the build and push, interlocked with the tool
 * download so that nothing unsigned is pushed when a tool cannot be had; a re-run keeps the
 * earlier digest.
 */
import * as core from '../lib/log.js'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { qemuGoNotices } from '../dockerfile/arch-rules.js'
import type { LoadedDockerfile } from '../dockerfile/parse.js'
import type { BuildInputs } from '../inputs/build.js'
import type { BuilderInputs } from '../inputs/builder.js'
import type { ImageInputs } from '../inputs/image.js'
import type { SecretsInputs } from '../inputs/secrets.js'
import type { SmokeInputs } from '../inputs/smoke.js'
import type { Watched } from '../lib/background.js'
import { errorMessage } from '../lib/errors.js'
import { writePrivate } from '../lib/pem.js'
import * as state from '../lib/post-state.js'
import type { GitHubContext } from '../lib/runner-env.js'
import type { ImageTools } from '../registry/imagetools.js'
import type { Pushed } from '../registry/manifest.js'
import type { RunOutputs } from '../report/outputs.js'
import type { BuilderProbe } from './builder.js'
import { prepareBuilder } from './builder.js'
import { build, stopOnToolFailure } from './buildx.js'
import { imageLabels, releaseVersion, versionBuildArg } from './labels.js'
import { nativeArches } from './platform.js'
import { binfmtReader, installQemu, planQemu, runsOnTarget } from './qemu.js'
import { keptRelease } from './rerun.js'

/** What the build step reads from the run, and where it leaves what it learnt. */
export interface BuildRun {
  inputs: ImageInputs & BuildInputs & BuilderInputs & SecretsInputs & SmokeInputs
  ctx: GitHubContext
  now: Date
  env: Record<string, string>
  workDir: string
  tools: Pick<ImageTools, 'find' | 'pushed'>
  /** The tool downloads, started before the build; `installed` says whether one failed yet. */
  installs: Promise<unknown>
  installed: Watched
  report: { notes: string[]; builder?: string; digest: string }
  outputs: RunOutputs
}

const FIX_DOWNLOAD = 'Fix the tool download (tools-url, cosign-version, syft-version, trivy-version) and run the job again.'

/** Builds every platform; returns what was pushed, or nothing under push: false. */
export async function buildAndPush(run: BuildRun, dockerfile: LoadedDockerfile, probe: BuilderProbe | undefined): Promise<Pushed | undefined> {
  const { inputs, ctx, report } = run
  await setUpQemu(run, dockerfile)
  const builderName = `build-distroless-image-${ctx.runId || process.pid}-${Date.now().toString(36)}`
  // Every push is by digest (tags move only after the gates), which BuildKit inside dockerd cannot do.
  const needs = { multiPlatform: inputs.platforms.length > 1, cacheExport: inputs.cacheTo.length > 0, pushByDigest: inputs.push, localExport: !inputs.push }
  const builder = await core.group('Builder', () => prepareBuilder({ ...inputs, ...needs }, builderName, run.env, run.workDir, probe, (name) => state.save({ builder: name })))
  core.info(`Building with ${builder.description}`)
  report.builder = builder.description

  // A re-run reads what the first tag names (the build pushes by digest and moves no tag).
  const first = inputs.tags[0]
  const earlier = ctx.runAttempt > 1 && inputs.push && !inputs.pushByDigest && first ? await run.tools.find(`${inputs.image.name}:${first}`) : undefined
  const platforms = inputs.platforms.map((p) => p.id)
  const meta = await interlocked(run, (stopped, metadataFile) => {
    const what = inputs.push ? `Build and push ${platforms.join(', ')} by digest` : `Build ${platforms.join(', ')} (push: false)`
    const { labels, indexAnnotations } = imageLabels({ ...inputs, imagePath: inputs.image.path }, ctx, run.now)
    const spec = {
      ...inputs,
      buildArgs: versionBuildArg(inputs.buildArgs, dockerfile.parsed.declaredArgs, releaseVersion(inputs)),
      builder: builder.name,
      platforms,
      tags: inputs.tags.map((t) => `${inputs.image.name}:${t}`),
      labels,
      indexAnnotations,
      metadataFile,
      noDefaultAttestations: ctx.noDefaultAttestations,
      pushByDigest: inputs.push ? { name: inputs.image.name } : undefined,
      localLayout: inputs.push ? undefined : localLayoutDir(run.workDir),
      secrets: secretMounts(inputs.buildSecrets, run.workDir),
      stopped
    }
    return core.group(what, () => build(spec, run.env, inputs.image.registry))
  })
  run.outputs.metadata = meta.raw
  if (!inputs.push) {
    report.digest = meta.digest
    run.outputs.release = { name: inputs.image.name, digest: meta.digest, tags: [], platforms: {} }
    return undefined
  }

  const pushed = await core.group('Resolve platform digests', () => run.tools.pushed(inputs.image.name, meta.digest, platforms))
  const kept = keptRelease(earlier, pushed)
  if (!kept) return pushed
  // The gates then check, and the tags go to, the earlier index.
  core.info(`Re-run: the platform images equal those of ${inputs.image.name}@${kept.digest}; the release keeps that digest`)
  report.notes.push(`Re-run (attempt ${ctx.runAttempt}): the platform images equal those of ${kept.digest}, so the tags point back at it and the digest stays the same`)
  return { ...pushed, digest: kept.digest }
}

/** Where push: false leaves every platform, as an OCI image layout, for the local checks (gates/local-step). */
export function localLayoutDir(workDir: string): string {
  return path.join(workDir, 'oci-layout')
}

async function setUpQemu(run: BuildRun, dockerfile: LoadedDockerfile): Promise<void> {
  const { inputs } = run
  const native = nativeArches(run.ctx.nodeArch)
  await core.group('QEMU', async () => {
    // push: false runs only the native platforms (gates/local-step): the smoke run needs no QEMU there.
    const plan = planQemu(inputs.platforms, native, binfmtReader(), runsOnTarget(dockerfile.parsed, inputs.target), inputs.smoke !== undefined && inputs.push)
    for (const r of plan.reasons) core.info(r)
    for (const n of qemuGoNotices(dockerfile.parsed, inputs.target, inputs.platforms, native, dockerfile.label)) core.notice(n.message)
    run.report.notes.push(...plan.reasons.filter((r) => r.startsWith('QEMU skipped')))
    await installQemu(inputs.qemuImage, plan.install, run.env)
  })
}

/**
 * A tool download that failed already means nothing is built; one that fails while the build
 * runs stops the build before it pushes (buildx cancels the solve, and the export with it, on
 * SIGINT). Either way nothing unsigned is left behind.
 */
async function interlocked<T>(run: BuildRun, buildIt: (stopped: () => boolean, metadataFile: string) => Promise<T>): Promise<T> {
  const metadataFile = path.join(run.workDir, 'metadata.json')
  const failedAlready = run.installed.failure
  if (run.inputs.push && failedAlready !== undefined) {
    throw new Error(`${errorMessage(failedAlready)}\nNothing was built or pushed. ${FIX_DOWNLOAD}`, { cause: failedAlready })
  }
  let building = true
  const stop = run.inputs.push ? stopOnToolFailure(run.installs, metadataFile, () => building) : undefined
  return buildIt(() => stop?.failure !== undefined, metadataFile)
    .catch((err: unknown) => {
      if (stop?.failure === undefined) throw err
      throw new Error(`${errorMessage(stop.failure)}\nThe build was stopped before it pushed: nothing was pushed, so nothing is left unsigned. ${FIX_DOWNLOAD}`, { cause: stop.failure })
    })
    .finally(() => (building = false))
}

/** Each build secret as buildx takes it: inline values into 0600 files in the run's temp dir (post removes it). */
function secretMounts(secrets: SecretsInputs['buildSecrets'], workDir: string): Array<{ id: string; src?: string; env?: string }> {
  if (!secrets.length) return []
  const dir = path.join(workDir, 'secrets')
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
  return secrets.map((s) => (s.env ? { id: s.id, env: s.env } : { id: s.id, src: s.file ?? writePrivate(path.join(dir, s.id), s.value ?? '') }))
}
