/**
 * After the push, before anything is signed: each platform's main program (ENTRYPOINT, else CMD)
 * must be one the platform can start. Reads the file the runtime would run, and only its first
 * bytes (the ELF header, or the `#!` line), from the layers.
 */
import * as path from 'node:path/posix'
import type { Readable } from 'node:stream'
import type { Executable } from './elf.js'
import { EXECUTABLE_HEAD_BYTES, elfMismatch, readExecutable } from './elf.js'
import type { Found, Layer, Resolution } from '../registry/layer-search.js'
import { ImageFs } from '../registry/layer-search.js'
import type { ImageConfig, RawManifest } from '../registry/manifest.js'
import type { GateFinding } from './verdict.js'

/** The PATH a container gets when its image sets none (moby's and containerd's oci.DefaultPathEnv). */
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

/** binfmt_script's BINPRM_MAX_RECURSION: a script's interpreter may be a script, four levels deep. */
const MAX_INTERPRETERS = 4

/*
 * How the runtime finds the program, in one place. runc's init changes to the config's WorkingDir
 * and looks the first argument up as Go's exec.LookPath does, in the container's environment: a
 * name with a slash is that path (relative ones from WorkingDir); a bare name is tried in each
 * directory of the image's PATH (the default PATH when it sets none), in order, and the first
 * where it is an executable regular file, symlinks followed, wins (an empty or relative entry is
 * taken from WorkingDir). The kernel's execve then needs an executable regular file, and runs a
 * `#!` script through its interpreter (a path, not looked up in PATH; `env` then looks its program
 * up in PATH), and a dynamically linked ELF through its PT_INTERP loader (a path): a loader that is
 * not in the image is the "no such file or directory" of a glibc binary on a static base. The image's layers are merged as the OCI image spec says (registry/layer-search).
 */

/** Where the runtime looks for the program: a path as given (from WorkingDir), or each PATH entry in order. */
export function programCandidates(config: ImageConfig): { program?: string; candidates: string[]; lookedUp: boolean } {
  const c = config.config ?? {}
  const program = c.Entrypoint?.[0] ?? c.Cmd?.[0]
  if (!program) return { candidates: [], lookedUp: false }
  const cwd = c.WorkingDir || '/'
  if (program.includes('/')) return { program, candidates: [path.resolve(cwd, program)], lookedUp: false }
  return { program, candidates: pathDirs(config).map((d) => path.resolve(cwd, d, program)), lookedUp: true }
}

/** The container's PATH: the first PATH= of the image's Env (the one Go's getenv sees), else the default. */
function pathDirs(config: ImageConfig): string[] {
  const pathVar = (config.config?.Env ?? []).find((e) => e.startsWith('PATH='))?.slice(5) ?? DEFAULT_PATH
  return pathVar.split(':')
}

export interface PlatformCheck {
  platform: string
  line: string
  finding?: GateFinding
  /** The ELF file the platform runs in the end (the program, or the one its scripts run), and the layer holding it. */
  binary?: { path: string; layer: string }
}

const executable = (f: Found) => (f.mode & 0o111) !== 0

function kb(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`
}

/** What a lookup found: the file the runtime runs, or why it cannot start. */
type Located = { file: Found } | { cannot: string }

/** The file a name with a slash, or a bare name in PATH, starts (as runc finds it). */
async function locate(fs: ImageFs, candidates: string[], lookedUp: boolean, program: string): Promise<Located> {
  fs.expect(candidates)
  if (!lookedUp) {
    const target = candidates[0] ?? program
    const r = await fs.resolve(target)
    if ('missing' in r) return { cannot: missingWhy(target, r) }
    if (!executable(r.found)) return { cannot: `${r.found.path} is not executable (mode ${(r.found.mode & 0o7777).toString(8).padStart(4, '0')}): "permission denied"` }
    return { file: r.found }
  }
  const skipped: string[] = []
  for (const c of candidates) {
    const r = await fs.resolve(c)
    if ('found' in r && executable(r.found)) return { file: r.found }
    if ('found' in r) skipped.push(`${c} is not executable`)
    else if (r.why !== 'absent') skipped.push(missingWhy(c, r))
  }
  return { cannot: `no executable ${program} in the image's PATH (${candidates.map((c) => path.dirname(c)).join(':')})${skipped.length ? `; ${skipped.join('; ')}` : ''}: "executable file not found in $PATH"` }
}

