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
  /** Absolute paths of its event files, sorted as TensorBoard sorts them (by path string). */
  files: string[]
}

export type DiscoverResult =
  | { kind: 'ok', runs: Map<string, DiscoveredRun> }
  | { kind: 'missing-logdir' }

/**
 * Lists runs under `logdir`. Follows symlinks (as TensorBoard's Rust loader does) but visits each
 * real directory once, so a symlink loop cannot hang it. Unreadable subdirectories are skipped and
 * reported through `onError`; a missing logdir is a normal outcome (it may be created later).
 */
export async function discoverRuns (logdir: string, onError: (dir: string, err: unknown) => void): Promise<DiscoverResult> {
  const runs = new Map<string, DiscoveredRun>()
  const seen = new Set<string>()
  try {
    const st = await fsp.stat(logdir)
    if (!st.isDirectory()) return { kind: 'missing-logdir' }
  } catch {
    return { kind: 'missing-logdir' }
  }
  const stack = [logdir]
  while (stack.length > 0) {
    const dir = stack.pop()!
    let real: string
    try { real = await fsp.realpath(dir) } catch (err) { onError(dir, err); continue }
    if (seen.has(real)) continue
    seen.add(real)
    let entries: import('node:fs').Dirent[]
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true })
    } catch (err) {
      onError(dir, err)
      continue
    }
    const files: string[] = []
    for (const e of entries) {
      const full = path.join(dir, e.name)
      let isDir = e.isDirectory()
      let isFile = e.isFile()
      if (e.isSymbolicLink()) {
        try {
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
      runs.set(name, { name, dir, files })
    }
  }
  return { kind: 'ok', runs }
}
