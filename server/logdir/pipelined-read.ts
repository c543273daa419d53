/**
 * Both cores on one big file: this thread reads and frames 4 MiB windows and decodes them, while a
 * worker thread verifies the data CRCs of the window framed before (in the decode loop alone the CRC
 * is over half of the per-record cost, ../shared/reference/PERFORMANCE_NOTES.md; in a whole load it
 * is far less, see `minBytes`). Records reach the decoder in file
 * order with the same checks as TfRecordScanner's, so the result is the sequential one; at the
 * first framing problem (a bad length CRC, an absurd length) or a record longer than a window it
 * stops, and the sequential scanner takes over at that offset with its resynchronisation.
 */

import { Worker, isMainThread } from 'node:worker_threads'
import { RUNNING_SOURCES, serverModuleUrl } from '../locations.js'
import { readSync } from 'node:fs'
import { frameRecords } from '../records/record-framer.js'
import { HEADER_LENGTH } from '../records/tfrecord-reader.js'

/** One window sent to the worker; its buffers are transferred there and back. */
export interface CrcJob {
  buf: ArrayBuffer
  bytes: number
  count: number
  starts: Int32Array
  lengths: Int32Array
  /** File offset of buf[0]. */
  base: number
  /** Bytes of the window that the framed records cover. */
  consumed: number
}
export interface CrcResult extends CrcJob { ok: Uint8Array }

/** Receives the records of the pipelined read, in file order. */
export interface PipelineSink {
  /** A record whose CRCs both verified: payload `buf[start, end)`, header at `fileOffset`. */
  record (buf: Uint8Array, start: number, end: number, fileOffset: number): void
  /** A record whose data CRC failed (skipped, framing intact). */
  badDataCrc (fileOffset: number): void
}

/** Windows in flight: one being verified while the previous is decoded, and one read ahead. */
const IN_FLIGHT = 2
let windowBytes = 4 * 1024 * 1024
/**
 * Off by default: on the 2-core machine this was measured on, the CRC is a small share of the main
 * thread's work on a 49-byte-record file (--no-crc saves ~0.03 s of ~0.45 s), and the worker, the
 * second framing pass and the messages cost more than that (BENCHMARKS.md, "Issue 12").
 * `lossboard load --crc-worker` turns it on for files of 32 MiB or more.
 */
let minBytes = Infinity
/** Windows decoded through the pipeline so far (tests and benchmarks check that it ran). */
export let pipelinedWindows = 0

/**
 * Files with less than `min` unread bytes are read sequentially; Infinity (the default) turns the
 * pipeline off. `window` (tests: small windows put many record
 * boundaries across windows) is the bytes read per window.
 */
export function setPipelineMinBytes (min: number, window = 4 * 1024 * 1024): void { minBytes = min; windowBytes = window }

/** True when a read of `remaining` bytes should be pipelined: large, data CRCs on, and on the main thread (a loader worker keeps to one thread). */
export function pipelineWanted (remaining: number, verifyDataCrc: boolean): boolean {
  return verifyDataCrc && isMainThread && remaining >= minBytes && crcWorker() !== null
}

/** The process's CRC worker: started on first use, unreferenced while idle; null if it cannot start. */
class CrcWorker {
  private readonly waiting: Array<{ resolve: (r: CrcResult) => void, reject: (e: Error) => void }> = []
  failed = false

  constructor (private readonly worker: Worker) {
    worker.unref()
    worker.on('message', (r: CrcResult) => {
      this.waiting.shift()?.resolve(r)
      if (this.waiting.length === 0) worker.unref()
    })
    const fail = (e: Error): void => {
      this.failed = true
      for (const w of this.waiting.splice(0)) w.reject(e)
    }
    worker.on('error', fail)
    worker.on('exit', () => fail(new Error('CRC worker exited')))
  }

  verify (job: CrcJob): Promise<CrcResult> {
    if (this.failed) return Promise.reject(new Error('CRC worker unavailable'))
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject })
      this.worker.ref()
      this.worker.postMessage(job, [job.buf, job.starts.buffer as ArrayBuffer, job.lengths.buffer as ArrayBuffer])
    })
  }
}

let shared: CrcWorker | null | undefined

function crcWorker (): CrcWorker | null {
  if (shared === undefined) {
    try {
      let w: Worker
      const entry = serverModuleUrl('logdir/crc-worker')
      if (RUNNING_SOURCES) {
        // From the sources, under tsx: a worker does not inherit tsx's module hooks, so it registers them first.
        const api = import.meta.resolve('tsx/esm/api')
        w = new Worker(`import(${JSON.stringify(api)}).then(a => { a.register(); return import(${JSON.stringify(entry.href)}) })`, { eval: true })
      } else {
        w = new Worker(entry)
      }
      shared = new CrcWorker(w)
    } catch {
      shared = null
    }
  }
  return shared !== null && shared.failed ? null : shared
}

/**
 * Reads `fd` from `offset` toward `size`, pipelined; `afterWindow(bytes, records)` runs after each
 * decoded window (progress, yielding). Resolves with the offset up to which every record was
 * handed to `sink`: the sequential reader goes on from there. Never rejects because of the worker.
 */
export async function readPipelined (fd: number, offset: number, size: number, sink: PipelineSink,
  afterWindow: (bytes: number, records: number) => Promise<void>): Promise<number> {
  const worker = crcWorker()
  if (worker === null) return offset
  const buffers: ArrayBuffer[] = []
  const indexes: Array<[Int32Array, Int32Array]> = []
  const inFlight: Array<Promise<CrcResult>> = []
  let readAt = offset
  let handled = offset
  let stop = false
  for (;;) {
    while (!stop && readAt < size && inFlight.length < IN_FLIGHT) {
      const ab = buffers.pop() ?? new ArrayBuffer(windowBytes)
      const u8 = new Uint8Array(ab)
      const n = readSync(fd, u8, 0, Math.min(size - readAt, windowBytes), readAt)
      const [s0, l0] = indexes.pop() ?? [new Int32Array(windowBytes >>> 5), new Int32Array(windowBytes >>> 5)]
      const fr = frameRecords(u8, Math.max(0, n), s0, l0)
      if (fr.count === 0) { stop = true; break }
      const p = worker.verify({ buf: ab, bytes: n, count: fr.count, starts: fr.starts, lengths: fr.lengths, base: readAt, consumed: fr.consumed })
      p.catch(() => {}) // awaited in order below; a failure there ends the pipeline
      inFlight.push(p)
      readAt += fr.consumed
      if (fr.problem) stop = true
    }
    const next = inFlight.shift()
    if (next === undefined) break
    let r: CrcResult
    try {
      r = await next
    } catch {
      break // the worker died: everything from `handled` on is read again sequentially
    }
    const u8 = new Uint8Array(r.buf, 0, r.bytes)
    let good = 0
    for (let i = 0; i < r.count; i++) {
      const s = r.starts[i]!
      if (r.ok[i] === 1) {
        good++
        sink.record(u8, s + HEADER_LENGTH, s + HEADER_LENGTH + r.lengths[i]!, r.base + s)
      } else {
        sink.badDataCrc(r.base + s)
      }
    }
    handled = r.base + r.consumed
    pipelinedWindows++
    buffers.push(r.buf)
    indexes.push([r.starts, r.lengths])
    await afterWindow(r.consumed, good)
  }
  return handled
}
