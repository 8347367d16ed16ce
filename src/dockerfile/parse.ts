/** The parts of a Dockerfile the action reasons about: stages, their bases, platforms and RUNs. */
import type { Add, Arg, Copy, Run } from 'dockerfile-ast'
import { DockerfileParser } from 'dockerfile-ast'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { InputError } from '../lib/errors.js'

export interface Stage {
  /** 0-based position among the FROMs. */
  index: number
  /** The `AS name` alias, lower-cased as BuildKit matches it; empty when unnamed. */
  name: string
  /** 1-based line of the FROM. */
  line: number
  /** The FROM image as written. */
  rawImage: string
  /** The FROM image with global ARGs (defaults, then build-args) substituted. */
  image: string
  /** The `--platform=` value as written, or empty. */
  platform: string
  /** RUN instructions in this stage (1-based lines). */
  runLines: number[]
  /** RUN and ENV instructions with their text, for the architecture rules. */
  commands: Array<{ keyword: 'RUN' | 'ENV'; line: number; text: string }>
  /** The last USER in this stage, or empty. */
  user: string
  userLine: number
  /** ENTRYPOINT / CMD of this stage, with whether they are in JSON (exec) form. */
  entrypoint?: { json: boolean; line: number }
  cmd?: { json: boolean; line: number }
  /** Stages or images this stage reads: `COPY --from=` and `RUN --mount=from=` (lower-cased). */
  uses: string[]
  /** The same reads as written (an image's tag keeps its case), with how and where. */
  reads: StageRead[]
  /** `ADD` of a URL or a Git repository: content from outside, checked only by `--checksum`. */
  remoteAdds: Array<{ line: number; source: string; checksum: boolean }>
}

/** A `COPY --from=<ref>` or `RUN --mount=...,from=<ref>` of a stage: another stage, or an image. */
export interface StageRead {
  ref: string
  how: 'COPY --from' | 'RUN --mount'
  /** 1-based line. */
  line: number
}

export interface ParsedDockerfile {
  stages: Stage[]
  /** Global ARGs (before the first FROM) with their defaults. */
  globalArgs: Record<string, string>
  /** Every ARG the file declares, before the first FROM or in a stage. */
  declaredArgs: string[]
  /** The frontend image BuildKit runs to read the file: a `# syntax=` line, or the BUILDKIT_SYNTAX build-arg. */
  syntax?: string
}

export function parseDockerfile(content: string, buildArgs: Record<string, string> = {}): ParsedDockerfile {
  const df = DockerfileParser.parse(content)
  const globalArgs: Record<string, string> = {}
  for (const arg of df.getInitialARGs()) {
    for (const prop of arg.getProperties()) {
      const name = prop.getName()
      globalArgs[name] = prop.getValue() ?? ''
    }
  }
  const scope = { ...globalArgs }
  for (const [k, v] of Object.entries(buildArgs)) if (k in scope) scope[k] = v

  const froms = df.getFROMs()
  const instructions = df.getInstructions()
  const stages: Stage[] = froms.map((from, index) => {
    const line = from.getRange().start.line
    const nextLine = froms[index + 1]?.getRange().start.line ?? Number.MAX_SAFE_INTEGER
    const own = instructions.filter((i) => {
      const l = i.getRange().start.line
      return l > line && l < nextLine
    })
    const rawImage = from.getImage() ?? ''
    const stage: Stage = {
      index,
      name: (from.getBuildStage() ?? '').toLowerCase(),
      line: line + 1,
      rawImage,
      image: substitute(rawImage, scope),
      platform: from.getPlatformFlag()?.getValue() ?? '',
      runLines: [],
      commands: [],
      user: '',
      userLine: 0,
      uses: [],
      reads: [],
      remoteAdds: []
    }
    for (const ins of own) {
      const keyword = ins.getKeyword().toUpperCase()
      const l = ins.getRange().start.line + 1
      if (keyword === 'COPY') {
        const from = (ins as Copy).getFromFlag()?.getValue()
        if (from) {
          stage.uses.push(from.toLowerCase())
          stage.reads.push({ ref: from, how: 'COPY --from', line: l })
        }
      }
      if (keyword === 'ADD') {
        const add = ins as Add
        const checksum = add.getFlags().some((f) => f.getName() === 'checksum' && Boolean(f.getValue()))
        // Every argument but the last is a source (JSON or plain form).
        const json = add.getOpeningBracket() ? add.getJSONStrings().map((a) => a.getJSONValue()) : undefined
        const sources = (json ?? add.getArguments().map((a) => a.getValue())).slice(0, -1)
        for (const source of sources.filter(isRemoteSource)) stage.remoteAdds.push({ line: l, source, checksum })
      }
      if (keyword === 'RUN' || keyword === 'ENV') stage.commands.push({ keyword, line: l, text: ins.getArgumentsContent() ?? '' })
      if (keyword === 'RUN') {
        stage.runLines.push(l)
        for (const flag of (ins as Run).getFlags()) {
          const from = flag.getName() === 'mount' ? flag.getOption('from')?.getValue() : undefined
          if (from) {
            stage.uses.push(from.toLowerCase())
            stage.reads.push({ ref: from, how: 'RUN --mount', line: l })
          }
        }
      }
      else if (keyword === 'USER') {
        stage.user = (ins.getArgumentsContent() ?? '').trim()
        stage.userLine = l
      } else if (keyword === 'ENTRYPOINT' || keyword === 'CMD') {
        const json = (ins.getArgumentsContent() ?? '').trim().startsWith('[')
        stage[keyword === 'ENTRYPOINT' ? 'entrypoint' : 'cmd'] = { json, line: l }
      }
    }
    return stage
  })
  // A stage built FROM an earlier stage is built for that stage's platform (BuildKit), unless it says otherwise.
  for (const stage of stages) {
    const parent = stage.platform ? undefined : stages.find((p) => p.index < stage.index && (p.name === stage.image.toLowerCase() || String(p.index) === stage.image))
    if (parent) stage.platform = parent.platform
  }
  const directive = df.getDirectives().find((d) => d.getName().toLowerCase() === 'syntax')?.getValue().trim()
  const syntax = buildArgs.BUILDKIT_SYNTAX || directive || undefined
  const declaredArgs = [...new Set(df.getInstructions().filter((i) => i.getKeyword().toUpperCase() === 'ARG').flatMap((i) => (i as Arg).getProperties().map((p) => p.getName())))]
  return syntax ? { stages, globalArgs, declaredArgs, syntax } : { stages, globalArgs, declaredArgs }
}

