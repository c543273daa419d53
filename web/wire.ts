/** The wire model: the server's DTOs as the dashboard reads them (fields optional), decoded into typed columns. */

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
