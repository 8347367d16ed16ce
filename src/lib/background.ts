/**
 * Work started now and awaited later (a download during the build, a scan during signing). The
 * promise is observed at once, so a failure before the await is never an unhandled rejection;
 * awaiting it still throws, in the phase that needs the result.
 */
export function startNow<T>(work: Promise<T>): Promise<T> {
  work.catch(() => undefined)
  return work
}

/** What a started promise came to, readable at any time without awaiting it. */
export interface Watched {
  /** The rejection, once it has happened. */
  failure?: unknown
}

export function watch(work: Promise<unknown>): Watched {
  const state: Watched = {}
  work.catch((err: unknown) => {
    state.failure = err
  })
  return state
}
