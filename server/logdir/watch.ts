/** Watches a logdir with chokidar and turns file-system events into immediate, coalesced reads. */

import chokidar, { type FSWatcher } from 'chokidar'
import path from 'node:path'
import { statSync } from 'node:fs'
import type { Logger } from 'pino'
import type { LogdirLoader } from './logdir-loader.js'

export interface WatchOptions {
  /** Poll instead of inotify/FSEvents (network filesystems). */
  poll?: boolean
  /** Poll interval in ms when polling. */
  pollIntervalMs?: number
  /** Safety-net full rescan period in ms (0 = never). */
  rescanIntervalMs?: number
  /** --follow-symlinks: targets outside the logdir are read by rescans (the watcher itself never follows links). */
  followSymlinks?: boolean
}

/** How often the logdir's own identity is checked: a logdir removed and made again is watched anew within this. */
const ROOT_CHECK_MS = 1000

function rootIdentity (dir: string): string | null {
  try {
    const st = statSync(dir)
    return st.isDirectory() ? `${st.dev}:${st.ino}:${st.birthtimeMs}` : null
  } catch {
    return null
  }
}

/**
 * Starts watching. A grown or new event file schedules a read of its run at once; directory
 * changes and deletions schedule a rescan. No `awaitWriteFinish`: a growing file is normal and the
 * reader handles partial records. chokidar never follows symlinks (two links to a parent made its
 * walk exponential); events under a link's real path inside the logdir still arrive, and the
 * periodic rescan covers targets outside it. The logdir itself is checked every second: removed
 * and made again (a new inode or birth time: ext4 reuses the inode at once), it gets a new watcher and a rescan. Returns a function that stops
 * watching.
 */
export async function watchLogdir (loader: LogdirLoader, log: Logger, opts: WatchOptions = {}): Promise<() => Promise<void>> {
  const start = async (): Promise<FSWatcher> => {
    const w: FSWatcher = chokidar.watch(loader.logdir, {
      ignoreInitial: true,
      persistent: true,
      followSymlinks: false,
      usePolling: opts.poll ?? false,
      interval: opts.pollIntervalMs ?? 500,
      binaryInterval: opts.pollIntervalMs ?? 500,
      atomic: false,
      alwaysStat: false
    })
    w.on('add', f => loader.fileChanged(f))
    w.on('change', f => loader.fileChanged(f))
    w.on('unlink', f => { if (path.basename(f).includes('tfevents')) loader.structureChanged() })
    w.on('addDir', () => loader.structureChanged())
    w.on('unlinkDir', () => loader.structureChanged())
    w.on('error', err => log.warn({ err }, 'watcher error; relying on periodic rescans'))
    await new Promise<void>(resolve => w.once('ready', () => resolve()))
    return w
  }
  let watcher = await start()
  let root = rootIdentity(loader.logdir)
  let restarting = false
  let closed = false
  const rootTimer = setInterval(() => {
    const now = rootIdentity(loader.logdir)
    if (now === root || restarting) return
    root = now
    loader.structureChanged()
    if (now === null) return
    log.info({ logdir: loader.logdir }, 'logdir (re)appeared; watching it again')
    restarting = true
    const old = watcher
    void (async () => {
      await old.close().catch(() => {})
      const w = await start()
      if (closed) { await w.close(); return }
      watcher = w
      loader.structureChanged()
    })().finally(() => { restarting = false })
  }, ROOT_CHECK_MS)
  rootTimer.unref()
  const every = opts.rescanIntervalMs ?? 30_000
  const timer = every > 0 ? setInterval(() => loader.structureChanged(), every) : null
  timer?.unref()
  return async () => {
    closed = true
    clearInterval(rootTimer)
    if (timer) clearInterval(timer)
    await watcher.close()
  }
}
