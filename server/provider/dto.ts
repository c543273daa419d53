/** Response shapes of the native API (/api/v1). web/ may `import type` from this file only. */

import type { Restart } from '../domain.js'
import type { FileIssue, FileStat } from '../store/scalar-store.js'
import type { Annotation, Severity, SmoothingFamily } from './enrichment.js'

/** A run as /api/v1/runs lists it. */
export interface RunDto {
  run: string
  /** Wall time (float seconds) of the run's first event; null until one is read. */
  startTime: number | null
  /** Scalar tags with at least one point. */
  tags: number
  /** Points stored for the run, all tags. */
  points: number
  files: FileStat[]
  /** Records skipped in this run's files (bad data CRC, undecodable) — each logged with file and offset. */
  dataLoss: number
  deadFiles: number
  issues: FileIssue[]
}

/** A scalar tag as /api/v1/tags lists it. */
export interface TagDto {
  run: string
  tag: string
  displayName: string
  points: number
  firstStep: number
  lastStep: number
  lastWallTime: number
  /** Source encodings seen (float32, float64, int, ...), in order of first appearance. */
  dtypes: string[]
  /** Points whose value is NaN or ±Infinity. */
  nonFinite: number
  /** The last finite value, and the smallest and largest finite value (null when none is finite). */
  lastValue: number | null
  minValue: number | null
  maxValue: number | null
  restarts: Restart[]
  /** How the series' logger smoothed it (from the enrichment provider). */
  family: SmoothingFamily
  /** Annotation counts by severity. */
  annotations: Record<Severity, number>
  /** False while the analyses have not read every point yet (the background pass after start-up): the counts are those found so far. */
  annotationsComplete: boolean
}

/** Names of the extra columns /api/v1/scalars can add, aligned with `step`. */
export type ExtraColumn = 'desmoothed' | 'desmoothedBound' | 'epoch' | 'smoothed'

/** How the returned points were thinned, or null when every point in range is returned. */
export interface DownsampleDto {
  method: 'minmax' | 'lttb'
  /** The `points=` budget that was asked for. */
  maxPoints: number
}

/**
 * One series of /api/v1/scalars in JSON. Column arrays (`step`, `wallTime`, `value` and the
 * asked-for extra columns) all have length `points`. Non-finite numbers follow the request's
 * `nonFinite` policy; with `nonFinite=null` the `nonFinite` field lists `[position, spelling]`
 * for each null that stands for NaN/±Infinity, per column.
 */
export interface SeriesDto {
  run: string
  tag: string
  /** Points stored for the series. */
  totalPoints: number
  /** Points of the series inside the requested step / wall-time range. */
  pointsInRange: number
  /** Points returned (length of every column). */
  points: number
  downsampled: DownsampleDto | null
  /** Smoothing family, present when enrichment was asked for (series other than raw). */
  family?: SmoothingFamily
  /** Enrichment notes (e.g. gap-form de-smoothing), present when enrichment was asked for. */
  notes?: string[]
  /** Extra columns that were asked for but cannot be computed for this series. */
  unavailable: ExtraColumn[]
  restarts: Restart[]
  step: number[]
  wallTime: number[]
  value?: Array<number | string | null>
  desmoothed?: Array<number | string | null>
  desmoothedBound?: Array<number | string | null>
  epoch?: number[]
  smoothed?: Array<number | string | null>
  nonFinite?: Record<string, Array<[number, 'NaN' | 'Infinity' | '-Infinity']>>
}

/** One event of /api/v1/stream (the SSE `event:` field is `type`). */
export type LiveEventDto =
  | { type: 'hello', bootId: string, lastEventId: string }
  | { type: 'reset', reason: string }
  | { type: 'run-added', run: string }
  | { type: 'run-removed', run: string }
  | { type: 'tag-added', run: string, tag: string }
  | {
    type: 'points'
    run: string
    tag: string
    /** Steps of the first and last appended point, and their smallest and largest step. */
    firstStep: number
    lastStep: number
    minStep: number
    maxStep: number
    /** Position of the first appended point in the series, and how many were appended. */
    fromIndex: number
    count: number
    totalPoints: number
    lastWallTime: number
    /** True when the appended points include a restart (the step went back). */
    restart: boolean
  }
  | { type: 'annotation', annotation: Annotation }
