/** Types, point kinds and small helpers shared by the epoch segmentation (epochs.ts) and the running-mean inverter (desmooth.ts). */

import { resizeColumn, growthFactor } from '../columns.js'

/**
 * The part of a stored series the inverter reads. Columns are views that may be replaced between
 * calls (the store grows them); only the first `length` entries are read. `restarts` are the
 * indices where the writer's step went back (a new `fit()` or process), in increasing order.
 */
export interface SeriesData {
  readonly length: number
  readonly steps: ArrayLike<number>
  readonly wallTimes: ArrayLike<number>
  readonly values: ArrayLike<number>
  readonly restarts: ReadonlyArray<{ readonly index: number }>
}

/** Dataset size and batch size, when the user gives them: they make the short last batch exact. */
export interface BatchSizes {
  datasetSize: number
  batchSize: number
}

/** What a de-smoothed point is. Stored per point in {@link InverterColumns.kind}. */
export const POINT_EXACT = 0
/**
 * Mean of the raw values over the batches since the previous logged point of the same epoch
 * (update_freq N > 1); at an epoch's first logged point, since the epoch start.
 */
export const POINT_GAP_MEAN = 1
/** Last batch of an epoch whose size is unknown: value assumes an equal size, bound is infinite. */
export const POINT_APPROX_LAST = 2
/** Cannot be inverted (repeated counter inside an epoch): the logged value is passed through. */
export const POINT_UNRECOVERABLE = 3
/** Not a running mean: the logged value is the raw value. */
export const POINT_RAW = 4
/**
 * Estimate only (bound infinite): an epoch end may lie inside the interval and no evidence places
 * it, or the exact formula gave a value outside the metric's domain (which proves an assumption
 * wrong: a short batch, a missed reset). The value is kept inside the domain.
 */
export const POINT_ESTIMATE = 5

/** One epoch as segmented. Indices are positions in the batch series; `first > last` means no logged point. */
export interface EpochInfo {
  /** Epoch index from the epoch-level event (its step), or counted from the fit start when inferred; -1 unknown. */
  label: number
  fit: number
  first: number
  last: number
  /** Batch counter of the previous epoch's last batch (chosen inside [gLo, gHi]). */
  g: number
  gLo: number
  gHi: number
  /** Closed by an epoch-level event (or by the given sizes). */
  closed: boolean
  /** The last logged point is known to be the epoch's last batch. */
  endKnown: boolean
  /** Value of the epoch-level event that closed it (NaN if open or closed by sizes). */
  eventValue: number
  eventWallTime: number
  /** Bit-equal float32 match of the event value and the last logged running mean. */
  matched: boolean
  /** Closed at an exact batch counter (the validation run's optimizer.iterations, or a constant epoch length). */
  byCounter: boolean
  /** An epoch-level event (epoch_*) was seen for this epoch. */
  hasEvent: boolean
  /** Closed by an evaluation event (an epoch_* event written after it labels it). */
  byEval: boolean
  /** Its points are estimates: the segmentation inside it is not known. */
  estimate: boolean
  /** First point whose exact value fell outside the metric's domain: it and the later points are estimates. */
  brokenAt: number
  /** Point where the accuracy count chain was lost to a short batch of unknown size (Infinity: none, or resolved). */
  countLost: number
}

/** Cross-check of the segmentation: an epoch value must equal the final running mean of its epoch. */
export interface CrossCheck {
  /** Closed epochs whose last batch was logged, so the check applies. */
  epochs: number
  /** Of those, epochs whose value equals the last running mean bit for bit (as float32). */
  matched: number
  /** Largest |epoch value − last running mean| / |epoch value| over the checked epochs. */
  maxRelError: number
}

export interface Fit {
  start: number
  /** Counter of the batch before the fit's first (0 for Keras: the first batch is 1). */
  g0: number
  /** 'step': the counter is the step; 'ordinal': steps do not increase (Keras 3 step-0 builds), count points. */
  mode: 'step' | 'ordinal' | 'undecided'
  /** Index of this fit's first epoch in `epochs`. */
  firstEpoch: number
  /** Feasible constant epoch length, from the closed epochs' end ranges. */
  kLo: number
  kHi: number
  ended: boolean
  /** optimizer.iterations when the fit began (evaluation steps minus this are batch counters). */
  itOffset: number
  /** Evaluation events used for this fit; evalBad once one contradicted the logged steps. */
  evals: number
  evalBad: boolean
  /** Samples per counter step, inferred from the running accuracy (null: unknown). */
  batch: number | null
  batchTries: number
  /** Evidence for `batch`: running accuracies and their epoch-local counters, and the last point looked at. */
  pairs: { m: number[], k: number[] }
  pairsUpTo: number
  /** Epoch label of the fit's first epoch (Keras initial_epoch), null until an epoch event tells. */
  labelBase: number | null
  /** Some logged step advanced by more than one (update_freq or steps_per_execution > 1): epoch_* may be gated. */
  gapped: boolean
}

/** Per-point outputs, aligned with the batch series (views of the first `length` entries). */
export interface InverterColumns {
  desmoothed: Float64Array
  bound: Float64Array
  epoch: Int32Array
  kind: Uint8Array
  /** Batches each de-smoothed value averages: 1 for one batch, g for the mean over a gap of g, 0 when unrecoverable. */
  span: Int32Array
}

/**
 * `a` with room for `cap` entries, its first `used` kept, the rest 0. Grown like the store's
 * columns: large arrays grow in place in a resizable buffer (no copy, and untouched pages cost no
 * memory), so the first append after loading a long series does not copy every per-point array.
 */
export function grow<T extends Float64Array | Int32Array | Uint8Array> (a: T, cap: number, used: number, Ctor: new (b: ArrayBuffer, off: number, len: number) => T): T {
  return resizeColumn(a, used, cap, Ctor)
}

/** How much the per-point arrays grow when full (see {@link grow}). */
export function growth (a: Float64Array | Int32Array | Uint8Array): number { return growthFactor(a) }

/** Adds one closed epoch to the cross-check: its value against the last running mean `m`. */
export function recordCheck (check: CrossCheck, m: number, value: number, matched: boolean): void {
  const rel = value === 0 ? Math.abs(m) : Math.abs(m - value) / Math.abs(value)
  check.epochs++
  if (matched) check.matched++
  if (rel > check.maxRelError || Number.isNaN(rel)) check.maxRelError = rel
}
