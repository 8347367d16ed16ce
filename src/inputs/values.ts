/** How input values are read: booleans, lists, KEY=VALUE lines, paths in the workspace. */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { InputError } from '../lib/errors.js'

/** Reads one input by name (core.getInput in the action, a table in tests). */
export type InputReader = (name: string) => string

/** Comma- or newline-separated list; blank entries and `#` comment lines dropped. */
export function list(value: string, sep: RegExp = /[,\n]/): string[] {
  return value
    .split(sep)
    .map((s) => s.trim())
    .filter((s) => s && !s.startsWith('#'))
}

const TRUE = ['true', 'True', 'TRUE']
const FALSE = ['false', 'False', 'FALSE']

export function bool(read: InputReader, name: string, fallback: boolean): boolean {
  const value = read(name).trim()
  if (!value) return fallback
  if (TRUE.includes(value)) return true
  if (FALSE.includes(value)) return false
  throw new InputError(name, `"${value}" is not a boolean: use true or false`)
}

/**
 * A boolean whose default depends on other inputs: `auto` (action.yml's declared default, so the
 * Marketplace and editors show one) or empty takes `auto`; `true` and `false` say it outright.
 */
export function autoBool(read: InputReader, name: string, auto: boolean): boolean {
  const value = read(name).trim()
  if (!value || value === 'auto') return auto
  if (TRUE.includes(value)) return true
  if (FALSE.includes(value)) return false
  throw new InputError(name, `"${value}" is not a boolean: use true, false or auto`)
}

export function keyValues(name: string, value: string, keyPattern: RegExp): Array<[string, string]> {
  const seen = new Set<string>()
  return list(value, /\n/).map((line) => {
    const eq = line.indexOf('=')
    const key = eq > 0 ? line.slice(0, eq).trim() : ''
    if (!key) throw new InputError(name, `"${line}" is not KEY=VALUE`)
    if (!keyPattern.test(key)) throw new InputError(name, `"${key}" is not a valid key`)
    if (seen.has(key)) throw new InputError(name, `"${key}" is given twice`)
    seen.add(key)
    return [key, line.slice(eq + 1)] as [string, string]
  })
}

/** A path that must resolve (symlinks followed) inside the workspace, to a file or directory. */
export function insideWorkspace(name: string, value: string, base: string, workspace: string, kind: 'file' | 'directory'): string {
  const resolved = path.resolve(base, value)
  let real: string
  try {
    real = fs.realpathSync(resolved)
  } catch {
    throw new InputError(name, `${kind} "${value}" does not exist (looked for ${resolved})`)
  }
  const realWorkspace = fs.realpathSync(workspace)
  if (real !== realWorkspace && !real.startsWith(realWorkspace + path.sep)) {
    throw new InputError(name, `"${value}" resolves to ${real}, outside the workspace ${realWorkspace}; use a path inside the repository`)
  }
  const stat = fs.statSync(real)
  if (kind === 'file' ? !stat.isFile() : !stat.isDirectory()) throw new InputError(name, `"${value}" is not a ${kind}`)
  return real
}