function missingWhy(target: string, r: Extract<Resolution, { missing: string }>): string {
  if (r.why === 'absent') return r.missing === target ? `${target} is not in the image: "no such file or directory"` : `${target} is not in the image (${r.missing} is not): "no such file or directory"`
  return `${target} cannot be run: ${r.missing} is ${r.why}`
}

interface Chain {
  /** The main program, then each interpreter it runs through. */
  files: Array<{ file: Found; exe: Executable; loader?: true }>
  cannot?: string
}

/** A dynamically linked ELF's loader, as the kernel opens it (a path, symlinks followed). */
async function withLoader(fs: ImageFs, chain: Chain): Promise<Chain> {
  const last = chain.files[chain.files.length - 1]
  if (chain.cannot || !last || last.exe.kind !== 'elf' || !last.exe.loader) return chain
  const loader = last.exe.loader
  const r = await fs.resolve(loader)
  if ('missing' in r) return { ...chain, cannot: `${last.file.path} is dynamically linked, and its loader ${missingWhy(loader, r)} (build it static, e.g. CGO_ENABLED=0, or use a base with its C library, such as gcr.io/distroless/base or cc)` }
  return { files: [...chain.files, { file: r.found, exe: readExecutable(r.found.head), loader: true }] }
}

/** The program and the interpreters the kernel runs it through (and the program `env` runs), as far as they go. */
async function follow(fs: ImageFs, config: ImageConfig, first: Found): Promise<Chain> {
  const cwd = config.config?.WorkingDir || '/'
  const files: Chain['files'] = []
  let file = first
  for (let depth = 0; ; depth++) {
    const exe = readExecutable(file.head)
    files.push({ file, exe })
    if (exe.kind !== 'script') return withLoader(fs, { files })
    if (depth === MAX_INTERPRETERS) return { files, cannot: `${first.path} runs through more than ${MAX_INTERPRETERS} interpreters: "too many levels of symbolic links"` }
    const next = await locate(fs, [path.resolve(cwd, exe.interpreter)], false, exe.interpreter)
    if ('cannot' in next) return { files, cannot: `${file.path} is a script whose interpreter ${next.cannot}` }
    // `#!/usr/bin/env NAME`: env looks NAME up in the container's PATH and runs it.
    if (path.basename(exe.interpreter) === 'env' && exe.arg && !exe.arg.startsWith('-')) {
      const name = exe.arg.split(/\s+/)[0] as string
      const envExe = readExecutable(next.file.head)
      files.push({ file: next.file, exe: envExe })
      if (envExe.kind !== 'elf') return withLoader(fs, { files })
      const target = await locate(fs, name.includes('/') ? [path.resolve(cwd, name)] : pathDirs(config).map((d) => path.resolve(cwd, d, name)), !name.includes('/'), name)
      if ('cannot' in target) return { files, cannot: `${file.path} runs ${name} through env, and ${target.cannot}` }
      file = target.file
      continue
    }
    file = next.file
  }
}

function refuse(platform: string, line: string, message: string): PlatformCheck {
  return { platform, line, finding: { rule: 'architecture', level: 'error', message } }
}

