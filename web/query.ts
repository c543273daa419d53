/** What a chart asks the server for: zoom windows, point budgets, /api/v1/scalars query strings. */

import type { RunView } from './run-view.js'
import { nearestIndex } from './legend.js'

// ---------------------------------------------------------------------------------------------
// Zoom: x range → step range to re-query
// ---------------------------------------------------------------------------------------------

/**
 * Step range covering x ∈ [lo, hi] in a run view, widened by one point on each side so the line
 * enters and leaves the zoom window; null when the run has no point near the window.
 */
export function stepRangeFor (v: RunView, lo: number, hi: number): [number, number] | null {
  const n = v.x.length
  if (n === 0) return null
  let a = nearestIndex(v.x, lo)
  let b = nearestIndex(v.x, hi)
  if (v.x[a]! > lo && a > 0) a--
  if (v.x[b]! < hi && b < n - 1) b++
  let min = Infinity; let max = -Infinity
  for (let i = a; i <= b; i++) { const s = v.steps[i]!; if (s < min) min = s; if (s > max) max = s }
  return Number.isFinite(min) ? [min, max] : null
}

/** Points to ask the server for, for a plot `widthPx` CSS pixels wide (min/max buckets need ~2 per pixel). */
export function pointsForWidth (widthPx: number): number {
  return Math.max(200, Math.min(4000, Math.round(widthPx * 2)))
}

/** Table cells (rows × series) a chart may build with uPlot.join before the page stutters. */
const MAX_JOINED_CELLS = 3_000_000

/**
 * Points per run for a chart of `runs` runs drawing `lines` lines each. Runs sampled at different
 * steps (downsampled, or on a time axis) barely share x values, so the joined table has about
 * runs × points rows and runs × lines columns: the budget shrinks with the square of the run count
 * (uPlot's docs warn of exactly this), never below 100 points per run.
 */
export function pointsPerRun (widthPx: number, runs: number, lines: number): number {
  const n = Math.max(1, runs)
  const cap = Math.floor(MAX_JOINED_CELLS / (n * n * Math.max(1, lines)))
  return Math.max(100, Math.min(pointsForWidth(widthPx), cap))
}

/** What a chart asks the server for: one tag, several runs in one request. */
export interface ScalarsRequest {
  runs: string[]
  tag: string
  points: number
  smoothing: number
  desmoothed: boolean
  steps?: [number, number] | null
}

/** Query string of /api/v1/scalars for a request (without the leading '?'); runs repeat `run=`. */
export function scalarsQuery (r: ScalarsRequest): string {
  const q = new URLSearchParams()
  for (const run of r.runs) q.append('run', run)
  q.set('tag', r.tag)
  const series = ['raw']
  if (r.desmoothed) series.push('desmoothed')
  if (r.smoothing > 0) series.push('smoothed')
  q.set('series', series.join(','))
  if (r.smoothing > 0) q.set('smoothing', String(r.smoothing))
  q.set('points', String(r.points))
  if (r.steps) {
    q.set('startStep', String(r.steps[0]))
    q.set('endStep', String(r.steps[1]))
  }
  return q.toString()
}

/** The smallest step range covering every run's zoom range (one request serves them all on the step axis). */
export function unionRange (ranges: Array<[number, number] | undefined>): [number, number] | null {
  let lo = Infinity; let hi = -Infinity
  for (const r of ranges) {
    if (r === undefined) continue
    if (r[0] < lo) lo = r[0]
    if (r[1] > hi) hi = r[1]
  }
  return lo <= hi ? [lo, hi] : null
}
