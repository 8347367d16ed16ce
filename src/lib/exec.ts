import { errorMessage } from './errors.js'
import { info, isHeld } from './log.js'
import * as actionsExec from '@actions/exec'
import * as io from '@actions/io'
import * as fs from 'node:fs'
import * as path from 'node:path'

export interface RunOptions {
  /** Written to the command's stdin (used for passwords, never argv). */
  input?: string
  /** Added to (not replacing) the environment the action runs with. */
  env?: Record<string, string>
  cwd?: string
  /** Do not echo the command's output to the log (it is still captured). */
  silent?: boolean
  /** Return the result instead of throwing when the exit code is not 0. */
  allowFailure?: boolean
}

export interface RunResult {
  exitCode: number
  stdout: string
  stderr: string
}

const TAIL_LINES = 20

/** A command that exited non-zero; the message carries the tail of its stderr. */
export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly exitCode: number,
    readonly stderr: string,
    readonly stdout: string,
    options?: { cause?: unknown }
  ) {
    const tail = lastLines(stderr.trim() || stdout.trim(), TAIL_LINES)
    super(`${command} exited with code ${exitCode}${tail ? `:\n${tail}` : ''}`, options)
    this.name = 'CommandError'
  }
}

export function lastLines(text: string, n: number): string {
  const lines = text.split('\n')
  return lines.slice(Math.max(0, lines.length - n)).join('\n')
}

/** Runs argv (never a shell string) and checks the exit code. */
export async function run(file: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const label = [file, ...args.slice(0, 2)].join(' ')
  // Work running beside a phase that logs: the output goes to its held log, in one piece, not interleaved.
  const held = !opts.silent && isHeld()
  let result: actionsExec.ExecOutput
  try {
    result = await actionsExec.getExecOutput(file, [...args], {
      ignoreReturnCode: true,
      silent: held || (opts.silent ?? false),
      cwd: opts.cwd,
      env: opts.env ? mergeEnv(opts.env) : undefined,
      input: opts.input === undefined ? undefined : Buffer.from(opts.input)
    })
  } catch (err) {
    // Spawn failures (binary missing, not executable) land here, not as an exit code.
    throw new CommandError(label, -1, errorMessage(err), '', { cause: err })
  }
  if (held) {
    // As @actions/exec echoes it: the program's full path.
    const shown = file.includes('/') ? file : (await io.which(file, false)) || file
    info(`[command]${[shown, ...args].join(' ')}`)
    for (const text of [result.stdout, result.stderr]) if (text.trim()) info(text.replace(/\n$/, ''))
  }
  if (result.exitCode !== 0 && !opts.allowFailure) {
    throw new CommandError(label, result.exitCode, result.stderr, result.stdout)
  }
  return result
}

function mergeEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v
  return { ...env, ...extra }
}

/**
 * Sends SIGINT to this process's children whose command line contains `marker`, so a running
 * command can be stopped: @actions/exec gives no handle on the child, so it is found in /proc
 * (Linux runners) by its parent and an argument unique to the run. Returns how many were signalled.
 */
export function interruptChildren(marker: string, proc = '/proc', parent = process.pid): number {
  let signalled = 0
  let entries: string[]
  try {
    entries = fs.readdirSync(proc).filter((e) => /^\d+$/.test(e))
  } catch {
    return 0
  }
  for (const pid of entries) {
    try {
      const stat = fs.readFileSync(path.join(proc, pid, 'stat'), 'utf8')
      // pid (comm) state ppid …: comm may hold spaces and parentheses, so read after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid !== parent) continue
      const argv = fs.readFileSync(path.join(proc, pid, 'cmdline'), 'utf8').split('\0')
      if (!argv.some((a) => a.includes(marker))) continue
      process.kill(Number(pid), 'SIGINT')
      signalled++
    } catch {
      // The process ended meanwhile, or is not ours to read.
    }
  }
  return signalled
}
