/**
 * The main step, as a pipeline: check the Dockerfile, log in, build and push (or merge), check
 * what was pushed, then the supply chain; every phase hands its result to the next.
 */
import * as core from '@actions/core'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { qemuGoNotices } from './dockerfile/arch-rules.js'
import { uploadSboms } from './supply-chain/sbom-artifact.js'
import type { Watched } from './lib/background.js'
import { startNow, watch } from './lib/background.js'
import type { BasePlan } from './bases/verify-rules.js'
import { planBases, targetBases } from './bases/verify-rules.js'
import { build, stopOnToolFailure } from './build/buildx.js'
import type { BuilderProbe } from './build/builder.js'
import { prepareBuilder, probeBuilder } from './build/builder.js'
import type { GitHubContext } from './lib/runner-env.js'
import type { ParsedDockerfile } from './dockerfile/parse.js'
import { loadDockerfile } from './dockerfile/parse.js'
import { errorMessage } from './lib/errors.js'
import { decideTags, needsExistingTags } from './tags/floating.js'
import { dockerfileGate, pushedImagesGate } from './gates/policy-step.js'
import type { Refusal } from './gates/verdict.js'
import { applyVerdict } from './gates/verdict.js'
import type { Pushed } from './registry/imagetools.js'
import { ImageTools } from './registry/imagetools.js'
import type { Inputs } from './inputs/index.js'
import { imageLabels } from './build/labels.js'
import { mergeDigests } from './build/merge.js'
import { readProvenance } from './supply-chain/provenance.js'
import { writePrivate } from './lib/pem.js'
import { nativeArches } from './build/platform.js'
import { binfmtReader, installQemu, planQemu, runsOnTarget } from './build/qemu.js'
import { RegistryApi } from './registry/http-api.js'
import { createDockerConfig, dockerEnv, hasCredentials, login } from './registry/login.js'
import { copiesFailure, publishCopies } from './supply-chain/copies.js'
import { InputError } from './lib/errors.js'
import { keptRelease, retag } from './build/rerun.js'
import type { Subject } from './supply-chain/sign.js'
import * as state from './lib/post-state.js'
import type { Report } from './report/summary.js'
import { newReport, unfinished, writeSummary } from './report/summary.js'
import { withRetry } from './lib/retry.js'
import { smokeVerdict } from './gates/smoke-rules.js'
import { smokeRun } from './gates/smoke-step.js'
import { supplyChain } from './supply-chain/chain.js'
import { startToolInstall } from './tools/install.js'
import { checkBaseImages } from './bases/verify-step.js'
import { actionsCache } from './gates/vulnerability-db-cache.js'
import type { Tools } from './tools/install.js'
import type { VulnScan } from './supply-chain/attest.js'
import { gateVerdict, scanPlatforms } from './gates/vulnerability-step.js'
import { baseContexts, refreshDecision, resolveBases } from './bases/refresh-step.js'

export async function main(inputs: Inputs, ctx: GitHubContext, now = new Date()): Promise<void> {
  const report = newReport(inputs.image.name)
  try {
    await release(inputs, ctx, report, now)
  } catch (err) {
    report.error = errorMessage(err)
    throw err
  } finally {
    await writeSummary(report).catch((e: unknown) => core.warning(`Could not write the job summary: ${String(e)}`))
  }
}

/** The Dockerfile, read once, and how errors name it (absent when merging). */
interface Dockerfile {
  parsed: ParsedDockerfile
  label: string
}

