/** cosign, syft and trivy from their releases (or a mirror), verified by sha256 before use, via the tool cache. */
import * as core from '../lib/log.js'
import { startNow } from '../lib/background.js'
import * as tc from '@actions/tool-cache'
import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { ChecksumMismatchError, KNOWN_SHA256, checksumFor } from './checksums.js'

export type ToolName = 'cosign' | 'syft' | 'trivy'

export interface ToolSpec {
  name: ToolName
  /** Without the leading v. */
  version: string
  asset: string
  url: string
  checksumsUrl: string
  checksumsFile: string
  /** From the compiled-in table, for the default versions. */
  knownSha256?: string
  /** From the workflow's own `tools-checksums`: wins over the compiled-in table. */
  pinnedSha256?: string
  /** Tool-cache architecture (Node's process.arch). */
  arch: string
}

const GOARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64' }
const TRIVY_ARCH: Record<string, string> = { amd64: '64bit', arm64: 'ARM64' }

/** Each tool's release layout, as its goreleaser names the assets. */
const RELEASES: Record<ToolName, (version: string, goarch: string) => { repo: string; asset: string; checksumsFile: string }> = {
  cosign: (_v, arch) => ({ repo: 'sigstore/cosign', asset: `cosign-linux-${arch}`, checksumsFile: 'cosign_checksums.txt' }),
  syft: (v, arch) => ({ repo: 'anchore/syft', asset: `syft_${v}_linux_${arch}.tar.gz`, checksumsFile: `syft_${v}_checksums.txt` }),
  trivy: (v, arch) => ({ repo: 'aquasecurity/trivy', asset: `trivy_${v}_Linux-${TRIVY_ARCH[arch] ?? arch}.tar.gz`, checksumsFile: `trivy_${v}_checksums.txt` })
}

export function toolSpec(name: ToolName, version: string, toolsUrl: string, nodeArch: string, pins: Record<string, string> = {}): ToolSpec {
  const goarch = GOARCH[nodeArch]
  if (!goarch) throw new Error(`${name} has no release for this runner's architecture (${nodeArch}); use an x64 or arm64 runner`)
  const { repo, asset, checksumsFile } = RELEASES[name](version, goarch)
  const base = `${toolsUrl}/${repo}/releases/download/v${version}`
  return {
    name,
    version,
    asset,
    url: `${base}/${asset}`,
    checksumsUrl: `${base}/${checksumsFile}`,
    checksumsFile,
    knownSha256: KNOWN_SHA256[`${name}/${version}/${asset}`],
    pinnedSha256: pins[asset],
    arch: nodeArch
  }
}

/** Streamed, so a 100 MB binary neither blocks the event loop (the build is starting) nor sits in memory. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/**
 * The sha256 the asset must have: the workflow's own pin (a mirror serving tools built from
 * source), else the compiled-in one, else the release's checksums file. A checksums file comes
 * from the same server as the asset, so it is used only where nothing better is known.
 */
export function pinnedSha256(spec: ToolSpec): { sha: string; source: string } | undefined {
  if (spec.pinnedSha256) {
    if (spec.knownSha256 && spec.knownSha256 !== spec.pinnedSha256) {
      core.notice(`${spec.asset}: using the sha256 pinned in tools-checksums (${spec.pinnedSha256}), not the compiled-in one of ${spec.name} v${spec.version}'s release asset (${spec.knownSha256})`)
    }
    return { sha: spec.pinnedSha256, source: `tools-checksums input for ${spec.asset}` }
  }
  if (spec.knownSha256) return { sha: spec.knownSha256, source: `compiled-in table for ${spec.name} v${spec.version}` }
  return undefined
}

async function expectedSha256(spec: ToolSpec): Promise<{ sha: string; source: string }> {
  const pinned = pinnedSha256(spec)
  if (pinned) return pinned
  const file = await tc.downloadTool(spec.checksumsUrl)
  try {
    const sha = checksumFor(fs.readFileSync(file, 'utf8'), spec.asset)
    if (!sha) throw new Error(`${spec.checksumsFile} (${spec.checksumsUrl}) has no entry for ${spec.asset}`)
    return { sha, source: spec.checksumsFile }
  } finally {
    fs.rmSync(file, { force: true })
  }
}

