/** One (run, tag) series: columnar typed arrays of step, wall time and value, every point kept. */

import type { Restart, ScalarDtype } from '../domain.js'

/** Columns as stored; read-only views of length `length` (never copies). */
export interface SeriesColumns {
  readonly steps: Int32Array | Float64Array
  readonly wallTimes: Float64Array
  readonly values: Float32Array | Float64Array
}

/**
 * A purge as TensorBoard's Python loader applies it: every point that arrived before `atIndex`
 * with `step >= step` is hidden from the TB-compatible view (never deleted from the store).
 */
export interface Purge {
  atIndex: number
  step: number
}

const INITIAL_CAPACITY = 16
const INT32_MAX = 2147483647
const INT32_MIN = -2147483648
/** Growth factor: 1.5 keeps the slack (and so bytes per point) lower than doubling. */
const GROWTH = 1.5

/**
 * Growable columns with amortised O(1) append. Steps start as Int32Array and widen to Float64Array
 * the first time a step does not fit; values start as Float32Array and widen to Float64Array the
 * first time a value is not exactly a float32 (double or large int64 sources). Invariants: the
 * three columns always have the same length; `version` increases on every change, so caches keyed
 * on it are safe.
 */
export class ScalarSeries {
  length = 0
  version = 0
  /** True while every value came from an integer dtype (TB then prints integers). */
  allInt = true
  /** Source encodings seen, in order of first appearance. */
  readonly dtypes: ScalarDtype[] = []
  /** Where the step went backwards or a writer restarted (arrival index order). */
  readonly restarts: Restart[] = []
  /** TensorBoard (Python loader) purges, applied only by the TB-compatible view. */
  readonly purges: Purge[] = []
  /** Points with NaN or ±Inf values. */
  nonFinite = 0
  private steps: Int32Array | Float64Array = new Int32Array(INITIAL_CAPACITY)
  private wallTimes = new Float64Array(INITIAL_CAPACITY)
  private values: Float32Array | Float64Array = new Float32Array(INITIAL_CAPACITY)

  /** Appends one point; `dtype` is its source encoding. */
  append (step: number, wallTime: number, value: number, dtype: ScalarDtype): void {
    const n = this.length
    if (n === this.wallTimes.length) this.grow(Math.ceil(n * GROWTH))
    let steps = this.steps
    if (steps instanceof Int32Array && (step > INT32_MAX || step < INT32_MIN || step !== Math.trunc(step))) {
      steps = this.steps = Float64Array.from(steps)
    }
    steps[n] = step
    this.wallTimes[n] = wallTime
    let values = this.values
    if (values instanceof Float32Array && Math.fround(value) !== value && value === value) {
      values = this.values = Float64Array.from(values)
    }
    values[n] = value
    if (dtype !== 'int' && dtype !== 'bool') this.allInt = false
    if (this.dtypes[this.dtypes.length - 1] !== dtype && !this.dtypes.includes(dtype)) this.dtypes.push(dtype)
    if (!Number.isFinite(value)) this.nonFinite++
    this.length = n + 1
    this.version++
  }

  /** Records a restart; called by the store before appending the restart's first point. */
  addRestart (r: Restart): void { this.restarts.push(r); this.version++ }

  /** Records a TB purge at the current length. */
  addPurge (step: number): void {
    if (this.length === 0) return
    this.purges.push({ atIndex: this.length, step })
    this.version++
  }

  /** Last stored step, or undefined when empty. */
  lastStep (): number | undefined { return this.length ? this.steps[this.length - 1] : undefined }

  /** Read-only views of the first `length` points. Valid until the next append. */
  columns (): SeriesColumns {
    const n = this.length
    return { steps: this.steps.subarray(0, n), wallTimes: this.wallTimes.subarray(0, n), values: this.values.subarray(0, n) }
  }

  /** Releases the slack after a bulk load (one copy per series). */
  shrinkToFit (): void {
    if (this.wallTimes.length - this.length > 8) this.grow(this.length)
  }

  /** Bytes held by the columns (capacity, not length). */
  byteLength (): number {
    return this.steps.byteLength + this.wallTimes.byteLength + this.values.byteLength
  }

  private grow (capacity: number): void {
    capacity = Math.max(capacity, INITIAL_CAPACITY)
    const n = this.length
    const steps = this.steps instanceof Int32Array ? new Int32Array(capacity) : new Float64Array(capacity)
    steps.set(this.steps.subarray(0, n))
    const wallTimes = new Float64Array(capacity)
    wallTimes.set(this.wallTimes.subarray(0, n))
    const values = this.values instanceof Float32Array ? new Float32Array(capacity) : new Float64Array(capacity)
    values.set(this.values.subarray(0, n))
    this.steps = steps
    this.wallTimes = wallTimes
    this.values = values
  }
}

/**
 * Indices of the points TensorBoard's Python loader would serve, in its order: arrival order
 * minus every point hidden by a later purge. O(n) with one backward pass.
 */
export function tbVisibleIndices (series: ScalarSeries): Uint32Array | null {
  if (series.purges.length === 0) return null
  const { steps } = series.columns()
  const keep = new Uint8Array(series.length)
  let k = series.purges.length - 1
  let minPurgeStep = Infinity
  let count = 0
  for (let i = series.length - 1; i >= 0; i--) {
    while (k >= 0 && series.purges[k]!.atIndex > i) {
      minPurgeStep = Math.min(minPurgeStep, series.purges[k]!.step)
      k--
    }
    if (steps[i]! < minPurgeStep) { keep[i] = 1; count++ }
  }
  const out = new Uint32Array(count)
  let o = 0
  for (let i = 0; i < keep.length; i++) if (keep[i]) out[o++] = i
  return out
}
