/**
 * push: false (a pull request): the release's gates on the local build, with nothing pushed,
 * tagged or signed. The build wrote every platform to an OCI layout (build/buildx.ts), and the
 * gates read it where the release reads the registry:
 * - the pushed-image policy and the architecture check, on every platform: the same code
 *   (pushedImagesGate), its blobs opened from files instead of streamed from the registry;
 * - the vulnerability gate, on every platform: trivy reads each platform's own layout
 *   (`trivy image --input DIR`), no engine and no registry involved;
 * - the smoke run, on the native platforms only: that platform's layout packed as a tar and
 *   `docker load`ed (Docker 25+ loads OCI archives), then run as the release runs it.
 * Why one OCI export and not `--load` + `docker save`: the layout holds the very blobs buildx
 * built (the digests the release would push), one build writes every platform with cache-to
 * warming the release's cache, and only the platform that runs reaches the engine (a `--load` of
 * a multi-platform build needs the containerd store; `docker save` writes other blobs than built).
 * Measured in e2e (pull-request.test.ts, two-platform Go image, shared 2-core machine): the
 * split-off (hard links) and the pack of amd64 took 19 ms, its `docker load` 1.4 s; the log
 * prints both on every run.
 */
import * as core from '../lib/log.js'
import * as os from 'node:os'
import * as path from 'node:path'
import { localLayoutDir } from '../build/build-step.js'
import { nativeArches } from '../build/platform.js'
import type { BuildInputs } from '../inputs/build.js'
import type { ImageInputs } from '../inputs/image.js'
import type { PolicyInputs } from '../inputs/policy.js'
import type { SmokeInputs } from '../inputs/smoke.js'
import type { VulnerabilityInputs } from '../inputs/vulnerability.js'
import { run as exec } from '../lib/exec.js'
import * as state from '../lib/post-state.js'
import type { GitHubContext } from '../lib/runner-env.js'
import { OciLayout } from '../registry/oci-layout.js'
import type { RawManifest } from '../registry/manifest.js'
import type { RunOutputs } from '../report/outputs.js'
import type { Tools } from '../tools/install.js'
import { pushedImagesGate } from './policy-step.js'
import type { SmokeReport } from './smoke-rules.js'
import { describeIsolation, smokeVerdict } from './smoke-rules.js'
import { smokeRun } from './smoke-run.js'
import type { Refusal } from './verdict.js'
import { applyVerdict } from './verdict.js'
import { actionsCache } from './vulnerability-db-cache.js'
import { registryDbSource } from './vulnerability-db-source.js'
import type { GateScans } from './vulnerability-scan.js'
import { gateVerdict, scanPlatforms } from './vulnerability-scan.js'

export interface LocalRun {
  inputs: ImageInputs & BuildInputs & PolicyInputs & SmokeInputs & VulnerabilityInputs
  ctx: Pick<GitHubContext, 'runId' | 'nodeArch'>
  env: Record<string, string>
  workDir: string
  configDir: string
  now: Date
  installs: Promise<Tools>
  outputs: RunOutputs
  report: { notes: string[]; smoke?: SmokeReport; vulnerabilities?: GateScans }
}

const NOTHING_PUSHED = 'Nothing was pushed (push: false), so nothing is signed, attested or tagged.'

function refuse(r: Refusal): never {
  throw new Error(`${r.message}\n${NOTHING_PUSHED}`)
}

