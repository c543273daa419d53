/** Decodes Event records straight from the wire into sink calls: scalars fast, everything else skipped cheaply. BYTES ONLY. */

import type { ScalarDtype } from '../domain.js'
import {
  WT_VARINT, WT_I64, WT_LEN, WT_I32,
  EVENT_WALL_TIME, EVENT_STEP, EVENT_FILE_VERSION, EVENT_GRAPH_DEF, EVENT_SUMMARY, EVENT_SESSION_LOG, EVENT_TAGGED_RUN_METADATA, EVENT_META_GRAPH_DEF,
  SESSION_STATUS_START, K_SESSION_STATUS, K_SUMMARY_VALUE,
  K_WALL_TIME, K_STEP, K_SUMMARY, K_VALUE_TAG, K_VALUE_SIMPLE, K_VALUE_TENSOR, K_VALUE_METADATA,
  K_VALUE_OLD_HISTOGRAM, K_VALUE_IMAGE, K_VALUE_HISTO, K_VALUE_AUDIO,
  K_PLUGIN_DATA, K_PLUGIN_NAME, K_DISPLAY_NAME, K_DESCRIPTION, K_DATA_CLASS,
  K_TENSOR_DTYPE, K_TENSOR_SHAPE, K_TENSOR_CONTENT, K_TENSOR_FLOAT_VAL, K_SHAPE_DIM, K_DIM_SIZE,
  TENSOR_DTYPE, TENSOR_SHAPE, TENSOR_CONTENT, TENSOR_FLOAT_VAL, TENSOR_DOUBLE_VAL, TENSOR_INT_VAL, TENSOR_STRING_VAL,
  TENSOR_SCOMPLEX_VAL, TENSOR_INT64_VAL, TENSOR_BOOL_VAL, TENSOR_DCOMPLEX_VAL, TENSOR_HALF_VAL, TENSOR_UINT32_VAL, TENSOR_UINT64_VAL,
  DT_FLOAT, DT_DOUBLE, DT_INT32, DT_UINT8, DT_INT16, DT_INT8, DT_INT64, DT_BOOL, DT_BFLOAT16, DT_UINT16, DT_HALF, DT_UINT32, DT_UINT64
} from './wire-fields.js'

/*
 * Why a hand-written wire reader and not protobufjs `Event.decode`: a generic decode allocates a
 * JS object per event, per value and per tensor, which costs 2–4× on 50-byte scalar records
 * (../shared/reference/PERFORMANCE_NOTES.md; bench/ measures it). The schema in proto/ is the
 * source of every field number and enum value below: wire-fields.ts reads them from it through
 * protobufjs reflection when the module loads, and proto.ts (protobufjs) is what the writer, the
 * tests and the fallback paths use. Unknown fields are skipped by wire type, as protobuf requires.
 */

/** TensorProto fields holding one number per element (not strings, not complex pairs). */
function isNumericValField (field: number): boolean {
  return field === TENSOR_FLOAT_VAL || field === TENSOR_DOUBLE_VAL || field === TENSOR_INT_VAL || field === TENSOR_INT64_VAL ||
    field === TENSOR_BOOL_VAL || field === TENSOR_HALF_VAL || field === TENSOR_UINT32_VAL || field === TENSOR_UINT64_VAL
}

/** Metadata of a Summary.Value as TensorBoard's Python loader sees it after its data_compat migration. */
export interface ValueMetadata {
  pluginName: string
  displayName: string
  description: string
  /** SummaryMetadata.data_class: 0 unknown, 1 scalar, 2 tensor, 3 blob sequence. */
  dataClass: number
}

/**
 * Receives decoded events. `tag(name)` is called once per distinct tag bytes seen by this decoder
 * and returns an opaque handle that later calls pass back, so the sink never hashes a string on the
 * hot path. `wantsMetadata(handle)` lets the sink skip metadata parsing once a tag has its first one.
 */
