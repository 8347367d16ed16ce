/** Entry point for both phases: main, and post (the runner runs this bundle twice). */
import { errorMessage } from './lib/errors.js'
import * as core from './lib/log.js'
import { readContext } from './lib/runner-env.js'
import { readInputs } from './inputs/index.js'
import { main } from './main.js'
import { post } from './post.js'
import * as state from './lib/post-state.js'

async function entry(): Promise<void> {
  if (state.isPost()) {
    await post(state.load())
    return
  }
  state.markMain()
  const ctx = readContext()
  const inputs = readInputs(ctx)
  await main(inputs, ctx)
}

entry().catch((err: unknown) => {
  core.setFailed(errorMessage(err))
})
