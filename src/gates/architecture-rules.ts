/**
 * After the push, before anything is signed: each platform's main binary (ENTRYPOINT, else CMD)
 * must be an executable of that platform. Reads the ELF header from the layers, nothing more.
 */
import * as path from 'node:path/posix'
import type { Readable } from 'node:stream'
import type { Executable } from './elf.js'
import { ELF_HEADER_BYTES, elfMismatch, readExecutable } from './elf.js'
import type { Layer, SearchResult } from '../registry/layer-search.js'
import { findFileHead } from '../registry/layer-search.js'
import type { ImageConfig, RawManifest } from '../registry/manifest.js'
import type { GateFinding } from './verdict.js'

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

/** Where the runtime looks for the program: a path as given (from WorkingDir), or each PATH entry. */
export function programCandidates(config: ImageConfig): { program?: string; candidates: string[] } {
  const c = config.config ?? {}
  const program = c.Entrypoint?.[0] ?? c.Cmd?.[0]
  if (!program) return { candidates: [] }
  if (program.includes('/')) return { program, candidates: [path.resolve(c.WorkingDir || '/', program)] }
  const pathVar = (c.Env ?? []).find((e) => e.startsWith('PATH='))?.slice(5) ?? DEFAULT_PATH
  return { program, candidates: pathVar.split(':').filter((d) => d.startsWith('/')).map((d) => path.join(d, program)) }
}

export interface PlatformCheck {
  platform: string
  line: string
  finding?: GateFinding
}

function kb(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`
}

/** Judges one platform from what the search found. */
export function judgeExecutable(platform: string, program: string | undefined, result: SearchResult | undefined, exe: Executable | undefined, ms: number): PlatformCheck {
  if (!program) return { platform, line: `${platform}: no ENTRYPOINT or CMD: the architecture check has nothing to read` }
  const cost = result ? ` (read ${kb(result.bytesRead)} of ${result.layersOpened} layer${result.layersOpened === 1 ? '' : 's'} in ${ms} ms)` : ''
  if (!result?.found || !exe) return { platform, line: `${platform}: ${program} is not in the image's layers; not checked${cost}` }
  const file = result.found.path
  if (exe.kind === 'script') return { platform, line: `${platform}: ${file} is a script (#!${exe.interpreter}); not checked${cost}` }
  if (exe.kind === 'other') return { platform, line: `${platform}: ${file} is not an ELF executable; not checked${cost}` }
  const wrong = elfMismatch(platform, exe)
  if (!wrong) return { platform, line: `${platform}: ${file} is ${exe.description}, as the platform needs${cost}` }
  return {
    platform,
    line: `${platform}: ${file} is ${wrong.found}${cost}`,
    finding: {
      rule: 'architecture',
      level: 'error',
      message: `${platform}: the image's main binary ${file} is ${wrong.found}, but ${platform} needs ${wrong.expected}; on a ${platform} node it fails with "exec format error". Build it for the target (GOARCH=$TARGETARCH, GOOS=$TARGETOS) instead of copying or compiling one architecture's binary into every image.`
    }
  }
}

/** Checks one platform: manifest layers (top first) opened through `openBlob`. */
export async function checkPlatform(platform: string, config: ImageConfig, manifest: RawManifest, openBlob: (digest: string) => Promise<Readable>): Promise<PlatformCheck> {
  const { program, candidates } = programCandidates(config)
  if (!program) return judgeExecutable(platform, undefined, undefined, undefined, 0)
  const layers: Layer[] = (manifest.layers ?? [])
    .map((l) => ({ digest: l.digest ?? '', mediaType: l.mediaType ?? '', open: () => openBlob(l.digest ?? '') }))
    .reverse()
  const start = Date.now()
  const result = await findFileHead(layers, candidates, ELF_HEADER_BYTES)
  const exe = result.found ? readExecutable(result.found.head) : undefined
  return judgeExecutable(platform, program, result, exe, Date.now() - start)
}
