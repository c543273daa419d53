/** The wide ("pivot") export: one row per (run, step), one column per tag, as tbparse's `pivot=True` does. */

import type { SeriesSlice } from './series-slice.js'
import { slicePosition } from './series-slice.js'
import { CHUNK_CHARS, csvField, csvNumber, jsonNumber, nonFiniteName, type NonFinitePolicy } from './encode.js'

/** A value column of the wide table: which tag, which series, and its header. */
export interface PivotColumn {
  tag: string
  series: 'value' | 'desmoothed' | 'smoothed'
  name: string
}

/** Names of the fixed columns of the wide table. */
export interface PivotNames {
  run: string
  step: string
  wallTime: string
}

/**
 * The value columns for `tags` (sorted by name): `<tag>` for the raw value, `<tag>:desmoothed`
 * and `<tag>:smoothed` when asked. A name that would collide with a fixed column gets the
 * suffix ` (tag)`.
 */
export function pivotColumns (tags: Iterable<string>, series: Array<PivotColumn['series']>, fixed: PivotNames): PivotColumn[] {
  const reserved = new Set([fixed.run, fixed.step, fixed.wallTime])
  const out: PivotColumn[] = []
  for (const tag of [...new Set(tags)].sort()) {
    for (const s of series) {
      let name = s === 'value' ? tag : `${tag}:${s}`
      if (reserved.has(name)) name += ' (tag)'
      out.push({ tag, series: s, name })
    }
  }
  return out
}

/** One run's slices (one per selected tag) and how to label the run. */
export interface PivotRun {
  label: string
  slices: SeriesSlice[]
}

/**
 * Iterates the rows of one run in ascending step order: after each `next()` that returns true,
 * `step`, `wallTime` and `cell(j)` (the number in value column j, or undefined when that tag has
 * no point at the step) describe the row. Where a tag has several points at one step (a restart
 * that went back), the one that arrived last wins, as a resumed run overwrites; the long format
 * keeps them all. The row's wall time is the latest among its cells. Memory: O(points of this
 * run) for the step index, never the output.
 */
export class PivotRows {
  step = 0
  wallTime = 0
  private readonly slices: SeriesSlice[]
  private readonly orders: Array<Uint32Array | null>
  private readonly cursors: Int32Array
  private readonly picks: Float64Array
  private readonly colTag: number[]
  private readonly colData: Array<ArrayLike<number> | null>
  private readonly steps: Float64Array
  private r = -1

  constructor (run: PivotRun, columns: PivotColumn[]) {
    const bySlice = new Map<string, SeriesSlice>()
    for (const s of run.slices) bySlice.set(s.tag, s)
    this.slices = [...bySlice.values()]
    this.orders = this.slices.map(stepOrder)
    this.cursors = new Int32Array(this.slices.length)
    this.picks = new Float64Array(this.slices.length)
    const tagIndex = new Map(this.slices.map((s, i) => [s.tag, i]))
    this.colTag = columns.map(c => tagIndex.get(c.tag) ?? -1)
    this.colData = columns.map(c => {
      const s = bySlice.get(c.tag)
      if (s === undefined) return null
      return c.series === 'value' ? s.values : (s.extra[c.series] ?? null)
    })
    this.steps = distinctSteps(this.slices, this.orders)
  }

  next (): boolean {
    if (++this.r >= this.steps.length) return false
    const step = this.step = this.steps[this.r]!
    let wall = -Infinity
    for (let t = 0; t < this.slices.length; t++) {
      const s = this.slices[t]!
      const ord = this.orders[t]!
      let c = this.cursors[t]!
      let pick = -1
      while (c < s.count && s.steps[slicePosition(s, at(ord, c))]! < step) c++
      while (c < s.count && s.steps[slicePosition(s, at(ord, c))]! === step) {
        pick = slicePosition(s, at(ord, c))
        c++
      }
      this.cursors[t] = c
      this.picks[t] = pick
      if (pick >= 0) wall = Math.max(wall, s.wallTimes[pick]!)
    }
    this.wallTime = wall
    return true
  }

  cell (j: number): number | undefined {
    const t = this.colTag[j]!
    if (t < 0) return undefined
    const p = this.picks[t]!
    const d = this.colData[j]
    return p < 0 || d === null || d === undefined ? undefined : d[p]
  }
}

/** CSV of the wide table: header `run,step,wall_time,<columns…>`, LF line ends, empty cells where a tag has no point. */
export function * pivotCsvChunks (runs: Iterable<PivotRun>, columns: PivotColumn[], names: PivotNames, policy: NonFinitePolicy): Generator<string> {
  let out = [names.run, names.step, names.wallTime, ...columns.map(c => c.name)].map(csvField).join(',') + '\n'
  const m = columns.length
  for (const run of runs) {
    const label = csvField(run.label)
    const rows = new PivotRows(run, columns)
    while (rows.next()) {
      let line = label + ',' + rows.step + ',' + rows.wallTime
      for (let j = 0; j < m; j++) {
        const x = rows.cell(j)
        line += x === undefined ? ',' : ',' + csvNumber(x, policy)
      }
      out += line + '\n'
      if (out.length >= CHUNK_CHARS) { yield out; out = '' }
    }
  }
  if (out !== '') yield out
}

