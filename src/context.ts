/** What the action knows of the workflow run, read once from the runner's environment. */
export interface GitHubContext {
  workspace: string
  repository: string
  owner: string
  ref: string
  sha: string
  serverUrl: string
  /** `owner/repo/.github/workflows/release.yml@refs/tags/v1.4.2`: the keyless signing identity. */
  workflowRef: string
  runId: string
  /** The runner grants an OIDC token only with `id-token: write`; this URL is its sign. */
  idTokenAvailable: boolean
  runnerTemp: string
  eventName: string
}

export function readContext(env: NodeJS.ProcessEnv = process.env): GitHubContext {
  const repository = env.GITHUB_REPOSITORY ?? ''
  return {
    workspace: env.GITHUB_WORKSPACE || process.cwd(),
    repository,
    owner: env.GITHUB_REPOSITORY_OWNER || repository.split('/')[0] || '',
    ref: env.GITHUB_REF ?? '',
    sha: env.GITHUB_SHA ?? '',
    serverUrl: env.GITHUB_SERVER_URL || 'https://github.com',
    workflowRef: env.GITHUB_WORKFLOW_REF ?? '',
    runId: env.GITHUB_RUN_ID ?? '',
    idTokenAvailable: Boolean(env.ACTIONS_ID_TOKEN_REQUEST_URL && env.ACTIONS_ID_TOKEN_REQUEST_TOKEN),
    runnerTemp: env.RUNNER_TEMP || '/tmp',
    eventName: env.GITHUB_EVENT_NAME ?? ''
  }
}
