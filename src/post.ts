/** The post step: remove everything main left on the runner, whatever happened in main. */
import * as core from './lib/log.js'
import * as fs from 'node:fs'
import { removeBuilder } from './build/builder.js'
import { dockerEnv, logout } from './registry/login.js'
import { removeSmokeLeftovers } from './gates/smoke-run.js'
import type { PostState } from './lib/post-state.js'

export async function post(state: PostState): Promise<void> {
  if (state.builder) {
    await core.group(`Remove builder ${state.builder}`, () => removeBuilder(state.builder, state.dockerConfig ? dockerEnv(state.dockerConfig) : {}))
  }
  if (state.smokeLabel) await removeSmokeLeftovers(state.smokeLabel, state.dockerConfig ? dockerEnv(state.dockerConfig) : {})
  if (state.dockerConfig) {
    await logout(state.dockerConfig, state.registry)
    core.info(`Logged out of ${state.registry} and removed the action's docker config`)
  }
  if (state.trivyCache && fs.existsSync(state.trivyCache)) {
    fs.rmSync(state.trivyCache, { recursive: true, force: true })
    core.info(`Removed trivy's cache dir ${state.trivyCache}`)
  }
  if (state.workDir && fs.existsSync(state.workDir)) {
    fs.rmSync(state.workDir, { recursive: true, force: true })
    core.info('Removed the action\'s temp files (keys written from input, SBOMs)')
  }
}