export interface EventSink<H> {
  tag (name: string): H
  wantsMetadata (handle: H): boolean
  /** Starts an event. Called for every record that parses. */
  begin (wallTime: number, step: number): void
  fileVersion (version: string): void
  sessionStart (): void
  /** First-seen metadata of a tag (after TB's migration: simple_value → plugin "scalars"). */
  metadata (handle: H, md: ValueMetadata): void
  /** A value that TensorBoard's Python loader reads as a number (one-element numeric tensor or simple_value). */
  scalar (handle: H, value: number, dtype: ScalarDtype): void
  /** A value that is not a single number (histogram, image, string tensor, multi-element tensor). */
  nonScalar (handle: H, pluginHint: string): void
  /** graph_def, meta_graph_def or tagged_run_metadata: only their presence matters here. */
  graph (): void
  /** Ends the event; `hadSummary` says whether it carried a Summary (TB's purge rules need it). */
  end (hadSummary: boolean): void
  /**
   * Optional: the same effects as `begin(wallTime, step)`, `scalar(handle, value, dtype)`,
   * `end(true)` for an event that holds exactly one numeric value and nothing else (the common
   * case, millions of times per file). A sink that has it saves two calls per record.
   */
  scalarEvent? (handle: H, wallTime: number, step: number, value: number, dtype: ScalarDtype): void
}

/** Why a record that passed its CRCs could not be used. */
export type DecodeIssueKind = 'invalid-proto' | 'nan-wall-time'

const textDecoder = new TextDecoder('utf-8', { fatal: false })
const f32 = new Float32Array(1)
const f32b = new Uint8Array(f32.buffer)
const f64 = new Float64Array(1)
const f64b = new Uint8Array(f64.buffer)

class WireError extends Error {}
const WIRE_ERROR = new WireError('malformed protobuf')

/**
 * Tag-bytes cache entry. `next` is the entry that followed this one last time: writers log their
 * tags in the same order every step, so checking it first almost always avoids hashing.
 */
interface TagEntry<H> {
  /** A copy: the caller's buffer is refilled with the next chunk (Buffer#slice would be a view of it). */
  bytes: Uint8Array
  handle: H
  next: TagEntry<H> | null
}

/**
 * Decodes records into an {@link EventSink}. One decoder per run (tag handles are per run).
 * Never throws on malformed input: `decode` returns the issue instead.
 */
export class EventDecoder<H> {
  private buf: Uint8Array = new Uint8Array(0)
  private pos = 0
  private readonly tags = new Map<number, TagEntry<H>[]>()
  private lastTag: TagEntry<H> | null = null
  /** Per-value scratch, reset for every Summary.Value. */
  private vTagStart = 0; private vTagEnd = 0
  private vKind = 0 // 0 none, 1 simple, 2 tensor, 3 non-scalar
  private vSimple = 0
  private vHint = ''
  private vTensorStart = 0; private vTensorEnd = 0
  private vMetaStart = -1; private vMetaEnd = 0

  private readonly fused: boolean

  constructor (private readonly sink: EventSink<H>) {
    this.fused = typeof sink.scalarEvent === 'function'
  }

  /** Decodes `buf[start, end)`; returns null on success or the reason the record was dropped. */
  decode (buf: Uint8Array, start: number, end: number): DecodeIssueKind | null {
    this.buf = buf
    if (this.scalarFastPath(buf, start, end)) return null
    this.pos = start
    try {
      return this.event(end)
    } catch (e) {
      if (e === WIRE_ERROR || e instanceof RangeError) return 'invalid-proto'
      throw e
    }
  }