async function release(given: Inputs, ctx: GitHubContext, report: Report, now: Date): Promise<void> {
  const dockerfile = given.mergeDigests.length ? undefined : loadDockerfile(given)
  if (dockerfile) applyVerdict(dockerfileGate(dockerfile.parsed, { ...given, dockerfileName: dockerfile.label }), report.notes, refuseBeforeBuild)
  // Which bases are verified, and how, is decided before anything happens (verify-bases: all refuses here).
  const basePlan = dockerfile ? planBases(targetBases(dockerfile.parsed, given.target, given.buildContexts), given) : undefined

  const workDir = fs.mkdtempSync(path.join(ctx.runnerTemp, 'build-distroless-image-'))
  fs.chmodSync(workDir, 0o700)
  state.save({ workDir })
  const { registry } = given.image
  const configDir = createDockerConfig(ctx.runnerTemp, [registry, ...given.registryAuth.map((c) => c.host)])
  state.save({ dockerConfig: configDir, registry })
  refuseCopiesWithoutCredentials(given, configDir)
  const env = dockerEnv(configDir)
  const tools = new ImageTools(env)
  const api = new RegistryApi({ registry, repository: given.image.path, username: given.registryUsername, password: given.registryPassword })

  // The tools download while QEMU, the builder and the build run; awaited only after the push.
  const installs = startToolInstall({ ...given, verifyBases: Boolean(basePlan?.verify.length) }, ctx.nodeArch)
  const installed = watch(installs)
  // The builder is looked at while the login runs; a failure surfaces in the Builder phase.
  const probe = dockerfile && !given.builderEndpoint ? startNow(probeBuilder(env, given.platforms.length > 1)) : undefined

  // Every registry before anything is built: a wrong token for a copy fails before the first push.
  await core.group(`Log in to ${[registry, ...given.registryAuth.map((c) => c.host)].join(', ')}`, async () => {
    await login(configDir, registry, given.registryUsername, given.registryPassword)
    for (const c of given.registryAuth) await login(configDir, c.host, c.username, c.password, `the registry-auth line for ${c.host}`)
  })
  const inputs = { ...given, tags: await releaseTags(given, api, report) }
  const refs = inputs.pushByDigest ? [] : inputs.tags.map((t) => `${inputs.image.name}:${t}`)

  let pushed: Pushed | undefined
  if (dockerfile) {
    const checked = await verifiedBases(inputs, basePlan, installs, env, tools, workDir, report)
    const withBases = checked.push ? await recordBases(checked, ctx, dockerfile.parsed, tools, report) : checked
    if (!withBases) return
    pushed = await buildAndPush(withBases, ctx, dockerfile, env, tools, workDir, report, probe, { promise: installs, state: installed }, now)
  } else {
    pushed = await merge(inputs, ctx, tools, report, now)
  }
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
  report.digests = subjects.map((s) => ({ ...s, signature: 'skipped', attestation: 'skipped', provenance: 'skipped' }))
  core.setOutput('signed', 'false')
  await checkPushedImages(inputs, pushed, tools, api, report, refs)
  if (dockerfile) await smokeTest(inputs, pushed, ctx, env, report, refs)
  const vulnScans = await vulnerabilityGate(inputs, pushed, installs, env, workDir, report, refs, now)
  if (inputs.pushByDigest && !inputs.sign) report.notes.push('push-by-digest: not signed here; the merge job signs, SBOMs and attests the merged index')

  // buildx's provenance rides in the index's attestation manifests; a lone manifest has none.
  const provenance = inputs.sign && inputs.provenanceAttestation && subjects[0]?.subject === 'index' ? startNow(readProvenance(inputs.image.name, pushed, tools, api)) : undefined
  const result = await supplyChain({ ...inputs, name: inputs.image.name, subjects, serverUrl: ctx.serverUrl, workflowRef: ctx.workflowRef, rerun: ctx.runAttempt > 1, provenance, vulnScans }, installs, env, workDir, uploadSboms)
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
  if (!inputs.copies.length) {
    core.setOutput('images', JSON.stringify({ [inputs.image.name]: `${inputs.image.name}@${pushed.digest}` }))
    core.setOutput('signed', String(result.signed))
    return
  }
  const chain = { ...inputs, serverUrl: ctx.serverUrl, workflowRef: ctx.workflowRef, rerun: ctx.runAttempt > 1, provenance, sboms: result.sbomResults, vulnScans }
  const copies = await publishCopies(inputs.copies, { from: inputs.image.name, digest: pushed.digest, tags: inputs.tags, subjects, chain }, tools, (spec) => supplyChain(spec, installs, env, workDir, uploadSboms))
  report.copies = copies
  const images = { [inputs.image.name]: `${inputs.image.name}@${pushed.digest}`, ...Object.fromEntries(copies.filter((c) => c.copied).map((c) => [c.name, `${c.name}@${pushed.digest}`])) }
  core.setOutput('images', JSON.stringify(images))
  const failure = copiesFailure(copies)
  core.setOutput('signed', String(result.signed && !failure))
  if (failure) throw failure
}

/** Each copy's registry needs credentials: from registry-auth, the first image's, or an earlier login. */
function refuseCopiesWithoutCredentials(inputs: Inputs, configDir: string): void {
  const given = new Set([inputs.image.registry, ...inputs.registryAuth.map((c) => c.host)])
  const missing = [...new Set(inputs.copies.map((c) => c.registry))].filter((host) => !given.has(host) && !hasCredentials(configDir, host))
  if (!missing.length) return
  throw new InputError('registry-auth', `has no credentials for ${missing.join(', ')} (in \`images\`): add a line ${missing[0] ?? 'HOST'}=USERNAME:TOKEN for each, from a secret, or log in to ${missing.length > 1 ? 'them' : 'it'} in an earlier step (docker/login-action)`)
}

