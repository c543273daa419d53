/**
 * The restart cache's binary layout (docs/cache.md): one file per run, `<key>.run`, key = the
 * first 32 hex digits of SHA-256(logdir location, NUL, run name):
 *
 *   'LBCR' | u32 FORMAT_VERSION | u32 n | n bytes UTF-8 JSON (EntryJson) | zero padding to 8 |
 *   column bytes (each column's `length` elements, little-endian, 8-byte aligned) | u32 crc32c of all before
 *
 * The JSON holds the run's state (RunState.snapshot()) with each series' columns and each of its
 * min/max pyramid's level arrays replaced by descriptors into the column bytes, and per event file
 * its reading state, identity and the 16 bytes before its offset. Non-finite numbers in the JSON
 * are written as {"$nf": "NaN"|"Infinity"|"-Infinity"}.
 *
 * Version 2 moved the pyramid's arrays out of the JSON: version 1 wrote them as JSON objects
 * (4.4 MB of JSON per 5 M-point run, parsed on every restart) and restored them as plain objects
 * instead of typed arrays.
 */

import { crc32c } from '../records/masked-crc.js'
import type { RunSnapshot } from '../store/scalar-store.js'
import type { SeriesSnapshot } from '../store/scalar-series.js'
import type { PyramidSnapshot } from '../store/minmax-pyramid.js'
import type { FileSnapshot } from '../logdir/run-loader.js'

export const MAGIC = 'LBCR'
/** Bumped whenever the layout or the meaning of a field changes: older entries are rebuilt. */
export const FORMAT_VERSION = 2

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

type ColType = 'i32' | 'u32' | 'f32' | 'f64'
type Col = Int32Array | Uint32Array | Float32Array | Float64Array
interface ColRef { type: ColType, offset: number, length: number }
type Level = PyramidSnapshot['levels'][number]
type LevelJson = { length: number } & { [K in 'minP' | 'maxP' | 'badP' | 'minV' | 'maxV']: ColRef }
type SeriesJson = Omit<SeriesSnapshot, 'steps' | 'wallTimes' | 'values' | 'pyramid'> & { steps: ColRef, wallTimes: ColRef, values: ColRef, pyramid: { levels: LevelJson[] } }

const SIZE: Record<ColType, number> = { i32: 4, u32: 4, f32: 4, f64: 8 }

function typeOf (a: Col): ColType {
  return a instanceof Int32Array ? 'i32' : a instanceof Uint32Array ? 'u32' : a instanceof Float32Array ? 'f32' : 'f64'
}

function replacer (_k: string, v: unknown): unknown {
  return typeof v === 'number' && !Number.isFinite(v) ? { $nf: String(v) } : v
}

function reviver (_k: string, v: unknown): unknown {
  if (v !== null && typeof v === 'object' && '$nf' in v && Object.keys(v).length === 1) return Number((v as { $nf: string }).$nf)
  return v
}

/** The entry as the bytes of its file. */
export function encodeEntry (e: RunEntry): Buffer {
  const cols: Col[] = []
  let at = 0
  const ref = (a: Col, length: number): ColRef => {
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
      // A level keeps at least one slot, so that appending after a restore can double its capacity.
      const level = (l: Level): LevelJson => {
        const n = Math.max(l.length, 1)
        return { length: l.length, minP: ref(l.minP, n), maxP: ref(l.maxP, n), badP: ref(l.badP, n), minV: ref(l.minV, n), maxV: ref(l.maxV, n) }
      }
      const series: SeriesJson = {
        ...s,
        steps: ref(s.steps, s.length),
        wallTimes: ref(s.wallTimes, s.length),
        values: ref(s.values, s.length),
        pyramid: { levels: s.pyramid.levels.map(level) }
      }
      return { ...t, series }
    })
  }
  const json = Buffer.from(JSON.stringify({ location: e.location, run: e.run, files: e.files, snap }, replacer), 'utf8')
  const base = Math.ceil((12 + json.length) / 8) * 8
  // One buffer, written in place: the checksum runs over it without a concatenated copy.
  const out = Buffer.alloc(base + at + 4)
  out.write(MAGIC, 0, 'latin1')
  out.writeUInt32LE(FORMAT_VERSION, 4)
  out.writeUInt32LE(json.length, 8)
  json.copy(out, 12)
  let o = base
  for (const c of cols) {
    out.set(new Uint8Array(c.buffer, c.byteOffset, c.byteLength), o)
    o += Math.ceil(c.byteLength / 8) * 8
  }
  out.writeUInt32LE(crc32c(out, 0, out.length - 4), out.length - 4)
  return out
}

/** The checks that need only the bytes: why `buf` is not a current, intact entry, or null. `crcOk` is the checksum's verdict when it was already computed (the prefetch worker). */
export function entryDamage (buf: Buffer, crcOk?: boolean): string | null {
  if (buf.length < 16) return 'truncated'
  if (buf.toString('latin1', 0, 4) !== MAGIC) return 'not a cache entry'
  const version = buf.readUInt32LE(4)
  if (version !== FORMAT_VERSION) return `format version ${version}, expected ${FORMAT_VERSION}`
  if (!(crcOk ?? crc32c(buf, 0, buf.length - 4) === buf.readUInt32LE(buf.length - 4))) return 'checksum mismatch'
  return null
}

/**
 * The entry, or why it cannot be used. Columns are views into `buf` where they are aligned (no
 * copy: a fresh megabyte costs ~3 ms of page faults on the machines measured, so copying doubled
 * the restore time); `buf` must not be reused by the caller. `crcOk`: see {@link entryDamage}.
 */
export function decodeEntry (buf: Buffer, crcOk?: boolean): RunEntry | string {
  const damage = entryDamage(buf, crcOk)
  if (damage !== null) return damage
  const n = buf.readUInt32LE(8)
  if (12 + n > buf.length - 4) return 'truncated'
  const base = Math.ceil((12 + n) / 8) * 8
  let parsed: { location: string, run: string, files: CachedFile[], snap: Omit<RunSnapshot, 'tags'> & { tags: Array<Omit<RunSnapshot['tags'][number], 'series'> & { series: SeriesJson | null }> } }
  try { parsed = JSON.parse(buf.toString('utf8', 12, 12 + n), reviver) } catch { return 'JSON unreadable' }
  const col = (r: ColRef): Col => {
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
    switch (r.type) {
      case 'i32': return new Int32Array(ab, at, r.length)
      case 'u32': return new Uint32Array(ab, at, r.length)
      case 'f32': return new Float32Array(ab, at, r.length)
      case 'f64': return new Float64Array(ab, at, r.length)
      default: throw new Error(`column type ${String(r.type)}`)
    }
  }
  const level = (l: LevelJson): Level => ({
    length: l.length,
    minP: col(l.minP) as Uint32Array,
    maxP: col(l.maxP) as Uint32Array,
    badP: col(l.badP) as Uint32Array,
    minV: col(l.minV) as Float64Array,
    maxV: col(l.maxV) as Float64Array
  })
  try {
    const tags = parsed.snap.tags.map(t => {
      if (t.series === null) return { ...t, series: null }
      const s = t.series
      const series: SeriesSnapshot = {
        ...s,
        steps: col(s.steps) as Int32Array | Float64Array,
        wallTimes: col(s.wallTimes) as Float64Array,
        values: col(s.values) as Float32Array | Float64Array,
        pyramid: { levels: s.pyramid.levels.map(level) }
      }
      return { ...t, series }
    })
    return { location: parsed.location, run: parsed.run, files: parsed.files, snap: { ...parsed.snap, tags } }
  } catch (err) {
    return (err as Error).message
  }
}
