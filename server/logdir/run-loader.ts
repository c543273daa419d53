/** Reads one run's event files incrementally (each file keeps its offset) and feeds the store. */

import type { Logger } from 'pino'
import { TfRecordScanner, type RecordIssue } from '../records/tfrecord-reader.js'
import { EventDecoder, type EventSink, type ValueMetadata } from '../records/event-decoder.js'
import type { RunState, TagInfo, FileStat } from '../store/scalar-store.js'
import type { ScalarDtype } from '../domain.js'
import { pipelineWanted, readPipelined } from './pipelined-read.js'
import { FileGoneError, NotRegularFileError, ObjectRewrittenError, type LogdirSource, type SourceFile } from './source.js'
import { FsSource } from './fs-source.js'
import { TailTracker } from '../cache/run-cache.js'

/** Bytes read from disk per call. Large enough to amortise syscalls, small enough to yield often. */
export const CHUNK_BYTES = 4 * 1024 * 1024
/** At most this many file issues are kept per run (counters keep counting). */
const MAX_ISSUES_KEPT = 200

/**
 * One read buffer for every run: reads are serialised by the logdir loader's pump and each chunk is
 * fully decoded before the next read, so a buffer per run (up to 4 MiB each, for hundreds of runs)
 * would only waste memory. It grows to the largest record seen and never shrinks below a chunk.
 */
let sharedBuffer = Buffer.allocUnsafe(CHUNK_BYTES)
function readBuffer (bytes: number): Buffer {
  if (sharedBuffer.length < bytes) sharedBuffer = Buffer.allocUnsafe(bytes)
  return sharedBuffer
}

/** After a file's read, a buffer grown for a huge record goes back to one chunk (a 255 MiB record must not pin 255 MiB). */
function shrinkReadBuffer (): void {
  if (sharedBuffer.length > CHUNK_BYTES) sharedBuffer = Buffer.allocUnsafe(CHUNK_BYTES)
}

/** Size of the shared read buffer now (tests check that it shrinks back). */
export function readBufferBytes (): number { return sharedBuffer.length }

/** Bytes of a file's beginning kept to recognise a rewrite that reached past the old offset before we looked. */
const HEAD_BYTES = 64

/** Why a file's points can no longer be trusted: the run is read again from the start. */
export interface Rewrite { file: string, why: string }

/** Per-file reading state: `active` files are read from `offset` on every cycle; `dead` ones never again. */
export interface EventFileState {
  readonly path: string
  /** Path relative to the logdir, as shown in logs and the API. */
  readonly rel: string
  offset: number
  size: number
  state: 'active' | 'dead' | 'not-an-event-file'
  scanner: TfRecordScanner
  decodeIssues: number
  /** Offset of the last resync start already reported, so each corruption is logged once. */
  loggedResyncAt: number
  /** Device, inode and birth time of the file read so far; null before the first read. */
  identity: string | null
  /** Its first bytes as read (up to HEAD_BYTES). */
  head: Buffer | null
  /** The bytes just before `offset` (up to HEAD_BYTES): a rewrite past the old offset changes them. */
  tail: Buffer | null
}

/** A file's reading state as plain data, to hand a run loaded in a worker thread back (see RunLoader.adoptFiles). */
export interface FileSnapshot {
  path: string
  offset: number
  size: number
  state: EventFileState['state']
  decodeIssues: number
  loggedResyncAt: number
  identity?: string | null
  head?: Uint8Array | null
  tail?: Uint8Array | null
  scanner: { resyncing: boolean, resyncFrom: number, records: number, badDataCrc: number, resyncs: number, skippedBytes: number, everValid: boolean }
}

/** Counters of one read pass, for progress lines and `lossboard load --json`. */
export interface ReadStats {
  bytes: number
  records: number
  points: number
}

/** Bridges decoder callbacks to RunState (keeps records/ and store/ independent of each other). */
class RunSink implements EventSink<TagInfo> {
  constructor (private readonly run: RunState) {}
  tag (name: string): TagInfo { return this.run.tag(name) }
  wantsMetadata (t: TagInfo): boolean { return !t.hasMetadata }
  begin (wallTime: number, step: number): void { this.run.beginEvent(wallTime, step) }
  fileVersion (v: string): void { this.run.fileVersionRecord(v) }
  sessionStart (): void { this.run.sessionStart() }
  metadata (t: TagInfo, md: ValueMetadata): void { this.run.metadata(t, md.pluginName, md.displayName, md.description, md.dataClass) }
  scalar (t: TagInfo, value: number, dtype: ScalarDtype): void { this.run.scalar(t, value, dtype) }
  scalarEvent (t: TagInfo, wallTime: number, step: number, value: number, dtype: ScalarDtype): void {
    this.run.scalarEvent(t, wallTime, step, value, dtype)
  }

