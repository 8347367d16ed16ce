/** The main step: validate, log in, then build and push (or merge), check, and the supply chain. */
import { errorMessage } from './errors.js'
import * as core from '@actions/core'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { startNow } from './background.js'
import { build } from './build.js'
import { chooseBuilder, createBuilder, createRemoteBuilder, probeBuilder } from './builder.js'
import { probeBuilderEndpoint } from './builder-endpoint.js'
import type { GitHubContext } from './context.js'
import { dockerfileGate, pushedImagesGate } from './gate.js'
import type { Verdict } from './gate.js'
import type { Pushed } from './imagetools.js'
import { ImageTools } from './imagetools.js'
import type { Inputs } from './inputs.js'
import type { Pem } from './pem.js'
import { pemFile } from './pem.js'
import { dockerfileLabel } from './inputs.js'
import { mergeDigests } from './merge.js'
import { nativeArches } from './platform.js'
import { BlobReader } from './registry-blob.js'
import { qemuGoNotices } from './arch-rules.js'
import { binfmtReader, installQemu, planQemu, runsOnTarget } from './qemu.js'
import { createDockerConfig, dockerEnv, login } from './registry.js'
import { keptRelease, retag } from './rerun.js'
import * as state from './state.js'
import type { Report } from './summary.js'
import { newReport, unfinished, writeSummary } from './summary.js'
import type { Tools } from './supply-chain.js'
import type { Subject } from './sign.js'
import { uploadSboms } from './artifact.js'
import { supplyChain } from './supply-chain.js'
import { installTool, toolSpec } from './tools.js'

export async function main(inputs: Inputs, ctx: GitHubContext): Promise<void> {
  const report = newReport(inputs.image.name)
  try {
    await release(inputs, ctx, report)
  } catch (err) {
    report.error = errorMessage(err)
    throw err
  } finally {
    await writeSummary(report).catch((e: unknown) => core.warning(`Could not write the job summary: ${String(e)}`))
  }
}

async function release(inputs: Inputs, ctx: GitHubContext, report: Report): Promise<void> {
  checkDockerfilePolicy(inputs, report)

  const workDir = fs.mkdtempSync(path.join(ctx.runnerTemp, 'build-distroless-image-'))
  fs.chmodSync(workDir, 0o700)
  state.save({ workDir })
  const configDir = createDockerConfig(ctx.runnerTemp, inputs.image.registry)
  state.save({ dockerConfig: configDir, registry: inputs.image.registry })
  const env = dockerEnv(configDir)
  const tools = new ImageTools(env)
  const refs = inputs.pushByDigest ? [] : inputs.tags.map((t) => `${inputs.image.name}:${t}`)

  // The tools download while QEMU, the builder and the build run; awaited only after the push.
  const installs = startToolInstall(inputs, ctx.nodeArch)
  // The builder is looked at while the login runs; a failure surfaces in the Builder phase.
  const probe = inputs.mergeDigests.length || inputs.builderEndpoint ? undefined : startNow(probeBuilder(env, inputs.platforms.length > 1))

  await core.group(`Log in to ${inputs.image.registry}`, () => login(configDir, inputs.image.registry, inputs.registryUsername, inputs.registryPassword))

  const pushed = inputs.mergeDigests.length ? await merge(inputs, tools, report) : await buildAndPush(inputs, ctx, env, tools, workDir, report, probe)
  if (!pushed) return

  report.pushed = true
  report.digest = pushed.digest
  report.tags = refs
  core.setOutput('digest', pushed.digest)
  core.setOutput('image', `${inputs.image.name}@${pushed.digest}`)
  core.setOutput('tags', refs.join('\n'))
  core.setOutput('platform-digests', JSON.stringify(pushed.platforms))
  for (const [platform, digest] of Object.entries(pushed.platforms)) core.info(`${platform}: ${digest}`)

  const subjects = subjectsOf(pushed)
  report.digests = subjects.map((s) => ({ ...s, signature: 'skipped', attestation: 'skipped' }))
  core.setOutput('signed', 'false')
  await checkPushedImages(inputs, pushed, tools, report, refs)
  if (inputs.pushByDigest && !inputs.sign) report.notes.push('push-by-digest: not signed here; the merge job signs, SBOMs and attests the merged index')

  const result = await supplyChain(
    { ...inputs, name: inputs.image.name, subjects, serverUrl: ctx.serverUrl, workflowRef: ctx.workflowRef, rerun: ctx.runAttempt > 1 },
    installs,
    env,
    workDir,
    uploadSboms
  )
  report.digests = result.subjects
  report.notes.push(...result.notes)
  report.verifyCommands.push(...result.verifyCommands)
  report.signer = result.signer
  if (result.failure) {
    const open = unfinished(report)
    if (open.length === 0) throw result.failure
    const list = open.map((d) => `${d.subject} ${inputs.image.name}@${d.digest}`).join(', ')
    throw new Error(`${result.failure.message}\nPushed but not signed or attested: ${list}. The digest outputs are set; re-run the job to finish signing.`, { cause: result.failure })
  }
  core.setOutput('sbom', JSON.stringify(result.sboms))
  core.setOutput('signed', String(result.signed))
}

