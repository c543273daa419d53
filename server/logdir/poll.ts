/** Polls a source that has no change events (object storage): a full pass every interval, backing off on errors. */

import type { Logger } from 'pino'
import type { LogdirLoader } from './logdir-loader.js'

export interface PollOptions {
  intervalMs: number
  /** Longest delay after repeated failures. */
  maxBackoffMs?: number
}

/**
 * Each cycle lists the source and reads what grew (one reload of the loader). A cycle whose
 * requests failed (after the client's own retries) doubles the delay before the next, up to
 * `maxBackoffMs`; a clean cycle resets it. Returns a function that stops polling.
 */
export function pollLogdir (loader: LogdirLoader, log: Logger, opts: PollOptions): () => Promise<void> {
  const source = loader.source as { failuresSinceCheck?: number }
  const max = opts.maxBackoffMs ?? 60_000
  let delay = opts.intervalMs
  let stopped = false
  let timer: NodeJS.Timeout | null = null
  let running: Promise<void> | null = null
  const tick = async (): Promise<void> => {
    await loader.reload()
    const failures = source.failuresSinceCheck ?? 0
    source.failuresSinceCheck = 0
    if (failures > 0) {
      delay = Math.min(max, Math.max(opts.intervalMs, delay * 2))
      log.warn({ logdir: loader.logdir, failures, nextPollMs: delay }, 'requests failed this cycle; backing off')
    } else {
      delay = opts.intervalMs
    }
  }
  const arm = (): void => {
    if (stopped) return
    timer = setTimeout(() => {
      running = tick().finally(() => { running = null; arm() })
    }, delay)
    timer.unref()
  }
  arm()
  return async () => {
    stopped = true
    if (timer !== null) clearTimeout(timer)
    await running
  }
}
