/** Pure data shaping for the dashboard: API bodies → typed columns → uPlot tables, legend rows and overlay marks. No DOM. */

import uPlot from 'uplot'
import type { LiveEventDto, RunDto, SeriesDto, TagDto } from '../server/provider/dto.js'

/** An annotation as /api/v1/annotations and the live stream send it. */
export type Annotation = Extract<LiveEventDto, { type: 'annotation' }>['annotation']
/** info | warning | critical. */
export type Severity = keyof TagDto['annotations']

// ---------------------------------------------------------------------------------------------
// Wire shapes: the server's DTOs, with everything but the identifying fields optional, so that
// the dashboard degrades (instead of failing) against a server that lacks a field.
// ---------------------------------------------------------------------------------------------

/** A number as /api/v1 serialises it: finite numbers as numbers, NaN/±Inf as strings (or null when asked). */
export type WireNumber = number | string | null

/** Where a series restarted, as /api/v1 reports it (the `index` is into the full-resolution series). */
export type WireRestart = Pick<SeriesDto['restarts'][number], 'step'> & Partial<SeriesDto['restarts'][number]>

/** Body of GET /api/v1/scalars?run=&tag= (one run, one tag). */
export type ScalarsBody = Pick<SeriesDto, 'run' | 'tag' | 'step' | 'wallTime'> & Partial<Omit<SeriesDto, 'run' | 'tag' | 'step' | 'wallTime' | 'restarts'>> & { restarts?: WireRestart[] }

/** One entry of GET /api/v1/tags. */
export type TagEntry = Pick<TagDto, 'run' | 'tag' | 'points'> & Partial<Omit<TagDto, 'run' | 'tag' | 'points' | 'family' | 'annotations'>> & {
  family?: string
  annotations?: Partial<Record<Severity, number>>
}

/** One entry of GET /api/v1/runs. */
export type RunEntry = Pick<RunDto, 'run'> & Partial<Omit<RunDto, 'run'>>

export type { LiveEventDto }

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

/** Decodes one wire number: the strings "NaN", "Infinity", "-Infinity" (any case, also "inf"/"nan") and null become NaN/±Inf. */
export function wireToNumber (v: WireNumber | undefined): number {
  if (typeof v === 'number') return v
  if (v === null || v === undefined) return NaN
  const s = v.trim().toLowerCase()
  if (s === 'infinity' || s === 'inf' || s === '+inf' || s === '+infinity') return Infinity
  if (s === '-infinity' || s === '-inf') return -Infinity
  if (s === 'nan') return NaN
  const n = Number(s)
  return s === '' ? NaN : n
}

/**
 * Decodes a wire column into a Float64Array of length `n`, or null when the column is absent or
 * not aligned with `step` (a server that does not compute that series yet). Never throws.
 */
export function decodeColumn (col: WireNumber[] | undefined, n: number): Float64Array | null {
  if (!Array.isArray(col) || col.length !== n) return null
  const out = new Float64Array(n)
  for (let i = 0; i < n; i++) out[i] = wireToNumber(col[i])
  return out
}

/** The aligned point columns a series carries; the optional ones are null when not asked for or misaligned. */
export interface PointColumns {
  steps: Float64Array
  wallTimes: Float64Array
  values: Float64Array
  desmoothed: Float64Array | null
  bound: Float64Array | null
  epochs: Float64Array | null
  smoothed: Float64Array | null
}

/** One (run, tag) series as typed columns, in the order the server sent it (arrival order). */
export interface Series extends PointColumns {
  run: string
  tag: string
  restarts: WireRestart[]
  family: string | null
  notes: string[]
  /** Points stored for the series, and inside the requested range (the drawn points may be fewer: downsampled). */
  totalPoints: number
  pointsInRange: number
  downsampled: boolean
}

/** Turns a /api/v1/scalars body into typed columns once; optional columns that are missing or misaligned become null. */
export function decodeScalars (body: ScalarsBody): Series {
  const n = Array.isArray(body.step) ? body.step.length : 0
  const steps = new Float64Array(n)
  const wallTimes = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    steps[i] = Number(body.step[i])
    wallTimes[i] = wireToNumber(body.wallTime?.[i])
  }
  return {
    run: body.run,
    tag: body.tag,
    steps,
    wallTimes,
    values: decodeColumn(body.value, n) ?? new Float64Array(n).fill(NaN),
    desmoothed: decodeColumn(body.desmoothed, n),
    bound: decodeColumn(body.desmoothedBound, n),
    epochs: decodeColumn(body.epoch, n),
    smoothed: decodeColumn(body.smoothed, n),
    restarts: Array.isArray(body.restarts) ? body.restarts : [],
    family: typeof body.family === 'string' ? body.family : null,
    notes: Array.isArray(body.notes) ? body.notes : [],
    totalPoints: typeof body.totalPoints === 'number' ? body.totalPoints : n,
    pointsInRange: typeof body.pointsInRange === 'number' ? body.pointsInRange : n,
    downsampled: body.downsampled !== null && body.downsampled !== undefined
  }
}

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

