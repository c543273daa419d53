/** The local file system as a logdir source: synchronous positioned reads on an fd (the fast path). */

import { openSync, readSync, closeSync, fstatSync, statSync } from 'node:fs'
import path from 'node:path'
import { discoverRuns, runNameOf, type DiscoverResult } from './discover.js'
import { FileGoneError, type LogdirSource, type SourceFile } from './source.js'

export class FsSource implements LogdirSource {
  readonly kind = 'fs' as const
  readonly location: string

  constructor (logdir: string, readonly runPrefix = '') {
    this.location = path.resolve(logdir)
  }

  async discover (onError: (dir: string, err: unknown) => void): Promise<DiscoverResult> {
    const found = await discoverRuns(this.location, onError)
    if (found.kind !== 'ok' || this.runPrefix === '') return found
    const runs = new Map<string, typeof found.runs extends Map<string, infer R> ? R : never>()
    for (const r of found.runs.values()) {
      const name = this.runPrefix + r.name
      runs.set(name, { ...r, name })
    }
    return { kind: 'ok', runs }
  }

  async open (file: string): Promise<SourceFile> {
    let fd: number
    try {
      fd = openSync(file, 'r')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new FileGoneError(`${file} vanished`)
      throw err
    }
    let size: number
    try { size = fstatSync(fd).size } catch (err) { closeSync(fd); throw err }
    return {
      size,
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

  forget (): void {}
  close (): void {}
}
