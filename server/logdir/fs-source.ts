/** The local file system as a logdir source: synchronous positioned reads on an fd (the fast path). */

import { openSync, readSync, closeSync, fstatSync, statSync, constants as fsc } from 'node:fs'
import path from 'node:path'
import { discoverRuns, runNameOf, type DiscoverOptions, type DiscoverResult } from './discover.js'
import { FileGoneError, NotRegularFileError, type LogdirSource, type SourceFile } from './source.js'

/** Open only regular files, without blocking: a FIFO or device renamed over an event file must not hang the thread. */
const OPEN_FLAGS = fsc.O_RDONLY | (fsc.O_NONBLOCK ?? 0)

/** ENOENT becomes a {@link FileGoneError}; anything else (EACCES, EMFILE, EIO) is passed on with its code. */
function gone (file: string, err: unknown): unknown {
  return (err as NodeJS.ErrnoException).code === 'ENOENT' ? new FileGoneError(`${file} vanished`) : err
}

export class FsSource implements LogdirSource {
  readonly kind = 'fs' as const
  readonly location: string

  constructor (logdir: string, readonly runPrefix = '', private readonly discoverOpts: DiscoverOptions = {}) {
    this.location = path.resolve(logdir)
  }

  async discover (onError: (dir: string, err: unknown) => void): Promise<DiscoverResult> {
    const found = await discoverRuns(this.location, onError, this.discoverOpts)
    if (found.kind !== 'ok' || this.runPrefix === '') return found
    const runs = new Map<string, typeof found.runs extends Map<string, infer R> ? R : never>()
    for (const r of found.runs.values()) {
      const name = this.runPrefix + r.name
      runs.set(name, { ...r, name })
    }
    return { kind: 'ok', runs, failed: found.failed }
  }

  async open (file: string): Promise<SourceFile> {
    // stat() never blocks on a FIFO; open() of one for reading would, until a writer shows up.
    let st
    try { st = statSync(file) } catch (err) { throw gone(file, err) }
    if (!st.isFile()) throw new NotRegularFileError(`${file} is not a regular file`)
    let fd: number
    try { fd = openSync(file, OPEN_FLAGS) } catch (err) { throw gone(file, err) }
    let fst
    try { fst = fstatSync(fd) } catch (err) { closeSync(fd); throw err }
    // Renamed over between the stat and the open: checked again on the descriptor.
    if (!fst.isFile()) { closeSync(fd); throw new NotRegularFileError(`${file} is not a regular file`) }
    const readAt = (at: number, n: number): Buffer => {
      const b = Buffer.alloc(n)
      const got = n === 0 ? 0 : readSync(fd, b, 0, n, at)
      return b.subarray(0, got)
    }
    return {
      size: fst.size,
      identity: `${fst.dev}:${fst.ino}:${fst.birthtimeMs}`,
      fd,
      readAt,
      sameBytes: (bytes, at) => readAt(at, bytes.length).equals(bytes),
      read: (buf, offset, length, position) => readSync(fd, buf, offset, length, position),
      close: () => closeSync(fd)
    }
  }

  relative (file: string): string {
    return path.relative(this.location, file).split(path.sep).join('/')
  }

  runNameOf (dir: string): string {
    return this.runPrefix + runNameOf(this.location, dir)
  }

  identity (file: string): string | null {
    try {
      const st = statSync(file)
      return `${st.dev}:${st.ino}:${st.birthtimeMs}`
    } catch { return null }
  }

  async resume (file: string, offset: number, tail: Buffer, identity: string | null): Promise<boolean> {
    if (identity === null || this.identity(file) !== identity) return false
    let fd: number
    try { fd = openSync(file, 'r') } catch { return false }
    try {
      if (fstatSync(fd).size < offset) return false
      const b = Buffer.alloc(tail.length)
      return readSync(fd, b, 0, b.length, offset - tail.length) === b.length && b.equals(tail)
    } finally {
      closeSync(fd)
    }
  }

  private sidePath (rel: string): string | null {
    const file = path.resolve(this.location, rel)
    // A side read never leaves the logdir (rel comes from run names and the store's file names).
    return file === this.location || file.startsWith(this.location + path.sep) ? file : null
  }

  async sideVersion (rel: string): Promise<string | null> {
    const file = this.sidePath(rel)
    if (file === null) return null
    try {
      const st = statSync(file)
      return st.isFile() ? `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}` : null
    } catch { return null }
  }

  async readSide (rel: string, maxBytes: number): Promise<Buffer | null> {
    const file = this.sidePath(rel)
    if (file === null) return null
    let fd: number
    try { fd = openSync(file, OPEN_FLAGS) } catch { return null }
    try {
      const st = fstatSync(fd)
      if (!st.isFile()) return null
      const buf = Buffer.alloc(Math.min(st.size, maxBytes))
      let n = 0
      while (n < buf.length) {
        const got = readSync(fd, buf, n, buf.length - n, n)
        if (got === 0) break
        n += got
      }
      return buf.subarray(0, n)
    } catch { return null } finally { closeSync(fd) }
  }

  forget (): void {}
  close (): void {}
}
