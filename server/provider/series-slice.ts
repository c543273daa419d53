/** One (run, tag) series cut to a step / wall-time range, enriched and optionally thinned: what every data response serialises. */

import type { Restart } from '../domain.js'
import type { EnrichmentProvider, DesmoothMode, SmoothingFamily } from './enrichment.js'
import type { SelectedSeries } from './selection.js'
import type { ExtraColumn, DownsampleDto } from './dto.js'
import { downsample, downsampleMinMaxPyramid, type Candidates, type DownsampleMethod } from './downsample.js'

/** Which series a request wants. `raw` is the stored value; the others come from enrichment. */
export interface SeriesWanted {
  raw: boolean
  desmoothed: boolean
  smoothed: boolean
}

/** Inclusive bounds; an absent bound is open. */
export interface PointRange {
  startStep?: number
  endStep?: number
  startTime?: number
  endTime?: number
}

/** Enrichment parameters of a request, passed to the provider as they are. */
export interface EnrichParams {
  /** TensorBoard's EMA weight, 0 ≤ w < 1. */
  smoothing: number
  desmooth: DesmoothMode
  datasetSize?: number
  batchSize?: number
}

/** Everything that shapes a slice besides the series itself. */
export interface SliceOptions {
  wanted: SeriesWanted
  range: PointRange
  enrich: EnrichParams
  /** Maximum points to return; 0 = every point in range. */
  points: number
  method: DownsampleMethod
}

/**
 * A series ready to serialise. Column arrays are the store's (and the provider's) full-length
 * columns, captured at `totalPoints`; `positions` (or the contiguous `start … start+count-1`
 * when null) says which entries to send, in order. The store only appends, so entries below
 * `totalPoints` never change while a response streams.
 */
export interface SeriesSlice {
  run: string
  tag: string
  /** The stored series the columns belong to (identity for caches); absent for synthetic slices. */
  owner?: object
  totalPoints: number
  pointsInRange: number
  count: number
  start: number
  positions: Uint32Array | null
  steps: ArrayLike<number>
  wallTimes: ArrayLike<number>
  /** Present when raw values were asked for. */
  values: ArrayLike<number> | null
  extra: Partial<Record<ExtraColumn, ArrayLike<number>>>
  /** Extra columns that were asked for but are not available for this series. */
  unavailable: ExtraColumn[]
  family?: SmoothingFamily
  notes?: string[]
  restarts: Restart[]
  downsampled: DownsampleDto | null
}

/** The extra columns a `wanted` asks for, in their fixed output order. */
export function extraColumnsWanted (w: SeriesWanted): ExtraColumn[] {
  const out: ExtraColumn[] = []
  if (w.desmoothed) out.push('desmoothed', 'desmoothedBound', 'epoch')
  if (w.smoothed) out.push('smoothed')
  return out
}

/**
 * Builds the slice of one selected series: enrichment on the FULL series first (de-smoothing
 * needs consecutive points), then the range, then thinning. Synchronous, so the store cannot
 * change between reading its columns and the provider's.
 */
export function buildSlice (sel: SelectedSeries, enrichment: EnrichmentProvider, opts: SliceOptions): SeriesSlice {
  const n = sel.length
  const cols = sel.series.columns()
  const extra: Partial<Record<ExtraColumn, ArrayLike<number>>> = {}
  const unavailable: ExtraColumn[] = []
  let family: SmoothingFamily | undefined
  let notes: string[] | undefined
  if (opts.wanted.desmoothed || opts.wanted.smoothed) {
    const e = enrichment.columns(sel.run, sel.tag, {
      desmoothed: opts.wanted.desmoothed,
      smoothed: opts.wanted.smoothed,
      smoothing: opts.enrich.smoothing,
      desmooth: opts.enrich.desmooth,
      datasetSize: opts.enrich.datasetSize,
      batchSize: opts.enrich.batchSize
    })
    family = e.family
    notes = [...e.notes]
    for (const name of extraColumnsWanted(opts.wanted)) {
      const col = e[name]
      if (col !== undefined && col.length >= n) extra[name] = col
      else {
        unavailable.push(name)
        if (col !== undefined) notes.push(`${name} has ${col.length} entries for ${n} points; left out`)
      }
    }
  }
  const cand = rangeCandidates(cols.steps, cols.wallTimes, n, opts.range, { steps: sel.series.stepsNonDecreasing, wallTimes: sel.series.wallTimesNonDecreasing })
  let positions = cand.list
  let count = cand.count
  let downsampled: DownsampleDto | null = null
  if (opts.points > 0 && cand.count > opts.points) {
    const ys: Array<ArrayLike<number>> = []
    if (opts.wanted.raw) ys.push(cols.values)
    if (extra.desmoothed !== undefined) ys.push(extra.desmoothed)
    if (extra.smoothed !== undefined) ys.push(extra.smoothed)
    positions = ys.length === 1 && opts.wanted.raw && opts.method === 'minmax'
      ? downsampleMinMaxPyramid(cand, opts.points, cols.values, sel.series.pyramid)
      : downsample(cand, opts.points, opts.method, cols.steps, ys)
    count = positions.length
    downsampled = { method: opts.method, maxPoints: opts.points }
  }
  return {
    run: sel.run,
    tag: sel.tag,
    owner: sel.series,
    totalPoints: n,
    pointsInRange: cand.count,
    count,
    start: cand.start,
    positions,
    steps: cols.steps,
    wallTimes: cols.wallTimes,
    values: opts.wanted.raw ? cols.values : null,
    extra,
    unavailable,
    family,
    notes,
    restarts: sel.series.restarts.slice(),
    downsampled
  }
}

