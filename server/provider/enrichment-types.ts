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
  kind?: AnnotationKind
  severity?: Severity
  minStep?: number
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
  annotations (filter: AnnotationFilter): Annotation[]
  /** The tag's smoothing family and its annotation counts per severity (tentative ones excluded). */
  tagSummary (run: string, tag: string): { family: SmoothingFamily, annotations: Record<Severity, number> }
  /**
   * Calls `listener` once for every annotation confirmed after subscription, soon after the
   * append that created it (the provider processes appended points in a setImmediate after the
   * store announces them, while anyone listens). Returns the unsubscribe function.
   */
  onAnnotation (listener: (a: Annotation) => void): () => void
  /**
   * Holds the eager processing of appends (for listeners) until the returned release is called:
   * appended series are only marked meanwhile, then processed in the background, in time slices
   * that yield to the event loop. The server holds it during the initial load, so that reading
   * (or restoring) the logdir is not slowed by jump detection and ready is reached first; queries
   * are unaffected (they bring their series up to date themselves).
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
