/** What main leaves for the post step, through the runner's GITHUB_STATE. */
import * as core from './log.js'

export interface PostState {
  /** The action's private docker config dir (holds the registry credentials). */
  dockerConfig: string
  registry: string
  /** A builder this run created, to remove. */
  builder: string
  /** The run's temp dir (keys written from input, SBOMs); removed in post. */
  workDir: string
  /** The label on the smoke run's containers and network, to remove any a cancelled run left. */
  smokeLabel: string
  /** trivy's cache dir (the vulnerability DB the Actions cache saved or restored); removed in post. */
  trivyCache: string
}

const KEYS: Array<keyof PostState> = ['dockerConfig', 'registry', 'builder', 'workDir', 'smokeLabel', 'trivyCache']

export function isPost(): boolean {
  return core.getState('isPost') === 'true'
}

/** Marks that main has started, so the post step knows it is the post step. */
export function markMain(): void {
  core.saveState('isPost', 'true')
}

export function save(partial: Partial<PostState>): void {
  for (const [k, v] of Object.entries(partial)) core.saveState(k, v)
}

export function load(): PostState {
  const out = {} as PostState
  for (const k of KEYS) out[k] = core.getState(k)
  return out
}
