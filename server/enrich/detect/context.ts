/** What the parts of the jump detector share: thresholds, the analysed space, the baseline, the view and the event sink. */

import type { JumpEvent } from '../events.js'
import type { JumpParams } from './params.js'
import type { Space } from './space.js'
import type { Baseline } from './baseline.js'

/** What the detector reads: full columns (views; only indices below the `upTo` of each call are read). */
export interface PointsView {
  steps: ArrayLike<number>
  wallTimes: ArrayLike<number>
  values: ArrayLike<number>
  /** Per-point uncertainty of the value (e.g. the de-smoothing bound); Infinity = approximate. Optional. */
  bounds?: ArrayLike<number>
  /**
   * Batches each value averages (a de-smoothed gap mean under update_freq > 1 covers several);
   * 1 or absent for one batch. Optional.
   */
  span?: ArrayLike<number>
}

/**
 * The ratio of one batch inside a mean over `k` batches that lifts the mean `ratio`× over a level
 * the other batches sit at: k·ratio − (k − 1). A ×10 bad batch among 5 lifts their mean ×2.8.
 */
export function batchRatio (ratio: number, k: number): number {
  return k > 1 ? k * ratio - (k - 1) : ratio
}

export interface DetectContext {
  readonly p: JumpParams
  readonly space: Space
  readonly baseline: Baseline
  /** Short label of the series for evidence texts, e.g. `de-smoothed batch_loss`. */
  readonly label: string
  /** Every event emitted so far, in order. */
  readonly events: JumpEvent[]
  /** Index of the first point of the current fit (restarts reset the state). */
  fitStart: number
  emit: (ev: JumpEvent) => void
}

/** Median of a small array (copied). */
export function medianOf (xs: readonly number[]): number {
  const a = Float64Array.from(xs).sort()
  const n = a.length
  if (n === 0) return NaN
  return n & 1 ? a[n >> 1]! : (a[(n >> 1) - 1]! + a[n >> 1]!) / 2
}