// ---------------------------------------------------------------------------------------------
// Overlays: annotations, restarts, non-finite markers
// ---------------------------------------------------------------------------------------------

export const SEVERITY_COLOUR: Record<Severity, string> = { info: '#6b7a90', warning: '#e08a00', critical: '#d03030' }
export const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 }

/** An annotation placed on the chart's x axis. */
export interface AnnotationMark {
  x0: number
  x1: number
  severity: Severity
  colour: string
  annotation: Annotation
}

/** x of `step` in a run view: exact on the step axis, else the x of the nearest step (steps assumed mostly ascending). */
export function stepToX (v: RunView, step: number, axis: XAxis): number {
  if (axis === 'step') return step
  const i = nearestIndex(v.steps, step)
  return i < 0 ? NaN : v.x[i]!
}

/** Annotations of the displayed runs, placed on the x axis, highest severity drawn last. */
export function annotationMarks (anns: Annotation[], views: RunView[], axis: XAxis): AnnotationMark[] {
  const byRun = new Map(views.map(v => [v.run, v]))
  const out: AnnotationMark[] = []
  for (const a of anns) {
    const v = byRun.get(a.run)
    if (v === undefined) continue
    const sev: Severity = a.severity in SEVERITY_COLOUR ? a.severity : 'info'
    const x0 = stepToX(v, a.startStep, axis)
    const x1 = stepToX(v, a.endStep ?? a.startStep, axis)
    if (!Number.isFinite(x0)) continue
    out.push({ x0: Math.min(x0, x1), x1: Math.max(x0, Number.isFinite(x1) ? x1 : x0), severity: sev, colour: SEVERITY_COLOUR[sev], annotation: a })
  }
  return out.sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || a.x0 - b.x0)
}

/** Marks under x, widened by `tol` on each side (cursor slack), most severe first. */
export function marksAt (marks: AnnotationMark[], x: number, tol: number): AnnotationMark[] {
  return marks.filter(m => x >= m.x0 - tol && x <= m.x1 + tol).sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity])
}

/**
 * Where an annotation is, for lists and tooltips: "run · step 150", "run · steps 40–41", with
 * "ongoing" while the server says it may still grow and "tentative" while it is unconfirmed.
 */
export function annotationWhere (a: Annotation): string {
  const flags = a as { open?: unknown, tentative?: unknown }
  const steps = a.endStep !== a.startStep ? `steps ${formatStep(a.startStep)}–${formatStep(a.endStep)}` : `step ${formatStep(a.startStep)}`
  return [a.run, steps, flags.open === true ? 'ongoing' : '', flags.tentative === true ? 'tentative' : ''].filter(Boolean).join(' · ')
}

/** Counts by severity, from a tag entry's summary or, failing that, from fetched annotations. */
export function severityCounts (anns: Annotation[]): Record<Severity, number> {
  const c: Record<Severity, number> = { info: 0, warning: 0, critical: 0 }
  for (const a of anns) if (a.severity in c) c[a.severity]++
  return c
}

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

// ---------------------------------------------------------------------------------------------
// Runs, tags, filters
// ---------------------------------------------------------------------------------------------

/** Colour-blind-friendly categorical palette (Tableau 10), in assignment order. */
export const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#9c755f', '#ff9da7', '#5f6b7a']

/** Stable colours: a run keeps the colour of its position in the full run list, whatever the filter. */
export function assignColours (runs: string[]): Map<string, string> {
  return new Map(runs.map((r, i) => [r, PALETTE[i % PALETTE.length]!]))
}

/** A name filter typed by the user: a case-insensitive regular expression; invalid input falls back to a substring match. */
export interface Matcher { valid: boolean, error: string | null, test: (name: string) => boolean }

export function makeMatcher (text: string): Matcher {
  const t = text.trim()
  if (t === '') return { valid: true, error: null, test: () => true }
  try {
    const re = new RegExp(t, 'i')
    return { valid: true, error: null, test: (s) => re.test(s) }
  } catch (err) {
    const needle = t.toLowerCase()
    return { valid: false, error: (err as Error).message, test: (s) => s.toLowerCase().includes(needle) }
  }
}

/** A group of tags shown under one heading, TensorBoard-style: the part of the tag before its first '/'. */
export interface TagGroup { name: string, tags: string[] }

