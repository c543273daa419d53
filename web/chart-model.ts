/** The chart model: per-run views → one aligned uPlot table, series styles and emphasis. */

import uPlot from 'uplot'
import { PALETTE } from './catalog.js'
import type { RunView } from './run-view.js'

// ---------------------------------------------------------------------------------------------
// Chart model: uPlot table + series styles + overlays
// ---------------------------------------------------------------------------------------------

/** Which line of a run a uPlot series draws. */
export type Role = 'value' | 'desmoothed' | 'smoothed'

/** What the user asked to see. */
export interface Display {
  /** Draw the values as logged (for Keras running-mean tags: the running mean). */
  raw: boolean
  /** Draw the de-smoothed raw batch values where the server recovered them. */
  desmoothed: boolean
  /** EMA weight; the smoothed line is drawn when > 0 and the server sent it. */
  smoothing: number
  /** Logarithmic y: values ≤ 0 are left out of the line. */
  logY: boolean
}

/** Style and identity of one uPlot series (index i+1 in the table). */
export interface SeriesSpec {
  run: string
  role: Role
  label: string
  colour: string
  width: number
  alpha: number
  dash: number[] | null
}

/** Everything a chart draws: the aligned table, its series, and the per-run views for overlays and legend. */
export interface ChartModel {
  data: uPlot.AlignedData
  series: SeriesSpec[]
  runs: RunView[]
  colours: Map<string, string>
  logY: boolean
  /** A key that changes exactly when the series list or y distribution changes (a uPlot instance must then be rebuilt). */
  signature: string
}

const ROLE_LABEL: Record<Role, string> = { value: 'logged', desmoothed: 'de-smoothed', smoothed: 'smoothed' }

/** Roles drawn for a run (never none: the logged values when nothing else is). */
export function rolesFor (v: RunView, d: Display): Role[] {
  const roles: Role[] = []
  if (d.raw) roles.push('value')
  if (d.desmoothed && v.desmoothed) roles.push('desmoothed')
  if (d.smoothing > 0 && v.smoothed) roles.push('smoothed')
  if (roles.length === 0) roles.push('value')
  return roles
}

/**
 * Emphasis. Beside recovered raw values (de-smoothed), those are the line to read: solid and in
 * front; the logged running mean is dashed and the smoothed line thin, so the three never blur
 * into one. Otherwise TensorBoard's convention: the smoothed line bold, the logged values faint;
 * a lone line is solid.
 */
export function styleFor (role: Role, roles: Role[]): Pick<SeriesSpec, 'width' | 'alpha' | 'dash'> {
  if (roles.length === 1) return { width: 1.5, alpha: 1, dash: null }
  if (roles.includes('desmoothed')) {
    if (role === 'desmoothed') return { width: 1.5, alpha: 1, dash: null }
    if (role === 'value') return { width: 1.25, alpha: 0.7, dash: [5, 3] }
    return { width: 1.25, alpha: 0.55, dash: null }
  }
  if (role === 'smoothed') return { width: 2, alpha: 1, dash: null }
  return { width: 1, alpha: 0.3, dash: null }
}

/** Drawing order: faint lines first, the emphasised line last (on top). */
function drawOrder (roles: Role[]): Role[] {
  const rank = (r: Role): number => styleFor(r, roles).alpha * 10 + styleFor(r, roles).width
  return [...roles].sort((a, b) => rank(a) - rank(b))
}

function columnOf (v: RunView, role: Role): Float64Array {
  return role === 'value' ? v.values : role === 'desmoothed' ? v.desmoothed! : v.smoothed!
}

/** A y column for uPlot: non-finite values (and ≤ 0 on a log axis) become null, i.e. a gap. */
export function plotColumn (col: Float64Array, logY: boolean): Array<number | null> {
  const out = new Array<number | null>(col.length)
  for (let i = 0; i < col.length; i++) {
    const v = col[i]!
    out[i] = Number.isFinite(v) && (!logY || v > 0) ? v : null
  }
  return out
}

/**
 * Builds the chart model for one tag. Runs are aligned on x with `uPlot.join` (alignment holes are
 * `undefined`, which uPlot spans; non-finite values are `null`, which uPlot shows as gaps).
 */
export function buildChartModel (views: RunView[], colours: Map<string, string>, d: Display): ChartModel {
  const series: SeriesSpec[] = []
  const tables: uPlot.AlignedData[] = []
  for (const v of views) {
    if (v.x.length === 0) continue
    const roles = drawOrder(rolesFor(v, d))
    const colour = colours.get(v.run) ?? PALETTE[0]!
    const table: Array<Float64Array | Array<number | null>> = [v.x]
    for (const role of roles) {
      table.push(plotColumn(columnOf(v, role), d.logY))
      series.push({ run: v.run, role, label: `${v.run} · ${ROLE_LABEL[role]}`, colour, ...styleFor(role, roles) })
    }
    tables.push(table as unknown as uPlot.AlignedData)
  }
  const data: uPlot.AlignedData = tables.length === 0 ? [[]] : uPlot.join(tables)
  const signature = series.map(s => `${s.run}\u0000${s.role}\u0000${s.width}\u0000${s.alpha}\u0000${s.dash?.join(',') ?? ''}\u0000${s.colour}`).join('\u0001') + `|${d.logY}`
  return { data, series, runs: views.filter(v => v.x.length > 0), colours, logY: d.logY, signature }
}

/**
 * y range of a log axis: the data's range padded by 5% of its width in log space (at least 2% of
 * a decade), not widened to whole decades. Non-positive or missing bounds give uPlot's safe [0.1, 10].
 */
export function logRange (min: number | null, max: number | null): [number, number] {
  if (min === null || max === null || !(min > 0) || !(max > 0)) return [0.1, 10]
  const a = Math.log10(min); const b = Math.log10(max)
  const pad = Math.max(0.02, (b - a) * 0.05)
  return [10 ** (a - pad), 10 ** (b + pad)]
}