  /**
   * Decodes, without the generic machinery, an Event holding exactly one Summary.Value that is a
   * float32 scalar in one of the shapes writers emit millions of times:
   *
   *     09 <wall_time f64> [10 <step varint>] 2a L 0a L 0a L <tag>
   *        ( 15 <simple_value f32>                                     TF1, PyTorch, tensorboardX
   *        | 42 L 08 01 [12 00] (22 04 | 2a 04) <f32> )               TF2 tensor_content / float_val
   *        [4a L <metadata>]
   *
   * (fields in number order, as every protobuf serialiser writes them; one-byte lengths, step below
   * 2^28). Returns false, having made no sink call that changes anything, for any other shape,
   * for a tag not seen before, and when the tag still wants its first metadata; the generic path
   * then decodes the record. Both paths give the same sink calls for every record this one
   * accepts (test/records/decoder-fast-path.test.ts checks it against the generic path).
   */
  private scalarFastPath (buf: Uint8Array, start: number, end: number): boolean {
    let p = start
    if (end - start < 17 || buf[p] !== K_WALL_TIME) return false
    const wallTime = readF64(buf, p + 1)
    if (Number.isNaN(wallTime)) return false
    p += 9
    let step = 0
    if (buf[p] === K_STEP) {
      // One loop for every length (not one branch per byte): the optimised code then has type
      // feedback for steps of any size from the first records on, instead of deoptimising when
      // the step first needs 2, then 3 bytes.
      p++
      for (let shift = 0; ; shift += 7) {
        const b = buf[p++]!
        step |= (b & 0x7f) << shift
        if (b < 0x80) break
        if (shift === 21) return false
      }
    }
    // Summary (field 5) that ends the record and holds one Value (field 1) filling it.
    if (buf[p] !== K_SUMMARY || buf[p + 2] !== K_SUMMARY_VALUE) return false
    const summaryLen = buf[p + 1]!
    const valueLen = buf[p + 3]!
    if (summaryLen >= 0x80 || p + 2 + summaryLen !== end || valueLen + 2 !== summaryLen) return false
    p += 4
    if (buf[p] !== K_VALUE_TAG) return false
    const tagLen = buf[p + 1]!
    if (tagLen >= 0x80) return false
    const tagStart = p + 2
    p = tagStart + tagLen
    if (p + 5 > end) return false
    let value: number
    const key = buf[p]
    if (key === K_VALUE_SIMPLE) {
      value = readF32(buf, p + 1)
      p += 5
    } else if (key === K_VALUE_TENSOR) {
      // TensorProto: dtype DT_FLOAT, optional empty shape, one float in tensor_content or float_val
      const tensorLen = buf[p + 1]!
      const tensorEnd = p + 2 + tensorLen
      p += 2
      if (tensorLen >= 0x80 || tensorEnd > end || buf[p] !== K_TENSOR_DTYPE || buf[p + 1] !== DT_FLOAT) return false
      p += 2
      if (buf[p] === K_TENSOR_SHAPE && buf[p + 1] === 0x00) p += 2
      if ((buf[p] !== K_TENSOR_CONTENT && buf[p] !== K_TENSOR_FLOAT_VAL) || buf[p + 1] !== 0x04) return false
      value = readF32(buf, p + 2)
      p += 6
      if (p !== tensorEnd) return false
    } else {
      return false
    }
    if (p !== end) {
      // metadata (field 9) as the last field: only the first one of a tag matters, and the generic path reads that
      if (buf[p] !== K_VALUE_METADATA || buf[p + 1]! >= 0x80 || p + 2 + buf[p + 1]! !== end) return false
    }
    this.vTagStart = tagStart
    this.vTagEnd = tagStart + tagLen
    // A tag met for the first time goes through the generic path, which asks the sink for its
    // handle after `begin`, in the order the sink has always seen.
    const known = this.knownTag()
    if (known === null) return false
    const handle = known.handle
    const sink = this.sink
    if (sink.wantsMetadata(handle)) return false
    if (this.fused) {
      sink.scalarEvent!(handle, wallTime, step, value, 'float32')
    } else {
      sink.begin(wallTime, step)
      sink.scalar(handle, value, 'float32')
      sink.end(true)
    }
    return true
  }

