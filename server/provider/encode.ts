/** Serialisers of series slices: columnar JSON, CSV and NDJSON, produced as bounded string chunks so big bodies stream. */

import type { SeriesSlice } from './series-slice.js'
import { slicePosition } from './series-slice.js'
import type { ExtraColumn } from './dto.js'

/**
 * How NaN and ±Infinity appear in JSON and NDJSON (CSV always spells them `NaN`, `Infinity`,
 * `-Infinity`, which pandas and Python's float() read back, except `null`, which leaves the cell empty):
 * - `string` (default): the strings "NaN", "Infinity", "-Infinity" — TensorBoard's spelling, valid JSON.
 * - `null`: null, plus a per-series (JSON) or per-row (NDJSON) `nonFinite` record of what each null was.
 * - `literal`: the bare tokens NaN, Infinity, -Infinity. Not RFC 8259 JSON, but exactly what
 *   Python's json module (and so pandas) reads as floats.
 */
export type NonFinitePolicy = 'string' | 'null' | 'literal'

/** Spelling of a non-finite number in every text format. */
export function nonFiniteName (x: number): 'NaN' | 'Infinity' | '-Infinity' {
  return Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity'
}

/** A number as a JSON token under `policy`. Finite numbers use JavaScript's shortest round-trip form. */
export function jsonNumber (x: number, policy: NonFinitePolicy): string {
  if (x - x === 0) return '' + x
  if (policy === 'null') return 'null'
  return policy === 'string' ? '"' + nonFiniteName(x) + '"' : nonFiniteName(x)
}

/** A number as a CSV cell: shortest round-trip form; non-finite spelled out, or empty under `null`. */
export function csvNumber (x: number, policy: NonFinitePolicy): string {
  if (x - x === 0) return '' + x
  return policy === 'null' ? '' : nonFiniteName(x)
}

/** A CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF. */
export function csvField (s: string): string {
  return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s
}

/** Target size of one chunk of a streamed body, in characters. */
export const CHUNK_CHARS = 1 << 16

/** A numeric column of a slice: its output name, whether it holds integers, and its entries (null: not available). */
export interface SliceColumn {
  key: 'step' | 'wallTime' | 'value' | ExtraColumn
  int: boolean
  /** True for stored columns, whose JSON text may be cached. */
  cached: boolean
  data: (s: SeriesSlice) => ArrayLike<number> | null
}

const COLUMN_DEFS: Record<SliceColumn['key'], SliceColumn> = {
  step: { key: 'step', int: true, cached: true, data: s => s.steps },
  wallTime: { key: 'wallTime', int: false, cached: true, data: s => s.wallTimes },
  value: { key: 'value', int: false, cached: true, data: s => s.values },
  desmoothed: { key: 'desmoothed', int: false, cached: false, data: s => s.extra.desmoothed ?? null },
  desmoothedBound: { key: 'desmoothedBound', int: false, cached: false, data: s => s.extra.desmoothedBound ?? null },
  epoch: { key: 'epoch', int: true, cached: false, data: s => s.extra.epoch ?? null },
  smoothed: { key: 'smoothed', int: false, cached: false, data: s => s.extra.smoothed ?? null }
}

/** The numeric columns of a response, in output order: step, wallTime, [value], then the extras asked for. */
export function sliceColumns (raw: boolean, extras: readonly ExtraColumn[]): SliceColumn[] {
  const keys: Array<SliceColumn['key']> = ['step', 'wallTime']
  if (raw) keys.push('value')
  keys.push(...extras)
  return keys.map(k => COLUMN_DEFS[k])
}

/** Column names in the export's (tbparse-style, snake_case) vocabulary. */
export const SNAKE_NAMES: Record<SliceColumn['key'], string> = {
  step: 'step',
  wallTime: 'wall_time',
  value: 'value',
  desmoothed: 'desmoothed',
  desmoothedBound: 'desmoothed_bound',
  epoch: 'epoch',
  smoothed: 'smoothed'
}

