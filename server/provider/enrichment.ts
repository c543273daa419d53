/** Contract between the enrichment (enrich/) and the HTTP API: enriched columns, annotations, per-tag summaries. */

import type { ScalarStore } from '../store/scalar-store.js'

/** How a series' logger smoothed it (KERAS_LOGGING.md). */
export type SmoothingFamily =
  | 'keras-running-mean' // batch_* beside epoch_* (tf-keras 2.x / Keras 3): invertible
  | 'lightning-step' | 'lightning-epoch' | 'hf-window-mean' | 'rl-rolling-mean'
  | 'epoch-aggregate' | 'raw' | 'unknown'

export type DesmoothMode = 'auto' | 'running-mean' | 'none'

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
  desmoothed?: Float64Array
  desmoothedBound?: Float64Array
  /** Epoch index of each point (-1 where unknown). */
  epoch?: Int32Array
  smoothed?: Float64Array
  /** Human-readable notes (e.g. "gap form: every 5th batch logged, values are means over each gap"). */
  notes: string[]
  /** Cross-check of epoch values against the final running mean of each epoch. */
  crossCheck?: { epochs: number, matched: number, maxRelError: number }
}

export type AnnotationKind = 'staircase-artifact' | 'spike' | 'level-shift' | 'non-finite' | 'oscillation' | 'plateau' | 'divergence' | 'overfitting' | 'restart'
export type Severity = 'info' | 'warning' | 'critical'

export interface Annotation {
  id: string
  run: string
  tag: string
  kind: AnnotationKind
  severity: Severity
  startStep: number
  endStep: number
  wallTime: number
  magnitude: { ratio: number, robustZ: number }
  baseline: number
  peak: number
  causes: Array<{ cause: string, evidence: string }>
  explanation: string
}

export interface AnnotationFilter {
  run?: string
  tag?: string
  kind?: AnnotationKind
  severity?: Severity
  minStep?: number
}

/**
 * Implemented by the enrichment work (issue 4). Until then these give only what needs no
 * inference: the family 'unknown', no annotations, and no extra columns.
 */
export interface EnrichmentProvider {
  columns (run: string, tag: string, opts: EnrichOptions): EnrichedColumns
  annotations (filter: AnnotationFilter): Annotation[]
  tagSummary (run: string, tag: string): { family: SmoothingFamily, annotations: Record<Severity, number> }
}

export function createEnrichmentProvider (_store: ScalarStore): EnrichmentProvider {
  return {
    columns: () => ({ family: 'unknown', notes: [] }),
    annotations: () => [],
    tagSummary: () => ({ family: 'unknown', annotations: { info: 0, warning: 0, critical: 0 } })
  }
}
