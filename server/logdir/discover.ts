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
  while (stack.length > 0) {
    const dir = stack.pop()!
    let real: string
    let dirId: string
    try {
      real = await fsp.realpath(dir)
      const st = await fsp.stat(real)
      dirId = `${st.dev}:${st.ino}:${st.birthtimeMs}`
    } catch (err) {
      if (errCode(err) !== 'ENOENT') { onError(dir, err); failed.push(dir) }
      continue
    }
    if (seen.has(real)) continue
    if (!(opts.followSymlinks ?? false) && !isInside(root, real)) continue
    seen.add(real)
    let entries: import('node:fs').Dirent[]
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true })
    } catch (err) {
      if (errCode(err) !== 'ENOENT') { onError(dir, err); failed.push(dir) }
      continue
    }
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
      if (isDir) stack.push(full)
      else if (isFile && isEventFileName(e.name)) files.push(full)
    }
    if (files.length > 0) {
      files.sort()
      const name = runNameOf(logdir, dir)
      runs.set(name, { name, dir, dirId, files })
    }
  }
  return { kind: 'ok', runs, failed }
}