  nonScalar (t: TagInfo, hint: string): void { this.run.nonScalar(t, hint) }
  graph (): void { this.run.graph() }
  end (hadSummary: boolean): void { this.run.endEvent(hadSummary) }
}

/**
 * Loads one run. Files are read in TensorBoard's order (sorted path); each keeps its offset, so a
 * cycle reads only appended bytes. A record cut off at the end of a file is not an error: its bytes
 * are read again, completed, on the next cycle. One bad file never stops the others.
 */
export class RunLoader {
  readonly files = new Map<string, EventFileState>()
  private readonly sink: RunSink
  private readonly decoder: EventDecoder<TagInfo>
  /** Set when a file was truncated, replaced or turned into a non-regular file: the caller re-reads the run from scratch. */
  rewritten: Rewrite | null = null
  /** Bytes one `readAll` may read before it stops and sets `moreToRead` (fairness between runs); Infinity = no limit. */
  budgetBytes = Infinity
  moreToRead = false
  private readThisPass = 0
  /** (file, error code) pairs already logged: a failing open is logged once, not on every pass. */
  private readonly loggedErrors = new Set<string>()
  /** With --cache-dir: the last bytes read of each file, for the restart cache. */
  readonly tails: TailTracker | null

  constructor (
    readonly run: RunState,
    logdir: string,
    private readonly log: Logger,
    private readonly verifyDataCrc = true,
    /** Where the files are read from; the local directory `logdir` by default. */
    readonly source: LogdirSource = new FsSource(logdir),
    trackTails = false
  ) {
    this.sink = new RunSink(run)
    this.tails = trackTails ? new TailTracker() : null
    this.decoder = new EventDecoder(this.sink)
  }

  /** Every file's reading state, for {@link adoptFiles} in another thread's loader of the same run. */
  fileSnapshots (): FileSnapshot[] {
    return [...this.files.values()].map(f => ({
      path: f.path,
      offset: f.offset,
      size: f.size,
      state: f.state,
      decodeIssues: f.decodeIssues,
      loggedResyncAt: f.loggedResyncAt,
      identity: f.identity,
      head: f.head === null ? null : new Uint8Array(f.head),
      tail: f.tail === null ? null : new Uint8Array(f.tail),
      scanner: {
        resyncing: f.scanner.resyncing,
        resyncFrom: f.scanner.resyncFrom,
        records: f.scanner.records,
        badDataCrc: f.scanner.badDataCrc,
        resyncs: f.scanner.resyncs,
        skippedBytes: f.scanner.skippedBytes,
        everValid: f.scanner.everValid
      }
    }))
  }

  /**
   * Takes over the reading state of files that another thread's loader of this run has read
   * (after `setFiles` with the same paths): later reads go on from where that loader stopped.
   */
  adoptFiles (snaps: FileSnapshot[]): void {
    for (const s of snaps) {
      const f = this.files.get(s.path)
      if (f === undefined) continue
      f.offset = s.offset
      f.size = s.size
      f.state = s.state
      f.decodeIssues = s.decodeIssues
      f.loggedResyncAt = s.loggedResyncAt
      f.identity = s.identity ?? null
      f.head = s.head === undefined || s.head === null ? null : Buffer.from(s.head)
      f.tail = s.tail === undefined || s.tail === null ? null : Buffer.from(s.tail)
      Object.assign(f.scanner, s.scanner)
    }
  }

  /** Makes the loader's file list match discovery: new files are added, vanished ones marked dead. */
  setFiles (paths: string[]): void {
    const wanted = new Set(paths)
    for (const p of paths) {
      if (!this.files.has(p)) {
        this.files.set(p, {
          path: p,
          rel: this.source.relative(p),
          offset: 0,
          size: 0,
          state: 'active',
          scanner: new TfRecordScanner(this.verifyDataCrc),
          decodeIssues: 0,
          loggedResyncAt: -1,
          identity: null,
          head: null,
          tail: null
        })
      }
    }
    for (const [p, f] of this.files) if (!wanted.has(p) && f.state === 'active') f.state = 'dead'
  }

