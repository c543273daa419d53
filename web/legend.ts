/** Legend rows: each run's values at the cursor or at its last point. */

import type { ChartModel } from './chart-model.js'
import { PALETTE } from './catalog.js'
import { formatStep, formatValue } from './format.js'
import type { RunView } from './run-view.js'
import type { LegendSort } from './settings.js'

// ---------------------------------------------------------------------------------------------
// Legend
// ---------------------------------------------------------------------------------------------

/** Index of the x closest to `x` in an ascending array (-1 when empty). */
export function nearestIndex (xs: ArrayLike<number>, x: number): number {
  const n = xs.length
  if (n === 0) return -1
  let lo = 0; let hi = n - 1
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (xs[mid]! < x) lo = mid + 1
    else hi = mid
  }
  if (lo > 0 && Math.abs(xs[lo - 1]! - x) <= Math.abs(xs[lo]! - x)) return lo - 1
  return lo
}

/** One legend row: a run and its values at the cursor (or at its last point when the cursor is away). */
export interface LegendRow {
  run: string
  colour: string
  step: string
  value: string | null
  desmoothed: string | null
  smoothed: string | null
}

/** Legend rows, one per run of the model; `x` null means "the last point of each run". */
export function legendRows (model: ChartModel, x: number | null): LegendRow[] {
  return model.runs.map(v => {
    const i = x === null ? v.x.length - 1 : nearestIndex(v.x, x)
    const at = (col: Float64Array | null): number | null => (col && i >= 0 ? col[i]! : null)
    const ds = at(v.desmoothed)
    const b = at(v.bound)
    const roles = new Set(model.series.filter(s => s.run === v.run).map(s => s.role))
    return {
      run: v.run,
      colour: model.colours.get(v.run) ?? PALETTE[0]!,
      step: i >= 0 ? formatStep(v.steps[i]!) : '',
      value: i >= 0 ? formatValue(v.values[i]!) : null,
      desmoothed: ds === null || !roles.has('desmoothed') ? null : formatDesmoothed(ds, b),
      smoothed: roles.has('smoothed') ? formatValue(at(v.smoothed) ?? NaN) : null
    }
  })
}

/**
 * A de-smoothed value with its error bound: "0.4628 ±2e-6"; "≈0.4628" when the bound is infinite
 * (the server could not make the point exact, e.g. an epoch's last, smaller batch); the bare value
 * when the bound is 0 or unknown.
 */
export function formatDesmoothed (v: number, bound: number | null): string {
  if (bound === Infinity && Number.isFinite(v)) return `≈${formatValue(v)}`
  if (bound !== null && Number.isFinite(bound) && bound > 0) return `${formatValue(v)} ±${formatValue(bound, 2)}`
  return formatValue(v)
}

/** The column a run is read by (sorting, hover): smoothed when drawn, else de-smoothed, else the logged values. */
export function primaryColumn (model: ChartModel, v: RunView): Float64Array {
  const roles = new Set(model.series.filter(s => s.run === v.run).map(s => s.role))
  if (roles.has('smoothed') && v.smoothed) return v.smoothed
  if (roles.has('desmoothed') && v.desmoothed) return v.desmoothed
  return v.values
}

/** Last finite value of a column (NaN when none). */
export function lastFinite (col: Float64Array): number {
  for (let i = col.length - 1; i >= 0; i--) if (Number.isFinite(col[i]!)) return col[i]!
  return NaN
}

/** Runs of a model in legend order: by name (the model's order), or by last value, runs without one last. */
export function orderRuns (model: ChartModel, sort: LegendSort): string[] {
  const runs = model.runs.map(v => ({ run: v.run, last: lastFinite(primaryColumn(model, v)) }))
  if (sort === 'name') return runs.map(r => r.run)
  const sign = sort === 'value-asc' ? 1 : -1
  return runs.sort((a, b) => {
    const fa = Number.isFinite(a.last); const fb = Number.isFinite(b.last)
    if (fa !== fb) return fa ? -1 : 1
    return fa ? sign * (a.last - b.last) : 0
  }).map(r => r.run)
}