/** NDJSON of the wide table: one object per row; a tag without a point at the step is null. */
export function * pivotNdjsonChunks (runs: Iterable<PivotRun>, columns: PivotColumn[], names: PivotNames, policy: NonFinitePolicy): Generator<string> {
  const keys = columns.map(c => ',' + JSON.stringify(c.name) + ':')
  const kStep = ',' + JSON.stringify(names.step) + ':'
  const kWall = ',' + JSON.stringify(names.wallTime) + ':'
  let out = ''
  for (const run of runs) {
    const head = '{' + JSON.stringify(names.run) + ':' + JSON.stringify(run.label)
    const rows = new PivotRows(run, columns)
    while (rows.next()) {
      let line = head + kStep + rows.step + kWall + rows.wallTime
      let flags = ''
      for (let j = 0; j < keys.length; j++) {
        const x = rows.cell(j)
        if (x === undefined) { line += keys[j] + 'null'; continue }
        line += keys[j] + jsonNumber(x, policy)
        if (policy === 'null' && x - x !== 0) flags += (flags === '' ? '' : ',') + JSON.stringify(columns[j]!.name) + ':"' + nonFiniteName(x) + '"'
      }
      out += line + (flags === '' ? '}\n' : ',"nonFinite":{' + flags + '}}\n')
      if (out.length >= CHUNK_CHARS) { yield out; out = '' }
    }
  }
  if (out !== '') yield out
}

/**
 * Columnar JSON of the wide table, `{run: [...], step: [...], wall_time: [...], <column>: [...]}`.
 * Written column by column: `runs()` is walked once per column and must give the same data each time.
 */
export function * pivotColumnarJsonChunks (runs: () => Iterable<PivotRun>, columns: PivotColumn[], names: PivotNames, policy: NonFinitePolicy): Generator<string> {
  const flags: Record<string, Array<[number, string]>> = {}
  const headers = [names.run, names.step, names.wallTime, ...columns.map(c => c.name)]
  for (let col = 0; col < headers.length; col++) {
    const name = headers[col]!
    yield (col === 0 ? '{' : ',') + JSON.stringify(name) + ':['
    let out = ''
    let row = 0
    for (const run of runs()) {
      const label = JSON.stringify(run.label)
      const rows = new PivotRows(run, columns)
      while (rows.next()) {
        let tok: string
        if (col === 0) tok = label
        else if (col === 1) tok = '' + rows.step
        else if (col === 2) tok = '' + rows.wallTime
        else {
          const x = rows.cell(col - 3)
          if (x === undefined) tok = 'null'
          else {
            tok = jsonNumber(x, policy)
            if (policy === 'null' && x - x !== 0) (flags[name] ??= []).push([row, nonFiniteName(x)])
          }
        }
        out += (row === 0 ? '' : ',') + tok
        row++
        if (out.length >= CHUNK_CHARS) { yield out; out = '' }
      }
    }
    yield out + ']'
  }
  yield (policy === 'null' ? ',"nonFinite":' + JSON.stringify(flags) : '') + '}'
}

function at (ord: Uint32Array | null, c: number): number {
  return ord === null ? c : ord[c]!
}

/** Slice-local indices sorted by (step, arrival); null when the steps already never decrease. */
function stepOrder (s: SeriesSlice): Uint32Array | null {
  let sorted = true
  for (let k = 1; k < s.count && sorted; k++) if (s.steps[slicePosition(s, k)]! < s.steps[slicePosition(s, k - 1)]!) sorted = false
  if (sorted) return null
  const ord = new Uint32Array(s.count)
  for (let k = 0; k < s.count; k++) ord[k] = k
  const key = new Float64Array(s.count)
  for (let k = 0; k < s.count; k++) key[k] = s.steps[slicePosition(s, k)]!
  return ord.sort((a, b) => key[a]! - key[b]! || a - b)
}

function distinctSteps (slices: SeriesSlice[], orders: Array<Uint32Array | null>): Float64Array {
  let total = 0
  for (const s of slices) total += s.count
  const all = new Float64Array(total)
  let o = 0
  slices.forEach((s, t) => {
    const ord = orders[t]!
    for (let c = 0; c < s.count; c++) all[o++] = s.steps[slicePosition(s, at(ord, c))]!
  })
  all.sort()
  let m = 0
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[m - 1]) all[m++] = all[i]!
  return all.subarray(0, m)
}