  private event (end: number): DecodeIssueKind | null {
    const buf = this.buf
    let wallTime = 0
    let step = 0
    let summaryStart = -1; let summaryEnd = 0
    let fileVersionStart = -1; let fileVersionEnd = 0
    let sessionStart = false
    let graph = false
    while (this.pos < end) {
      const key = this.varint32()
      const field = key >>> 3
      const wt = key & 7
      if (field === EVENT_WALL_TIME && wt === WT_I64) {
        wallTime = this.double(end)
      } else if (field === EVENT_STEP && wt === WT_VARINT) {
        step = this.varint64()
      } else if (field === EVENT_SUMMARY && wt === WT_LEN) {
        const len = this.len(end)
        summaryStart = this.pos; summaryEnd = this.pos + len
        this.pos = summaryEnd
      } else if (field === EVENT_FILE_VERSION && wt === WT_LEN) {
        const len = this.len(end)
        fileVersionStart = this.pos; fileVersionEnd = this.pos + len
        this.pos += len
      } else if (field === EVENT_SESSION_LOG && wt === WT_LEN) {
        const len = this.len(end)
        sessionStart = this.sessionLogIsStart(this.pos + len)
      } else if ((field === EVENT_GRAPH_DEF || field === EVENT_TAGGED_RUN_METADATA || field === EVENT_META_GRAPH_DEF) && wt === WT_LEN) {
        graph = true
        this.skipLen(end)
      } else {
        this.skip(wt, end)
      }
    }
    if (this.pos !== end) throw WIRE_ERROR
    if (Number.isNaN(wallTime)) return 'nan-wall-time'
    const sink = this.sink
    sink.begin(wallTime, step)
    if (fileVersionStart >= 0) sink.fileVersion(textDecoder.decode(buf.subarray(fileVersionStart, fileVersionEnd)))
    if (sessionStart) sink.sessionStart()
    if (graph) sink.graph()
    if (summaryStart >= 0) {
      this.pos = summaryStart
      this.summary(summaryEnd)
    }
    sink.end(summaryStart >= 0)
    return null
  }

  private sessionLogIsStart (end: number): boolean {
    let start = false
    while (this.pos < end) {
      const key = this.varint32()
      if (key === K_SESSION_STATUS) start = this.varint32() === SESSION_STATUS_START
      else this.skip(key & 7, end)
    }
    return start
  }

  private summary (end: number): void {
    while (this.pos < end) {
      const key = this.varint32()
      if (key === K_SUMMARY_VALUE) {
        const len = this.len(end)
        this.value(this.pos + len)
      } else {
        this.skip(key & 7, end)
      }
    }
  }

  private value (end: number): void {
    this.vTagStart = this.vTagEnd = 0
    this.vKind = 0
    this.vMetaStart = -1
    while (this.pos < end) {
      const key = this.varint32()
      switch (key) {
        case K_VALUE_TAG: { const len = this.len(end); this.vTagStart = this.pos; this.vTagEnd = this.pos + len; this.pos += len; break }
        case K_VALUE_SIMPLE: this.vKind = 1; this.vSimple = this.float(end); break
        case K_VALUE_TENSOR: { const len = this.len(end); this.vKind = 2; this.vTensorStart = this.pos; this.vTensorEnd = this.pos + len; this.pos += len; break }
        case K_VALUE_METADATA: { const len = this.len(end); this.vMetaStart = this.pos; this.vMetaEnd = this.pos + len; this.pos += len; break }
        case K_VALUE_OLD_HISTOGRAM: this.vKind = 3; this.vHint = 'histograms'; this.skipLen(end); break
        case K_VALUE_IMAGE: this.vKind = 3; this.vHint = 'images'; this.skipLen(end); break
        case K_VALUE_HISTO: this.vKind = 3; this.vHint = 'histograms'; this.skipLen(end); break
        case K_VALUE_AUDIO: this.vKind = 3; this.vHint = 'audio'; this.skipLen(end); break
        default: this.skip(key & 7, end)
      }
    }
    const handle = this.tagHandle()
    const sink = this.sink
    const kind = this.vKind
    if (sink.wantsMetadata(handle)) {
      // TB's data_compat gives simple_value, histo, image and audio values fresh metadata naming
      // their plugin (display name defaulting to the tag); tensor values keep theirs as written.
      if (kind === 1 || kind === 3) {
        const md = this.vMetaStart >= 0 ? this.metadata(this.vMetaStart, this.vMetaEnd) : null
        sink.metadata(handle, {
          pluginName: kind === 1 ? 'scalars' : this.vHint,
          displayName: md?.displayName || textDecoder.decode(this.buf.subarray(this.vTagStart, this.vTagEnd)),
          description: md?.description ?? '',
          dataClass: kind === 1 ? 1 : (this.vHint === 'histograms' ? 2 : 3)
        })
      } else if (this.vMetaStart >= 0) {
        const md = this.metadata(this.vMetaStart, this.vMetaEnd)
        if (md) sink.metadata(handle, md)
      }
    }
    if (kind === 1) {
      sink.scalar(handle, this.vSimple, 'float32')
    } else if (kind === 2) {
      this.pos = this.vTensorStart
      this.tensor(handle, this.vTensorEnd)
    } else if (kind === 3) {
      sink.nonScalar(handle, this.vHint)
    }
    this.pos = end
  }

