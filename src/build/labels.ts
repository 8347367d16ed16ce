/** The OCI labels and index annotations every release carries, derived from the run and the inputs. */
import type { GitHubContext } from '../lib/runner-env.js'
import type { SemVer } from '../tags/refs.js'

export interface LabelContext {
  serverUrl: string
  repository: string
  sha: string
  title: string
  version: string
  created: string
}

export function ociLabels(c: LabelContext): Record<string, string> {
  const labels: Record<string, string> = {
    'org.opencontainers.image.title': c.title,
    'org.opencontainers.image.created': c.created
  }
  if (c.repository) labels['org.opencontainers.image.source'] = `${c.serverUrl}/${c.repository}`
  if (c.sha) labels['org.opencontainers.image.revision'] = c.sha
  if (c.version) labels['org.opencontainers.image.version'] = c.version
  return labels
}

/** The version a release states: the version input's (or tag ref's) text, else its first tag. */
export function releaseVersion(o: { version?: SemVer; tags: string[] }): string {
  return o.version?.text ?? o.tags[0] ?? ''
}

export interface ImageLabels {
  labels: Array<[string, string]>
  /** Index-level annotations the action adds so registries show them for multi-arch images. */
  indexAnnotations: Array<[string, string]>
}

/**
 * The OCI defaults (title, created, source, revision, version), overridden by `labels`; and the
 * description and source as index annotations unless `annotations` sets them.
 */
export function imageLabels(
  o: { imagePath: string; version?: SemVer; tags: string[]; userLabels: Array<[string, string]>; annotations: string[] },
  ctx: Pick<GitHubContext, 'serverUrl' | 'repository' | 'sha' | 'sourceDate'>,
  now: Date
): ImageLabels {
  const title = o.imagePath.split('/').pop() ?? o.imagePath
  const defaults = ociLabels({
    serverUrl: ctx.serverUrl,
    repository: ctx.repository,
    sha: ctx.sha,
    title,
    version: releaseVersion(o),
    created: ctx.sourceDate || now.toISOString()
  })
  const map = new Map(Object.entries(defaults))
  for (const [k, v] of o.userLabels) map.set(k, v)
  const labels = [...map.entries()]
  const described = (key: string) => o.annotations.some((a) => a.split('=')[0]?.split(':').pop() === key)
  const indexAnnotations: Array<[string, string]> = []
  if (!described('org.opencontainers.image.description')) {
    const description = map.get('org.opencontainers.image.description') ?? (ctx.repository ? `${title} from ${ctx.repository}` : title)
    indexAnnotations.push(['org.opencontainers.image.description', description])
  }
  const source = map.get('org.opencontainers.image.source')
  if (!described('org.opencontainers.image.source') && source) indexAnnotations.push(['org.opencontainers.image.source', source])
  return { labels, indexAnnotations }
}

/**
 * The release version as the VERSION build-arg, for a Dockerfile that declares `ARG VERSION` (the
 * templates set it into the binary with -ldflags -X): the same text as the version label, so a
 * release states its version once. A VERSION in build-args wins.
 */
export function versionBuildArg(buildArgs: Array<[string, string]>, declaredArgs: readonly string[], version: string): Array<[string, string]> {
  if (!version || !declaredArgs.includes('VERSION') || buildArgs.some(([k]) => k === 'VERSION')) return buildArgs
  return [...buildArgs, ['VERSION', version]]
}