/** A piece of a response body: text, or bytes from the column text cache. */
export type Chunk = string | Uint8Array

/** Points per cached column chunk. */
export const CACHE_CHUNK_POINTS = 1 << 14

/**
 * Cache of the JSON text of stored columns (step, wall time, value), per aligned chunk of
 * {@link CACHE_CHUNK_POINTS} points, least recently used first out, bounded in bytes. Sound
 * because the store only appends: a full chunk below a series' length never changes (a column
 * widening from float32 to float64 keeps every value). Enrichment columns are never cached:
 * the provider may revise recent values. Rejected alternative: caching whole response bodies,
 * which a single appended point invalidates.
 */
export class ColumnTextCache {
  private readonly entries = new Map<string, Uint8Array>()
  private readonly ids = new WeakMap<object, number>()
  private nextId = 1
  bytes = 0
  hits = 0
  misses = 0

  constructor (readonly maxBytes: number) {}

  /** Text of chunk `chunk` of `data` (owned by `owner`), computed by `make` on a miss. */
  get (owner: object, column: string, policy: NonFinitePolicy, chunk: number, make: () => string): Uint8Array {
    let id = this.ids.get(owner)
    if (id === undefined) { id = this.nextId++; this.ids.set(owner, id) }
    const key = id + ':' + column + ':' + policy + ':' + chunk
    const hit = this.entries.get(key)
    if (hit !== undefined) {
      this.entries.delete(key)
      this.entries.set(key, hit)
      this.hits++
      return hit
    }
    this.misses++
    const buf = Buffer.from(make(), 'latin1')
    if (buf.length > this.maxBytes) return buf
    this.entries.set(key, buf)
    this.bytes += buf.length
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.maxBytes) break
      this.entries.delete(k)
      this.bytes -= v.length
    }
    return buf
  }

  clear (): void { this.entries.clear(); this.bytes = 0 }
}

/** The process-wide column text cache (64 MiB: the JSON text of about 1.4 M points of step, wall time and value). */
export const COLUMN_TEXT_CACHE = new ColumnTextCache(64 << 20)

/** Column entries `from … to-1` (positions) as comma-separated JSON tokens. */
function jsonRange (data: ArrayLike<number>, from: number, to: number, int: boolean, policy: NonFinitePolicy): string {
  let out = ''
  for (let p = from; p < to; p++) {
    const x = data[p]!
    out += (p === from ? '' : ',') + (int || x - x === 0 ? '' + x : jsonNumber(x, policy))
  }
  return out
}

/**
 * The entries of one column of a slice as JSON tokens separated by commas, in chunks (no
 * brackets). Integers are written as such; floats under `policy`. Contiguous slices of a stored
 * column (`cacheAs` set) reuse the {@link COLUMN_TEXT_CACHE} for every whole aligned chunk.
 */
export function * jsonColumnChunks (s: SeriesSlice, data: ArrayLike<number>, int: boolean, policy: NonFinitePolicy, cacheAs?: string): Generator<Chunk> {
  const n = s.count
  if (s.positions === null) {
    const end = s.start + n
    const K = CACHE_CHUNK_POINTS
    let p = s.start
    while (p < end) {
      const c = Math.floor(p / K)
      const stop = Math.min(end, (c + 1) * K)
      const sep = p === s.start ? '' : ','
      if (cacheAs !== undefined && s.owner !== undefined && p === c * K && stop === (c + 1) * K && stop <= s.totalPoints) {
        if (sep !== '') yield sep
        yield COLUMN_TEXT_CACHE.get(s.owner, cacheAs, policy, c, () => jsonRange(data, p, stop, int, policy))
      } else {
        yield sep + jsonRange(data, p, stop, int, policy)
      }
      p = stop
    }
    return
  }
  let out = ''
  for (let k = 0; k < n; k++) {
    const x = data[slicePosition(s, k)]!
    out += (k === 0 ? '' : ',') + (int || x - x === 0 ? '' + x : jsonNumber(x, policy))
    if (out.length >= CHUNK_CHARS) { yield out; out = '' }
  }
  if (out !== '') yield out
}

