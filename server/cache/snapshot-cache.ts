/**
 * The restart cache (`--cache-dir`): per run, its store state (columns included) and each event
 * file's reading state, identity and last bytes (layout.ts, docs/cache.md). A restart restores a
 * run whose files all still start as they did, then reads only the bytes appended since.
 *
 * Never trusted blindly: a truncated or bit-flipped entry (checksum), an older format version, or a
 * file that changed (identity, or its bytes before the cached offset; S3: checked by the first GET)
 * make the entry ignored, deleted, and rebuilt from a normal read.
 */

import { mkdirSync, readFileSync, writeFileSync, renameSync, rmSync, readdirSync, openSync, readSync, closeSync } from 'node:fs'
import { createHash } from 'node:crypto'
import path from 'node:path'
import type { Logger } from 'pino'
import { availableParallelism } from 'node:os'
import { MAGIC, decodeEntry, encodeEntry, type RunEntry } from './layout.js'
import { CachePrefetch } from './prefetch.js'

export interface SnapshotCacheOptions {
  /** Entries read ahead in worker threads from construction on (prefetch.ts); default true. */
  prefetch?: boolean
  /** Only entries of these logdir locations are read ahead (default: all in the directory). */
  locations?: string[]
}

/** An entry's file name: the key (layout.ts) and `.run`. */
const ENTRY_NAME = /^[0-9a-f]{32}\.run$/

/**
 * `location` if the entry in `file` belongs to it (its JSON, after the 12-byte header, starts with
 * that location, as layout.ts writes it in every format version), else null (another location,
 * or not readable as an entry).
 */
function entryLocation (file: string, location: string): string | null {
  const want = Buffer.from(`{"location":${JSON.stringify(location)},`, 'utf8')
  const head = Buffer.alloc(12 + want.length)
  let fd = -1
  try {
    fd = openSync(file, 'r')
    if (readSync(fd, head, 0, head.length, 0) !== head.length) return null
  } catch {
    return null
  } finally {
    if (fd >= 0) closeSync(fd)
  }
  return head.subarray(0, 4).toString('latin1') === MAGIC && head.subarray(12).equals(want) ? location : null
}

export class SnapshotCache {
  readonly counters = { restoredRuns: 0, restoredFiles: 0, restoredBytes: 0, rejected: 0, writes: 0, writtenBytes: 0, prefetched: 0, pruned: 0 }
  private readonly prefetch: CachePrefetch | null

  constructor (readonly dir: string, readonly log: Logger, opts: SnapshotCacheOptions = {}) {
    mkdirSync(dir, { recursive: true })
    this.prefetch = (opts.prefetch ?? true) ? new CachePrefetch(dir, opts.locations ?? null, Math.min(4, availableParallelism())) : null
  }

  private file (location: string, run: string): string {
    const key = createHash('sha256').update(location).update('\0').update(run).digest('hex').slice(0, 32)
    return path.join(this.dir, `${key}.run`)
  }

  /** The run's entry if it is present and intact (a damaged one is logged and deleted). */
  async read (location: string, run: string): Promise<RunEntry | null> {
    const file = this.file(location, run)
    const pre = await this.prefetch?.take(file) ?? null
    let buf: Buffer
    if (pre !== null) {
      buf = pre.buf
      this.counters.prefetched++
    } else {
      try { buf = readFileSync(file) } catch { return null }
    }
    const e = decodeEntry(buf, pre?.crcOk)
    if (typeof e === 'string' || e.location !== location || e.run !== run) {
      this.reject(location, run, typeof e === 'string' ? e : 'entry of another run')
      return null
    }
    return e
  }

  /** The initial load is over: entries read ahead and not asked for are let go. */
  endPrefetch (): void {
    this.prefetch?.close()
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

  /**
   * Deletes the entries of `location` whose run is not in `runs` (runs removed from the logdir
   * while no server ran: nothing else would ever delete them). Only files of this directory named
   * like an entry (`<32 hex digits>.run`) whose header says they belong to `location` are deleted;
   * entries of other logdirs sharing the directory and files it cannot read are left alone.
   * Returns how many were deleted.
   */
  prune (location: string, runs: Iterable<string>): number {
    const keep = new Set<string>()
    for (const run of runs) keep.add(path.basename(this.file(location, run)))
    let names: string[]
    try { names = readdirSync(this.dir) } catch { return 0 }
    let pruned = 0
    for (const name of names) {
      if (!ENTRY_NAME.test(name) || keep.has(name)) continue
      const file = path.join(this.dir, name)
      if (entryLocation(file, location) !== location) continue
      try {
        rmSync(file)
        pruned++
      } catch (err) {
        this.log.warn({ file, err }, 'cannot delete a stale cache entry')
      }
    }
    this.counters.pruned += pruned
    if (pruned > 0) this.log.info({ location, entries: pruned }, 'deleted cache entries of runs no longer in the logdir')
    return pruned
  }
}