/** The tags to push: floating ones held back where a higher release holds them (read after the login). */
async function releaseTags(inputs: Inputs, api: RegistryApi, report: Report): Promise<string[]> {
  if (!needsExistingTags(inputs)) return inputs.tags
  const decided = await core.group('Tags', () => decideTags(inputs, () => withRetry(() => api.tags(), { what: `listing the tags of ${inputs.image.name}` })))
  for (const h of decided.heldBack) core.notice(h.reason)
  report.notes.push(...decided.heldBack.map((h) => h.reason))
  return decided.tags
}

/** The bases verified before the build; the inputs come back with the build contexts that pin them. */
async function verifiedBases(inputs: Inputs, plan: BasePlan | undefined, installs: ReturnType<typeof startToolInstall>, env: Record<string, string>, tools: ImageTools, workDir: string, report: Report): Promise<Inputs> {
  if (!plan) return inputs
  const checked = await checkBaseImages(plan, inputs, installs, env, (ref) => tools.digest(ref), workDir)
  applyVerdict(checked.verdict, report.notes, refuseBeforeBuild)
  report.bases = checked.verified
  return { ...inputs, buildContexts: checked.buildContexts }
}

/**
 * Resolves the bases once: the build is pinned to those digests and records them on each platform
 * manifest. Under `rebuild: if-base-changed`, returns nothing (and sets the outputs) when every
 * base is as the image at the release tag recorded it.
 */
async function recordBases(inputs: Inputs, ctx: GitHubContext, parsed: ParsedDockerfile, tools: ImageTools, report: Report): Promise<Inputs | undefined> {
  const platforms = inputs.platforms.map((p) => p.id)
  const buildPlatform = `linux/${nativeArches(ctx.nodeArch)[0] ?? 'amd64'}`
  const resolved = await core.group('Bases', () => resolveBases(parsed, inputs.target, platforms, buildPlatform, report.bases ?? [], tools))
  for (const u of resolved.unresolved) {
    if (inputs.rebuild === 'if-base-changed') throw new Error(`rebuild: if-base-changed cannot compare ${u.ref}: this runner cannot read it (${u.error})`)
    core.warning(`${u.ref} could not be read from this runner, so it is neither pinned nor recorded on the manifests (the builder resolves it itself): ${u.error}`)
  }
  if (inputs.rebuild === 'if-base-changed') {
    const tag = inputs.tags[0] ?? ''
    const { decision, existing } = await core.group('Refresh: compare the bases', () => refreshDecision(inputs.image.name, tag, resolved, tools))
    if (!decision.rebuild && existing) {
      report.notes.push(`rebuild: if-base-changed: nothing built or pushed; every base (${decision.compared.join(', ')}) is as ${inputs.image.name}:${tag} recorded it`)
      report.digest = existing.digest
      core.setOutput('skipped', 'true')
      core.setOutput('digest', existing.digest)
      core.setOutput('image', `${inputs.image.name}@${existing.digest}`)
      core.setOutput('tags', '')
      core.setOutput('platform-digests', JSON.stringify(existing.platforms))
      return undefined
    }
    if (decision.rebuild) report.notes.push(`rebuild: if-base-changed: built, because ${decision.why}${decision.changes.map((c) => `; ${c.platform} ${c.ref}: ${c.from ?? '(not recorded)'} -> ${c.to}`).join('')}`)
  }
  core.setOutput('skipped', 'false')
  return { ...inputs, annotations: [...inputs.annotations, ...resolved.annotations], buildContexts: baseContexts(inputs.buildContexts, resolved) }
}

/** What is signed: the index (when there is one) first, then each platform manifest. */
function subjectsOf(pushed: Pushed): Subject[] {
  const platforms = Object.entries(pushed.platforms).map(([subject, digest]) => ({ subject, digest }))
  const single = platforms.length === 1 && platforms[0]?.digest === pushed.digest
  return single ? platforms : [{ subject: 'index', digest: pushed.digest }, ...platforms]
}

/** A check refused the Dockerfile or a base before anything was built. */
function refuseBeforeBuild(r: Refusal): never {
  throw new Error(r.message)
}

