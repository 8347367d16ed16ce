/** What the action knows of the workflow run, read once from the runner's environment. */
import * as fs from 'node:fs'

export interface GitHubContext {
  workspace: string
  repository: string
  owner: string
  ref: string
  sha: string
  serverUrl: string
  /** GITHUB_API_URL: the REST API (https://api.github.com, or GHES's https://HOST/api/v3). */
  apiUrl: string
  /** `owner/repo/.github/workflows/release.yml@refs/tags/v1.4.2`: the keyless signing identity. */
  workflowRef: string
  runId: string
  /** GITHUB_RUN_ATTEMPT: above 1 when the job is re-run. */
  runAttempt: number
  /** The runner grants an OIDC token only with `id-token: write`; this URL is its sign. */
  idTokenAvailable: boolean
  runnerTemp: string
  /** Node's process.arch: which platforms this runner runs natively, which tool builds to fetch. */
  nodeArch: string
  /** BUILDX_NO_DEFAULT_ATTESTATIONS is set: buildx adds no provenance unless asked. */
  noDefaultAttestations: boolean
  /**
   * When the change being built was made: SOURCE_DATE_EPOCH, else the event's commit or release
   * time. A re-run gets the same event, so the same labels and the same digest. Empty if unknown.
   */
  sourceDate: string
}

export function readContext(env: NodeJS.ProcessEnv = process.env, nodeArch: string = process.arch): GitHubContext {
  const repository = env.GITHUB_REPOSITORY ?? ''
  return {
    workspace: env.GITHUB_WORKSPACE || process.cwd(),
    repository,
    owner: env.GITHUB_REPOSITORY_OWNER || repository.split('/')[0] || '',
    ref: env.GITHUB_REF ?? '',
    sha: env.GITHUB_SHA ?? '',
    serverUrl: env.GITHUB_SERVER_URL || 'https://github.com',
    apiUrl: env.GITHUB_API_URL || 'https://api.github.com',
    workflowRef: env.GITHUB_WORKFLOW_REF ?? '',
    runId: env.GITHUB_RUN_ID ?? '',
    runAttempt: Number(env.GITHUB_RUN_ATTEMPT ?? '1') || 1,
    idTokenAvailable: Boolean(env.ACTIONS_ID_TOKEN_REQUEST_URL && env.ACTIONS_ID_TOKEN_REQUEST_TOKEN),
    runnerTemp: env.RUNNER_TEMP || '/tmp',
    nodeArch,
    noDefaultAttestations: Boolean(env.BUILDX_NO_DEFAULT_ATTESTATIONS),
    sourceDate: sourceDate(env)
  }
}

export function sourceDate(env: NodeJS.ProcessEnv): string {
  const epoch = env.SOURCE_DATE_EPOCH
  if (epoch && /^\d+$/.test(epoch)) return new Date(Number(epoch) * 1000).toISOString()
  if (!env.GITHUB_EVENT_PATH) return ''
  try {
    const event = JSON.parse(fs.readFileSync(env.GITHUB_EVENT_PATH, 'utf8')) as {
      head_commit?: { timestamp?: string }
      release?: { created_at?: string }
      pull_request?: { updated_at?: string }
    }
    const when = event.head_commit?.timestamp ?? event.release?.created_at ?? event.pull_request?.updated_at
    return when && !Number.isNaN(Date.parse(when)) ? new Date(when).toISOString() : ''
  } catch {
    return ''
  }
}

/**
 * The User-Agent of the action's own registry requests: the action and the run, so that a
 * registry's log tells which job read what (docker and buildx name themselves the same way).
 */
export function userAgent(env: NodeJS.ProcessEnv = process.env): string {
  return `build-distroless-image (run ${env.GITHUB_RUN_ID || 'local'}, attempt ${env.GITHUB_RUN_ATTEMPT || '1'})`
}
