/** Records decoder→store calls as ops (layout.ts) and replays them into a sink. */

import type { EventSink, ValueMetadata } from '../records/event-decoder.js'
import type { ScalarDtype } from '../domain.js'
import { OP, DTYPES } from './layout.js'

const DTYPE_CODE = new Map<ScalarDtype, number>(DTYPES.map((d, i) => [d, i]))

/** Ops of one event file, appended in memory until taken (`take`). */
export class OpWriter {
  private buf = Buffer.allocUnsafe(64 * 1024)
  private n = 0
  private readonly tagIndex = new Map<unknown, number>()

  private room (k: number): void {
    if (this.n + k <= this.buf.length) return
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.n + k))
    this.buf.copy(next, 0, 0, this.n)
    this.buf = next
  }

  private u8 (v: number): void { this.buf[this.n++] = v }
  private u32 (v: number): void { this.buf.writeUInt32LE(v, this.n); this.n += 4 }
  private f64 (v: number): void { this.buf.writeDoubleLE(v, this.n); this.n += 8 }
  private str16 (s: string): void {
    const b = Buffer.from(s, 'utf8').subarray(0, 0xffff)
    this.room(2 + b.length)
    this.buf.writeUInt16LE(b.length, this.n); this.n += 2
    b.copy(this.buf, this.n); this.n += b.length
  }

  private str32 (s: string): void {
    const b = Buffer.from(s, 'utf8')
    this.room(4 + b.length)
    this.u32(b.length)
    b.copy(this.buf, this.n); this.n += b.length
  }

  /** The tag's index in this file, defining it on first use. */
  tag (handle: unknown, name: string): number {
    let i = this.tagIndex.get(handle)
    if (i === undefined) {
      i = this.tagIndex.size
      this.tagIndex.set(handle, i)
      this.room(1); this.u8(OP.TAG); this.str16(name)
    }
    return i
  }

  begin (wallTime: number, step: number): void { this.room(17); this.u8(OP.BEGIN); this.f64(wallTime); this.f64(step) }
  fileVersion (v: string): void { this.room(1); this.u8(OP.FILE_VERSION); this.str16(v) }
  sessionStart (): void { this.room(1); this.u8(OP.SESSION_START) }
  metadata (tag: number, md: ValueMetadata): void {
    this.room(6); this.u8(OP.METADATA); this.u32(tag); this.u8(md.dataClass & 0xff)
    this.str32(md.pluginName); this.str32(md.displayName); this.str32(md.description)
  }

  scalar (tag: number, value: number, dtype: ScalarDtype): void {
    this.room(14); this.u8(OP.SCALAR); this.u32(tag); this.f64(value); this.u8(DTYPE_CODE.get(dtype)!)
  }

  scalarEvent (tag: number, wallTime: number, step: number, value: number, dtype: ScalarDtype): void {
    this.room(30); this.u8(OP.SCALAR_EVENT); this.u32(tag); this.f64(wallTime); this.f64(step); this.f64(value); this.u8(DTYPE_CODE.get(dtype)!)
  }

  nonScalar (tag: number, hint: string): void { this.room(5); this.u8(OP.NON_SCALAR); this.u32(tag); this.str16(hint) }
  graph (): void { this.room(1); this.u8(OP.GRAPH) }
  end (hadSummary: boolean): void { this.room(2); this.u8(OP.END); this.u8(hadSummary ? 1 : 0) }
  issue (offset: number, kind: string): void { this.room(9); this.u8(OP.ISSUE); this.f64(offset); this.str16(kind) }

  get length (): number { return this.n }

  /** The ops written since the last take. */
  take (): Buffer {
    const out = Buffer.from(this.buf.subarray(0, this.n))
    this.n = 0
    return out
  }

  /** Continues a file whose earlier ops were replayed: its tags keep their indices. */
  adoptTags (handles: unknown[]): void {
    this.tagIndex.clear()
    handles.forEach((h, i) => this.tagIndex.set(h, i))
  }
}

/**
 * Wraps the run's sink: every call goes through, and is recorded into `writer` while one is set
 * (the file being read). The decoder's handle is the sink's own tag handle.
 */