async function buildAndPush(
  inputs: Inputs,
  ctx: GitHubContext,
  dockerfile: Dockerfile,
  env: Record<string, string>,
  tools: ImageTools,
  workDir: string,
  report: Report,
  probe: BuilderProbe | undefined,
  installs: { promise: Promise<unknown>; state: Watched },
  now: Date
): Promise<Pushed | undefined> {
  const native = nativeArches(ctx.nodeArch)
  await core.group('QEMU', async () => {
    const plan = planQemu(inputs.platforms, native, binfmtReader(), runsOnTarget(dockerfile.parsed, inputs.target), inputs.smoke !== undefined)
    for (const r of plan.reasons) core.info(r)
    for (const n of qemuGoNotices(dockerfile.parsed, inputs.target, inputs.platforms, native, dockerfile.label)) core.notice(n.message)
    report.notes.push(...plan.reasons.filter((r) => r.startsWith('QEMU skipped')))
    await installQemu(inputs.qemuImage, plan.install, env)
  })

  const builderName = `build-distroless-image-${ctx.runId || process.pid}-${Date.now().toString(36)}`
  const needs = { multiPlatform: inputs.platforms.length > 1, cacheExport: inputs.cacheTo.length > 0, pushByDigest: inputs.pushByDigest }
  const builder = await core.group('Builder', () => prepareBuilder({ ...inputs, ...needs }, builderName, env, workDir, probe, (name) => state.save({ builder: name })))
  core.info(`Building with ${builder.description}`)
  report.builder = builder.description

  // A re-run reads what the first tag names before the build moves it.
  const first = inputs.tags[0]
  const earlier = ctx.runAttempt > 1 && inputs.push && !inputs.pushByDigest && first ? await tools.find(`${inputs.image.name}:${first}`) : undefined
  const platforms = inputs.platforms.map((p) => p.id)
  const what = inputs.pushByDigest ? `Build and push ${platforms.join(', ')} by digest` : inputs.push ? `Build and push ${platforms.join(', ')}` : `Build ${platforms.join(', ')} (push: false)`
  const { labels, indexAnnotations } = imageLabels({ ...inputs, imagePath: inputs.image.path }, ctx, now)
  const metadataFile = path.join(workDir, 'metadata.json')
  // A tool download that failed already means nothing is built; one that fails while the build
  // runs stops the build before it pushes (buildx cancels the solve, and the export with it, on
  // SIGINT). Either way nothing unsigned is left behind.
  const failedAlready = installs.state.failure
  if (inputs.push && failedAlready !== undefined) {
    throw new Error(`${errorMessage(failedAlready)}\nNothing was built or pushed. Fix the tool download (tools-url, cosign-version, syft-version, trivy-version) and run the job again.`, { cause: failedAlready })
  }
  let building = true
  const stop = inputs.push ? stopOnToolFailure(installs.promise, metadataFile, () => building) : undefined
  const meta = await core
    .group(what, () =>
      build(
        {
          ...inputs,
          builder: builder.name,
          platforms,
          tags: inputs.tags.map((t) => `${inputs.image.name}:${t}`),
          labels,
          indexAnnotations,
          metadataFile,
          noDefaultAttestations: ctx.noDefaultAttestations,
          pushByDigest: inputs.pushByDigest ? { name: inputs.image.name } : undefined,
          secrets: secretMounts(inputs.buildSecrets, workDir),
          stopped: () => stop?.failure !== undefined
        },
        env,
        inputs.image.registry
      )
    )
    .catch((err: unknown) => {
      if (stop?.failure === undefined) throw err
      throw new Error(`${errorMessage(stop.failure)}\nThe build was stopped before it pushed: nothing was pushed, so nothing is left unsigned. Fix the tool download (tools-url, cosign-version, syft-version, trivy-version) and run the job again.`, { cause: stop.failure })
    })
    .finally(() => (building = false))
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
  if (!kept) return pushed
  await core.group('Re-run: keep the earlier digest', () => retag(inputs.image.name, inputs.tags, kept.digest, tools))
  report.notes.push(`Re-run (attempt ${ctx.runAttempt}): the platform images equal those of ${kept.digest}, so the tags point back at it and the digest stays the same`)
  return { ...pushed, digest: kept.digest }
}

