/** The restart cache's side of a run loader: restore a file before reading it, record while reading, commit after. */

import type { EventSink } from '../records/event-decoder.js'
import type { TfRecordScanner } from '../records/tfrecord-reader.js'
import { ObjectRewrittenError, type LogdirSource } from '../logdir/source.js'
import type { FileCache, CacheEntry } from './file-cache.js'
import { RecordingSink, replayOps } from './ops.js'

/** Bytes before a file's offset kept to check, on restart, that the file still starts the same. */
const TAIL_BYTES = 16

/** The parts of a run loader's per-file state the cache reads and restores. */
export interface CachedFileState {
  path: string
  offset: number
  state: 'active' | 'dead' | 'not-an-event-file'
  scanner: TfRecordScanner
  decodeIssues: number
  loggedResyncAt: number
}

interface Tracked { entry: CacheEntry, tail: Buffer, checked: boolean, committedOffset: number }

export class RunCache<H extends { name: string }> {
  readonly sink: RecordingSink<H>
  private readonly files = new Map<string, Tracked>()

  constructor (
    private readonly cache: FileCache,
    private readonly source: LogdirSource,
    private readonly inner: EventSink<H>,
    private readonly onIssue: (file: CachedFileState, offset: number, kind: string) => void
  ) {
    this.sink = new RecordingSink(inner)
  }

  private tracked (f: CachedFileState): Tracked {
    let t = this.files.get(f.path)
    if (t === undefined) {
      t = { entry: this.cache.entry(this.source.location, f.path), tail: Buffer.alloc(0), checked: false, committedOffset: -1 }
      this.files.set(f.path, t)
    }
    return t
  }

  /**
   * Before a file is read: the first time, restores it from its entry when that entry is valid
   * for the file as it is now (replaying its ops into the run); then starts recording. Returns the
   * number of event-file bytes restored.
   */
  async before (f: CachedFileState, size: number): Promise<number> {
    const t = this.tracked(f)
    let restored = 0
    if (!t.checked) {
      t.checked = true
      const loaded = f.offset === 0 ? t.entry.load() : null
      if (loaded !== null) {
        const h = loaded.head
        const tail = Buffer.from(h.tail, 'base64')
        if (h.offset <= size && await this.source.resume(f.path, h.offset, tail, h.identity)) {
          try {
            const tags = replayOps(loaded.payloads, this.inner, (off, kind) => this.onIssue(f, off, kind))
            t.entry.writer.adoptTags(tags)
            f.offset = h.offset
            f.state = h.state
            f.decodeIssues = h.decodeIssues
            f.loggedResyncAt = h.loggedResyncAt
            Object.assign(f.scanner, h.scanner)
            t.tail = tail
            t.committedOffset = h.offset
            restored = h.offset
            this.cache.counters.restoredFiles++
            this.cache.counters.restoredBytes += restored
          } catch (err) {
            // Checksums passed but the ops do not parse (a bug, or a hand-edited file): part of
            // them may be in the run already, so the whole run is read again from the start.
            this.cache.log.warn({ file: f.path, err }, 'cache entry does not replay; rebuilding it')
            t.entry.reset()
            throw new ObjectRewrittenError(f.path, 'its cache entry does not replay')
          }
        } else {
          this.cache.log.info({ file: f.path }, 'event file changed since it was cached; reading it again')
          t.entry.reset()
        }
      } else if (f.offset === 0) {
        t.entry.reset()
      }
    }
    this.sink.writer = t.entry.writer
    return restored
  }

  /** The reader consumed the first `consumed` bytes of `buf` (which starts at the file's old offset). */
  consumed (f: CachedFileState, buf: Buffer, consumed: number): void {
    if (consumed === 0) return
    const t = this.tracked(f)
    const end = consumed
    if (end >= TAIL_BYTES) t.tail = Buffer.from(buf.subarray(end - TAIL_BYTES, end))
    else t.tail = Buffer.concat([t.tail, buf.subarray(0, end)]).subarray(-TAIL_BYTES)
  }

  /** After a file was read: stops recording and commits what changed. */
  after (f: CachedFileState): void {
    this.sink.writer = null
    const t = this.files.get(f.path)
    if (t === undefined || (t.committedOffset === f.offset && t.entry.writer.length === 0)) return
    t.committedOffset = f.offset
    t.entry.commit({
      identity: this.source.identity(f.path),
      offset: f.offset,
      tail: t.tail.toString('base64'),
      state: f.state,
      decodeIssues: f.decodeIssues,
      loggedResyncAt: f.loggedResyncAt,
      scanner: {
        resyncing: f.scanner.resyncing,
        resyncFrom: f.scanner.resyncFrom,
        records: f.scanner.records,
        badDataCrc: f.scanner.badDataCrc,
        resyncs: f.scanner.resyncs,
        skippedBytes: f.scanner.skippedBytes,
        everValid: f.scanner.everValid
      }
    })
  }

  /** An issue reported while reading the file being recorded. */
  issue (offset: number, kind: string): void {
    this.sink.writer?.issue(offset, kind)
  }

  /** Drops the entries of files whose run is read again from the start. */
  drop (paths: string[]): void {
    for (const p of paths) {
      const t = this.files.get(p) ?? { entry: this.cache.entry(this.source.location, p) }
      t.entry.reset()
      this.files.delete(p)
    }
  }
}
