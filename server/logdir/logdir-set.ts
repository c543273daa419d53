/** Several logdirs served as one (`--logdir-spec`): one loader per part over a shared store. */

import type { Logger } from 'pino'
import type { ScalarStore } from '../store/scalar-store.js'
import { LogdirLoader, type LoaderOptions, type LoaderTotals } from './logdir-loader.js'
import type { LogdirSource } from './source.js'
import { pollLogdir } from './poll.js'

export interface WatchSetOptions {
  /** Watch local parts (chokidar); object-storage parts are always polled. */
  watch: boolean
  poll?: boolean
  rescanIntervalMs?: number
  /** Follow symlinks that lead outside a local logdir. */
  followSymlinks?: boolean
  /** Poll interval of object-storage parts, ms. */
  objectPollMs: number
}

export class LogdirSet {
  readonly loaders: LogdirLoader[]

  constructor (sources: LogdirSource[], store: ScalarStore, private readonly log: Logger, private readonly opts: LoaderOptions = {}) {
    this.loaders = sources.map(s => new LogdirLoader(s, store, log, opts))
  }

  async reload (): Promise<void> {
    try {
      await Promise.all(this.loaders.map(async l => { await l.reload() }))
    } finally {
      // Every part has restored what it could: cache entries read ahead and not used are let go.
      this.opts.cache?.endPrefetch()
    }
  }

  /** Stops reading (shutdown): no new passes start. */
  stop (): void {
    for (const l of this.loaders) l.stop()
  }

  /** Asks every part for a rescan (what changed before the watchers were ready). */
  structureChanged (): void {
    for (const l of this.loaders) l.structureChanged()
  }

  async idle (): Promise<void> {
    await Promise.all(this.loaders.map(async l => { await l.idle() }))
  }

  /** Sums over the parts; the initial load is done when every part's is. */
  totals (): LoaderTotals {
    const all = this.loaders.map(l => l.totals())
    const sum = (k: 'files' | 'runs' | 'bytes' | 'records' | 'points' | 'skippedRecords' | 'skippedBytes'): number => all.reduce((a, t) => a + t[k], 0)
    const done = all.every(t => t.initialLoadDone)
    return {
      files: sum('files'),
      runs: sum('runs'),
      bytes: sum('bytes'),
      records: sum('records'),
      points: sum('points'),
      skippedRecords: sum('skippedRecords'),
      skippedBytes: sum('skippedBytes'),
      initialLoadDone: done,
      initialLoadSeconds: done ? Math.max(0, ...all.map(t => t.initialLoadSeconds ?? 0)) : null
    }
  }

  /** Starts watching (local parts) and polling (object storage); returns the function that stops both. */
  async watch (opts: WatchSetOptions): Promise<() => Promise<void>> {
    const stops: Array<() => Promise<void>> = []
    for (const l of this.loaders) {
      if (!opts.watch) continue
      if (l.source.kind === 's3') {
        stops.push(pollLogdir(l, this.log, { intervalMs: opts.objectPollMs }))
      } else {
        const { watchLogdir } = await import('./watch.js')
        stops.push(await watchLogdir(l, this.log, { poll: opts.poll, rescanIntervalMs: opts.rescanIntervalMs, followSymlinks: opts.followSymlinks }))
      }
    }
    return async () => {
      await Promise.all(stops.map(async s => { await s() }))
      for (const l of this.loaders) l.closeCache()
      for (const l of this.loaders) l.source.close()
    }
  }
}
