/**
 * Reachability, per platform, before the vulnerability gate judges it: the entrypoint the
 * architecture check locates in the pushed layers is extracted, and when it is a Go program,
 * govulncheck (binary mode) says which of its modules' vulnerabilities the binary can reach. Its
 * OpenVEX goes to trivy (`--vex`) and is attested to the platform's digest.
 */
import * as core from '../lib/log.js'
import * as io from '@actions/io'
import * as fs from 'node:fs'
import * as path from 'node:path'
import type { ImageInputs } from '../inputs/image.js'
import type { ReachabilityInputs } from '../inputs/reachability.js'
import { run } from '../lib/exec.js'
import type { RegistryApi } from '../registry/http-api.js'
import type { ImageTools } from '../registry/imagetools.js'
import { extractFile } from '../registry/layer-search.js'
import type { Pushed } from '../registry/manifest.js'
import { withRetry } from '../lib/retry.js'
import { checkPlatform, hasConfig } from './architecture-rules.js'
import type { GoVuln } from './govulncheck.js'
import { installArgv, installEnv, isGoBinary, parseVex, scanArgv, vexForImage, vulnsOf } from './govulncheck.js'

export interface ReachScan {
  platform: string
  digest: string
  /** The program govulncheck read, as the image has it. */
  binary?: string
  /** Why this platform has no reachability verdict (not a Go program, no entrypoint). */
  skipped?: string
  /** The OpenVEX document for trivy and the attestation. */
  vexFile?: string
  vulns: GoVuln[]
}

export interface Reachability {
  govulncheckVersion: string
  db: string
  scans: ReachScan[]
}

export interface ReachRun {
  inputs: ImageInputs & ReachabilityInputs
  env: Record<string, string>
  workDir: string
  tools: Pick<ImageTools, 'raw' | 'config'>
  api: Pick<RegistryApi, 'blob'>
}

/** Undefined when reachability is off. */
export async function reachabilityStep(r: ReachRun, pushed: Pushed): Promise<Reachability | undefined> {
  const { inputs } = r
  if (!inputs.reachability) return undefined
  return core.group(`Reachability (govulncheck ${inputs.govulncheckVersion}, ${inputs.goVulnDb})`, async () => {
    const dir = path.join(r.workDir, 'reachability')
    fs.mkdirSync(dir, { recursive: true })
    const govulncheck = await installGovulncheck(inputs.govulncheckVersion, path.join(dir, 'bin'), r.env)
    const scans = await Promise.all(Object.entries(pushed.platforms).map(([platform, digest]) => scanPlatform(r, govulncheck, platform, digest, pushed, dir)))
    for (const s of scans) {
      if (s.skipped) core.notice(`Reachability, ${s.platform}: ${s.skipped}`)
      else core.info(`${s.platform}: ${s.binary}: ${s.vulns.length ? s.vulns.map((v) => `${v.id} ${v.level === 'called' ? 'reachable' : 'not reachable'}`).join(', ') : 'no vulnerable module in the Go vulnerability database'}`)
    }
    return { govulncheckVersion: inputs.govulncheckVersion, db: inputs.goVulnDb, scans }
  })
}

/**
 * `go install golang.org/x/vuln/cmd/govulncheck@VERSION` with the runner's Go: the go command
 * checks every module it downloads against the checksum database, which is the known digest of
 * a source release (the project publishes no binaries).
 */
async function installGovulncheck(version: string, gobin: string, env: Record<string, string>): Promise<string> {
  const go = await io.which('go', false)
  if (!go) throw new Error(`reachability needs Go on the runner to build govulncheck ${version} (GitHub's hosted runners have it): add actions/setup-go before this step, or set reachability: false`)
  fs.mkdirSync(gobin, { recursive: true })
  core.info(`go install ${installArgv(version)[1]} (the go command checks the module against the checksum database)`)
  await withRetry(() => run(go, installArgv(version), { env: { ...env, ...installEnv({ ...process.env, ...env }, gobin) }, silent: true }), { what: `go install govulncheck ${version}` })
  const bin = path.join(gobin, 'govulncheck')
  const said = await run(bin, ['-version'], { env, silent: true })
  if (!said.stdout.includes(`govulncheck@${version}`)) throw new Error(`the govulncheck go install built does not say it is ${version}: ${said.stdout.trim()}`)
  return bin
}

async function scanPlatform(r: ReachRun, govulncheck: string, platform: string, digest: string, pushed: Pushed, dir: string): Promise<ReachScan> {
  const ref = `${r.inputs.image.name}@${digest}`
  const manifest = await r.tools.raw(ref, { justPushed: true })
  const given = pushed.configs?.[platform]
  const config = hasConfig(given) ? given : await r.tools.config(ref, { justPushed: true })
  const check = await withRetry(() => checkPlatform(platform, config, manifest, (d) => r.api.blob(d)), { what: `locating the entrypoint of ${platform}` })
  if (!check.binary) return { platform, digest, skipped: `no ELF entrypoint to read (${check.line.replace(`${platform}: `, '')}); its Go findings, if any, are judged without reachability`, vulns: [] }
  const layer = (manifest.layers ?? []).find((l) => l.digest === check.binary?.layer)
  if (!layer?.digest) throw new Error(`${platform}: the layer ${check.binary.layer} holding ${check.binary.path} is not in the manifest`)
  const file = platform.replace(/\//g, '-')
  const bin = path.join(dir, `${file}-${path.basename(check.binary.path)}`)
  const layerDigest = layer.digest
  await withRetry(() => extractFile({ digest: layerDigest, mediaType: layer.mediaType ?? '', open: () => r.api.blob(layerDigest) }, check.binary?.path ?? '', bin), { what: `extracting ${check.binary.path} of ${platform}` })
  if (!isGoBinary(fs.readFileSync(bin))) {
    fs.rmSync(bin, { force: true })
    return { platform, digest, binary: check.binary.path, skipped: `${check.binary.path} is not a Go program (no Go build info), so govulncheck has nothing to read; its findings are judged without reachability`, vulns: [] }
  }
  const [json, vex] = await Promise.all(
    (['json', 'openvex'] as const).map((format) =>
      run(govulncheck, scanArgv(r.inputs.goVulnDb, format, bin), { env: r.env, silent: true }).catch((err: unknown) => {
        throw new Error(`govulncheck failed on ${platform} (${check.binary?.path}): ${(err as Error).message}\nNothing was judged, so nothing is signed. Check go-vuln-db (${r.inputs.goVulnDb}) and govulncheck-version.`, { cause: err })
      })
    )
  )
  const vulns = vulnsOf(json?.stdout ?? '')
  const doc = vexForImage(parseVex(vex?.stdout ?? ''), { author: `build-distroless-image with govulncheck ${r.inputs.govulncheckVersion}`, ref })
  const vexFile = path.join(dir, `${file}.openvex.json`)
  fs.writeFileSync(vexFile, JSON.stringify(doc, null, 2))
  fs.rmSync(bin, { force: true })
  return { platform, digest, binary: check.binary.path, vexFile, vulns }
}