/** Each build secret as buildx takes it: inline values into 0600 files in the run's temp dir (post removes it). */
function secretMounts(secrets: Inputs['buildSecrets'], workDir: string): Array<{ id: string; src?: string; env?: string }> {
  if (!secrets.length) return []
  const dir = path.join(workDir, 'secrets')
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
  return secrets.map((s) => (s.env ? { id: s.id, env: s.env } : { id: s.id, src: s.file ?? writePrivate(path.join(dir, s.id), s.value ?? '') }))
}

async function merge(inputs: Inputs, ctx: GitHubContext, tools: ImageTools, report: Report, now: Date): Promise<Pushed> {
  return core.group(`Merge ${inputs.mergeDigests.length} digests into one index`, async () => {
    const { indexAnnotations } = imageLabels({ ...inputs, imagePath: inputs.image.path }, ctx, now)
    const { pushed, note } = await mergeDigests(inputs.image.name, inputs.mergeDigests, inputs.tags, indexAnnotations, tools)
    report.notes.push(note)
    return pushed
  })
}

/** The gate after the push: refused images are named with the tags that now point at them. */
async function checkPushedImages(inputs: Inputs, pushed: Pushed, tools: ImageTools, api: RegistryApi, report: Report, refs: string[]): Promise<void> {
  if (inputs.policy === 'off' && inputs.maxImageSize === undefined) return
  await core.group('Policy (pushed images)', async () => {
    const { configs } = pushed.configs ? { configs: pushed.configs } : await tools.pushed(inputs.image.name, pushed.digest, Object.keys(pushed.platforms))
    const v = await pushedImagesGate(inputs.image.name, { ...pushed, configs }, inputs, {
      manifest: (ref) => tools.raw(ref, { justPushed: true }),
      config: (ref) => tools.config(ref, { justPushed: true }),
      blob: (digest) => api.blob(digest)
    })
    applyVerdict(v, report.notes, (r) => refuse(r, report, refs))
  })
}

/** A check refused what was pushed: nothing is signed, and the error says which tags moved to it. */
function refuse(refusal: Refusal, report: Report, refs: string[]): never {
  report.refused = refs.length ? `These tags now point at the refused, unsigned image: ${refs.join(', ')}. Fix the image and release again to move them.` : 'No tag points at it (pushed by digest only).'
  throw new Error(`${refusal.message}\nNot signed or attested. ${report.refused}`)
}

/** Each platform run once under restricted-v2 constraints, after the push and before signing. */
async function smokeTest(inputs: Inputs, pushed: Pushed, ctx: GitHubContext, env: Record<string, string>, report: Report, refs: string[]): Promise<void> {
  if (!inputs.smoke) {
    report.notes.push('Smoke run: skipped (give smoke-args or smoke-http-port to run each platform under restricted-v2 constraints before signing)')
    return
  }
  const spec = inputs.smoke
  const label = `${ctx.runId || process.pid}-${Date.now().toString(36)}`
  state.save({ smokeLabel: label })
  const results = await core.group('Smoke run (restricted-v2)', () => smokeRun(inputs.image.name, spec, { platforms: pushed.platforms, native: nativeArches(ctx.nodeArch), env, label }))
  report.smoke = results
  applyVerdict(smokeVerdict(results, inputs.policy, inputs.startupBudgetMs), report.notes, (r) => refuse(r, report, refs))
}

/**
 * Every platform scanned by digest before anything is signed. Findings at or above the gate
 * refuse the release like the other checks (the error names the tags that moved); a scanner that
 * could not run fails the step as that, never as a pass. Returns the scans to attest.
 */
async function vulnerabilityGate(inputs: Inputs, pushed: Pushed, installs: Promise<Tools>, env: Record<string, string>, workDir: string, report: Report, refs: string[], now: Date): Promise<VulnScan[] | undefined> {
  if (inputs.vulnerabilityGate === 'off') return undefined
  const { trivy } = await installs
  if (!trivy) throw new Error('trivy was not installed')
  const cacheDir = path.join(os.homedir(), '.cache', 'build-distroless-image', 'trivy')
  state.save({ trivyCache: cacheDir })
  const scans = await core.group(`Vulnerability gate (trivy, ${inputs.vulnerabilityGate})`, () => scanPlatforms(inputs.image.name, pushed.platforms, inputs, { trivy, workDir, cacheDir, env, cache: actionsCache, now }))
  report.vulnerabilities = scans
  applyVerdict(gateVerdict(scans, inputs.onlyFixed), report.notes, (r) => refuse(r, report, refs))
  return inputs.vulnerabilityAttestation ? scans.scans.map((s) => ({ platform: s.platform, digest: s.digest, predicateFile: s.predicateFile })) : undefined
}