/** An `ADD` source BuildKit fetches rather than takes from the context: http(s), git://, ssh:// or git@. */
export function isRemoteSource(source: string): boolean {
  return /^(https?|git|ssh):\/\//i.test(source) || /^git@/.test(source)
}

/** `$VAR`, `${VAR}`, `${VAR:-default}` and `${VAR:+alt}` as BuildKit expands them in FROM. */
export function substitute(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([-+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_m, braced: string | undefined, op: string | undefined, word: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare ?? ''
    const value = vars[name] ?? ''
    if (op === '-') return value || (word ?? '')
    if (op === '+') return value ? (word ?? '') : ''
    return value
  })
}

/** The stage a build ends in: the named target, or the last one. */
export function finalStage(parsed: ParsedDockerfile, target: string): Stage | undefined {
  if (!target) return parsed.stages[parsed.stages.length - 1]
  return parsed.stages.find((s) => s.name === target.toLowerCase())
}

/**
 * The stage a `COPY --from=` or `RUN --mount=from=` names, as BuildKit's dockerfile2llb (toCommand)
 * finds it: a number is a stage index, a name any stage's (a later one too, since every stage is
 * registered before the commands are read), and anything else is an image.
 */
export function readStage(parsed: ParsedDockerfile, ref: string): Stage | undefined {
  const lower = ref.toLowerCase()
  if (/^[+-]?\d+$/.test(lower)) return parsed.stages[Number(lower)]
  return parsed.stages.find((s) => s.name === lower)
}

/** A `--from` value BuildKit reads as a stage index (an index it does not have fails the build, it is no image). */
const isIndex = (ref: string) => /^[+-]?\d+$/.test(ref)

/**
 * The stages a build of `target` runs, as BuildKit prunes them: the final stage and every stage it
 * reaches through FROM <earlier stage>, COPY --from=<stage|index> and RUN --mount=from=<stage>.
 */
export function reachableStages(parsed: ParsedDockerfile, target: string): Stage[] {
  const start = finalStage(parsed, target)
  if (!start) return []
  // FROM sees only the stages before it (BuildKit registers a stage's name after its FROM).
  const fromStage = (ref: string, before: number) => parsed.stages.find((s) => s.index < before && (s.name === ref || String(s.index) === ref))
  const seen = new Set<Stage>()
  const walk = (s: Stage) => {
    if (seen.has(s)) return
    seen.add(s)
    const deps = [fromStage(s.image.toLowerCase(), s.index), ...s.reads.map((r) => readStage(parsed, r.ref))]
    for (const dep of deps) if (dep) walk(dep)
  }
  walk(start)
  return parsed.stages.filter((s) => seen.has(s))
}