/** `[[position, spelling], …]` for every non-finite entry of a float column of a slice. */
export function nonFiniteEntries (s: SeriesSlice, data: ArrayLike<number>): Array<[number, 'NaN' | 'Infinity' | '-Infinity']> {
  const out: Array<[number, 'NaN' | 'Infinity' | '-Infinity']> = []
  for (let k = 0; k < s.count; k++) {
    const x = data[slicePosition(s, k)]!
    if (x - x !== 0) out.push([k, nonFiniteName(x)])
  }
  return out
}

/**
 * One series as a JSON object (SeriesDto): metadata first, then the column arrays, so a reader
 * sees the counts before megabytes of numbers. Extra columns that are unavailable are left out
 * and named in `unavailable`.
 */
export function * seriesJsonChunks (s: SeriesSlice, raw: boolean, extras: readonly ExtraColumn[], policy: NonFinitePolicy): Generator<Chunk> {
  const head: Record<string, unknown> = {
    run: s.run,
    tag: s.tag,
    totalPoints: s.totalPoints,
    pointsInRange: s.pointsInRange,
    points: s.count,
    downsampled: s.downsampled
  }
  if (s.family !== undefined) head.family = s.family
  if (s.notes !== undefined) head.notes = s.notes
  head.unavailable = s.unavailable
  head.restarts = s.restarts.filter(r => r.index < s.totalPoints)
  let text = JSON.stringify(head)
  text = text.slice(0, -1)
  const flags: Record<string, Array<[number, string]>> = {}
  for (const col of sliceColumns(raw, extras)) {
    const data = col.data(s)
    if (data === null) continue
    yield text + ',"' + col.key + '":['
    text = ''
    yield * jsonColumnChunks(s, data, col.int, policy, col.cached ? col.key : undefined)
    text = ']'
    if (policy === 'null' && !col.int) {
      const nf = nonFiniteEntries(s, data)
      if (nf.length > 0) flags[col.key] = nf
    }
  }
  if (policy === 'null') text += ',"nonFinite":' + JSON.stringify(flags)
  yield text + '}'
}

/** How row formats name and fill their columns. */
export interface RowFormat {
  /** Numeric columns after run and tag. */
  columns: SliceColumn[]
  /** Output names of run, tag and the numeric columns (same order). */
  names: string[]
  policy: NonFinitePolicy
  /** Written instead of the run name '.' (tbparse's dir_name for the logdir itself is ''). */
  rootRunAs?: string
}

/** CSV rows (LF line ends, header first) of the slices, in chunks. */
export function * csvChunks (slices: Iterable<SeriesSlice>, f: RowFormat): Generator<string> {
  let out = f.names.map(csvField).join(',') + '\n'
  const cols = f.columns
  const m = cols.length
  for (const s of slices) {
    const prefix = csvField(runLabel(s.run, f)) + ',' + csvField(s.tag)
    const data = cols.map(c => c.data(s))
    const ints = cols.map(c => c.int)
    for (let k = 0; k < s.count; k++) {
      const p = slicePosition(s, k)
      let row = prefix
      for (let j = 0; j < m; j++) {
        const d = data[j]!
        if (d === null) { row += ','; continue }
        const x = d[p]!
        row += ',' + (ints[j] || x - x === 0 ? '' + x : csvNumber(x, f.policy))
      }
      out += row + '\n'
      if (out.length >= CHUNK_CHARS) { yield out; out = '' }
    }
  }
  if (out !== '') yield out
}

/**
 * NDJSON rows: one JSON object per point, fields named by `f.names`. An unavailable column is
 * null; under the `null` policy a row with non-finite values carries `nonFinite: {column: spelling}`.
 */