/** What is signed: the index (when there is one) first, then each platform manifest. */
function subjectsOf(pushed: Pushed): Subject[] {
  const platforms = Object.entries(pushed.platforms).map(([subject, digest]) => ({ subject, digest }))
  const single = platforms.length === 1 && platforms[0]?.digest === pushed.digest
  return single ? platforms : [{ subject: 'index', digest: pushed.digest }, ...platforms]
}

function checkDockerfilePolicy(inputs: Inputs, report: Report): void {
  if (!inputs.parsed) return
  const dockerfileName = dockerfileLabel(inputs.dockerfile, inputs.workspace, inputs.template)
  enforce(dockerfileGate(inputs.parsed, { ...inputs, dockerfileName }), report)
}

/** Notes into the report; a refusal fails the step. */
function enforce(v: Verdict, report: Report): void {
  report.notes.push(...v.notes)
  if (v.refusal) throw new Error(v.refusal)
}

type Probe = ReturnType<typeof probeBuilder>

async function buildAndPush(inputs: Inputs, ctx: GitHubContext, env: Record<string, string>, tools: ImageTools, workDir: string, report: Report, probe: Probe | undefined): Promise<Pushed | undefined> {
  const parsed = inputs.parsed
  if (!parsed) throw new Error('no Dockerfile to build')
  await core.group('QEMU', async () => {
    const plan = planQemu(inputs.platforms, nativeArches(ctx.nodeArch), binfmtReader(), runsOnTarget(parsed, inputs.target))
    for (const r of plan.reasons) core.info(r)
    for (const n of qemuGoNotices(parsed, inputs.target, inputs.platforms, nativeArches(ctx.nodeArch), dockerfileLabel(inputs.dockerfile, inputs.workspace, inputs.template))) core.notice(n.message)
    report.notes.push(...plan.reasons.filter((r) => r.startsWith('QEMU skipped')))
    await installQemu(inputs.qemuImage, plan.install, env)
  })

  const prepared = await core.group('Builder', () => prepareBuilder(inputs, ctx, env, workDir, probe))
  const builder = prepared.name
  core.info(`Building with ${prepared.description}`)
  report.builder = prepared.description
  // A re-run reads what the first tag names before the build moves it.
  const first = inputs.tags[0]
  const earlier = ctx.runAttempt > 1 && inputs.push && !inputs.pushByDigest && first ? await tools.find(`${inputs.image.name}:${first}`) : undefined
  const platforms = inputs.platforms.map((p) => p.id)
  const what = inputs.pushByDigest ? `Build and push ${platforms.join(', ')} by digest` : inputs.push ? `Build and push ${platforms.join(', ')}` : `Build ${platforms.join(', ')} (push: false)`
  const meta = await core.group(what, () =>
    build(
      {
        builder,
        context: inputs.context,
        dockerfile: inputs.dockerfile,
        target: inputs.target,
        platforms,
        tags: inputs.tags.map((t) => `${inputs.image.name}:${t}`),
        buildArgs: inputs.buildArgs,
        labels: inputs.labels,
        annotations: inputs.annotations,
        indexAnnotations: inputs.indexAnnotations,
        push: inputs.push,
        provenance: inputs.provenance,
        cacheFrom: inputs.cacheFrom,
        cacheTo: inputs.cacheTo,
        metadataFile: path.join(workDir, 'metadata.json'),
        noDefaultAttestations: ctx.noDefaultAttestations,
        pushByDigest: inputs.pushByDigest ? { name: inputs.image.name } : undefined
      },
      env,
      inputs.image.registry
    )
  )
  core.setOutput('metadata', JSON.stringify(meta.raw))
  if (!inputs.push) {
    report.digest = meta.digest
    core.setOutput('digest', meta.digest)
    core.setOutput('image', `${inputs.image.name}@${meta.digest}`)
    core.setOutput('tags', '')
    core.setOutput('platform-digests', '{}')
    report.notes.push('push: false: every platform was built, nothing was pushed, signed or attested')
    return undefined
  }

  const pushed = await core.group('Resolve platform digests', () => tools.pushed(inputs.image.name, meta.digest, platforms))
  const kept = keptRelease(earlier, pushed)
  if (kept) {
    await core.group('Re-run: keep the earlier digest', () => retag(inputs.image.name, inputs.tags, kept.digest, tools))
    report.notes.push(`Re-run (attempt ${ctx.runAttempt}): the platform images equal those of ${kept.digest}, so the tags point back at it and the digest stays the same`)
    return { ...pushed, digest: kept.digest }
  }
  return pushed
}

