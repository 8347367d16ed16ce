/**
 * The build-secrets slice, with build-push-action's names so migrating is a rename at most:
 * `secrets`, `secret-files`, `secret-envs`, `ssh`, `github-token`. No value ever goes on a command
 * line or into an error message: errors name the input and the line.
 */
import * as path from 'node:path'
import { InputError } from '../lib/errors.js'
import type { InputReader } from './values.js'
import { insideWorkspace, list } from './values.js'

export interface BuildSecret {
  id: string
  /** Given as a value: written to a 0600 file at build time (removed in post). */
  value?: string
  /** A file that holds it. */
  file?: string
  /** An environment variable of the step that holds it. */
  env?: string
}

export interface SecretsInputs {
  buildSecrets: BuildSecret[]
  /** buildx `--ssh` specs: `default`, `default=$SSH_AUTH_SOCK`, `github=/path/key`. */
  ssh: string[]
}

const ID = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** `ID=REST` lines; the error names the line number, never its text (it may hold the secret). */
function idLines(input: string, value: string): Array<{ id: string; rest: string; line: number }> {
  return value
    .split('\n')
    .map((l, i) => ({ text: l.trim(), line: i + 1 }))
    .filter((l) => l.text && !l.text.startsWith('#'))
    .map(({ text, line }) => {
      const eq = text.indexOf('=')
      const id = eq > 0 ? text.slice(0, eq).trim() : ''
      if (!ID.test(id) || eq === text.length - 1) throw new InputError(input, `line ${line} is not ID=VALUE with an ID of letters, digits, "_", "." and "-"`)
      return { id, rest: text.slice(eq + 1), line }
    })
}

export function parseSecretsInputs(read: InputReader, workspace: string, runnerTemp: string): SecretsInputs {
  const buildSecrets: BuildSecret[] = []
  const add = (input: string, s: BuildSecret) => {
    if (buildSecrets.some((b) => b.id === s.id)) throw new InputError(input, `secret id "${s.id}" is given twice (across secrets, secret-files, secret-envs and github-token)`)
    buildSecrets.push(s)
  }
  for (const { id, rest } of idLines('secrets', read('secrets'))) add('secrets', { id, value: rest })
  for (const { id, rest, line } of idLines('secret-files', read('secret-files'))) add('secret-files', { id, file: secretFile(line, rest.trim(), workspace, runnerTemp) })
  for (const { id, rest, line } of idLines('secret-envs', read('secret-envs'))) {
    if (!ENV_NAME.test(rest.trim())) throw new InputError('secret-envs', `line ${line}: "${rest.trim()}" is not an environment variable name`)
    add('secret-envs', { id, env: rest.trim() })
  }
  const token = read('github-token')
  // build-push-action's name for it: git inside the build reads it to reach private repositories.
  if (token) add('github-token', { id: 'GIT_AUTH_TOKEN', value: token })
  const ssh = list(read('ssh'), /\n/).map((spec) => {
    if (!/^[A-Za-z0-9_.-]+(=[^=\s]+)?$/.test(spec)) throw new InputError('ssh', `"${spec}" is not a buildx --ssh spec such as default or default=$SSH_AUTH_SOCK`)
    return spec
  })
  return { buildSecrets, ssh }
}

/** A file in the workspace or RUNNER_TEMP, symlinks followed (insideWorkspace's rule, for either root). */
function secretFile(line: number, value: string, workspace: string, runnerTemp: string): string {
  const file = path.resolve(workspace, value)
  for (const root of [workspace, runnerTemp]) {
    try {
      return insideWorkspace('secret-files', file, root, root, 'file')
    } catch {
      // not there: the other root
    }
  }
  throw new InputError('secret-files', `line ${line}: ${file} is not a file inside the workspace or RUNNER_TEMP (symlinks followed); put the file in one of them`)
}

/** The values to mask: every secret given inline (the runner masks line by line, so each alone). */
export function secretValues(s: SecretsInputs): string[] {
  return s.buildSecrets.flatMap((b) => (b.value ? [b.value] : []))
}
