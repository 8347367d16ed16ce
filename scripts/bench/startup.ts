// Start-up cost of a bundle: the time from spawning `node BUNDLE` to its first command, and the
// peak RSS of node at that moment. The first command is caught by a stand-in `docker` first on
// PATH that writes the clock and node's VmHWM (/proc/PPID/status), then ends node: what it would
// do next (the tool downloads it started, say) is not part of its start-up.
import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

export interface StartupRun {
  ms: number
  rssKb: number
  command: string
}

const CATCHER = `#!/bin/sh
t=$(date +%s%N)
hwm=$(sed -n 's/^VmHWM:[[:space:]]*\\([0-9]*\\).*/\\1/p' /proc/$PPID/status)
# noclobber: only the first of commands started at once records, and ends node
if (set -C; echo "$t $hwm $*" >"$BENCH_FIRST") 2>/dev/null; then kill -9 "$PPID"; fi
exit 1
`

/** Runs `node bundle` `runs` times with `env` (INPUT_* and the runner's variables). */
export function measureStartup(node: string, bundle: string, env: Record<string, string>, runs: number): StartupRun[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-bench-startup-'))
  const bin = path.join(dir, 'bin')
  fs.mkdirSync(bin)
  for (const name of ['docker', 'git']) fs.writeFileSync(path.join(bin, name), CATCHER, { mode: 0o755 })
  const out: StartupRun[] = []
  try {
    for (let i = 0; i < runs; i++) {
      const first = path.join(dir, `first-${i}`)
      const runnerTemp = fs.mkdtempSync(path.join(dir, 'temp-'))
      const wallStart = BigInt(Date.now()) * 1_000_000n
      spawnSync(node, [path.resolve(bundle)], {
        env: { ...env, PATH: `${bin}:/usr/bin:/bin`, BENCH_FIRST: first, RUNNER_TEMP: runnerTemp },
        cwd: env.GITHUB_WORKSPACE,
        stdio: process.env.BDI_BENCH_DEBUG ? 'inherit' : 'ignore',
        timeout: 30_000
      })
      if (!fs.existsSync(first)) throw new Error(`${bundle} ran no command (run ${i + 1}); check the inputs the benchmark gives it`)
      const [t = '0', hwm = '0', ...command] = fs.readFileSync(first, 'utf8').trim().split(' ')
      out.push({ ms: Number((BigInt(t) - wallStart) / 1_000_000n), rssKb: Number(hwm), command: command.join(' ') })
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
  return out
}

/** Load and exit: a bundle run with no inputs, as docker/build-push-action was measured. */
export function measureLoadAndExit(node: string, args: string[], env: Record<string, string>, runs: number): Array<{ ms: number; rssKb: number }> {
  const out: Array<{ ms: number; rssKb: number }> = []
  for (let i = 0; i < runs; i++) {
    const r = spawnSync('/usr/bin/time', ['-f', '%e %M', node, ...args], { env, encoding: 'utf8', timeout: 30_000 })
    const last = (r.stderr ?? '').trim().split('\n').pop() ?? ''
    const [secs = '0', kb = '0'] = last.split(' ')
    out.push({ ms: Math.round(Number(secs) * 1000), rssKb: Number(kb) })
  }
  return out
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 ? (s[mid] ?? 0) : Math.round(((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2)
}