/** Which columns are known to never decrease (a stored series tracks it on append). */
export interface ColumnOrder {
  steps: boolean
  wallTimes: boolean
}

/**
 * Positions of the points inside `range`, in stored order. A contiguous run found by binary search
 * when there is no bound, or when every bounded column never decreases (`order`; without it the
 * steps are checked with one scan and the wall times are taken as unordered); otherwise a list
 * from one scan.
 */
export function rangeCandidates (steps: ArrayLike<number>, wallTimes: ArrayLike<number>, n: number, range: PointRange, order?: ColumnOrder): Candidates {
  const { startStep, endStep, startTime, endTime } = range
  if (startStep === undefined && endStep === undefined && startTime === undefined && endTime === undefined) {
    return { start: 0, count: n, list: null }
  }
  const hasStep = startStep !== undefined || endStep !== undefined
  const hasTime = startTime !== undefined || endTime !== undefined
  const stepsSorted = !hasStep || (order !== undefined ? order.steps : isNonDecreasing(steps, n))
  const timesSorted = !hasTime || (order !== undefined && order.wallTimes)
  if (stepsSorted && timesSorted) {
    let lo = 0; let hi = n
    if (startStep !== undefined) lo = Math.max(lo, lowerBound(steps, n, startStep))
    if (endStep !== undefined) hi = Math.min(hi, upperBound(steps, n, endStep))
    if (startTime !== undefined) lo = Math.max(lo, lowerBound(wallTimes, n, startTime))
    if (endTime !== undefined) hi = Math.min(hi, upperBound(wallTimes, n, endTime))
    return { start: lo, count: Math.max(0, hi - lo), list: null }
  }
  const s0 = startStep ?? -Infinity; const s1 = endStep ?? Infinity
  const t0 = startTime ?? -Infinity; const t1 = endTime ?? Infinity
  let m = 0
  const tmp = new Uint32Array(n)
  for (let i = 0; i < n; i++) {
    const s = steps[i]!; const w = wallTimes[i]!
    if (s >= s0 && s <= s1 && w >= t0 && w <= t1) tmp[m++] = i
  }
  return { start: 0, count: m, list: tmp.slice(0, m) }
}

/** The position of the k-th point of a slice. */
export function slicePosition (s: SeriesSlice, k: number): number {
  return s.positions === null ? s.start + k : s.positions[k]!
}

function isNonDecreasing (a: ArrayLike<number>, n: number): boolean {
  for (let i = 1; i < n; i++) if (a[i]! < a[i - 1]!) return false
  return true
}

function lowerBound (a: ArrayLike<number>, n: number, x: number): number {
  let lo = 0; let hi = n
  while (lo < hi) { const mid = (lo + hi) >>> 1; if (a[mid]! < x) lo = mid + 1; else hi = mid }
  return lo
}

function upperBound (a: ArrayLike<number>, n: number, x: number): number {
  let lo = 0; let hi = n
  while (lo < hi) { const mid = (lo + hi) >>> 1; if (a[mid]! <= x) lo = mid + 1; else hi = mid }
  return lo
}