/** Distinct tags of the given runs that pass the filter, grouped by prefix; groups and tags sorted by name. */
export function groupTags (entries: TagEntry[], runOk: (run: string) => boolean, tagOk: (tag: string) => boolean): TagGroup[] {
  const tags = new Set<string>()
  for (const e of entries) if (runOk(e.run) && tagOk(e.tag)) tags.add(e.tag)
  const groups = new Map<string, string[]>()
  for (const t of [...tags].sort(compareNames)) {
    const slash = t.indexOf('/')
    const g = slash > 0 ? t.slice(0, slash) : ''
    let list = groups.get(g)
    if (list === undefined) groups.set(g, list = [])
    list.push(t)
  }
  return [...groups.entries()].sort((a, b) => compareNames(a[0], b[0])).map(([name, list]) => ({ name, tags: list }))
}

/** Natural order: digit runs compare as numbers ("run2" < "run10"). */
export function compareNames (a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true, sensitivity: 'base' }) || (a < b ? -1 : a > b ? 1 : 0)
}

/** Human label of a smoothing family worth a chip on the card; null for plain raw values and unknown families. */
export function familyLabel (family: string | null | undefined): string | null {
  switch (family) {
    case 'keras-running-mean': return 'Keras running mean'
    case 'lightning-step': return 'Lightning per-step'
    case 'lightning-epoch': return 'Lightning epoch mean'
    case 'hf-window-mean': return 'HF windowed mean'
    case 'rl-rolling-mean': return 'RL rolling mean'
    case 'epoch-aggregate': return 'epoch aggregate'
    default: return null
  }
}

/** True when the server can recover raw values behind this family (ask for `desmoothed`); unknown families are asked too. */
export function wantsDesmoothed (family: string | null | undefined): boolean {
  return family === undefined || family === null || family === 'keras-running-mean' || family === 'unknown'
}

// ---------------------------------------------------------------------------------------------
// Live stream
// ---------------------------------------------------------------------------------------------

/** What a server-sent event means for the dashboard. */
export type StreamEvent =
  | { kind: 'catalog' } // runs or tags appeared/disappeared: reload the lists
  | { kind: 'reset' } // the server lost track of what we have seen (restart, overflow): reload everything
  | { kind: 'points', run: string, tags: string[] | null, count: number } // tags null: any tag of the run; count 0 if not said
  | { kind: 'annotation', run: string | null, tag: string | null }
  | { kind: 'ignore' }

/** SSE event names the dashboard listens to (see LiveEventDto in server/provider/dto.ts). */
export const STREAM_EVENT_NAMES = ['hello', 'reset', 'run-added', 'run-removed', 'tag-added', 'points', 'annotation'] as const

/**
 * Interprets one SSE message of /api/v1/stream. The SSE event name (or, for unnamed messages,
 * the `type` field of the JSON data) says what happened; run and tag come from the data, for an
 * annotation from its `annotation` object. Unknown or malformed messages are ignored.
 */
export function parseStreamEvent (eventName: string, dataText: string): StreamEvent {
  let d: Record<string, unknown> = {}
  try {
    const parsed: unknown = JSON.parse(dataText)
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) d = parsed as Record<string, unknown>
  } catch {
    return { kind: 'ignore' }
  }
  const name = eventName !== '' && eventName !== 'message' ? eventName : String(d.type ?? '')
  const str = (o: Record<string, unknown>, k: string): string | null => typeof o[k] === 'string' ? o[k] as string : null
  const run = str(d, 'run')
  switch (name) {
    case 'run-added': case 'run-removed': case 'tag-added':
      return { kind: 'catalog' }
    case 'reset':
      return { kind: 'reset' }
    case 'points': {
      const tags = Array.isArray(d.tags) ? d.tags.filter((t): t is string => typeof t === 'string') : str(d, 'tag') !== null ? [str(d, 'tag')!] : null
      const count = typeof d.count === 'number' && Number.isFinite(d.count) ? d.count : 0
      return run === null ? { kind: 'catalog' } : { kind: 'points', run, tags, count }
    }
    case 'annotation': {
      const a = d.annotation !== null && typeof d.annotation === 'object' ? d.annotation as Record<string, unknown> : d
      return { kind: 'annotation', run: str(a, 'run'), tag: str(a, 'tag') }
    }
    default:
      return { kind: 'ignore' }
  }
}

// ---------------------------------------------------------------------------------------------
// Settings in the URL hash (shareable, survives reload)
// ---------------------------------------------------------------------------------------------

export interface Settings {
  runFilter: string
  tagFilter: string
  smoothing: number
  xAxis: XAxis
  raw: boolean
  desmoothed: boolean
  logY: boolean
  /** Runs the user switched off. */
  hidden: string[]
}