  /** Parses SummaryMetadata; returns null when it names no plugin and nothing else. */
  private metadata (start: number, end: number): ValueMetadata | null {
    const saved = this.pos
    this.pos = start
    let pluginName = ''; let displayName = ''; let description = ''; let dataClass = 0
    while (this.pos < end) {
      const key = this.varint32()
      if (key === K_PLUGIN_DATA) {
        const pEnd = this.lenEnd(end)
        while (this.pos < pEnd) {
          const k2 = this.varint32()
          if (k2 === K_PLUGIN_NAME) pluginName = this.string(pEnd)
          else this.skip(k2 & 7, pEnd)
        }
      } else if (key === K_DISPLAY_NAME) displayName = this.string(end)
      else if (key === K_DESCRIPTION) description = this.string(end)
      else if (key === K_DATA_CLASS) dataClass = this.varint32()
      else this.skip(key & 7, end)
    }
    this.pos = saved
    return { pluginName, displayName, description, dataClass }
  }

  /**
   * Reads a TensorProto the way TB's Python loader does (`make_ndarray(t).item()`): any numeric
   * dtype, from `tensor_content` or from the dtype's repeated field, if it holds exactly one element.
   */
  private tensor (handle: H, end: number): void {
    let dtype = 0
    let elements = 1
    let contentStart = -1; let contentEnd = 0
    // first element and element count of each repeated field we may need
    let valField = 0; let valCount = 0; let valFirst = 0
    while (this.pos < end) {
      const key = this.varint32()
      const field = key >>> 3
      const wt = key & 7
      if (field === TENSOR_DTYPE && wt === WT_VARINT) { dtype = this.varint32() } else if (field === TENSOR_SHAPE && wt === WT_LEN) {
        elements = this.shapeElements(this.lenEnd(end))
      } else if (field === TENSOR_CONTENT && wt === WT_LEN) {
        const len = this.len(end); contentStart = this.pos; contentEnd = this.pos + len; this.pos += len
      } else if (isNumericValField(field)) {
        const [count, first] = this.repeatedNumber(field, wt, end)
        if (valField === field) { valCount += count } else { valField = field; valCount = count; valFirst = first }
      } else if (field === TENSOR_STRING_VAL) {
        valField = TENSOR_STRING_VAL; valCount++; this.skip(wt, end)
      } else {
        this.skip(wt, end)
      }
    }
    if (elements !== 1) { this.sink.nonScalar(handle, ''); return }
    const dt = scalarDtype(dtype)
    if (dt === null) { this.sink.nonScalar(handle, ''); return }
    let value: number
    if (contentStart >= 0 && contentEnd > contentStart) {
      const v = readContent(this.buf, contentStart, contentEnd - contentStart, dtype)
      if (v === null) { this.sink.nonScalar(handle, ''); return }
      value = v
    } else {
      const want = fieldForDtype(dtype)
      if (valField === want && valCount > 1) { this.sink.nonScalar(handle, ''); return }
      value = valField === want && valCount === 1 ? convertField(dtype, valFirst) : 0
    }
    this.sink.scalar(handle, value, dt)
  }

  /** Product of dim sizes of a TensorShapeProto (1 for rank 0). */
  private shapeElements (end: number): number {
    let n = 1
    while (this.pos < end) {
      const key = this.varint32()
      if (key === K_SHAPE_DIM) {
        const dEnd = this.lenEnd(end)
        let size = 0
        while (this.pos < dEnd) {
          const k = this.varint32()
          if (k === K_DIM_SIZE) size = this.varint64()
          else this.skip(k & 7, dEnd)
        }
        n *= size
      } else this.skip(key & 7, end)
    }
    return n
  }

