/** The build slice: what buildx builds (`context`, `dockerfile`, `target`, `platforms`, build args, labels, annotations, provenance, cache). */
import * as path from 'node:path'
import type { GitHubContext } from '../context.js'
import { InputError } from '../errors.js'
import type { Platform } from '../platform.js'
import { parsePlatforms } from '../platform.js'
import type { TemplateName } from '../templates.js'
import { isTemplate, templatePath } from '../templates.js'
import type { InputReader } from './values.js'
import { insideWorkspace, keyValues, list } from './values.js'

export interface BuildInputs {
  workspace: string
  /** Empty when merging: a merge builds nothing, so the job need not check out. */
  context: string
  dockerfile: string
  /** Set when `dockerfile` named one of the action's templates (static, cc). */
  template?: TemplateName
  target: string
  platforms: Platform[]
  buildArgs: Array<[string, string]>
  /** The `labels` input; the OCI defaults are added to them at build time. */
  userLabels: Array<[string, string]>
  annotations: string[]
  provenance: string
  cacheFrom: string[]
  cacheTo: string[]
}

export function parseBuildInputs(read: InputReader, ctx: GitHubContext, merging: boolean): BuildInputs {
  const workspace = path.resolve(ctx.workspace)
  const buildArgs = keyValues('build-args', read('build-args'), /^[A-Za-z_][A-Za-z0-9_]*$/)
  // BuildKit stamps the image config and history with SOURCE_DATE_EPOCH: reproducible re-runs.
  if (ctx.sourceDate && !buildArgs.some(([k]) => k === 'SOURCE_DATE_EPOCH')) {
    buildArgs.push(['SOURCE_DATE_EPOCH', String(Math.floor(Date.parse(ctx.sourceDate) / 1000))])
  }
  let context = ''
  let dockerfile = ''
  let template: TemplateName | undefined
  if (!merging) {
    context = insideWorkspace('context', read('context') || '.', workspace, workspace, 'directory')
    const dockerfileInput = read('dockerfile').trim() || 'Dockerfile'
    // A template name selects the action's own Dockerfile; anything else is a path in the workspace.
    template = isTemplate(dockerfileInput) ? dockerfileInput : undefined
    dockerfile = template ? templatePath(template) : insideWorkspace('dockerfile', dockerfileInput, context, workspace, 'file')
  }
  const annotations = list(read('annotations'), /\n/).map((a) => {
    if (!/^[^=\s]+=/.test(a)) throw new InputError('annotations', `"${a}" is not KEY=VALUE (optionally TYPE:KEY=VALUE, e.g. index:org.opencontainers.image.description=...)`)
    return a
  })
  const provenance = read('provenance').trim()
  if (provenance && !/^(true|false|mode=(min|max)(,[a-z-]+=[^,]+)*|[a-z-]+=[^,]+(,[a-z-]+=[^,]+)*)$/.test(provenance)) {
    throw new InputError('provenance', `"${provenance}" is not a buildx --provenance value: true, false, mode=min or mode=max`)
  }
  return {
    workspace,
    context,
    dockerfile,
    template,
    target: read('target').trim(),
    platforms: parsePlatforms(list(read('platforms') || 'linux/amd64,linux/arm64')),
    buildArgs,
    userLabels: keyValues('labels', read('labels'), /^[A-Za-z0-9][A-Za-z0-9._/-]*$/),
    annotations,
    provenance,
    cacheFrom: list(read('cache-from'), /\n/),
    cacheTo: list(read('cache-to'), /\n/)
  }
}
