/** A run's series placed on one x axis (step, relative or wall time), with restarts, non-finite points and epoch starts. */

import type { PointColumns, Series } from './wire.js'

// ---------------------------------------------------------------------------------------------
// Per-run views on one x axis
// ---------------------------------------------------------------------------------------------

/** The x axis: step, seconds since the run's first point, or wall time (seconds since the epoch). */
export type XAxis = 'step' | 'relative' | 'wall'

/** A point whose value is NaN or ±Inf, drawn as a marker at the top (bottom for -Inf) of the plot. */
export interface NonFiniteMark { x: number, step: number, kind: 'nan' | 'inf' | '-inf' }

/** A run's series placed on an x axis: `x` strictly usable by uPlot (ascending), every column aligned with it. */
export interface RunView extends PointColumns {
  run: string
  x: Float64Array
  family: string | null
  notes: string[]
  nonFinite: NonFiniteMark[]
  restarts: Array<{ x: number, step: number, reason: string }>
  /** x of the first point of each epoch after the first (only when the server sent `epoch`). */
  epochStarts: number[]
  /** A run group's min–max band around its mean (see groups.ts). */
  band?: { lo: Float64Array, hi: Float64Array }
}

/**
 * Indices of the points that survive TensorBoard's "latest wins" rule, in ascending step order:
 * when a point arrives whose step is ≤ the last kept step (a restart after preemption), every
 * kept point with step ≥ it is superseded. Result steps are strictly increasing.
 */
export function latestWinsIndices (steps: ArrayLike<number>): Int32Array {
  const keep = new Int32Array(steps.length)
  let top = 0
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i]!
    while (top > 0 && steps[keep[top - 1]!]! >= s) top--
    keep[top++] = i
  }
  return keep.slice(0, top)
}

/** Indices ordering `xs` ascending (stable); the identity when already ascending. */
export function ascendingIndices (xs: ArrayLike<number>): Int32Array {
  const n = xs.length
  const idx = new Int32Array(n)
  let sorted = true
  for (let i = 0; i < n; i++) {
    idx[i] = i
    if (i > 0 && xs[i]! < xs[i - 1]!) sorted = false
  }
  if (sorted) return idx
  return Int32Array.from(Array.from(idx).sort((a, b) => (xs[a]! - xs[b]!) || (a - b)))
}

function gather (col: Float64Array, idx: Int32Array): Float64Array {
  const out = new Float64Array(idx.length)
  for (let i = 0; i < idx.length; i++) out[i] = col[idx[i]!]!
  return out
}

/**
 * Places a series on an x axis. On the step axis restarts follow TensorBoard's latest-wins rule
 * (superseded points are dropped from the view, a restart mark stays); on the time axes every point
 * is kept and ordered by wall time. Relative time is measured from the run's first wall time.
 */
export function runView (s: Series, axis: XAxis): RunView {
  const idx = axis === 'step' ? latestWinsIndices(s.steps) : ascendingIndices(s.wallTimes)
  const steps = gather(s.steps, idx)
  const wallTimes = gather(s.wallTimes, idx)
  let origin = 0
  if (axis === 'relative') {
    origin = Infinity
    for (const w of wallTimes) if (w < origin) origin = w
    if (!Number.isFinite(origin)) origin = 0
  }
  const x = axis === 'step' ? steps : wallTimes.map(w => w - origin)
  const values = gather(s.values, idx)
  const nonFinite: NonFiniteMark[] = []
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    if (!Number.isFinite(v)) nonFinite.push({ x: x[i]!, step: steps[i]!, kind: Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf' })
  }
  const restarts: RunView['restarts'] = []
  for (const r of s.restarts) {
    const rx = axis === 'step' ? r.step : (r.wallTime ?? NaN) - origin
    if (Number.isFinite(rx)) restarts.push({ x: rx, step: r.step, reason: r.reason ?? 'restart' })
  }
  const epochs = s.epochs ? gather(s.epochs, idx) : null
  const epochStarts: number[] = []
  if (epochs) {
    for (let i = 1; i < epochs.length; i++) {
      const e = epochs[i]!
      if (e >= 0 && epochs[i - 1]! >= 0 && e !== epochs[i - 1]) epochStarts.push(x[i]!)
    }
  }
  return {
    run: s.run,
    x,
    steps,
    wallTimes,
    values,
    desmoothed: s.desmoothed ? gather(s.desmoothed, idx) : null,
    bound: s.bound ? gather(s.bound, idx) : null,
    epochs,
    smoothed: s.smoothed ? gather(s.smoothed, idx) : null,
    family: s.family,
    notes: s.notes,
    nonFinite,
    restarts,
    epochStarts
  }
}
