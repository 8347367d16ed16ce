/**
 * `@actions/core`, with one addition: work started in the background (a scan while the gates run,
 * a copy signed while the first image is) logs into a buffer of its own, and that buffer is
 * printed in one piece when the work is collected. So concurrent phases keep whole, readable log
 * groups, in the order main collects them, and the warnings stay annotations.
 *
 * Everything else is `@actions/core` as it is; import this module as `core` in src/.
 */
import * as core from '@actions/core'
import { AsyncLocalStorage } from 'node:async_hooks'

export * from '@actions/core'

type Message = string | Error
type Entry = { kind: 'info'; text: string } | { kind: 'warning' | 'notice' | 'error'; message: Message; props?: core.AnnotationProperties } | { kind: 'start'; name: string } | { kind: 'end' }

const held = new AsyncLocalStorage<Entry[]>()

/** True inside work whose log is held back (a command's output must then be captured, not streamed). */
export function isHeld(): boolean {
  return held.getStore() !== undefined
}

export function info(text: string): void {
  const buffer = held.getStore()
  if (buffer) buffer.push({ kind: 'info', text })
  else core.info(text)
}

export function warning(message: Message, props?: core.AnnotationProperties): void {
  annotate('warning', message, props)
}

export function notice(message: Message, props?: core.AnnotationProperties): void {
  annotate('notice', message, props)
}

export function error(message: Message, props?: core.AnnotationProperties): void {
  annotate('error', message, props)
}

function annotate(kind: 'warning' | 'notice' | 'error', message: Message, props?: core.AnnotationProperties): void {
  const buffer = held.getStore()
  if (buffer) buffer.push({ kind, message, props })
  else if (props) core[kind](message, props)
  else core[kind](message)
}

export function startGroup(name: string): void {
  const buffer = held.getStore()
  if (buffer) buffer.push({ kind: 'start', name })
  else core.startGroup(name)
}

export function endGroup(): void {
  const buffer = held.getStore()
  if (buffer) buffer.push({ kind: 'end' })
  else core.endGroup()
}

export async function group<T>(name: string, fn: () => Promise<T>): Promise<T> {
  if (!held.getStore()) return core.group(name, fn)
  startGroup(name)
  try {
    return await fn()
  } finally {
    endGroup()
  }
}

/** Work started now whose log is held back until `collect`. */
export interface Held<T> {
  /** Waits for the work, prints its log (in the caller's context: held again if the caller is), then returns or throws its result. */
  collect(): Promise<T>
  /** The work itself, for a caller that only needs to know when it ends. */
  settled: Promise<void>
}

export function hold<T>(work: () => Promise<T>): Held<T> {
  const buffer: Entry[] = []
  const result = held.run(buffer, () => Promise.resolve().then(work))
  // Observed at once: a failure before collect() is not an unhandled rejection.
  const settled = result.then(
    () => undefined,
    () => undefined
  )
  let printed = false
  return {
    settled,
    async collect() {
      await settled
      if (!printed) {
        printed = true
        replay(buffer)
      }
      return result
    }
  }
}

function replay(entries: Entry[]): void {
  for (const e of entries) {
    if (e.kind === 'info') info(e.text)
    else if (e.kind === 'start') startGroup(e.name)
    else if (e.kind === 'end') endGroup()
    else annotate(e.kind, e.message, e.props)
  }
}
