/** Walks a logdir and finds its runs: every directory that directly holds an event file. */

import { promises as fsp } from 'node:fs'
import path from 'node:path'

/** TensorBoard's test for an event file: the basename contains "tfevents" (and is not a profiler stub). */
export function isEventFileName (basename: string): boolean {
  return basename.includes('tfevents') && !basename.endsWith('.profile-empty')
}

/** Run name of a directory: its path relative to the logdir with `/` separators; `.` for the logdir itself. */
export function runNameOf (logdir: string, dir: string): string {
  const rel = path.relative(logdir, dir)
  return rel === '' ? '.' : rel.split(path.sep).join('/')
}

export interface DiscoveredRun {
  name: string
  dir: string
  /** Identity of the directory (device, inode, birth time): a run directory removed and made again has a new one. */
  dirId: string
  /** Absolute paths of its event files, sorted as TensorBoard sorts them (by path string). */
  files: string[]
}

export type DiscoverResult =
  | {
    kind: 'ok'
    runs: Map<string, DiscoveredRun>
    /** Directories whose listing failed (EACCES, EMFILE, EIO…): runs at or below them are unknown, not gone. */
    failed: string[]
  }
  | { kind: 'missing-logdir' }
  /** The logdir itself could not be examined (not ENOENT): nothing is known. */
  | { kind: 'error', err: unknown }

export interface DiscoverOptions {
  /** Follow symlinks whose target lies outside the logdir too (default: only inside). */
  followSymlinks?: boolean
}

function errCode (err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code
}

/** True when `p` is `root` or below it. */
export function isInside (root: string, p: string): boolean {
  return p === root || p.startsWith(root.endsWith(path.sep) ? root : root + path.sep)
}

/** Directory listings in flight at once during a walk (each is a realpath, a stat and a readdir on libuv's thread pool). */
const PREFETCH = 16

/** What the walk needs of one directory, read ahead of its turn; errors are kept, not thrown. */
interface DirInfo {
  real?: string
  dirId?: string
  /** The realpath or stat error (the directory is then skipped, reported unless ENOENT). */
  statErr?: unknown
  entries?: import('node:fs').Dirent[]
  listErr?: unknown
}

async function readDirInfo (dir: string): Promise<DirInfo> {
  const out: DirInfo = {}
  try {
    out.real = await fsp.realpath(dir)
    const st = await fsp.stat(out.real)
    out.dirId = `${st.dev}:${st.ino}:${st.birthtimeMs}`
  } catch (err) {
    out.statErr = err
    return out
  }
  try {
    out.entries = await fsp.readdir(dir, { withFileTypes: true })
  } catch (err) {
    out.listErr = err
  }
  return out
}

/**
 * Reads directories ahead of the walk, at most PREFETCH at a time: a logdir of 10,000 run
 * directories took ~25 s to walk one await at a time on a loaded 2-core machine, the thread pool
 * mostly idle. The walk itself (its order, which path of a directory reached twice wins, what is
 * reported) is unchanged: it only finds its directories already read.
 */
class Prefetcher {
  private readonly pending = new Map<string, Promise<DirInfo>>()
  private readonly queue: Array<() => void> = []
  private active = 0

  /** Starts reading `dir` (once its turn in the queue comes). */
  want (dir: string): void {
    if (this.pending.has(dir)) return
    this.pending.set(dir, new Promise<DirInfo>(resolve => {
      this.queue.push(() => { void readDirInfo(dir).then(resolve).finally(() => { this.active--; this.next() }) })
      this.next()
    }))
  }

  /** The information of `dir`, read ahead or now. */
  async get (dir: string): Promise<DirInfo> {
    this.want(dir)
    const p = this.pending.get(dir)!
    this.pending.delete(dir)
    return await p
  }

  private next (): void {
    while (this.active < PREFETCH && this.queue.length > 0) {
      this.active++
      this.queue.shift()!()
    }
  }
}

/**
 * Lists runs under `logdir`, visiting each real directory once (a symlink loop costs one
 * realpath, never a walk: `ln -s .. a/x; ln -s .. a/y` stays linear). Symlinks are followed only
 * when their target is inside the logdir, unless `followSymlinks`. A directory that cannot be
 * listed is reported through `onError` and in `failed`, so the caller keeps the runs it knew there;
 * a missing logdir is a normal outcome (it may be created later).
 */
export async function discoverRuns (logdir: string, onError: (dir: string, err: unknown) => void, opts: DiscoverOptions = {}): Promise<DiscoverResult> {
  const runs = new Map<string, DiscoveredRun>()
  const failed: string[] = []
  const seen = new Set<string>()
  let root: string
  try {
    const st = await fsp.stat(logdir)
    if (!st.isDirectory()) return { kind: 'missing-logdir' }
    root = await fsp.realpath(logdir)
  } catch (err) {
    const code = errCode(err)
    return code === 'ENOENT' || code === 'ENOTDIR' ? { kind: 'missing-logdir' } : { kind: 'error', err }
  }
  const stack = [logdir]
  const ahead = new Prefetcher()
  while (stack.length > 0) {
    const dir = stack.pop()!
    const info = await ahead.get(dir)
    if (info.statErr !== undefined) {
      if (errCode(info.statErr) !== 'ENOENT') { onError(dir, info.statErr); failed.push(dir) }
      continue
    }
    const real = info.real!
    const dirId = info.dirId!
    if (seen.has(real)) continue
    if (!(opts.followSymlinks ?? false) && !isInside(root, real)) continue
    seen.add(real)
    if (info.listErr !== undefined) {
      if (errCode(info.listErr) !== 'ENOENT') { onError(dir, info.listErr); failed.push(dir) }
      continue
    }
    const entries = info.entries!
    const files: string[] = []
    for (const e of entries) {
      const full = path.join(dir, e.name)
      let isDir = e.isDirectory()
      let isFile = e.isFile()
      if (e.isSymbolicLink()) {
        try {
          if (!(opts.followSymlinks ?? false) && !isInside(root, await fsp.realpath(full))) continue
          const st = await fsp.stat(full)
          isDir = st.isDirectory(); isFile = st.isFile()
        } catch { continue }
      }
      if (isDir) {
        stack.push(full)
        ahead.want(full)
      } else if (isFile && isEventFileName(e.name)) files.push(full)
    }
    if (files.length > 0) {
      files.sort()
      const name = runNameOf(logdir, dir)
      runs.set(name, { name, dir, dirId, files })
    }
  }
  return { kind: 'ok', runs, failed }
}