/** The builder to use (undefined: the current one), and the words that tell the user which it is. */
interface PreparedBuilder {
  name?: string
  description: string
}

async function prepareBuilder(inputs: Inputs, ctx: GitHubContext, env: Record<string, string>, workDir: string, probe: Probe | undefined): Promise<PreparedBuilder> {
  const name = `build-distroless-image-${ctx.runId || process.pid}-${Date.now().toString(36)}`
  if (inputs.builderEndpoint) {
    const { endpoint, tls } = inputs.builderEndpoint
    state.save({ builder: name })
    const file = (p: Pem | undefined, base: string) => (p === undefined ? undefined : pemFile(p, workDir, base))
    const files = { ca: file(tls.ca, 'builder-ca.pem'), cert: file(tls.cert, 'builder-cert.pem'), key: file(tls.key, 'builder-key.pem') }
    await probeBuilderEndpoint(endpoint, files)
    await createRemoteBuilder(name, { endpoint, tls: files }, env)
    const driver = endpoint.startsWith('kubernetes') ? 'kubernetes' : 'remote'
    return { name, description: `builder ${name} (driver ${driver}${driver === 'remote' ? `, ${endpoint}` : ''})` }
  }
  const { current, containerdStore } = await (probe ?? probeBuilder(env, inputs.platforms.length > 1))
  const choice = chooseBuilder(current, {
    multiPlatform: inputs.platforms.length > 1,
    containerdStore,
    cacheExport: inputs.cacheTo.length > 0,
    pushByDigest: inputs.pushByDigest
  })
  core.info(choice.reason)
  if (!choice.create) return { description: `builder ${current.name} (driver ${current.driver})` }
  state.save({ builder: name })
  await createBuilder(name, inputs.buildkitImage, env)
  return { name, description: `builder ${name} (driver docker-container, ${inputs.buildkitImage})` }
}

async function merge(inputs: Inputs, tools: ImageTools, report: Report): Promise<Pushed> {
  return core.group(`Merge ${inputs.mergeDigests.length} digests into one index`, async () => {
    const { pushed, note } = await mergeDigests(inputs.image.name, inputs.mergeDigests, inputs.tags, inputs.indexAnnotations, tools)
    report.notes.push(note)
    return pushed
  })
}

async function checkPushedImages(inputs: Inputs, pushed: Pushed, tools: ImageTools, report: Report, refs: string[]): Promise<void> {
  if (inputs.policy === 'off' && inputs.maxImageSize === undefined) return
  await core.group('Policy (pushed images)', async () => {
    const { configs } = pushed.configs ? { configs: pushed.configs } : await tools.pushed(inputs.image.name, pushed.digest, Object.keys(pushed.platforms))
    const blobs = new BlobReader({ registry: inputs.image.registry, repository: inputs.image.path, username: inputs.registryUsername, password: inputs.registryPassword })
    const v = await pushedImagesGate(inputs.image.name, { ...pushed, configs }, inputs, {
      manifest: (ref) => tools.raw(ref, { justPushed: true }),
      config: (ref) => tools.config(ref, { justPushed: true }),
      blob: (digest) => blobs.open(digest)
    })
    report.notes.push(...v.notes)
    if (!v.refusal) return
    // The tags moved with the push: say which now name an image nothing will sign.
    report.refused = refs.length ? `These tags now point at the refused, unsigned image: ${refs.join(', ')}. Fix the Dockerfile and release again to move them.` : 'No tag points at it (pushed by digest only).'
    throw new Error(`${v.refusal}\nNot signed or attested. ${report.refused}`)
  })
}

/** Starts downloading (or finding in the tool cache) cosign and syft; never rejects unobserved. */
function startToolInstall(inputs: Inputs, nodeArch: string): Promise<Tools> {
  if (!inputs.push || (!inputs.sign && !inputs.sbom)) return Promise.resolve({})
  const install = async (): Promise<Tools> => {
    const [cosign, syft] = await Promise.all([
      inputs.sign ? installTool(toolSpec('cosign', inputs.cosignVersion, inputs.toolsUrl, nodeArch)) : undefined,
      inputs.sbom ? installTool(toolSpec('syft', inputs.syftVersion, inputs.toolsUrl, nodeArch)) : undefined
    ])
    return { cosign: cosign?.path, syft: syft?.path }
  }
  return startNow(install())
}