export async function checkLocalBuild(run: LocalRun): Promise<void> {
  const { inputs, report } = run
  const layout = new OciLayout(localLayoutDir(run.workDir))
  const built = layout.images(inputs.platforms.map((p) => p.id))
  if (run.outputs.release) run.outputs.release = { ...run.outputs.release, platforms: built.platforms }
  const native = nativeArches(run.ctx.nodeArch)
  const runsHere = (platform: string) => native.includes(platform.split('/')[1] ?? '')
  const checked: Record<string, string[]> = Object.fromEntries(Object.keys(built.platforms).map((p) => [p, ['built']]))
  const byDigest = (ref: string) => ref.slice(ref.lastIndexOf('@') + 1)

  // Throws on a refusal; the summary still lists what each platform got through.
  const summarise = () => {
    for (const [platform, done] of Object.entries(checked)) {
      const notRun = inputs.smoke && !runsHere(platform) ? `; not run: not native to this ${run.ctx.nodeArch} runner` : ''
      report.notes.push(`${platform}: ${done.join(', ')}${notRun}`)
    }
    if (!inputs.smoke) report.notes.push('Smoke run: skipped (give smoke-args or smoke-http-port to run the native platform before merging)')
    report.notes.push(`push: false: no registry written, so nothing was pushed, signed, attested or tagged, and no SBOM was made`)
  }
  try {
    if (inputs.policy !== 'off' || inputs.maxImageSize !== undefined) {
      await core.group('Policy and architecture (local build)', async () => {
        const v = await pushedImagesGate(inputs.image.name, built, inputs, {
          manifest: (ref) => Promise.resolve(layout.json<RawManifest>(byDigest(ref))),
          config: (ref) => Promise.resolve(built.configs[Object.entries(built.platforms).find(([, d]) => d === byDigest(ref))?.[0] ?? ''] ?? {}),
          blob: (digest) => layout.open(digest)
        }, 'the image built (push: false)')
        applyVerdict(v, report.notes, refuse)
      })
      for (const done of Object.values(checked)) done.push(inputs.policy === 'off' ? 'size checked' : 'policy and architecture checked')
    }

    // A name with a domain: containerd keeps the annotation's name as written, and docker finds
    // only a normalised one (docker.io/... for a name without a domain). Never pulled (--pull never).
    // Each platform in a layout of its own: trivy's --input takes one image, docker load one platform.
    const single = (platform: string) => {
      const name = `build-distroless-image.local/${inputs.image.path.split('/').pop() ?? 'image'}:${run.ctx.runId || process.pid}-${platform.split('/').slice(1).join('-')}`
      return { name, layout: layout.splitOff(platform, built.platforms[platform] ?? '', path.join(run.workDir, 'local', platform.replace(/\//g, '-')), name) }
    }
    const singles = inputs.smoke || inputs.vulnerabilityGate !== 'off' ? Object.fromEntries(Object.keys(built.platforms).map((p) => [p, single(p)])) : {}

    if (inputs.smoke) {
      const spec = inputs.smoke
      const platforms = Object.fromEntries(Object.entries(built.platforms).filter(([p]) => runsHere(p)))
      const label = `${run.ctx.runId || process.pid}-${Date.now().toString(36)}`
      state.save({ smokeLabel: label })
      const isolation = describeIsolation(spec)
      const loaded: string[] = []
      try {
        const results = await core.group('Smoke run (restricted-v2, local build)', async () => {
          const refs: Record<string, string> = {}
          for (const platform of Object.keys(platforms)) {
            const s = singles[platform] as ReturnType<typeof single>
            const tar = `${s.layout.dir}.tar`
            const started = Date.now()
            await s.layout.packTo(tar)
            const packed = Date.now()
            await exec('docker', ['load', '--input', tar], { env: run.env, silent: true })
            loaded.push(s.name)
            refs[platform] = s.name
            core.info(`${platform}: loaded into the engine as ${s.name} (packed in ${packed - started} ms, loaded in ${Date.now() - packed} ms)`)
          }
          for (const p of Object.keys(built.platforms).filter((p) => !platforms[p])) core.info(`${p}: not run: this ${run.ctx.nodeArch} runner does not run it natively, and push: false runs only what it built for this runner`)
          return smokeRun(inputs.image.name, spec, { platforms, refs, native, env: run.env, label })
        })
        report.smoke = { runs: results, isolation, budgetMs: inputs.startupBudgetMs }
        applyVerdict(smokeVerdict(results, inputs.policy, inputs.startupBudgetMs), report.notes, refuse)
        for (const p of Object.keys(platforms)) checked[p]?.push('smoke run passed')
      } finally {
        for (const name of loaded) await exec('docker', ['image', 'rm', name], { env: run.env, silent: true, allowFailure: true })
      }
    }

    if (inputs.vulnerabilityGate !== 'off') {
      const { trivy } = await run.installs
      if (!trivy) throw new Error('trivy was not installed')
      const cacheDir = path.join(os.homedir(), '.cache', 'build-distroless-image', 'trivy')
      state.save({ trivyCache: cacheDir })
      const layouts = Object.fromEntries(Object.entries(singles).map(([p, s]) => [p, s.layout.dir]))
      const scans = await core.group(`Vulnerability gate (trivy, ${inputs.vulnerabilityGate}, local build)`, () =>
        scanPlatforms(inputs.image.name, built.platforms, inputs, { trivy, workDir: run.workDir, cacheDir, env: run.env, cache: actionsCache, source: registryDbSource(run.configDir), now: run.now, layouts })
      )
      report.vulnerabilities = scans
      applyVerdict(gateVerdict(scans, inputs.onlyFixed), report.notes, refuse)
      for (const done of Object.values(checked)) done.push('vulnerabilities scanned')
    }
  } finally {
    summarise()
  }
}
