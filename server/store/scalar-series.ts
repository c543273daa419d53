/** One (run, tag) series: columnar typed arrays of step, wall time and value, every point kept. */

import type { Restart, ScalarDtype } from '../domain.js'
import { MinMaxPyramid, type PyramidSnapshot } from './minmax-pyramid.js'
import { growthFactor, resizeColumn, isResizable, type Column } from '../columns.js'

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

/** A series as plain, structured-cloneable data: see {@link ScalarSeries.snapshot}. */
export interface SeriesSnapshot {
  length: number
  version: number
  allInt: boolean
  dtypes: ScalarDtype[]
  restarts: Restart[]
  purges: Purge[]
  nonFinite: number
  stepsNonDecreasing: boolean
  wallTimesNonDecreasing: boolean
  pyramid: PyramidSnapshot
  steps: Int32Array | Float64Array
  wallTimes: Float64Array
  values: Float32Array | Float64Array
}

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
  /** True while no step was smaller than the one before it (step windows are then a binary search). */
  stepsNonDecreasing = true
  /** True while no wall time was smaller than the one before it (NaN counts as a decrease). */
  wallTimesNonDecreasing = true
  /** Min/max summaries of the values, for thinning any window in O(points + log n). */
  readonly pyramid: MinMaxPyramid
  private steps: Int32Array | Float64Array = new Int32Array(INITIAL_CAPACITY)
  private wallTimes: Float64Array = new Float64Array(INITIAL_CAPACITY)
  private values: Float32Array | Float64Array = new Float32Array(INITIAL_CAPACITY)
  /** The views {@link columns} handed out last, the version and the column arrays they were made of. */
  private views: SeriesColumns | null = null
  private viewsVersion = -1
  private viewsOf: [Column | null, Column | null, Column | null] = [null, null, null]

  constructor (pyramid = new MinMaxPyramid()) {
    this.pyramid = pyramid
  }

  /** Appends one point; `dtype` is its source encoding. */
  append (step: number, wallTime: number, value: number, dtype: ScalarDtype): void {
    const n = this.length
    if (n === this.wallTimes.length) this.grow(Math.ceil(n * growthFactor(this.wallTimes)))
    let steps = this.steps
    if (steps instanceof Int32Array && (step > INT32_MAX || step < INT32_MIN || step !== Math.trunc(step))) {
      steps = this.steps = resizeColumn(steps, n, steps.length, Float64Array)
    }
    if (n > 0) {
      if (this.stepsNonDecreasing && !(step >= steps[n - 1]!)) this.stepsNonDecreasing = false
      if (this.wallTimesNonDecreasing && !(wallTime >= this.wallTimes[n - 1]!)) this.wallTimesNonDecreasing = false
    } else if (Number.isNaN(wallTime)) this.wallTimesNonDecreasing = false
    steps[n] = step
    this.wallTimes[n] = wallTime
    let values = this.values
    if (values instanceof Float32Array && Math.fround(value) !== value && !Number.isNaN(value)) {
      values = this.values = resizeColumn(values, n, values.length, Float64Array)
    }
    values[n] = value
    if (dtype !== 'int' && dtype !== 'bool') this.allInt = false
    if (this.dtypes[this.dtypes.length - 1] !== dtype && !this.dtypes.includes(dtype)) this.dtypes.push(dtype)
    if (!Number.isFinite(value)) this.nonFinite++
    this.length = n + 1
    this.pyramid.appended(values, n + 1)
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

  /** Read-only views of the first `length` points. Valid until the next append (the same views until then: readers call this often). */
  columns (): SeriesColumns {
    const c = this.views
    if (c !== null && this.viewsVersion === this.version && this.viewsOf[0] === this.steps && this.viewsOf[1] === this.wallTimes && this.viewsOf[2] === this.values) return c
    const n = this.length
    this.views = { steps: this.steps.subarray(0, n), wallTimes: this.wallTimes.subarray(0, n), values: this.values.subarray(0, n) }
    this.viewsVersion = this.version
    this.viewsOf = [this.steps, this.wallTimes, this.values]
    return this.views
  }

  /**
   * Releases the slack after a bulk load (one copy) for plain columns. Resizable columns keep
   * their capacity: their slack is address space whose pages were never written, so it holds no
   * memory, while shrinking one makes V8 zero-fill the released range, which touches (and so
   * allocates) exactly the pages it means to give back (measured: 0.9 s to shrink 256 MB).
   */
  shrinkToFit (): void {
    if (isResizable(this.wallTimes)) return
    if (this.wallTimes.length - this.length > 8) this.grow(this.length)
  }

  /**
   * Everything the series holds, as plain data whose columns (typed arrays of the series'
   * capacity) can be transferred to another thread. The series must not be used afterwards if
   * their buffers are transferred.
   */
  snapshot (): SeriesSnapshot {
    return {
      length: this.length,
      version: this.version,
      allInt: this.allInt,
      dtypes: [...this.dtypes],
      restarts: this.restarts.map(r => ({ ...r })),
      purges: this.purges.map(p => ({ ...p })),
      nonFinite: this.nonFinite,
      stepsNonDecreasing: this.stepsNonDecreasing,
      wallTimesNonDecreasing: this.wallTimesNonDecreasing,
      pyramid: this.pyramid.snapshot(),
      steps: this.steps,
      wallTimes: this.wallTimes,
      values: this.values
    }
  }

  /** The series a {@link snapshot} describes, holding its columns as they are (no copy). */
  static fromSnapshot (s: SeriesSnapshot): ScalarSeries {
    const out = new ScalarSeries(MinMaxPyramid.fromSnapshot(s.pyramid))
    out.length = s.length
    out.version = s.version
    out.allInt = s.allInt
    out.dtypes.push(...s.dtypes)
    out.restarts.push(...s.restarts)
    out.purges.push(...s.purges)
    out.nonFinite = s.nonFinite
    out.stepsNonDecreasing = s.stepsNonDecreasing
    out.wallTimesNonDecreasing = s.wallTimesNonDecreasing
    out.steps = s.steps
    out.wallTimes = s.wallTimes
    out.values = s.values
    return out
  }

  /** Bytes held by the columns (capacity, not length). */
  byteLength (): number {
    return this.steps.byteLength + this.wallTimes.byteLength + this.values.byteLength
  }

  private grow (capacity: number): void {
    capacity = Math.max(capacity, INITIAL_CAPACITY)
    const n = this.length
    this.steps = this.steps instanceof Int32Array ? resizeColumn(this.steps, n, capacity, Int32Array) : resizeColumn(this.steps, n, capacity, Float64Array)
    this.wallTimes = resizeColumn(this.wallTimes, n, capacity, Float64Array)
    this.values = this.values instanceof Float32Array ? resizeColumn(this.values, n, capacity, Float32Array) : resizeColumn(this.values, n, capacity, Float64Array)
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