export function * ndjsonChunks (slices: Iterable<SeriesSlice>, f: RowFormat): Generator<string> {
  let out = ''
  const cols = f.columns
  const m = cols.length
  const keys = f.names.slice(2).map(n => ',' + JSON.stringify(n) + ':')
  for (const s of slices) {
    const prefix = '{' + JSON.stringify(f.names[0]) + ':' + JSON.stringify(runLabel(s.run, f)) + ',' + JSON.stringify(f.names[1]) + ':' + JSON.stringify(s.tag)
    const data = cols.map(c => c.data(s))
    const ints = cols.map(c => c.int)
    for (let k = 0; k < s.count; k++) {
      const p = slicePosition(s, k)
      let row = prefix
      let flags = ''
      for (let j = 0; j < m; j++) {
        const d = data[j]!
        if (d === null) { row += keys[j]! + 'null'; continue }
        const x = d[p]!
        if (ints[j] || x - x === 0) { row += keys[j]! + x; continue }
        row += keys[j]! + jsonNumber(x, f.policy)
        if (f.policy === 'null') flags += (flags === '' ? '' : ',') + JSON.stringify(f.names[j + 2]) + ':"' + nonFiniteName(x) + '"'
      }
      out += row + (flags === '' ? '}\n' : ',"nonFinite":{' + flags + '}}\n')
      if (out.length >= CHUNK_CHARS) { yield out; out = '' }
    }
  }
  if (out !== '') yield out
}

/**
 * The long table as one columnar JSON object `{run: [...], tag: [...], step: [...], ...}` that
 * `pandas.DataFrame(obj)` takes as is. Written column by column, so `slices` is iterated once
 * per column (it must give the same slices each time). Under the `null` policy a final
 * `nonFinite` object maps column names to `[row, spelling]` pairs.
 */
export function * columnarJsonChunks (slices: () => Iterable<SeriesSlice>, f: RowFormat): Generator<Chunk> {
  let sep = '{'
  for (const [j, name] of [f.names[0]!, f.names[1]!].entries()) {
    yield sep + JSON.stringify(name) + ':['
    let first = true
    for (const s of slices()) {
      if (s.count === 0) continue
      const label = JSON.stringify(j === 0 ? runLabel(s.run, f) : s.tag)
      let left = s.count
      while (left > 0) {
        const k = Math.min(left, Math.max(1, Math.floor(CHUNK_CHARS / (label.length + 1))))
        yield (first ? '' : ',') + label + (',' + label).repeat(k - 1)
        first = false
        left -= k
      }
    }
    yield ']'
    sep = ','
  }
  const flags: Record<string, Array<[number, string]>> = {}
  for (let j = 0; j < f.columns.length; j++) {
    const col = f.columns[j]!
    const name = f.names[j + 2]!
    yield ',' + JSON.stringify(name) + ':['
    let first = true
    let row = 0
    for (const s of slices()) {
      if (s.count === 0) continue
      const d = col.data(s)
      if (!first) yield ','
      first = false
      if (d === null) {
        let left = s.count
        while (left > 0) {
          const k = Math.min(left, 8192)
          yield 'null' + ',null'.repeat(k - 1) + (left > k ? ',' : '')
          left -= k
        }
      } else {
        yield * jsonColumnChunks(s, d, col.int, f.policy, col.cached ? col.key : undefined)
        if (f.policy === 'null' && !col.int) {
          for (const [k, spelling] of nonFiniteEntries(s, d)) (flags[name] ??= []).push([row + k, spelling])
        }
      }
      row += s.count
    }
    yield ']'
  }
  yield (f.policy === 'null' ? ',"nonFinite":' + JSON.stringify(flags) : '') + '}'
}

function runLabel (run: string, f: RowFormat): string {
  return run === '.' && f.rootRunAs !== undefined ? f.rootRunAs : run
}
