/** Certificates and keys given as an input: PEM content or a file in the workspace; and where they are written. */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { InputError } from './errors.js'

/** A certificate or key given as a file in the workspace or as PEM content. */
export type Pem = { kind: 'file'; path: string } | { kind: 'pem'; content: string }

export function isPemContent(value: string): boolean {
  return value.startsWith('-----BEGIN')
}

/** Parses an input holding PEM content or a path; `what` says what else it could have been. */
export function parsePem(input: string, raw: string, workspace: string, what = 'PEM content nor an existing file'): Pem | undefined {
  const value = raw.trim()
  if (!value) return undefined
  if (isPemContent(value)) return { kind: 'pem', content: value + '\n' }
  const file = path.resolve(workspace, value)
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new InputError(input, `is neither ${what} (looked for ${file})`)
  return { kind: 'file', path: file }
}

/** Writes secret content readable by the runner's user only; post removes the directory. */
export function writePrivate(file: string, content: string): string {
  fs.writeFileSync(file, content, { mode: 0o600 })
  // writeFileSync keeps an existing file's mode: make sure.
  fs.chmodSync(file, 0o600)
  return file
}

/** Where a tool reads the PEM: its file, or a private copy of the content in `dir`. */
export function pemFile(p: Pem, dir: string, base: string): string {
  return p.kind === 'file' ? p.path : writePrivate(path.join(dir, base), p.content)
}
