/**
 * The restart cache's binary layout (docs/cache.md): one file per run, `<key>.run`, key = the
 * first 32 hex digits of SHA-256(logdir location, NUL, run name):
 *
 *   'LBCR' | u32 FORMAT_VERSION | u32 n | n bytes UTF-8 JSON (EntryJson) | zero padding to 8 |
 *   column bytes (each column's `length` elements, little-endian, 8-byte aligned) | u32 crc32c of all before
 *
 * The JSON holds the run's state (RunState.snapshot()) with each series' columns replaced by
 * descriptors into the column bytes, and per event file its reading state, identity and the 16
 * bytes before its offset. Non-finite numbers in the JSON are written as {"$nf": "NaN"|"Infinity"|"-Infinity"}.
 */

import { crc32c } from '../records/masked-crc.js'
import type { RunSnapshot } from '../store/scalar-store.js'
import type { SeriesSnapshot } from '../store/scalar-series.js'
import type { FileSnapshot } from '../logdir/run-loader.js'

export const MAGIC = 'LBCR'
/** Bumped whenever the layout or the meaning of a field changes: older entries are rebuilt. */
export const FORMAT_VERSION = 1

export interface CachedFile {
  /** Source identity when written (dev:ino:birth time, or the ETag). */
  identity: string | null
  /** Base64 of the ≤ 16 bytes before the file's offset. */
  tail: string
  state: FileSnapshot
}

export interface RunEntry {
  location: string
  run: string
  files: CachedFile[]
  snap: RunSnapshot
}

type ColType = 'i32' | 'f32' | 'f64'
interface ColRef { type: ColType, offset: number, length: number }
type SeriesJson = Omit<SeriesSnapshot, 'steps' | 'wallTimes' | 'values'> & { steps: ColRef, wallTimes: ColRef, values: ColRef }

const SIZE: Record<ColType, number> = { i32: 4, f32: 4, f64: 8 }

function typeOf (a: Int32Array | Float32Array | Float64Array): ColType {
  return a instanceof Int32Array ? 'i32' : a instanceof Float32Array ? 'f32' : 'f64'
}

function replacer (_k: string, v: unknown): unknown {
  return typeof v === 'number' && !Number.isFinite(v) ? { $nf: String(v) } : v
}

function reviver (_k: string, v: unknown): unknown {
  if (v !== null && typeof v === 'object' && '$nf' in v && Object.keys(v).length === 1) return Number((v as { $nf: string }).$nf)
  return v
}

/** The entry as the chunks of one file (written in one go). */
export function encodeEntry (e: RunEntry): Buffer[] {
  const cols: Array<Int32Array | Float32Array | Float64Array> = []
  let at = 0
  const ref = (a: Int32Array | Float32Array | Float64Array, length: number): ColRef => {
    const type = typeOf(a)
    const r = { type, offset: at, length }
    cols.push(a.subarray(0, length))
    at += Math.ceil(length * SIZE[type] / 8) * 8
    return r
  }
  const snap = {
    ...e.snap,
    tags: e.snap.tags.map(t => {
      if (t.series === null) return t
      const s = t.series
      const series: SeriesJson = { ...s, steps: ref(s.steps, s.length), wallTimes: ref(s.wallTimes, s.length), values: ref(s.values, s.length) }
      return { ...t, series }
    })
  }
  const json = Buffer.from(JSON.stringify({ location: e.location, run: e.run, files: e.files, snap }, replacer), 'utf8')
  const headLen = Math.ceil((12 + json.length) / 8) * 8
  const head = Buffer.alloc(headLen)
  head.write(MAGIC, 0, 'latin1')
  head.writeUInt32LE(FORMAT_VERSION, 4)
  head.writeUInt32LE(json.length, 8)
  json.copy(head, 12)
  const body = Buffer.alloc(at)
  let o = 0
  for (const c of cols) {
    Buffer.from(c.buffer, c.byteOffset, c.byteLength).copy(body, o)
    o += Math.ceil(c.byteLength / 8) * 8
  }
  const crc = Buffer.alloc(4)
  crc.writeUInt32LE(crc32c(Buffer.concat([head, body])))
  return [head, body, crc]
}

/**
 * The entry, or why it cannot be used. Columns are views into `buf` where they are aligned (no
 * copy: a fresh megabyte costs ~3 ms of page faults on the machines measured, so copying doubled
 * the restore time); `buf` must not be reused by the caller.
 */
export function decodeEntry (buf: Buffer): RunEntry | string {
  if (buf.length < 16) return 'truncated'
  if (buf.toString('latin1', 0, 4) !== MAGIC) return 'not a cache entry'
  const version = buf.readUInt32LE(4)
  if (version !== FORMAT_VERSION) return `format version ${version}, expected ${FORMAT_VERSION}`
  if (crc32c(buf, 0, buf.length - 4) !== buf.readUInt32LE(buf.length - 4)) return 'checksum mismatch'
  const n = buf.readUInt32LE(8)
  if (12 + n > buf.length - 4) return 'truncated'
  const base = Math.ceil((12 + n) / 8) * 8
  let parsed: { location: string, run: string, files: CachedFile[], snap: Omit<RunSnapshot, 'tags'> & { tags: Array<Omit<RunSnapshot['tags'][number], 'series'> & { series: SeriesJson | null }> } }
  try { parsed = JSON.parse(buf.toString('utf8', 12, 12 + n), reviver) } catch { return 'JSON unreadable' }
  const col = (r: ColRef): Int32Array | Float32Array | Float64Array => {
    const start = base + r.offset
    const bytes = r.length * SIZE[r.type]
    if (start + bytes > buf.length - 4) throw new Error('column out of range')
    let ab: ArrayBufferLike = buf.buffer
    let at = buf.byteOffset + start
    if (at % 8 !== 0) {
      const copy = new ArrayBuffer(bytes)
      new Uint8Array(copy).set(buf.subarray(start, start + bytes))
      ab = copy
      at = 0
    }
    return r.type === 'i32' ? new Int32Array(ab, at, r.length) : r.type === 'f32' ? new Float32Array(ab, at, r.length) : new Float64Array(ab, at, r.length)
  }
  try {
    const tags = parsed.snap.tags.map(t => {
      if (t.series === null) return { ...t, series: null }
      const s = t.series
      const series: SeriesSnapshot = {
        ...s,
        steps: col(s.steps) as Int32Array | Float64Array,
        wallTimes: col(s.wallTimes) as Float64Array,
        values: col(s.values) as Float32Array | Float64Array
      }
      return { ...t, series }
    })
    return { location: parsed.location, run: parsed.run, files: parsed.files, snap: { ...parsed.snap, tags } }
  } catch (err) {
    return (err as Error).message
  }
}