export class RecordingSink<H extends { name: string }> implements EventSink<H> {
  writer: OpWriter | null = null
  constructor (private readonly inner: EventSink<H>) {}
  tag (name: string): H { return this.inner.tag(name) }
  wantsMetadata (t: H): boolean { return this.inner.wantsMetadata(t) }
  begin (wallTime: number, step: number): void { this.writer?.begin(wallTime, step); this.inner.begin(wallTime, step) }
  fileVersion (v: string): void { this.writer?.fileVersion(v); this.inner.fileVersion(v) }
  sessionStart (): void { this.writer?.sessionStart(); this.inner.sessionStart() }
  metadata (t: H, md: ValueMetadata): void {
    const w = this.writer
    if (w !== null) w.metadata(w.tag(t, t.name), md)
    this.inner.metadata(t, md)
  }

  scalar (t: H, value: number, dtype: ScalarDtype): void {
    const w = this.writer
    if (w !== null) w.scalar(w.tag(t, t.name), value, dtype)
    this.inner.scalar(t, value, dtype)
  }

  scalarEvent (t: H, wallTime: number, step: number, value: number, dtype: ScalarDtype): void {
    const w = this.writer
    if (w !== null) w.scalarEvent(w.tag(t, t.name), wallTime, step, value, dtype)
    if (this.inner.scalarEvent !== undefined) this.inner.scalarEvent(t, wallTime, step, value, dtype)
    else { this.inner.begin(wallTime, step); this.inner.scalar(t, value, dtype); this.inner.end(true) }
  }

  nonScalar (t: H, hint: string): void {
    const w = this.writer
    if (w !== null) w.nonScalar(w.tag(t, t.name), hint)
    this.inner.nonScalar(t, hint)
  }

  graph (): void { this.writer?.graph(); this.inner.graph() }
  end (hadSummary: boolean): void { this.writer?.end(hadSummary); this.inner.end(hadSummary) }
}

/**
 * Replays ops into `sink` (metadata only where the sink still wants it, as the decoder does).
 * Returns the tag handles in index order (to continue recording the file), or throws on an
 * unknown op (the caller then rebuilds the entry).
 */
export function replayOps<H> (payloads: Buffer[], sink: EventSink<H>, onIssue: (offset: number, kind: string) => void): H[] {
  const tags: H[] = []
  const str16 = (b: Buffer, o: number): [string, number] => { const n = b.readUInt16LE(o); return [b.toString('utf8', o + 2, o + 2 + n), o + 2 + n] }
  const str32 = (b: Buffer, o: number): [string, number] => { const n = b.readUInt32LE(o); return [b.toString('utf8', o + 4, o + 4 + n), o + 4 + n] }
  for (const b of payloads) {
    let o = 0
    const end = b.length
    while (o < end) {
      const op = b[o++]
      switch (op) {
        case OP.SCALAR_EVENT: {
          const t = tags[b.readUInt32LE(o)]!
          const wall = b.readDoubleLE(o + 4); const step = b.readDoubleLE(o + 12); const value = b.readDoubleLE(o + 20)
          const dtype = DTYPES[b[o + 28]!]!
          o += 29
          if (sink.scalarEvent !== undefined) sink.scalarEvent(t, wall, step, value, dtype)
          else { sink.begin(wall, step); sink.scalar(t, value, dtype); sink.end(true) }
          break
        }
        case OP.TAG: { const [name, next] = str16(b, o); o = next; tags.push(sink.tag(name)); break }
        case OP.BEGIN: sink.begin(b.readDoubleLE(o), b.readDoubleLE(o + 8)); o += 16; break
        case OP.FILE_VERSION: { const [v, next] = str16(b, o); o = next; sink.fileVersion(v); break }
        case OP.SESSION_START: sink.sessionStart(); break
        case OP.METADATA: {
          const t = tags[b.readUInt32LE(o)]!
          const dataClass = b[o + 4]!
          let pluginName, displayName, description
          [pluginName, o] = str32(b, o + 5);
          [displayName, o] = str32(b, o);
          [description, o] = str32(b, o)
          if (sink.wantsMetadata(t)) sink.metadata(t, { pluginName, displayName, description, dataClass })
          break
        }
        case OP.SCALAR: sink.scalar(tags[b.readUInt32LE(o)]!, b.readDoubleLE(o + 4), DTYPES[b[o + 12]!]!); o += 13; break
        case OP.NON_SCALAR: { const t = tags[b.readUInt32LE(o)]!; const [hint, next] = str16(b, o + 4); o = next; sink.nonScalar(t, hint); break }
        case OP.GRAPH: sink.graph(); break
        case OP.END: sink.end(b[o++] === 1); break
        case OP.ISSUE: { const off = b.readDoubleLE(o); const [kind, next] = str16(b, o + 8); o = next; onIssue(off, kind); break }
        default: throw new Error(`unknown cache op ${op}`)
      }
    }
  }
  return tags
}