/**
 * An image a stage the target reaches reads: its FROM (not scratch, not another stage), or an
 * image named in `COPY --from=` / `RUN --mount=from=` (anything that is not a stage). BuildKit
 * builds both the same way, and a binary copied out of an image is as much the build's input as
 * the base under it.
 */
export interface ExternalBase {
  stage: ParsedDockerfile['stages'][number]
  /** The stage's name, or `#index`; for a read, with how and the line. */
  label: string
  /** The image, global ARGs and build-args substituted (a read as written). */
  image: string
  /** The image as written. */
  rawImage: string
  /** Set when the stage reads the image (COPY --from, RUN --mount); unset for its FROM. */
  read?: StageRead
  /**
   * The parser cannot name the image before the build: a FROM through BuildKit's automatic
   * platform ARGs, or a `--from` through a variable (which BuildKit does not expand).
   */
  platformDependent: boolean
}

/** The one list of external bases that base verification and the refresh records both start from. */
export function externalBases(parsed: ParsedDockerfile, target = ''): ExternalBase[] {
  const names = new Set(parsed.stages.map((s) => s.name).filter(Boolean))
  const out: ExternalBase[] = []
  for (const stage of reachableStages(parsed, target)) {
    const label = stage.name || `#${stage.index}`
    const lower = stage.image.toLowerCase()
    // `FROM 0` names an earlier stage by its index.
    if (lower !== 'scratch' && !names.has(lower) && !parsed.stages.some((o) => o.index < stage.index && String(o.index) === lower)) {
      out.push({ stage, label, image: stage.image, rawImage: stage.rawImage, platformDependent: stage.image.includes('$') || /\$\{?(TARGET|BUILD)(PLATFORM|OS|ARCH|VARIANT)\b/.test(stage.rawImage) })
    }
    for (const read of stage.reads) {
      if (isIndex(read.ref) || readStage(parsed, read.ref)) continue
      out.push({ stage, label: `${label} (${read.how}, line ${read.line})`, image: read.ref, rawImage: read.ref, read, platformDependent: read.ref.includes('$') })
    }
  }
  return out
}

export function stageNames(parsed: ParsedDockerfile): string[] {
  return parsed.stages.map((s) => s.name).filter(Boolean)
}

/** How errors name the Dockerfile: the template, or its path in the workspace. */
export function dockerfileLabel(file: string, workspace: string, template?: string): string {
  return template ? `template ${template} (dockerfiles/Dockerfile.${template})` : path.relative(workspace, file) || file
}

/** The Dockerfile, read once, and how errors name it. */
export interface LoadedDockerfile {
  parsed: ParsedDockerfile
  label: string
}

/**
 * Reads and parses the Dockerfile once (build-args applied to FROM), refusing one without a stage
 * and a `target` it does not have, before anything reaches the registry.
 */
export function loadDockerfile(o: { dockerfile: string; workspace: string; template?: string; target: string; buildArgs: Array<[string, string]>; noCacheFilters?: string[] }): LoadedDockerfile {
  const label = dockerfileLabel(o.dockerfile, o.workspace, o.template)
  const parsed = parseDockerfile(fs.readFileSync(o.dockerfile, 'utf8'), Object.fromEntries(o.buildArgs))
  if (parsed.stages.length === 0) throw new InputError('dockerfile', `${label} has no FROM instruction`)
  if (o.target && !finalStage(parsed, o.target)) {
    const names = stageNames(parsed)
    throw new InputError('target', `"${o.target}" is not a stage of ${label}; its stages are: ${names.length ? names.join(', ') : '(none named: add `AS name` to a FROM)'}`)
  }
  const names = stageNames(parsed)
  const unknown = (o.noCacheFilters ?? []).filter((f) => !names.includes(f))
  if (unknown.length) throw new InputError('no-cache-filters', `${unknown.map((u) => `"${u}"`).join(', ')} ${unknown.length === 1 ? 'is not a stage' : 'are not stages'} of ${label}; its stages are: ${names.join(', ') || '(none named)'}`)
  return { parsed, label }
}

/** Follows `FROM <stage>` to the stage whose base is an image; returns the chain, final first. */
export function stageChain(parsed: ParsedDockerfile, stage: Stage): Stage[] {
  const chain = [stage]
  let current = stage
  for (;;) {
    const ref = current.image.toLowerCase()
    // FROM <name>, or FROM <index> (BuildKit takes an earlier stage's number too).
    const parent = parsed.stages.find((s) => s.index < current.index && ((s.name && s.name === ref) || String(s.index) === ref))
    if (!parent || chain.includes(parent)) return chain
    chain.push(parent)
    current = parent
  }
}
