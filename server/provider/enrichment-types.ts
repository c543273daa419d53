/** The contract between the enrichment and the HTTP API: request options, the extra columns, annotations as served, and the provider interface. */

import type { SmoothingFamily } from '../enrich/families.js'
import type { BatchSizes, CrossCheck } from '../enrich/desmooth.js'
import type { AnnotationKind, Severity, JumpParams } from '../enrich/jumps.js'

export type { DesmoothMode } from '../enrich/series-analysis.js'
import type { DesmoothMode } from '../enrich/series-analysis.js'

export interface EnrichOptions {
  /** Which extra columns to compute. */
  desmoothed: boolean
  smoothed: boolean
  /** TensorBoard EMA weight, 0 ≤ w < 1 (default 0.6). */
  smoothing: number
  desmooth: DesmoothMode
  /** Optional exactness inputs for the last (smaller) batch of each epoch. */
  datasetSize?: number
  batchSize?: number
}

/** Extra columns aligned with the stored series (same length and order as `step`). */
export interface EnrichedColumns {
  family: SmoothingFamily
  /**
   * Best estimate of the raw value of each point: the inverted running mean where the series is
   * one, else the stored value. Where only every N-th batch was logged, a point is the mean over
   * the batches since the previous logged point of its epoch (`desmoothedKind` 1, and a note says so).
   */
  desmoothed?: Float64Array
  /** |desmoothed − true raw value| ≤ bound; Infinity where the value is approximate (unknown last-batch size). */
  desmoothedBound?: Float64Array
  /** Epoch index of each point (-1 where unknown). */
  epoch?: Int32Array
  /** 0 exact, 1 mean over a gap of unlogged batches, 2 approximate last batch, 3 not invertible, 4 raw (not a running mean), 5 estimate (an unplaced epoch end or an impossible exact value). */
  desmoothedKind?: Uint8Array
  smoothed?: Float64Array
  /** Human-readable notes (e.g. "gap form: every 5th batch logged, values are means over each gap"). */
  notes: string[]
  /** Cross-check of epoch values against the final running mean of each epoch. */
  crossCheck?: CrossCheck
}

/** One annotation as the API serves it. */
export interface Annotation {
  /** Stable: derived from run, tag, kind and the start point; never reused for another annotation. */
  id: string
  run: string
  tag: string
  kind: AnnotationKind
  severity: Severity
  startStep: number
  endStep: number
  /** Wall time (float seconds) of the start point. */
  wallTime: number
  magnitude: { ratio: number, robustZ: number }
  baseline: number
  peak: number
  causes: Array<{ cause: string, evidence: string }>
  explanation: string
  /** The annotated series: `raw` values, `desmoothed` batch values, or the `logged` running mean (staircase). */
  series: 'raw' | 'desmoothed' | 'logged'
  /** Still going on: its end (and peak) may still grow. */
  open: boolean
  /** Not yet confirmed (a spike waits for the following points to rule out an oscillation); not announced yet. */
  tentative: boolean
}

export interface AnnotationFilter {
  run?: string
  tag?: string
  /** Only runs / tags whose names these patterns find (series outside them are not analysed either). */
  runRe?: { test: (name: string) => boolean }
  tagRe?: { test: (name: string) => boolean }
  kind?: AnnotationKind
  severity?: Severity
  minStep?: number
}

/** A series named by run and tag. */
export interface SeriesRef {
  run: string
  tag: string
}

/**
 * How far the enrichment of some series is. `computing`: some of them have points the analyses
 * have not read yet (the background pass after the initial load, or appends since), so answers
 * about them are partial; `done`: every answer about them is final for the points stored now.
 */
export interface EnrichmentProgress {
  status: 'done' | 'computing'
  /** Series asked about (scalar series with points). */
  series: number
  /** Of those, the ones still to bring up to date. */
  pendingSeries: number
  /** Points the analyses of the pending series have yet to read (an estimate of the work left). */
  pendingPoints: number
}