  /** Reads one occurrence (packed or not) of a numeric repeated field: [count, first value]. */
  private repeatedNumber (field: number, wt: number, end: number): [number, number] {
    const fixed32 = field === TENSOR_FLOAT_VAL || field === TENSOR_SCOMPLEX_VAL
    const fixed64 = field === TENSOR_DOUBLE_VAL || field === TENSOR_DCOMPLEX_VAL
    const int64 = field === TENSOR_INT64_VAL || field === TENSOR_UINT64_VAL
    if (wt === WT_LEN) {
      const len = this.len(end)
      const pEnd = this.pos + len
      if (len === 0) return [0, 0]
      let first: number
      let count: number
      if (fixed32) { first = this.float(pEnd); count = len >>> 2; if (len & 3) throw WIRE_ERROR } else if (fixed64) { first = this.double(pEnd); count = len >>> 3; if (len & 7) throw WIRE_ERROR } else {
        first = int64 ? this.varint64(field === TENSOR_UINT64_VAL) : this.varintAsInt32(field)
        count = 1
        while (this.pos < pEnd) { this.varint64(); count++ }
      }
      this.pos = pEnd
      return [count, first]
    }
    if (wt === WT_I32) return [1, this.float(end)]
    if (wt === WT_I64) return [1, this.double(end)]
    if (wt === WT_VARINT) return [1, int64 ? this.varint64(field === TENSOR_UINT64_VAL) : this.varintAsInt32(field)]
    this.skip(wt, end)
    return [0, 0]
  }

  /** The handle of the tag at `buf[vTagStart, vTagEnd)`, asking the sink for one the first time. */
  private tagHandle (): H {
    const known = this.knownTag()
    if (known !== null) return known.handle
    const buf = this.buf
    const s = this.vTagStart; const e = this.vTagEnd
    const h = fnv1a(buf, s, e)
    let bucket = this.tags.get(h)
    if (bucket === undefined) {
      bucket = []
      this.tags.set(h, bucket)
    }
    const entry: TagEntry<H> = { bytes: new Uint8Array(buf.subarray(s, e)), handle: this.sink.tag(textDecoder.decode(buf.subarray(s, e))), next: null }
    bucket.push(entry)
    if (this.lastTag !== null) this.lastTag.next = entry
    this.lastTag = entry
    return entry.handle
  }

  /** The cache entry of the tag at `buf[vTagStart, vTagEnd)`, or null if this decoder never saw it. */
  private knownTag (): TagEntry<H> | null {
    const buf = this.buf
    const s = this.vTagStart; const e = this.vTagEnd
    const last = this.lastTag
    if (last !== null) {
      const next = last.next
      if (next !== null && bytesEqual(next.bytes, buf, s, e)) { this.lastTag = next; return next }
      if (bytesEqual(last.bytes, buf, s, e)) return last
    }
    const bucket = this.tags.get(fnv1a(buf, s, e))
    if (bucket !== undefined) {
      for (const entry of bucket) {
        if (bytesEqual(entry.bytes, buf, s, e)) {
          if (last !== null) last.next = entry
          this.lastTag = entry
          return entry
        }
      }
    }
    return null
  }

  // ---- wire primitives (bounds-checked: a malformed record throws WIRE_ERROR, never reads past `end`)

  private varint32 (): number {
    const buf = this.buf
    let pos = this.pos
    let b = buf[pos++]!
    let v = b & 0x7f
    if (b >= 0x80) {
      b = buf[pos++]!; v |= (b & 0x7f) << 7
      if (b >= 0x80) {
        b = buf[pos++]!; v |= (b & 0x7f) << 14
        if (b >= 0x80) {
          b = buf[pos++]!; v |= (b & 0x7f) << 21
          if (b >= 0x80) {
            b = buf[pos++]!; v |= (b & 0x0f) << 28
            // remaining bytes of a 64-bit varint (negative enums) are discarded
            while (b >= 0x80 && pos - this.pos < 10) b = buf[pos++]!
            if (b >= 0x80 || b === undefined) throw WIRE_ERROR
          }
        }
      }
    }
    if (b === undefined || pos > buf.length) throw WIRE_ERROR
    this.pos = pos
    return v >>> 0
  }

