/**
 * Architecture rules read from the Dockerfile before anything is built: a hard-coded GOARCH/GOOS
 * that contradicts a requested platform (its image would carry another platform's binary), and
 * Go compiled under QEMU where it could be cross-compiled (a notice, never a failure).
 */
import type { ParsedDockerfile, Stage } from './parse.js'
import { reachableStages } from './parse.js'
import type { Platform } from '../build/platform.js'
import type { GateFinding } from '../gates/verdict.js'

const BUILDPLATFORM = /^\$\{?BUILDPLATFORM\}?$/

/** `GOARCH=amd64`, `export GOARCH=amd64`, `env GOARCH=amd64 go build`, `ENV GOARCH amd64`: the literal values. */
export function goAssignments(keyword: 'RUN' | 'ENV', text: string): Array<{ name: 'GOARCH' | 'GOOS'; value: string }> {
  const found: Array<{ name: 'GOARCH' | 'GOOS'; value: string }> = []
  const joined = text.replace(/\\\r?\n/g, ' ')
  for (const m of joined.matchAll(/(?:^|[\s;&|(`])(GOARCH|GOOS)=(?:"([^"]*)"|'([^']*)'|([^\s;&|)`]*))/g)) {
    found.push({ name: m[1] as 'GOARCH' | 'GOOS', value: m[2] ?? m[3] ?? m[4] ?? '' })
  }
  if (keyword === 'ENV') {
    const legacy = /^\s*(GOARCH|GOOS)\s+(\S+)\s*$/.exec(joined)
    if (legacy) found.push({ name: legacy[1] as 'GOARCH' | 'GOOS', value: legacy[2] ?? '' })
  }
  // $TARGETARCH, ${TARGETOS}, $(go env GOARCH)...: decided per platform, fine.
  return found.filter((a) => a.value && !a.value.includes('$'))
}

const where = (df: string, s: Stage, line: number) => `${df}:${line} (stage ${s.name ? `"${s.name}"` : `#${s.index}`})`

/** Hard-coded GOARCH/GOOS in a stage the target builds, contradicting a requested platform. */
export function checkGoTargets(parsed: ParsedDockerfile, target: string, platforms: readonly Platform[], df: string): GateFinding[] {
  const findings: GateFinding[] = []
  for (const stage of reachableStages(parsed, target)) {
    for (const c of stage.commands) {
      for (const a of goAssignments(c.keyword, c.text)) {
        const wrong = platforms.find((p) => (a.name === 'GOARCH' ? p.arch : p.os) !== a.value)
        if (!wrong) continue
        const variable = a.name === 'GOARCH' ? 'TARGETARCH' : 'TARGETOS'
        findings.push({
          rule: 'go-target',
          level: 'error',
          message: `${where(df, stage, c.line)}: ${a.name}=${a.value} is hard-coded, but ${wrong.id} is requested: its image would carry a binary built for ${a.value}, which fails there with "exec format error". Write ${a.name}=$${variable} (with ARG ${variable} in the stage), so each platform builds its own.`
        })
      }
    }
  }
  return findings
}

const GO_BUILD = /(?:^|[\s;&|(])go\s+(?:build|install)\b/

/** Stages that run `go build`/`go install` on the target platform, for a foreign one: under QEMU. */
export function qemuGoNotices(parsed: ParsedDockerfile, target: string, platforms: readonly Platform[], native: readonly string[], df: string): GateFinding[] {
  const foreign = platforms.filter((p) => !native.includes(p.arch))
  if (!foreign.length) return []
  const notices: GateFinding[] = []
  for (const stage of reachableStages(parsed, target)) {
    if (BUILDPLATFORM.test(stage.platform)) continue
    const run = stage.commands.find((c) => c.keyword === 'RUN' && GO_BUILD.test(c.text.replace(/\\\r?\n/g, ' ')))
    if (!run) continue
    const alias = stage.name ? ` AS ${stage.name}` : ''
    notices.push({
      rule: 'go-under-qemu',
      level: 'notice',
      message: `${where(df, stage, run.line)}: go runs on the target platform here, so for ${foreign.map((p) => p.id).join(', ')} the whole Go toolchain runs under QEMU (often several times slower). To cross-compile instead, change the stage to:\n  FROM --platform=$BUILDPLATFORM ${stage.rawImage}${alias}\n  ARG TARGETOS TARGETARCH\nand build with GOOS=$TARGETOS GOARCH=$TARGETARCH (CGO_ENABLED=0). Keep QEMU only for cgo builds that need it.`
    })
  }
  return notices
}
