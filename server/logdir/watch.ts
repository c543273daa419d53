/** Watches a logdir with chokidar and turns file-system events into immediate, coalesced reads. */

import chokidar, { type FSWatcher } from 'chokidar'
import path from 'node:path'
import type { Logger } from 'pino'
import type { LogdirLoader } from './logdir-loader.js'

export interface WatchOptions {
  /** Poll instead of inotify/FSEvents (network filesystems). */
  poll?: boolean
  /** Poll interval in ms when polling. */
  pollIntervalMs?: number
  /** Safety-net full rescan period in ms (0 = never). */
  rescanIntervalMs?: number
}

/**
 * Starts watching. A grown or new event file schedules a read of its run at once; directory
 * changes and deletions schedule a rescan. No `awaitWriteFinish`: a growing file is normal and the
 * reader handles partial records. Returns a function that stops watching.
 */
export async function watchLogdir (loader: LogdirLoader, log: Logger, opts: WatchOptions = {}): Promise<() => Promise<void>> {
  const watcher: FSWatcher = chokidar.watch(loader.logdir, {
    ignoreInitial: true,
    persistent: true,
    followSymlinks: true,
    usePolling: opts.poll ?? false,
    interval: opts.pollIntervalMs ?? 500,
    binaryInterval: opts.pollIntervalMs ?? 500,
    atomic: false,
    alwaysStat: false
  })
  watcher.on('add', f => loader.fileChanged(f))
  watcher.on('change', f => loader.fileChanged(f))
  watcher.on('unlink', f => { if (path.basename(f).includes('tfevents')) loader.structureChanged() })
  watcher.on('addDir', () => loader.structureChanged())
  watcher.on('unlinkDir', () => loader.structureChanged())
  watcher.on('error', err => log.warn({ err }, 'watcher error; relying on periodic rescans'))
  await new Promise<void>(resolve => watcher.once('ready', () => resolve()))
  const every = opts.rescanIntervalMs ?? 30_000
  const timer = every > 0 ? setInterval(() => loader.structureChanged(), every) : null
  timer?.unref()
  return async () => {
    if (timer) clearInterval(timer)
    await watcher.close()
  }
}