  /** int64 varint as a JS number (two's complement for negatives; exact up to 2^53). */
  private varint64 (unsigned = false): number {
    const buf = this.buf
    let pos = this.pos
    let lo = 0; let hi = 0; let shift = 0; let b = 0
    for (let i = 0; i < 10; i++) {
      b = buf[pos++]!
      if (b === undefined) throw WIRE_ERROR
      if (shift < 28) lo |= (b & 0x7f) << shift
      else if (shift === 28) { lo |= (b & 0x0f) << 28; hi |= (b & 0x7f) >>> 4 } else hi |= (b & 0x7f) << (shift - 32)
      shift += 7
      if (b < 0x80) break
    }
    if (b >= 0x80) throw WIRE_ERROR
    this.pos = pos
    lo >>>= 0
    if (!unsigned && (hi & 0x80000000) !== 0) {
      // negative: -(~x + 1)
      const nlo = (~lo + 1) >>> 0
      const nhi = (~hi + (nlo === 0 ? 1 : 0)) >>> 0
      return -(nhi * 4294967296 + nlo)
    }
    return (hi >>> 0) * 4294967296 + lo
  }

  /** int32-typed varint field (int_val, half_val, uint32_val) keeping its declared signedness. */
  private varintAsInt32 (field: number): number {
    const v = this.varint64(field === TENSOR_UINT32_VAL)
    return field === TENSOR_UINT32_VAL ? v >>> 0 : v | 0
  }

  private len (end: number): number {
    const n = this.varint32()
    if (this.pos + n > end) throw WIRE_ERROR
    return n
  }

  /** Reads a length prefix and returns where the delimited bytes end. */
  private lenEnd (end: number): number {
    const n = this.len(end)
    return this.pos + n
  }

  /** Skips a length-delimited field's bytes. */
  private skipLen (end: number): void {
    const n = this.len(end)
    this.pos += n
  }

  private float (end: number): number {
    const p = this.pos
    if (p + 4 > end) throw WIRE_ERROR
    const buf = this.buf
    f32b[0] = buf[p]!; f32b[1] = buf[p + 1]!; f32b[2] = buf[p + 2]!; f32b[3] = buf[p + 3]!
    this.pos = p + 4
    return f32[0]!
  }

  private double (end: number): number {
    const p = this.pos
    if (p + 8 > end) throw WIRE_ERROR
    const buf = this.buf
    for (let i = 0; i < 8; i++) f64b[i] = buf[p + i]!
    this.pos = p + 8
    return f64[0]!
  }

  private string (end: number): string {
    const len = this.len(end)
    const s = textDecoder.decode(this.buf.subarray(this.pos, this.pos + len))
    this.pos += len
    return s
  }

  private skip (wt: number, end: number): void {
    switch (wt) {
      case 0: this.varint64(); break
      case 1: this.pos += 8; break
      case 2: this.skipLen(end); break
      case 5: this.pos += 4; break
      default: throw WIRE_ERROR // groups (3, 4) never appear in these messages
    }
    if (this.pos > end) throw WIRE_ERROR
  }
}

/** Little-endian float64 at `buf[p]` (unaligned), through an 8-byte scratch. */
function readF64 (buf: Uint8Array, p: number): number {
  f64b[0] = buf[p]!; f64b[1] = buf[p + 1]!; f64b[2] = buf[p + 2]!; f64b[3] = buf[p + 3]!
  f64b[4] = buf[p + 4]!; f64b[5] = buf[p + 5]!; f64b[6] = buf[p + 6]!; f64b[7] = buf[p + 7]!
  return f64[0]!
}

/** Little-endian float32 at `buf[p]` (unaligned). */
function readF32 (buf: Uint8Array, p: number): number {
  f32b[0] = buf[p]!; f32b[1] = buf[p + 1]!; f32b[2] = buf[p + 2]!; f32b[3] = buf[p + 3]!
  return f32[0]!
}

/** 32-bit FNV-1a of `buf[s, e)`. */
function fnv1a (buf: Uint8Array, s: number, e: number): number {
  let h = 0x811c9dc5
  for (let i = s; i < e; i++) h = Math.imul(h ^ buf[i]!, 0x01000193)
  return h
}

function bytesEqual (a: Uint8Array, buf: Uint8Array, s: number, e: number): boolean {
  if (a.length !== e - s) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== buf[s + i]) return false
  return true
}

