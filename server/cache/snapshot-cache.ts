/**
 * The restart cache (`--cache-dir`): per run, its store state (columns included) and each event
 * file's reading state, identity and last bytes (layout.ts, docs/cache.md). A restart restores a
 * run whose files all still start as they did, then reads only the bytes appended since.
 *
 * Never trusted blindly: a truncated or bit-flipped entry (checksum), an older format version, or a
 * file that changed (identity, or its bytes before the cached offset; S3: checked by the first GET)
 * make the entry ignored, deleted, and rebuilt from a normal read.
 */

import { mkdirSync, readFileSync, writeFileSync, renameSync, rmSync } from 'node:fs'
import { createHash } from 'node:crypto'
import path from 'node:path'
import type { Logger } from 'pino'
import { decodeEntry, encodeEntry, type RunEntry } from './layout.js'

export class SnapshotCache {
  readonly counters = { restoredRuns: 0, restoredFiles: 0, restoredBytes: 0, rejected: 0, writes: 0, writtenBytes: 0 }

  constructor (readonly dir: string, readonly log: Logger) {
    mkdirSync(dir, { recursive: true })
  }

  private file (location: string, run: string): string {
    const key = createHash('sha256').update(location).update('\0').update(run).digest('hex').slice(0, 32)
    return path.join(this.dir, `${key}.run`)
  }

  /** The run's entry if it is present and intact (a damaged one is logged and deleted). */
  read (location: string, run: string): RunEntry | null {
    let buf: Buffer
    try { buf = readFileSync(this.file(location, run)) } catch { return null }
    const e = decodeEntry(buf)
    if (typeof e === 'string' || e.location !== location || e.run !== run) {
      this.reject(location, run, typeof e === 'string' ? e : 'entry of another run')
      return null
    }
    return e
  }

  reject (location: string, run: string, why: string): void {
    this.log.warn({ run, why }, 'cache entry unusable; ignoring it (it is rebuilt)')
    this.counters.rejected++
    this.drop(location, run)
  }

  write (e: RunEntry): void {
    const target = this.file(e.location, e.run)
    try {
      const bytes = encodeEntry(e)
      writeFileSync(`${target}.tmp`, bytes)
      renameSync(`${target}.tmp`, target)
      this.counters.writes++
      this.counters.writtenBytes += bytes.length
    } catch (err) {
      // A full or read-only cache directory must not stop serving: the entry is dropped instead.
      this.log.warn({ run: e.run, err }, 'cannot write the cache entry')
      this.drop(e.location, e.run)
    }
  }

  drop (location: string, run: string): void {
    rmSync(this.file(location, run), { force: true })
  }
}