/** Judges one platform from the chain the lookup followed. */
export function judgeChain(platform: string, program: string | undefined, chain: Chain | undefined, cost: string): PlatformCheck {
  if (!program || !chain) return { platform, line: `${platform}: no ENTRYPOINT or CMD: the architecture check has nothing to read` }
  const start = chain.files[0]
  if (chain.cannot || !start) {
    const why = chain.cannot ?? `${program} is not in the image`
    return refuse(platform, `${platform}: ${why}${cost}`, `${platform}: the image's entrypoint ${program} cannot start: ${why}. The container fails before it runs; copy the program into the image for this platform (and mark it executable), or fix ENTRYPOINT/CMD.`)
  }
  const via = chain.files.length > 1 ? ` (run through ${chain.files.slice(1).map((f) => f.file.path).join(', then ')})` : ''
  for (const { file, exe } of chain.files) {
    if (exe.kind === 'script') continue
    if (exe.kind === 'other') {
      const line = `${platform}: ${file.path} is neither an ELF executable nor a #! script${cost}`
      return refuse(platform, line, `${platform}: the image's main program ${file.path}${file === start.file ? '' : `, which runs ${start.file.path},`} is neither an ELF executable nor a #! script; on a ${platform} node it fails with "exec format error".`)
    }
    const wrong = elfMismatch(platform, exe)
    if (!wrong) continue
    const loaded = chain.files.find((f) => f.loader)
    const role =
      file === start.file
        ? `the image's main binary ${file.path}`
        : loaded?.file === file
          ? `the image's main program ${start.file.path} is dynamically linked and loaded by ${file.path}, which`
          : `the image's main program ${start.file.path} is a script run by ${file.path}, which`
    return refuse(
      platform,
      `${platform}: ${file.path} is ${wrong.found}${cost}`,
      `${platform}: ${role} is ${wrong.found}, but ${platform} needs ${wrong.expected}; on a ${platform} node it fails with "exec format error". Build it for the target (GOARCH=$TARGETARCH, GOOS=$TARGETOS) instead of copying or compiling one architecture's binary into every image.`
    )
  }
  const last = chain.files[chain.files.length - 1] as Chain['files'][number]
  const described = last.exe.kind === 'elf' ? last.exe.description : 'a program'
  // The program reachability reads: the last ELF of the chain that is not the dynamic loader.
  const ran = [...chain.files].reverse().find((f) => !f.loader && f.exe.kind === 'elf')
  const binary = ran ? { binary: { path: ran.file.path, layer: ran.file.layer } } : {}
  if (last === start) return { platform, line: `${platform}: ${start.file.path} is ${described}, as the platform needs${cost}`, ...binary }
  if (last.loader && chain.files.length === 2) return { platform, line: `${platform}: ${start.file.path} and its loader ${last.file.path} are ${described}, as the platform needs${cost}`, ...binary }
  return { platform, line: `${platform}: ${start.file.path} is a script${via}; ${last.file.path} is ${described}, as the platform needs${cost}`, ...binary }
}

/** The image config as buildx or the registry gave it: an object without any of its fields is none. */
export function hasConfig(config: ImageConfig | undefined): config is ImageConfig {
  return Boolean(config && ['config', 'os', 'architecture', 'rootfs'].some((k) => k in config))
}

/** Checks one platform: manifest layers (top first) opened through `openBlob`. */
export async function checkPlatform(platform: string, config: ImageConfig | undefined, manifest: RawManifest, openBlob: (digest: string) => Promise<Readable>): Promise<PlatformCheck> {
  // Without the config there is no telling what the image runs: an error, never "nothing to read".
  if (!hasConfig(config)) throw new Error(`${platform}: the pushed image's config could not be read, so the architecture check cannot tell what it runs`)
  const { program, candidates, lookedUp } = programCandidates(config)
  if (!program) return judgeChain(platform, undefined, undefined, '')
  const layers: Layer[] = (manifest.layers ?? [])
    .map((l) => ({ digest: l.digest ?? '', mediaType: l.mediaType ?? '', open: () => openBlob(l.digest ?? '') }))
    .reverse()
  const start = Date.now()
  const fs = new ImageFs(layers, EXECUTABLE_HEAD_BYTES)
  const found = await locate(fs, candidates, lookedUp, program)
  const chain: Chain = 'cannot' in found ? { files: [], cannot: found.cannot } : await follow(fs, config, found.file)
  const cost = ` (read ${kb(fs.bytesRead)} of ${fs.layersOpened} layer${fs.layersOpened === 1 ? '' : 's'} in ${Date.now() - start} ms)`
  return judgeChain(platform, program, chain, cost)
}