export const DEFAULT_SETTINGS: Settings = { runFilter: '', tagFilter: '', smoothing: 0.6, xAxis: 'step', raw: true, desmoothed: true, logY: false, hidden: [] }

/** Clamps an EMA weight to what the server accepts: 0 ≤ w ≤ 0.999 (1 would flatten the line to 0, TB #5370). */
export function clampSmoothing (w: number): number {
  if (!Number.isFinite(w) || w <= 0) return 0
  return Math.min(0.999, Math.round(w * 1000) / 1000)
}

/** Settings → URL hash (without '#'); defaults are left out so URLs stay short. */
export function encodeSettings (s: Settings): string {
  const q = new URLSearchParams()
  if (s.runFilter) q.set('runs', s.runFilter)
  if (s.tagFilter) q.set('tags', s.tagFilter)
  if (s.smoothing !== DEFAULT_SETTINGS.smoothing) q.set('smoothing', String(s.smoothing))
  if (s.xAxis !== 'step') q.set('x', s.xAxis)
  if (!s.raw) q.set('raw', '0')
  if (!s.desmoothed) q.set('desmoothed', '0')
  if (s.logY) q.set('logy', '1')
  if (s.hidden.length > 0) q.set('hidden', JSON.stringify(s.hidden))
  return q.toString()
}

/** URL hash → settings; anything malformed falls back to its default. */
export function decodeSettings (hash: string): Settings {
  const q = new URLSearchParams(hash.replace(/^#/, ''))
  const x = q.get('x')
  let hidden: string[] = []
  try {
    const h: unknown = JSON.parse(q.get('hidden') ?? '[]')
    if (Array.isArray(h)) hidden = h.filter((r): r is string => typeof r === 'string')
  } catch { hidden = [] }
  const w = q.get('smoothing')
  return {
    runFilter: q.get('runs') ?? '',
    tagFilter: q.get('tags') ?? '',
    smoothing: w === null ? DEFAULT_SETTINGS.smoothing : clampSmoothing(Number(w)),
    xAxis: x === 'relative' || x === 'wall' ? x : 'step',
    raw: q.get('raw') !== '0',
    desmoothed: q.get('desmoothed') !== '0',
    logY: q.get('logy') === '1',
    hidden
  }
}

// ---------------------------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------------------------

/** A value for the legend: NaN/±Inf spelled out, 5 significant digits, exponent outside [1e-3, 1e5). */
export function formatValue (v: number, digits = 5): string {
  if (Number.isNaN(v)) return 'NaN'
  if (v === Infinity) return '+Inf'
  if (v === -Infinity) return '-Inf'
  if (v === 0) return '0'
  const a = Math.abs(v)
  if (a >= 1e5 || a < 1e-3) return v.toExponential(Math.max(0, digits - 2)).replace(/\.?0+e/, 'e')
  return String(Number(v.toPrecision(digits)))
}

/** A step with thousands separators ("12,345"). */
export function formatStep (s: number): string {
  if (!Number.isFinite(s)) return String(s)
  return Math.round(s).toLocaleString('en-US')
}

/** An axis tick for steps or values: compact (1.2k, 3M) for big magnitudes. */
export function formatTick (v: number): string {
  const a = Math.abs(v)
  if (a >= 1e9) return `${Number((v / 1e9).toPrecision(3))}G`
  if (a >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`
  if (a >= 1e4) return `${Number((v / 1e3).toPrecision(3))}k`
  if (a !== 0 && a < 1e-3) return v.toExponential(1).replace('.0e', 'e')
  return String(Number(v.toPrecision(4)))
}

/** A duration in seconds as the relative axis shows it: "45s", "12m 30s", "3h 05m", "2d 4h". */
export function formatDuration (sec: number): string {
  if (!Number.isFinite(sec)) return ''
  const sign = sec < 0 ? '-' : ''
  let s = Math.abs(sec)
  if (s < 60) return `${sign}${Number(s.toPrecision(3))}s`
  s = Math.round(s)
  const d = Math.floor(s / 86400); const h = Math.floor((s % 86400) / 3600); const m = Math.floor((s % 3600) / 60); const r = s % 60
  if (d > 0) return `${sign}${d}d ${h}h`
  if (h > 0) return `${sign}${h}h ${String(m).padStart(2, '0')}m`
  return `${sign}${m}m ${String(r).padStart(2, '0')}s`
}

/** Bytes in binary units ("3.4 MiB"). */
export function formatBytes (n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let v = n; let u = 0
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++ }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`
}

/** A count with thousands separators. */
export function formatCount (n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–'
}
