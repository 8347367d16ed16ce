/** QEMU binfmt registration, only for platforms that need it and only when not already there. */
import * as core from '../lib/log.js'
import * as fs from 'node:fs'
import * as path from 'node:path'
import type { ParsedDockerfile } from '../dockerfile/parse.js'
import { reachableStages } from '../dockerfile/parse.js'
import { run } from '../lib/exec.js'
import type { Platform } from './platform.js'
import { binfmtName } from './platform.js'

export interface BinfmtEntry {
  enabled: boolean
  /** The F flag: the interpreter is opened at registration, so it works inside containers. */
  fixBinary: boolean
}

export type BinfmtReader = (arch: string) => BinfmtEntry | undefined

export function binfmtReader(root = '/proc/sys/fs/binfmt_misc'): BinfmtReader {
  return (arch) => {
    let text: string
    try {
      text = fs.readFileSync(path.join(root, binfmtName(arch)), 'utf8')
    } catch {
      return undefined
    }
    const flags = /^flags:\s*(\S*)/m.exec(text)?.[1] ?? ''
    return { enabled: /^enabled$/m.test(text), fixBinary: flags.includes('F') }
  }
}

export interface QemuPlan {
  /** Architectures to register with the binfmt image; empty means run nothing. */
  install: string[]
  /** One line each for the log and the summary: what was decided and why. */
  reasons: string[]
}

const BUILDPLATFORM = /^\$\{?BUILDPLATFORM\}?$/

/** Whether a stage the build runs has a RUN on the target platform (not pinned to $BUILDPLATFORM). */
export function runsOnTarget(parsed: ParsedDockerfile, target = ''): boolean {
  return reachableStages(parsed, target).some((s) => s.runLines.length > 0 && !BUILDPLATFORM.test(s.platform))
}

export function planQemu(platforms: readonly Platform[], native: readonly string[], binfmt: BinfmtReader, targetRuns: boolean, smokeRun = false): QemuPlan {
  const foreign = [...new Set(platforms.map((p) => p.arch).filter((a) => !native.includes(a)))]
  if (foreign.length === 0) return { install: [], reasons: [`QEMU skipped: every platform runs natively on this ${native[0]} runner`] }
  if (!targetRuns && !smokeRun) {
    return { install: [], reasons: [`QEMU skipped: no RUN executes on the target platform (every stage with a RUN is --platform=$BUILDPLATFORM), so ${foreign.join(', ')} ${foreign.length > 1 ? 'need' : 'needs'} no emulation`] }
  }
  const install: string[] = []
  const reasons: string[] = targetRuns ? [] : [`QEMU for the smoke run only: no RUN executes on the target platform, but the smoke run starts the ${foreign.join(', ')} image${foreign.length > 1 ? 's' : ''}`]
  for (const arch of foreign) {
    const entry = binfmt(arch)
    if (entry?.enabled) {
      reasons.push(`QEMU for ${arch}: already registered (${binfmtName(arch)}${entry.fixBinary ? '' : ', without the F flag: RUN steps in containers may fail'})`)
    } else {
      install.push(arch)
      reasons.push(`QEMU for ${arch}: not registered, installing`)
    }
  }
  return { install, reasons }
}

export async function installQemu(image: string, arches: readonly string[], env: Record<string, string>): Promise<void> {
  if (arches.length === 0) return
  await run('docker', ['run', '--rm', '--privileged', image, '--install', arches.join(',')], { env })
  core.info(`QEMU registered for ${arches.join(', ')} from ${image}`)
}