  /**
   * Reads every active file's new bytes, in sorted order. Yields to the event loop between chunks
   * (`yieldFn`) so the server keeps answering during a large load. Returns the tags that got points.
   */
  async readAll (stats: ReadStats, yieldFn: () => Promise<void>): Promise<TagInfo[]> {
    // Lengths before the read tell which tags got points: cheaper than a Set.add per point.
    const lengthBefore = new Map<TagInfo, number>()
    for (const t of this.run.tags.values()) lengthBefore.set(t, t.series?.length ?? 0)
    const sorted = [...this.files.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    this.moreToRead = false
    this.readThisPass = 0
    for (const f of sorted) {
      if (f.state !== 'dead') await this.readFile(f, stats, yieldFn)
      if (this.rewritten !== null || this.moreToRead) break
    }
    this.run.files = sorted.map(fileStat)
    const touched: TagInfo[] = []
    for (const t of this.run.tags.values()) if ((t.series?.length ?? 0) > (lengthBefore.get(t) ?? 0)) touched.push(t)
    return touched
  }

  /** Logs a file's failure once per error code; true the first time. */
  private logOnce (f: EventFileState, code: string, msg: string, extra: Record<string, unknown> = {}): void {
    const key = f.path + '\0' + code
    if (this.loggedErrors.has(key)) return
    this.loggedErrors.add(key)
    this.log.warn({ run: this.run.name, file: f.rel, code, ...extra }, msg)
  }

  private async readFile (f: EventFileState, stats: ReadStats, yieldFn: () => Promise<void>): Promise<void> {
    // The source checks what a file is before reading it (fs: a regular file, opened without
    // blocking; S3: an object whose bytes already read are unchanged) and says why it cannot.
    let file: SourceFile
    try {
      file = await this.source.open(f.path)
    } catch (err) {
      if (err instanceof FileGoneError) { f.state = 'dead'; return }
      if (err instanceof NotRegularFileError) { this.notRegular(f); return }
      if (err instanceof ObjectRewrittenError) { this.rewritten = { file: f.rel, why: err.why }; return }
      const code = (err as NodeJS.ErrnoException).code ?? 'error'
      this.logOnce(f, code, 'cannot open event file; keeping what was read and retrying', { err })
      return
    }
    try {
      const size = file.size
      if (file.identity !== undefined && f.identity !== null && f.identity !== file.identity) {
        this.rewritten = { file: f.rel, why: 'replaced (the file name now holds another file)' }
        return
      }
      if (size < f.offset) {
        this.rewritten = { file: f.rel, why: `truncated (${size} bytes, ${f.offset} were read)` }
        return
      }
      if (file.sameBytes !== undefined && f.offset > 0 && ((f.head !== null && !file.sameBytes(f.head, 0)) || (f.tail !== null && !file.sameBytes(f.tail, f.offset - f.tail.length)))) {
        this.rewritten = { file: f.rel, why: 'rewritten in place (its first bytes changed)' }
        return
      }
      if (file.identity !== undefined) f.identity = file.identity
      if (file.readAt !== undefined && (f.head === null || f.head.length < HEAD_BYTES) && size > 0) f.head = file.readAt(0, Math.min(size, HEAD_BYTES))
      f.size = size
      this.run.setFile(f.rel)
      if (file.fd !== undefined && !f.scanner.resyncing && pipelineWanted(size - f.offset, this.verifyDataCrc)) await this.readPipelined(f, file.fd, size, stats, yieldFn)
      let need = 0
      while (f.offset < size) {
        const want = Math.min(size - f.offset, Math.max(CHUNK_BYTES, need))
        const buf = readBuffer(want)
        let n: number
        try {
          n = await file.read(buf, 0, want, f.offset)
        } catch (err) {
          // Transient (network, throttling): the offset stays, the next cycle reads these bytes again.
          if (err instanceof FileGoneError) { f.state = 'dead'; return }
          if (err instanceof ObjectRewrittenError) { this.rewritten = { file: f.rel, why: err.why }; return }
          this.log.warn({ run: this.run.name, file: f.rel, offset: f.offset, err }, 'cannot read event file; will retry')
          return
        }
        if (n <= 0) break
        const pointsBefore = this.run.points
        const recordsBefore = f.scanner.records
        const out = f.scanner.scan(buf, n, f.offset, (buf, s, e, off) => this.onRecord(f, buf, s, e, off), (i) => this.onIssue(f, i))
        this.reportResync(f)
        stats.bytes += out.consumed
        stats.points += this.run.points - pointsBefore
        stats.records += f.scanner.records - recordsBefore
        this.tails?.consumed(f.path, buf, out.consumed)
        f.offset += out.consumed
        need = out.needBytes
        if (out.consumed === 0 && (need === 0 || f.offset + need > size || need <= n)) break
        this.readThisPass += n
        if (this.readThisPass >= this.budgetBytes && f.offset < size) { this.moreToRead = true; break }
        if (n === want && f.offset < size) await yieldFn()
      }
      if (file.readAt !== undefined && f.offset > 0) {
        const n = Math.min(f.offset, HEAD_BYTES)
        f.tail = file.readAt(f.offset - n, n)
        // The pipelined read does not pass through the loop above: the cache's tail comes from here.
        this.tails?.set(f.path, f.tail)
      }
      if (!f.scanner.everValid && f.scanner.resyncs > 0 && f.state === 'active') {
        f.state = 'not-an-event-file'
        this.addIssue({ file: f.rel, offset: 0, kind: 'not-an-event-file' })
        this.log.warn({ run: this.run.name, file: f.rel, bytes: size }, 'not an event file: no record in it passes its CRC checks')
      } else if (f.state === 'not-an-event-file' && f.scanner.everValid) {
        f.state = 'active'
      }
    } finally {
      file.close()
      shrinkReadBuffer()
    }
  }

  /**
   * Reads a large unread range with the data CRCs verified in a worker thread (pipelined-read.ts),
   * with the same effects as the sequential scan; returns having advanced `f.offset` as far as that
   * got, and the sequential loop goes on from there.
   */
  private async readPipelined (f: EventFileState, fd: number, size: number, stats: ReadStats, yieldFn: () => Promise<void>): Promise<void> {
    let points = this.run.points
    const sc = f.scanner
    f.offset = await readPipelined(fd, f.offset, size, {
      record: (buf, s, e, off) => { sc.records++; sc.everValid = true; this.onRecord(f, buf, s, e, off) },
      badDataCrc: (off) => { sc.badDataCrc++; this.onIssue(f, { kind: 'bad-data-crc', offset: off }) }
    }, async (bytes, records) => {
      f.offset += bytes
      stats.bytes += bytes
      stats.records += records
      stats.points += this.run.points - points
      points = this.run.points
      await yieldFn()
    })
  }

  /** A known event file is now a FIFO, socket or device: never opened; if it was read before, its points go. */
  private notRegular (f: EventFileState): void {
    if (f.identity !== null) {
      this.rewritten = { file: f.rel, why: 'replaced by something that is not a regular file' }
      return
    }
    this.logOnce(f, 'not-regular', 'not a regular file (FIFO, socket or device); not opened')
  }

  private onRecord (f: EventFileState, buf: Uint8Array, start: number, end: number, fileOffset: number): void {
    const issue = this.decoder.decode(buf, start, end)
    if (issue !== null) {
      f.decodeIssues++
      this.addIssue({ file: f.rel, offset: fileOffset, kind: issue })
      this.log.warn({ run: this.run.name, file: f.rel, offset: fileOffset, why: issue }, 'skipped a record that passed its CRCs but cannot be used')
    }
  }

  private onIssue (f: EventFileState, i: RecordIssue): void {
    if (i.kind === 'bad-data-crc') {
      this.addIssue({ file: f.rel, offset: i.offset, kind: i.kind })
      this.log.warn({ run: this.run.name, file: f.rel, offset: i.offset, why: i.kind }, 'skipped one record whose data CRC fails')
    } else if (f.loggedResyncAt < 0 || !f.scanner.resyncing) {
      // bad length CRC / too-large: framing lost; logged once per resync, at its start
      f.loggedResyncAt = i.offset
      this.addIssue({ file: f.rel, offset: i.offset, kind: i.kind })
      this.log.warn({ run: this.run.name, file: f.rel, offset: i.offset, why: i.kind }, 'framing lost: scanning for the next record whose length and data CRCs verify')
    }
  }

  /** Logs once how many bytes a finished resync skipped. */
  private reportResync (f: EventFileState): void {
    if (f.loggedResyncAt >= 0 && !f.scanner.resyncing && f.scanner.everValid) {
      this.log.warn({ run: this.run.name, file: f.rel, offset: f.loggedResyncAt, skippedBytes: f.scanner.skippedBytes }, 'resynchronised after corruption')
      f.loggedResyncAt = -1
    }
  }

  private addIssue (i: { file: string, offset: number, kind: string }): void {
    if (this.run.issues.length < MAX_ISSUES_KEPT) this.run.issues.push(i)
  }
}

function fileStat (f: EventFileState): FileStat {
  return {
    file: f.rel,
    bytes: f.offset,
    records: f.scanner.records,
    state: f.state,
    skippedRecords: f.scanner.badDataCrc + f.decodeIssues,
    skippedBytes: f.scanner.skippedBytes
  }
}