export async function verifySha256(file: string, asset: string, expected: { sha: string; source: string }): Promise<void> {
  const actual = await sha256File(file)
  if (actual !== expected.sha) throw new ChecksumMismatchError(asset, expected.source, expected.sha, actual)
}

export interface Installed {
  path: string
  cached: boolean
}

/** A corrupted or truncated download is fetched again; a third mismatch is final. */
async function downloadVerified(spec: ToolSpec, expected: { sha: string; source: string }, attempts = 3): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const file = await tc.downloadTool(spec.url)
    try {
      await verifySha256(file, spec.asset, expected)
      return file
    } catch (err) {
      fs.rmSync(file, { force: true })
      if (!(err instanceof ChecksumMismatchError) || attempt >= attempts) throw err
      core.warning(`${err.message} Downloading again (attempt ${attempt + 1} of ${attempts}).`)
    }
  }
}

/** Returns the tool's binary; a tool-cache hit downloads nothing. */
export async function installTool(spec: ToolSpec): Promise<Installed> {
  const hit = tc.find(spec.name, spec.version, spec.arch)
  if (hit) {
    const bin = path.join(hit, spec.name)
    // A cached cosign of a pinned sha256 is checked again: cheap, and a tampered cache is caught.
    const pinned = spec.name === 'cosign' ? pinnedSha256(spec) : undefined
    if (pinned) await verifySha256(bin, spec.asset, { sha: pinned.sha, source: `${pinned.source} (tool cache)` })
    core.info(`${spec.name} v${spec.version}: tool cache hit at ${hit}`)
    return { path: bin, cached: true }
  }
  core.info(`${spec.name} v${spec.version}: downloading ${spec.url}`)
  const expected = await expectedSha256(spec)
  const file = await downloadVerified(spec, expected)
  try {
    core.info(`${spec.asset}: sha256 ${expected.sha} matches the ${expected.source}`)
    let dir: string
    if (spec.name === 'cosign') {
      fs.chmodSync(file, 0o755)
      dir = await tc.cacheFile(file, 'cosign', 'cosign', spec.version, spec.arch)
    } else {
      const extracted = await tc.extractTar(file)
      dir = await tc.cacheDir(extracted, spec.name, spec.version, spec.arch)
      fs.rmSync(extracted, { recursive: true, force: true })
    }
    return { path: path.join(dir, spec.name), cached: false }
  } finally {
    fs.rmSync(file, { force: true })
  }
}

/** The installed binaries the supply chain runs (absent: not asked for). */
export interface Tools {
  cosign?: string
  syft?: string
  trivy?: string
}

/**
 * Starts installing (or finding in the tool cache) what the supply chain will run; awaited only
 * after the push, so the downloads go on during QEMU, the builder and the build.
 */
export function startToolInstall(
  o: { push: boolean; sign: boolean; sbom: boolean; verifyBases?: boolean; cosignVersion: string; syftVersion: string; toolsUrl: string; toolsChecksums?: Record<string, string>; vulnerabilityGate?: string; trivyVersion?: string },
  nodeArch: string
): Promise<Tools> {
  // Bases are verified before the build whether or not anything is pushed.
  const wantCosign = (o.push && o.sign) || Boolean(o.verifyBases)
  const wantSyft = o.push && o.sbom
  // push: false scans the local build too (gates/local-step).
  const wantTrivy = o.vulnerabilityGate !== undefined && o.vulnerabilityGate !== 'off' && Boolean(o.trivyVersion)
  if (!wantCosign && !wantSyft && !wantTrivy) return Promise.resolve({})
  const install = async (): Promise<Tools> => {
    const [cosign, syft, trivy] = await Promise.all([
      wantCosign ? installTool(toolSpec('cosign', o.cosignVersion, o.toolsUrl, nodeArch, o.toolsChecksums)) : undefined,
      wantSyft ? installTool(toolSpec('syft', o.syftVersion, o.toolsUrl, nodeArch, o.toolsChecksums)) : undefined,
      wantTrivy ? installTool(toolSpec('trivy', o.trivyVersion ?? '', o.toolsUrl, nodeArch, o.toolsChecksums)) : undefined
    ])
    return { cosign: cosign?.path, syft: syft?.path, trivy: trivy?.path }
  }
  return startNow(install())
}