/** Source-encoding label of a numeric dtype, or null for non-numeric dtypes (strings, complex, …). */
function scalarDtype (dtype: number): ScalarDtype | null {
  switch (dtype) {
    case DT_FLOAT: return 'float32'
    case DT_DOUBLE: return 'float64'
    case DT_HALF: return 'float16'
    case DT_BFLOAT16: return 'bfloat16'
    case DT_INT32: case DT_UINT8: case DT_INT16: case DT_INT8: case DT_INT64:
    case DT_UINT16: case DT_UINT32: case DT_UINT64: return 'int'
    case DT_BOOL: return 'bool'
    default: return null
  }
}

/** TensorProto field that holds values of `dtype` when tensor_content is empty. */
function fieldForDtype (dtype: number): number {
  switch (dtype) {
    case DT_FLOAT: return TENSOR_FLOAT_VAL
    case DT_DOUBLE: return TENSOR_DOUBLE_VAL
    case DT_INT32: case DT_UINT8: case DT_INT16: case DT_INT8: case DT_UINT16: return TENSOR_INT_VAL
    case DT_INT64: return TENSOR_INT64_VAL
    case DT_BOOL: return TENSOR_BOOL_VAL
    case DT_HALF: case DT_BFLOAT16: return TENSOR_HALF_VAL
    case DT_UINT32: return TENSOR_UINT32_VAL
    case DT_UINT64: return TENSOR_UINT64_VAL
    default: return -1
  }
}

/** Converts the raw first element of a dtype's field to its numeric value. */
function convertField (dtype: number, raw: number): number {
  switch (dtype) {
    case DT_HALF: return halfToNumber(raw & 0xffff)
    case DT_BFLOAT16: return bfloat16ToNumber(raw & 0xffff)
    case DT_UINT8: return raw & 0xff
    case DT_INT8: return (raw << 24) >> 24
    case DT_INT16: return (raw << 16) >> 16
    case DT_UINT16: return raw & 0xffff
    case DT_BOOL: return raw ? 1 : 0
    default: return raw
  }
}

/** Reads one little-endian element of `dtype` from tensor_content; null if the size is not one element. */
function readContent (buf: Uint8Array, start: number, len: number, dtype: number): number | null {
  const dv = new DataView(buf.buffer, buf.byteOffset + start, len)
  switch (dtype) {
    case DT_FLOAT: return len === 4 ? dv.getFloat32(0, true) : null
    case DT_DOUBLE: return len === 8 ? dv.getFloat64(0, true) : null
    case DT_HALF: return len === 2 ? halfToNumber(dv.getUint16(0, true)) : null
    case DT_BFLOAT16: return len === 2 ? bfloat16ToNumber(dv.getUint16(0, true)) : null
    case DT_INT8: return len === 1 ? dv.getInt8(0) : null
    case DT_UINT8: return len === 1 ? dv.getUint8(0) : null
    case DT_BOOL: return len === 1 ? (dv.getUint8(0) ? 1 : 0) : null
    case DT_INT16: return len === 2 ? dv.getInt16(0, true) : null
    case DT_UINT16: return len === 2 ? dv.getUint16(0, true) : null
    case DT_INT32: return len === 4 ? dv.getInt32(0, true) : null
    case DT_UINT32: return len === 4 ? dv.getUint32(0, true) : null
    case DT_INT64: return len === 8 ? Number(dv.getBigInt64(0, true)) : null
    case DT_UINT64: return len === 8 ? Number(dv.getBigUint64(0, true)) : null
    default: return null
  }
}

/** IEEE 754 binary16 bit pattern → number. */
export function halfToNumber (h: number): number {
  const sign = h & 0x8000 ? -1 : 1
  const exp = (h >>> 10) & 0x1f
  const frac = h & 0x3ff
  if (exp === 0) return sign * frac * 2 ** -24
  if (exp === 0x1f) return frac ? NaN : sign * Infinity
  return sign * (1 + frac / 1024) * 2 ** (exp - 15)
}

/** bfloat16 bit pattern (upper half of a float32) → number. */
export function bfloat16ToNumber (b: number): number {
  const v = new DataView(new ArrayBuffer(4))
  v.setUint32(0, (b & 0xffff) << 16 >>> 0)
  return v.getFloat32(0)
}