/**
 * The background pass after the initial load (and after appends): `computing` while series are
 * queued for it (O(1) to ask, for /healthz).
 */
export interface BackgroundProgress {
  status: 'done' | 'computing'
  /** Series with points stored since their analyses last read them, queued for the pass. */
  queuedSeries: number
}

/**
 * Points of unread data a request may analyse itself before answering (about 0.2–0.4 s of work
 * on the 2-core machine of BENCHMARKS.md); past it, the answer says `computing` instead.
 */
export const REQUEST_ANALYSIS_BUDGET_POINTS = 200_000

/** Options of the reads that can answer before every series is up to date. */
export interface PartialOptions {
  /**
   * Only report what is already computed: series with unread points are not brought up to date
   * (their annotations are left out, their counts are those found so far). Default false: every
   * series asked about is brought up to date first, however long that takes.
   */
  computedOnly?: boolean
}

/**
 * What the HTTP layer needs from enrichment. Every method is synchronous and reads the store as
 * it is now; results are cached per series and brought up to date incrementally (only points
 * appended since the last call are processed).
 */
export interface EnrichmentProvider {
  /**
   * Extra columns for one series, aligned with its `step` column at call time. Throws nothing:
   * an unknown run/tag yields `{ family: 'unknown', notes }` without columns (the route checks existence first).
   */
  columns (run: string, tag: string, opts: EnrichOptions): EnrichedColumns
  /** Annotations matching the filter, ordered by run, tag and start step. */
  annotations (filter: AnnotationFilter, opts?: PartialOptions): Annotation[]
  /**
   * The tag's smoothing family and its annotation counts per severity (tentative ones excluded).
   * `complete` is false when `computedOnly` left unread points (the counts are those found so far).
   */
  tagSummary (run: string, tag: string, opts?: PartialOptions): { family: SmoothingFamily, annotations: Record<Severity, number>, complete: boolean }
  /**
   * Readies `series` for an answer: when bringing all of them up to date costs at most
   * `budgetPoints` unread points, does it now and reports `done`; otherwise brings none of them up
   * to date here, moves the stale ones to the front of the background pass, and reports
   * `computing` (the caller then answers with `computedOnly`, saying so). This bounds the time a
   * request can block the event loop: a many-run logdir's first listing does not run every
   * analysis of every series while the dashboard waits.
   */
  prepare (series: Iterable<SeriesRef>, budgetPoints: number): EnrichmentProgress
  /** The background pass over every series: `computing` while series are queued for it. */
  progress (): BackgroundProgress
  /**
   * Calls `listener` once for every annotation confirmed after subscription, soon after the
   * append that created it (the provider processes appended points in the background, in a
   * setImmediate after the store announces them). Returns the unsubscribe function.
   */
  onAnnotation (listener: (a: Annotation) => void): () => void
  /**
   * Holds the background processing of appends until the returned release is called: appended
   * series are only marked meanwhile, then processed in the background, in time slices that yield
   * to the event loop. The server holds it during the initial load, so that reading (or
   * restoring) the logdir is not slowed by jump detection and ready is reached first; queries
   * are unaffected (they bring their series up to date themselves, within {@link prepare}'s budget).
   */
  holdEager (): () => void
}

/** Command-line defaults of the provider. */
export interface ProviderOptions {
  /** Per-run de-smoothing override, first matching pattern wins (`--desmooth PATTERN=MODE`). */
  desmoothRules?: Array<{ pattern: RegExp, mode: DesmoothMode }>
  /** Dataset and batch size, optionally per run pattern (`--dataset-size`, `--batch-size`). */
  sizes?: Array<{ pattern: RegExp | null, sizes: BatchSizes }>
  /** Detector thresholds (defaults: DEFAULT_JUMP_PARAMS). */
  params?: Partial<JumpParams>
}
