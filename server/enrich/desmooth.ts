/** Inverts Keras-style running means into raw per-batch values, with epoch segmentation and float32 error bounds. */

import type { ValueDomain } from './value-domain.js'
import { countAt, inferBatchSize, informative } from './sample-counts.js'

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
/** Mean of the raw values over the batches since the previous logged point (update_freq N > 1). */
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

/** Unit roundoff of float32 (round to nearest). */
const U32 = 2 ** -24
/** Unit roundoff of float64, for the recovery arithmetic itself. */
const U64 = 2 ** -53

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

interface Fit {
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
}

/**
 * Streaming inverter of a Keras running mean (KERAS_LOGGING.md §3). Feed it the batch series and
 * the epoch-level series of the same run with {@link update} whenever either grew; it processes
 * only the new points (amortised O(1) each) and revises earlier outputs only when an epoch closes
 * (its last point) or when the constant epoch length becomes known (each epoch at most once more).
 *
 * Segmentation, in order of authority: a step regression starts a new `fit()`; an epoch-level event
 * closes the epoch of the batch points written before it (wall-time bracketing, §3.6.1); a bit-equal
 * match of the event value moves the end where wall times tie, or where the event was stamped just
 * before its last batch (§3.6.2); with
 * update_freq N the epoch start is bracketed by the logged steps and pinned by a constant epoch
 * length when exactly one fits every closed epoch (§3.6.4). Without epoch events, the given sizes
 * close an epoch every ceil(datasetSize / batchSize) batches; otherwise a fit is one epoch.
 *
 * Values: `L_k = (C_k·m_k − C_a·m_a) / (C_k − C_a)` with C the cumulative sample count (batch count
 * when sizes are unknown) and a the previous logged point of the same epoch, never across a reset.
 * With a gap (k − a > 1) that is the mean over the gap (kind {@link POINT_GAP_MEAN}).
 *
 * Error bound: Keras keeps float32 `total` and `count` and logs `total/count` as float32. Write
 * T_k for the total after batch k. Then C_k·m̂_k = T̂_k(1+δ) with |δ| ≤ u = 2⁻²⁴, and
 * T̂_k = fl(T̂_{k−1} + fl(n_k·L_k)), so in the difference C_b·m̂_b − C_a·m̂_a every rounding made
 * before batch a cancels, and what is left is, per batch j in (a, b], u·(|T_j| + n_j·|L_j|), plus
 * u·|T_b| + u·|T_a| from the two divisions. We double the division terms (a writer that rounds a
 * float64 mean to float32 once more), bound |T_j| by |T_a| + |T_b − T_a| (values of one sign
 * within a gap), take Σ n_j|L_j| = |T_b − T_a|, and add 25 % for second-order terms:
 * `bound = 1.25·u·(g·(T_a + D) + D + 2T_b + 2T_a) / (C_b − C_a)` with D = |T_b − T_a|, g = b − a.
 * Errors grow with the batch index k because T ≈ k·|m|. Where the epoch start is only bracketed,
 * the bracket half-width δ adds δ·|m_b − m_a| / g. A last batch of unknown size gets an infinite
 * bound: its true value is `m_K + ρ·(K−1)(m_K − m_{K−1})` for an unknown ρ = B/r ≥ 1.
 */
export class RunningMeanInverter {
  private n = 0
  private cap = 0
  private desm = new Float64Array(0)
  private bnd = new Float64Array(0)
  private ep = new Int32Array(0)
  private knd = new Uint8Array(0)
  /** Batch counter per point (step, or ordinal within the fit). */
  private ctr = new Float64Array(0)
  /** Epochs in order; the last one is open (it may be empty). */
  readonly epochs: EpochInfo[] = []
  private readonly fits: Fit[] = []
  /** Next unread epoch event. */
  private evCursor = 0
  private restartCursor = 0
  /** Index of the point flagged as a possibly-last batch of the open epoch, or -1. */
  private provisional = -1
  private readonly sizes: BatchSizes | null
  private readonly sizeK: number
  private readonly sizeR: number
  private values: ArrayLike<number> = []
  private walls: ArrayLike<number> = []
  private hasEpochSeries = false
  /** First point of the current epoch whose outputs are not computed yet (they are computed in one pass). */
  private pendingFrom = 0
  /** Points per kind (index = kind), kept as outputs are (re)computed, so notes() is O(1). */
  private readonly kindCounts = [0, 0, 0, 0, 0, 0]
  private closedEpochs = 0
  private readonly check: CrossCheck = { epochs: 0, matched: 0, maxRelError: 0 }
  /** Next unread evaluation event (validation run's evaluation_*_vs_iterations). */
  private evalCursor = 0
  /** Largest optimizer.iterations seen so far (a later fit starts from it). */
  private lastIterations = 0
  private hasEval = false
  /** Range raw values must lie in, while every logged value does; null when unknown or disproved. */
  private domain: ValueDomain | null
  /** Points that violated the domain (counted once per recomputation of their epoch). */
  private violations = 0
  /** The run's running accuracy (same steps), whose whole-number counts give the samples seen. */
  private acc: SeriesData | null = null
  /** Samples seen since the epoch start at each point, from the accuracy (NaN unknown). */
  private cnt = new Float64Array(0)
  private steps: ArrayLike<number> = []

  constructor (sizes?: BatchSizes | null, domain?: ValueDomain | null) {
    this.domain = domain ?? null
    const ok = sizes != null && Number.isInteger(sizes.datasetSize) && Number.isInteger(sizes.batchSize) &&
      sizes.datasetSize > 0 && sizes.batchSize > 0
    this.sizes = ok ? sizes! : null
    this.sizeK = ok ? Math.ceil(sizes!.datasetSize / sizes!.batchSize) : 0
    this.sizeR = ok ? sizes!.datasetSize - (this.sizeK - 1) * sizes!.batchSize : 0
  }

  /** Points processed. */
  get length (): number { return this.n }

  /**
   * Consumes the points of `batch` and the events of `epochs` not seen yet. Both must only have
   * grown since the previous call (the store only appends). `epochs` is null when the run has no
   * epoch-level tag at all.
   */
  update (batch: SeriesData, epochs: SeriesData | null, evaluation: SeriesData | null = null, accuracy: SeriesData | null = null): void {
    this.acc = this.sizes === null ? accuracy : null
    this.steps = batch.steps
    this.values = batch.values
    this.walls = batch.wallTimes
    this.hasEpochSeries = epochs !== null
    this.hasEval = this.hasEval || (evaluation !== null && evaluation.length > 0)
    this.ensureCapacity(batch.length)
    const steps = batch.steps; const wallTimes = batch.wallTimes; const ctr = this.ctr
    const sizesClose = this.sizes !== null && epochs === null && !this.hasEval
    // Fast path bookkeeping: the next marker's wall time, the next restart and the counter up to
    // which the open epoch surely continues, refreshed after any slow-path point.
    const fast = { nextEventWall: Infinity, nextRestart: Infinity, epoch: null as EpochInfo | null, limit: Infinity }
    const refresh = (): void => {
      const ew = epochs !== null && this.evCursor < epochs.length ? epochs.wallTimes[this.evCursor]! : Infinity
      const vw = evaluation !== null && this.evalCursor < evaluation.length ? evaluation.wallTimes[this.evalCursor]! : Infinity
      fast.nextEventWall = Math.min(ew, vw)
      fast.nextRestart = this.restartCursor < batch.restarts.length ? batch.restarts[this.restartCursor]!.index : Infinity
      const cur = this.epochs[this.epochs.length - 1]
      const fit = cur !== undefined ? this.fits[cur.fit]! : undefined
      fast.epoch = cur !== undefined && cur.first <= cur.last && this.provisional < 0 && !sizesClose && fit!.mode === 'step' ? cur : null
      fast.limit = cur !== undefined && fit !== undefined ? this.predictedEnd(fit, cur) : Infinity
    }
    /** Epoch and evaluation events written before wall time w, in wall-time order (evaluation first on ties). */
    const markers = (w: number, inclusive: boolean): void => {
      for (;;) {
        const ew = epochs !== null && this.evCursor < epochs.length ? epochs.wallTimes[this.evCursor]! : Infinity
        const vw = evaluation !== null && this.evalCursor < evaluation.length ? evaluation.wallTimes[this.evalCursor]! : Infinity
        const next = Math.min(ew, vw)
        if (!(next < w || (inclusive && next >= w && next < Infinity))) return
        if (vw <= ew) { this.closeByEval(evaluation!, this.evalCursor); this.evalCursor++ } else { this.closeByEvent(epochs!, this.evCursor); this.evCursor++ }
      }
    }
    refresh()
    for (let i = this.n; i < batch.length; i++) {
      const w = wallTimes[i]!
      // Fast path: the point continues the open epoch of a step-mode fit (no event before it, no restart).
      const fe = fast.epoch
      if (fe !== null && w <= fast.nextEventWall && i < fast.nextRestart && fe.last === i - 1 && steps[i]! <= fast.limit && steps[i]! - steps[i - 1]! === 1) {
        ctr[i] = steps[i]!
        fe.last = i
        continue
      }
      this.n = i
      markers(w, false)
      let restart = false
      while (this.restartCursor < batch.restarts.length && batch.restarts[this.restartCursor]!.index <= i) {
        if (batch.restarts[this.restartCursor]!.index === i) restart = true
        this.restartCursor++
      }
      if (this.fits.length === 0 || restart) this.startFit(i)
      this.addPoint(batch, i)
      refresh()
    }
    if (batch.length > this.n) this.n = batch.length
    this.computePending()
    // Events after the last batch point close the open epoch (and then empty ones).
    markers(Infinity, false)
  }

  /** Computes the outputs of the current epoch's points added since the last computation. */
  private computePending (): void {
    const e = this.epochs[this.epochs.length - 1]
    if (e !== undefined && this.pendingFrom < this.n && e.first <= e.last) this.computeEpoch(e, Math.max(this.pendingFrom, e.first))
    this.pendingFrom = this.n
  }

  /** Views of the outputs for the points processed so far (valid until the next update). */
  columns (): InverterColumns {
    return {
      desmoothed: this.desm.subarray(0, this.n),
      bound: this.bnd.subarray(0, this.n),
      epoch: this.ep.subarray(0, this.n),
      kind: this.knd.subarray(0, this.n)
    }
  }

  /**
   * Points whose values will not change any more (except for a bound-sized revision when a
   * constant epoch length becomes known): all but a provisional possibly-last batch of the open epoch.
   */
  stableLength (): number {
    return this.provisional >= 0 ? this.provisional : this.n
  }

  /** The epoch value vs final running mean check over closed epochs whose last batch was logged (kept as epochs close). */
  crossCheck (): CrossCheck {
    return { ...this.check }
  }

  /** The constant epoch length (batches) of the latest fit when exactly one fits, else null. */
  epochLength (): number | null {
    if (this.sizes !== null) return this.sizeK
    const f = this.fits.at(-1)
    if (f === undefined) return null
    return f.kLo === f.kHi && Number.isFinite(f.kLo) ? f.kLo : null
  }

  /** Human-readable summary of what was done (the API's `notes`). */
  notes (): string[] {
    const out: string[] = []
    const gap = this.kindCounts[POINT_GAP_MEAN]!
    const approx = this.kindCounts[POINT_APPROX_LAST]!
    const bad = this.kindCounts[POINT_UNRECOVERABLE]!
    const closed = this.closedEpochs
    const cur = this.epochs[this.epochs.length - 1]
    const open = cur !== undefined && !cur.closed && cur.last >= cur.first
    out.push(`running mean inverted per epoch: ${this.fits.length} fit(s), ${closed} closed epoch(s)${open ? ' and one in progress' : ''}`)
    const k = this.epochLength()
    if (k !== null) out.push(`epoch length: ${k} batches`)
    if (gap > 0) out.push(`gap form: ${gap} point(s) follow unlogged batches (update_freq > 1); each such value is the mean raw value over the batches since the previous logged point of the epoch, not one batch`)
    if (approx > 0) {
      out.push(this.sizes === null
        ? `${approx} point(s) are (or may be) the last batch of an epoch, whose size is unknown: value computed as for a full batch (damped toward the epoch mean), bound infinite; give the dataset size and batch size to make them exact`
        : `${approx} point(s) are the last batch of an epoch whose length does not match the given sizes: value computed as for a full batch, bound infinite`)
    }
    if (this.sizes !== null) out.push(`sizes given: ${this.sizes.datasetSize} samples in batches of ${this.sizes.batchSize}: ${this.sizeK} batches per epoch, the last of ${this.sizeR}`)
    const est = this.kindCounts[POINT_ESTIMATE]!
    if (est > 0) out.push(`${est} point(s) are estimates (bound infinite): an epoch end may fall inside their interval with nothing to place it (update_freq > 1 with epoch_* gated and no evaluation_*_vs_iterations), or the exact formula gave an impossible value (${this.violations > 0 ? 'seen' : 'not seen'}), which disproves an assumption such as equal batch sizes`)
    const counted = this.fits.find(f => f.batch !== null)
    if (counted !== undefined) out.push(`samples per logged batch step inferred from the running accuracy's whole-number counts: ${counted.batch}; short batches located from the same counts`)
    if (this.fits.some(f => f.evals > 0 && !f.evalBad)) out.push('epoch ends taken from the validation run\'s evaluation_*_vs_iterations steps (optimizer.iterations at each epoch end)')
    if (bad > 0) out.push(`${bad} point(s) repeat a batch counter inside an epoch and cannot be inverted: logged value passed through`)
    let uncertain = 0
    if (gap > 0) for (const e of this.epochs) if (e.gLo !== e.gHi && e.last >= e.first) uncertain++
    if (uncertain > 0) out.push(`${uncertain} epoch start(s) only bracketed by the logged steps: their bounds include that uncertainty`)
    return out
  }

  // ---------------------------------------------------------------------------------------------

  private ensureCapacity (n: number): void {
    if (n <= this.cap) return
    const cap = Math.max(n, Math.ceil(this.cap * 1.5), 64)
    const used = this.n
    function grow<T extends Float64Array | Int32Array | Uint8Array> (a: T, b: T): T { b.set(a.subarray(0, used)); return b }
    this.desm = grow(this.desm, new Float64Array(cap))
    this.bnd = grow(this.bnd, new Float64Array(cap))
    this.ep = grow(this.ep, new Int32Array(cap))
    // 255 marks a point not computed yet (not counted in kindCounts).
    this.knd = grow(this.knd, new Uint8Array(cap).fill(255))
    this.ctr = grow(this.ctr, new Float64Array(cap))
    this.cnt = grow(this.cnt, new Float64Array(cap))
    this.cap = cap
  }

  private currentEpoch (): EpochInfo { return this.epochs[this.epochs.length - 1]! }

  private newEpoch (fit: number, label: number, gLo: number, gHi: number): EpochInfo {
    const e: EpochInfo = {
      label,
      fit,
      first: this.n,
      last: this.n - 1,
      g: gLo,
      gLo,
      gHi,
      closed: false,
      endKnown: false,
      eventValue: NaN,
      eventWallTime: NaN,
      matched: false,
      byCounter: false,
      hasEvent: false,
      byEval: false,
      estimate: false,
      brokenAt: Infinity
    }
    this.epochs.push(e)
    return e
  }

  private newFit (start: number): void {
    this.fits.push({
      start,
      g0: 0,
      mode: 'undecided',
      firstEpoch: this.epochs.length,
      kLo: 1,
      kHi: Infinity,
      ended: false,
      itOffset: this.lastIterations,
      evals: 0,
      evalBad: false,
      batch: null,
      batchTries: 0,
      pairs: { m: [], k: [] },
      pairsUpTo: -1,
      labelBase: null,
      gapped: false
    })
    this.newEpoch(this.fits.length - 1, -1, 0, 0)
  }

  /** Ends the current fit (if any) and starts a new one at point i. */
  private startFit (i: number): void {
    const prev = this.fits.at(-1)
    this.computePending()
    if (prev !== undefined) {
      prev.ended = true
      // The open epoch of an interrupted fit did not end at an epoch boundary.
      this.releaseProvisional()
    }
    this.newFit(i)
  }

  /** Recomputes the provisional possibly-last point as an ordinary one. */
  private releaseProvisional (): void {
    if (this.provisional < 0) return
    const p = this.provisional
    this.provisional = -1
    for (let k = this.epochs.length - 1; k >= 0; k--) {
      const e = this.epochs[k]!
      if (e.first <= p && p <= e.last) { this.computeEpoch(e, p); return }
    }
  }

  private addPoint (batch: SeriesData, i: number): void {
    const fitIndex = this.fits.length - 1
    const fit = this.fits[fitIndex]!
    const step = batch.steps[i]!
    this.n = i + 1
    if (i === fit.start) {
      // Keras counts batches from 1 in every fit; a series starting at ≤ 0 is taken to start at its first point.
      fit.g0 = step >= 1 ? 0 : step - 1
      for (let k = fit.firstEpoch; k < this.epochs.length; k++) {
        const e = this.epochs[k]!
        if (k === fit.firstEpoch) { e.g = e.gLo = e.gHi = fit.g0 } else {
          const prev = this.epochs[k - 1]!
          e.gLo = prev.gLo + 1
          e.g = e.gLo
        }
      }
      this.ctr[i] = step
    } else if (fit.mode === 'undecided') {
      if (step > batch.steps[i - 1]!) {
        fit.mode = 'step'
      } else {
        // Steps that do not increase (Keras 3 builds that log every batch at step 0): count points.
        fit.mode = 'ordinal'
        fit.g0 = 0
        for (let j = fit.start; j < i; j++) this.ctr[j] = j - fit.start + 1
        const e0 = this.epochs[fit.firstEpoch]!
        e0.g = e0.gLo = e0.gHi = 0
      }
    }
    if (i !== fit.start) this.ctr[i] = fit.mode === 'ordinal' ? i - fit.start + 1 : step
    if (i !== fit.start && !fit.gapped && this.ctr[i]! - this.ctr[i - 1]! > 1) {
      // update_freq (or steps_per_execution) > 1: epoch events may be gated, the open epoch's points are at risk.
      fit.gapped = true
      const open = this.currentEpoch()
      if (open.first <= open.last) this.pendingFrom = Math.min(this.pendingFrom, open.first)
      // epoch_* may never be written for most epochs: count them from Keras's default initial_epoch 0 until an event tells.
      if (fit.labelBase === null) this.setLabelBase(this.fits.length - 1, 0)
    }
    if (fit.mode === 'ordinal' && i === fit.start + 1) {
      for (let k = fit.firstEpoch; k < this.epochs.length; k++) if (this.epochs[k]!.first <= this.epochs[k]!.last) this.computeEpoch(this.epochs[k]!, this.epochs[k]!.first)
    }
    const c = this.ctr[i]!
    let epoch = this.currentEpoch()
    // A constant epoch length (known from closed epochs) ends the epoch at g + K even when no event says so (gated epoch_*).
    for (let end = this.predictedEnd(fit, epoch); c > end; end = this.predictedEnd(fit, epoch)) {
      this.n = i
      this.computePending()
      this.closeEpoch(epoch, NaN, NaN, epoch.label, false, end)
      this.n = i + 1
      epoch = this.currentEpoch()
    }
    if (epoch.first > epoch.last && this.lateMatch(batch, i)) return
    if (epoch.first > epoch.last) {
      epoch.first = i
      const prev = this.epochs[this.epochs.length - 2]
      if (c <= epoch.gLo && prev !== undefined && prev.fit === epoch.fit && prev.byCounter && prev.byEval && fit.evals <= 1) {
        // The evaluation step is not this fit's batch counter (Keras 3 steps_per_execution counts
        // executions, optimizer.iterations counts batches): keep the wall-time bracket only.
        fit.evalBad = true
        epoch.gLo = prev.first <= prev.last ? this.ctr[prev.last]! : prev.gLo + 1
        epoch.gHi = c - 1
        // As if closed by wall time: its last point is its last batch when no step was skipped.
        prev.endKnown = this.segmentConsecutive(prev)
        this.rebuildChecks()
        if (prev.first <= prev.last) this.computeEpoch(prev, prev.first)
      }
      // The previous epoch's end is now bracketed from above too.
      if (c - 1 < epoch.gHi) epoch.gHi = c - 1
      if (epoch.gLo > epoch.gHi) epoch.gLo = epoch.gHi
      this.noteEndBracket(fit, this.epochs.length - 2)
      this.chooseG(fit, epoch)
    }
    epoch.last = i
    if (this.provisional >= 0) {
      // The previous point is no longer the newest: recompute it with the rest.
      if (this.provisional < this.pendingFrom) this.pendingFrom = Math.max(this.provisional, epoch.first)
      this.provisional = -1
    }
    // Without any epoch-level tag, the given sizes close an epoch after its K-th batch.
    if (this.sizes !== null && !this.hasEpochSeries && !this.hasEval && !fit.gapped && c - epoch.g >= this.sizeK) {
      this.computePending()
      epoch = this.currentEpoch()
      this.closeEpoch(epoch, NaN, NaN, epoch.label >= 0 ? epoch.label : this.epochs.length - 1 - fit.firstEpoch, true)
    }
  }

  /**
   * The first point after an epoch closed without a match, whose running mean equals that
   * epoch's value bit for bit and that is not written later than the event: the event was
   * stamped a little before its last batch. The point joins (and ends) the closed epoch.
   */
  private lateMatch (batch: SeriesData, i: number): boolean {
    const open = this.currentEpoch()
    const prev = this.epochs[this.epochs.length - 2]
    if (prev === undefined || prev.fit !== open.fit || !prev.closed || prev.matched || prev.first > prev.last || !Number.isFinite(prev.eventValue)) return false
    if (prev.last !== i - 1 || batch.wallTimes[i]! > prev.eventWallTime + 1) return false
    if (Math.fround(batch.values[i]!) !== Math.fround(prev.eventValue)) return false
    prev.last = i
    prev.matched = true
    prev.endKnown = true
    const c = this.ctr[i]!
    open.first = i + 1
    open.last = i
    open.g = open.gLo = open.gHi = c
    this.provisional = -1
    this.computeEpoch(prev, prev.first)
    this.pendingFrom = i + 1
    this.rebuildChecks()
    return true
  }

  /** Recomputes the cross-check and every fit's feasible epoch length from the epochs (after a late match moved an end). */
  private rebuildChecks (): void {
    this.check.epochs = 0; this.check.matched = 0; this.check.maxRelError = 0
    for (const e of this.epochs) {
      if (!e.closed || !e.endKnown || e.last < e.first || !Number.isFinite(e.eventValue)) continue
      const m = this.values[e.last]!
      const rel = e.eventValue === 0 ? Math.abs(m) : Math.abs(m - e.eventValue) / Math.abs(e.eventValue)
      this.check.epochs++
      if (e.matched) this.check.matched++
      if (rel > this.check.maxRelError || Number.isNaN(rel)) this.check.maxRelError = rel
    }
    this.fits.forEach((fit, f) => {
      fit.kLo = 1; fit.kHi = Infinity
      for (let k = fit.firstEpoch; k < this.epochs.length && this.epochs[k]!.fit === f; k++) this.noteEndBracket(fit, k)
    })
  }

  /**
   * End counter of the open epoch predicted by a constant epoch length, where nothing else will
   * tell: a fit with gaps (epoch_* gated by update_freq) and no evaluation events. Infinity otherwise.
   */
  private predictedEnd (fit: Fit, e: EpochInfo): number {
    if (!fit.gapped || (fit.evals > 0 && !fit.evalBad) || e.closed || e.gLo !== e.gHi) return Infinity
    const K = this.sizes !== null ? this.sizeK : (fit.kLo === fit.kHi ? fit.kLo : NaN)
    return Number.isFinite(K) ? e.g + K : Infinity
  }

  /** Index of an epoch within its fit. */
  private fitIndex (e: EpochInfo): number {
    return this.epochs.lastIndexOf(e) - this.fits[e.fit]!.firstEpoch
  }

  /** Sets the fit's first epoch label (initial_epoch) and relabels its epochs and their points. */
  private setLabelBase (fitNo: number, base: number): void {
    const fit = this.fits[fitNo]!
    if (fit.labelBase === base) return
    fit.labelBase = base
    for (let k = fit.firstEpoch; k < this.epochs.length && this.epochs[k]!.fit === fitNo; k++) {
      const e = this.epochs[k]!
      e.label = base + k - fit.firstEpoch
      for (let i = e.first; i <= e.last && i < this.n; i++) this.ep[i] = e.label
    }
  }

  /**
   * An evaluation event (validation run, step = optimizer.iterations at the end of a validated
   * epoch, written every epoch even when update_freq gates epoch_*): the epoch ended at batch
   * counter `iterations − itOffset`. Points already placed after that counter (the validation file
   * was read late) move to the next epoch. A contradiction (a point with a larger counter written
   * before the event) drops this evidence for the fit.
   */
  private closeByEval (ev: SeriesData, j: number): void {
    const it = ev.steps[j]!; const wall = ev.wallTimes[j]!
    if (this.fits.length === 0) { this.lastIterations = Math.max(this.lastIterations, it); return }
    const fit = this.fits.at(-1)!
    // An event before the fit's first point belongs to an earlier fit (or to evaluate()).
    if (wall < this.walls[fit.start]!) { this.lastIterations = Math.max(this.lastIterations, it); return }
    this.lastIterations = Math.max(this.lastIterations, it)
    let e = this.currentEpoch()
    if (fit.evalBad || fit.mode === 'undecided') {
      // Still a wall-time bracket: the epoch ended before this event was written.
      if (e.first <= e.last && !fit.ended) {
        this.computePending()
        this.closeEpoch(e, NaN, wall, e.label, false)
        e.byEval = true
        e.hasEvent = false
      }
      return
    }
    const cEnd = it - fit.itOffset
    if (cEnd < 1) { fit.evalBad = true; return }
    if (e.first > e.last) {
      if (cEnd <= e.gHi) {
        // The end of the epoch just closed (by its own event, or predicted): pin its counter.
        if (cEnd >= e.gLo) { e.g = e.gLo = e.gHi = cEnd; fit.evals++ } else fit.evalBad = true
        return
      }
      if (cEnd <= e.gLo) { fit.evalBad = true; return }
    } else {
      const ctr = this.ctr
      if (ctr[e.first]! <= cEnd || ctr[e.last]! <= cEnd) {
        // Points written before the event must not have a larger counter.
        let p = e.last
        while (p >= e.first && ctr[p]! > cEnd) p--
        if (p < e.last && this.walls[p + 1]! < wall) { fit.evalBad = true; return }
      } else if (cEnd < e.gLo || this.walls[e.first]! < wall) { fit.evalBad = true; return } else {
        // A late event for the boundary before this epoch's first point.
        if (cEnd <= e.gHi) { e.g = e.gLo = e.gHi = cEnd; fit.evals++; this.computeEpoch(e, e.first) } else fit.evalBad = true
        return
      }
    }
    fit.evals++
    if (fit.evals === 1 && e.first <= e.last) this.pendingFrom = Math.min(this.pendingFrom, e.first)
    this.computePending()
    e = this.currentEpoch()
    this.closeEpoch(e, NaN, wall, e.label, false, cEnd)
    e.byEval = true
  }

  /** An epoch-level event closes the current epoch, or labels the one an evaluation event closed just before. */
  private closeByEvent (ev: SeriesData, j: number): void {
    if (this.fits.length === 0) this.newFit(this.n)
    const open = this.currentEpoch()
    const fitNo = open.fit
    const fit = this.fits[fitNo]!
    const label = ev.steps[j]!; const value = ev.values[j]!; const wall = ev.wallTimes[j]!
    const prev = this.epochs[this.epochs.length - 2]
    if (open.first > open.last && prev !== undefined && prev.fit === fitNo && prev.byEval && !prev.hasEvent) {
      this.attachEvent(prev, label, value, wall)
      return
    }
    const idx = this.fitIndex(open)
    if (fit.gapped && (fit.evals === 0 || fit.evalBad) && open.first <= open.last) {
      // epoch_* gated by update_freq: the event may close several epochs at once (Keras initial_epoch
      // taken as 0 until known). With a known start and a bit-equal end, a constant length splits them.
      const base = fit.labelBase ?? 0
      const missing = label - base - idx
      if (missing > 0) {
        const ctr = this.ctr
        const ends = Math.fround(this.values[open.last]!) === Math.fround(value) && Number.isFinite(value)
        const span = ctr[open.last]! - open.g
        const K = span / (missing + 1)
        const kOk = Number.isInteger(K) && K >= 1 && (fit.kLo > fit.kHi || (K >= fit.kLo && K <= fit.kHi))
        if (ends && open.gLo === open.gHi && kOk) {
          let e = open
          for (let t = 1; t <= missing; t++) {
            this.computePending()
            this.closeEpoch(e, NaN, NaN, e.label, false, open.g + t * K, true)
            e = this.currentEpoch()
          }
          this.closeEpoch(e, value, wall, label, false)
          this.setLabelBase(fitNo, base)
          return
        }
        // Not resolvable: everything since the last known boundary is an estimate.
        open.estimate = true
        this.pendingFrom = Math.min(this.pendingFrom, open.first)
      }
    }
    this.closeEpoch(open, value, wall, label, false)
    if (fit.labelBase === null || fit.labelBase !== label - idx) this.setLabelBase(fitNo, label - idx)
  }

  /** Labels an epoch closed at an exact counter with the epoch event written for it (and cross-checks its value). */
  private attachEvent (e: EpochInfo, label: number, value: number, wall: number): void {
    e.hasEvent = true
    e.eventValue = value
    e.eventWallTime = wall
    if (e.endKnown && Number.isFinite(value)) {
      const m = this.values[e.last]!
      e.matched = Math.fround(m) === Math.fround(value)
      const rel = value === 0 ? Math.abs(m) : Math.abs(m - value) / Math.abs(value)
      this.check.epochs++
      if (e.matched) this.check.matched++
      if (rel > this.check.maxRelError || Number.isNaN(rel)) this.check.maxRelError = rel
    }
    this.setLabelBase(e.fit, label - this.fitIndex(e))
  }

  /**
   * Closes `epoch`. `endCounter` (finite) is its exact last batch counter: points after it move to
   * the next epoch, which starts there exactly. `split` marks a split inside a stretch whose
   * points are recomputed by the caller's last close.
   */
  private closeEpoch (epoch: EpochInfo, value: number, wall: number, label: number, bySizes: boolean, endCounter = NaN, split = false): void {
    const fit = this.fits[epoch.fit]!
    const values = this.values
    epoch.closed = true
    epoch.label = label
    epoch.eventValue = value
    epoch.eventWallTime = wall
    epoch.hasEvent = Number.isFinite(wall)
    let movedFirst = -1; let movedLast = -1
    if (Number.isFinite(endCounter)) {
      epoch.byCounter = true
      epoch.hasEvent = false
      let p = epoch.last
      while (p >= epoch.first && this.ctr[p]! > endCounter) p--
      if (p < epoch.last) { movedFirst = p + 1; movedLast = epoch.last; epoch.last = p }
    } else if (epoch.first <= epoch.last && Number.isFinite(value)) {
      const f32 = Math.fround(value)
      if (Math.fround(values[epoch.last]!) === f32) epoch.matched = true
      else {
        // Wall-time ties can put the first batch(es) of the next epoch before the event (or, with
        // a writer that stamps everything alike, several epochs): the bit-equal running mean marks
        // the true end. Only points written no earlier than the event may move, so the search
        // runs forward from the point before the first of those.
        let tie = epoch.last + 1
        while (tie > epoch.first && this.walls[tie - 1]! >= wall) tie--
        for (let j = Math.max(epoch.first, tie - 1); j < epoch.last; j++) {
          if (Math.fround(values[j]!) === f32) {
            movedFirst = j + 1
            movedLast = epoch.last
            epoch.last = j
            epoch.matched = true
            break
          }
        }
      }
    }
    this.provisional = -1
    const hasPoints = epoch.first <= epoch.last
    epoch.endKnown = hasPoints && (Number.isFinite(endCounter)
      ? this.ctr[epoch.last] === endCounter
      : (epoch.matched || bySizes || fit.mode === 'ordinal' || this.segmentConsecutive(epoch)))
    this.closedEpochs++
    if (epoch.endKnown && Number.isFinite(value)) {
      const m = values[epoch.last]!
      const rel = value === 0 ? Math.abs(m) : Math.abs(m - value) / Math.abs(value)
      this.check.epochs++
      if (epoch.matched) this.check.matched++
      if (rel > this.check.maxRelError || Number.isNaN(rel)) this.check.maxRelError = rel
    }
    // The next epoch starts right after this one; its start is bracketed by this epoch's end.
    let lo: number; let hi: number
    if (Number.isFinite(endCounter)) {
      lo = hi = endCounter
    } else if (hasPoints) {
      const cl = this.ctr[epoch.last]!
      lo = epoch.endKnown ? cl : cl + 1
      hi = epoch.endKnown ? cl : Infinity
    } else {
      lo = epoch.gLo + 1
      hi = Infinity
    }
    const next = this.newEpoch(epoch.fit, label < 0 ? -1 : label + 1, lo, hi)
    if (movedFirst >= 0) {
      next.first = movedFirst
      next.last = movedLast
      next.gHi = Math.min(next.gHi, this.ctr[movedFirst]! - 1)
      if (next.gLo > next.gHi) next.gLo = next.gHi
    }
    if (hasPoints) this.computeEpoch(epoch, epoch.first)
    this.pendingFrom = this.n
    this.noteEndBracket(fit, this.epochs.length - 2)
    if (movedFirst >= 0) {
      if (epoch.estimate && split) next.estimate = true
      this.chooseG(fit, next)
      if (!split) this.computeEpoch(next, next.first)
    }
  }

  /** True when the epoch starts right after an exactly known start and every step advanced by one. */
  private segmentConsecutive (epoch: EpochInfo): boolean {
    if (epoch.first > epoch.last || epoch.gLo !== epoch.gHi) return false
    if (this.ctr[epoch.first]! - epoch.g !== 1) return false
    for (let i = epoch.first + 1; i <= epoch.last; i++) if (this.ctr[i]! !== this.ctr[i - 1]! + 1) return false
    return true
  }

  /**
   * The end of closed epoch `idx` is bracketed (by the start range of the epoch after it):
   * intersect the constant-length hypothesis with it. When exactly one length remains, every
   * bracketed epoch start of the fit is pinned and its epoch recomputed.
   */
  private noteEndBracket (fit: Fit, idx: number): void {
    if (idx < fit.firstEpoch) return
    const e = this.epochs[idx]!
    const next = this.epochs[idx + 1]
    if (!e.closed || next === undefined || next.fit !== e.fit) return
    const j = idx - fit.firstEpoch + 1
    const lo = Math.ceil((next.gLo - fit.g0) / j - 1e-9)
    const hi = Number.isFinite(next.gHi) ? Math.floor((next.gHi - fit.g0) / j + 1e-9) : Infinity
    const kLo = Math.max(fit.kLo, lo)
    const kHi = Math.min(fit.kHi, hi)
    if (kLo === fit.kLo && kHi === fit.kHi) return
    fit.kLo = kLo
    fit.kHi = kHi
    if (kLo !== kHi) return
    for (let k = fit.firstEpoch + 1; k < this.epochs.length; k++) {
      const ek = this.epochs[k]!
      if (ek.fit !== e.fit) break
      if (ek.gLo === ek.gHi) continue
      const g = fit.g0 + (k - fit.firstEpoch) * kLo
      if (g < ek.gLo || g > ek.gHi) continue
      ek.g = ek.gLo = ek.gHi = g
      if (ek.first <= ek.last) this.computeEpoch(ek, ek.first)
    }
  }

  /** Picks the epoch start inside its bracket, narrowed by the feasible constant epoch length. */
  private chooseG (fit: Fit, e: EpochInfo): void {
    if (e.gLo === e.gHi) { e.g = e.gLo; return }
    const j = this.epochs.indexOf(e) - fit.firstEpoch
    let lo = e.gLo; let hi = e.gHi
    if (fit.kLo <= fit.kHi) {
      const klo = fit.g0 + j * fit.kLo
      const khi = fit.g0 + j * fit.kHi
      if (Math.max(lo, klo) <= Math.min(hi, khi)) { lo = Math.max(lo, klo); hi = Math.min(hi, khi) }
    }
    if (lo === hi) { e.g = e.gLo = e.gHi = lo; return }
    e.g = Math.round((lo + hi) / 2)
  }

  /** Cumulative weight after batch k: samples when the given sizes apply, batches otherwise. */
  private weight (k: number, sizesApply: boolean): number {
    if (!sizesApply) return k
    return k < this.sizeK ? k * this.sizes!.batchSize : this.sizes!.datasetSize
  }

  /** (Re)computes the outputs of epoch e from point `from` to its last point. */
  private computeEpoch (e: EpochInfo, from: number): void {
    if (e.first > e.last) return
    const fit = this.fits[e.fit]!
    const values = this.values
    const ctr = this.ctr; const desm = this.desm; const bnd = this.bnd; const ep = this.ep
    const g = e.g
    const delta = e.gLo === e.gHi ? 0 : Math.max(g - e.gLo, Number.isFinite(e.gHi) ? e.gHi - g : 0)
    const open = !e.closed
    const kFit = this.sizes !== null ? this.sizeK : (fit.kLo === fit.kHi ? fit.kLo : NaN)
    const lastK = ctr[e.last]! - g
    // The given sizes apply when the epoch has exactly the implied number of batches (or may still have, while open).
    const sizesApply = this.sizes !== null && e.gLo === e.gHi &&
      (open ? lastK <= this.sizeK : (e.endKnown && lastK === this.sizeK))
    // Only one point can be a last batch: the epoch's last (closed) or the newest (open, fit going on).
    const lastCandidate = open ? (fit.ended ? -1 : this.n - 1) : (e.endKnown ? e.last : -1)
    // With gaps and nothing that places the next epoch end, any gap may contain it (the mean reset there).
    const risky = e.estimate || (open && fit.gapped && (fit.evals === 0 || fit.evalBad) && this.predictedEnd(fit, e) === Infinity)
    const dom = this.domain
    const label = e.label
    const start = Math.max(from, e.first)
    if (start === e.first) e.brokenAt = Infinity
    const counts = this.countsFor(e, fit)
    const cnt = this.cnt
    let ka = start > e.first ? ctr[start - 1]! - g : 0
    let ma = start > e.first ? values[start - 1]! : 0
    for (let i = start; i <= e.last; i++, ka = ctr[i - 1]! - g, ma = values[i - 1]!) {
      const m = values[i]!
      const k = ctr[i]! - g
      ep[i] = label
      if (dom !== null && (m < dom.lo || m > dom.hi)) this.domain = null
      // Samples seen, from the accuracy's whole-number counts: exact whatever the batch sizes.
      const ca = i === e.first ? 0 : cnt[i - 1]!
      cnt[i] = counts !== null && k > ka && k >= 1 ? (Number.isNaN(ca) ? NaN : countAt(counts.values[i]!, ca + (k - ka) * counts.batch, counts.batch)) : NaN
      const counted = !Number.isNaN(cnt[i]!) && (ka === 0 || !Number.isNaN(ca))
      let kind: number
      let value: number
      let b: number
      if (k <= ka || k < 1) {
        value = m; b = Infinity; kind = POINT_UNRECOVERABLE
      } else if (!counted && i === lastCandidate && (!open || Number.isNaN(kFit) || k >= kFit) && !(sizesApply && k === this.sizeK)) {
        if (open) this.provisional = i
        value = ka === 0 ? m : (k * m - ka * ma) / (k - ka)
        b = Infinity; kind = POINT_APPROX_LAST
      } else {
        if (i === lastCandidate && open && (Number.isNaN(kFit) || k >= kFit)) this.provisional = i
        let Cb = k; let Ca = ka
        if (counted) { Cb = cnt[i]!; Ca = ka === 0 ? 0 : ca } else if (sizesApply) { Cb = this.weight(k, true); Ca = ka === 0 ? 0 : this.weight(ka, true) }
        const Tb = Cb * m; const Ta = Ca * ma
        const dC = Cb - Ca
        value = ka === 0 ? m : (Tb - Ta) / dC
        const D = Math.abs(Tb - Ta)
        const gap = k - ka
        const aTa = Math.abs(Ta); const aTb = Math.abs(Tb)
        b = (1.25 * U32 * (gap * (aTa + D) + D + 2 * aTb + 2 * aTa) + 4 * U64 * (aTb + aTa)) / dC
        if (delta > 0 && ka > 0) b += delta * Math.abs(m - ma) / gap
        if (Number.isNaN(b)) b = Infinity
        kind = gap === 1 ? POINT_EXACT : POINT_GAP_MEAN
        if (this.domain !== null && Number.isFinite(value) && (value + b < this.domain.lo || value - b > this.domain.hi) && i < e.brokenAt) {
          // Impossible: an assumption (segmentation, equal batch sizes) is wrong from here on.
          this.violations++
          if (delta > 0 && !e.estimate) {
            // The start was only bracketed: the whole epoch is suspect.
            e.estimate = true
            this.computeEpoch(e, e.first)
            return
          }
          e.brokenAt = i
        }
      }
      if ((risky || i >= e.brokenAt) && kind !== POINT_UNRECOVERABLE) { b = Infinity; kind = POINT_ESTIMATE }
      const d = this.domain
      if (d !== null && Number.isFinite(value) && (value < d.lo || value > d.hi)) {
        // Never serve an impossible value: an estimate falls back to the logged mean, clamped.
        if (kind !== POINT_EXACT && kind !== POINT_GAP_MEAN) value = m
        value = Math.min(d.hi, Math.max(d.lo, value))
      }
      desm[i] = value
      bnd[i] = b
      this.setKind(i, kind)
    }
  }

  /**
   * The accuracy series (aligned with the batch points, same steps) and the samples per counter
   * step, when the epoch's start is exact and the batch size is known or can now be inferred.
   */
  private countsFor (e: EpochInfo, fit: Fit): { values: ArrayLike<number>, batch: number } | null {
    const acc = this.acc
    if (acc === null || e.gLo !== e.gHi || acc.length <= e.last) return null
    if (acc.steps[e.first] !== this.steps[e.first] || acc.steps[e.last] !== this.steps[e.last]) return null
    if (fit.batch === null) {
      // Pairs (running accuracy, epoch-local counter) from the fit's epochs with an exact start,
      // never an epoch's last point (it may be short); inferred once 8 are known.
      if (fit.batchTries >= 64 || fit.pairs.m.length >= 16) return null
      const upTo = e.closed ? e.last - 1 : e.last
      for (let i = Math.max(e.first, fit.pairsUpTo + 1); i <= upTo && fit.pairs.m.length < 16; i++) {
        fit.pairsUpTo = i
        if (informative(acc.values[i]!)) { fit.pairs.m.push(acc.values[i]!); fit.pairs.k.push(this.ctr[i]! - e.g) }
      }
      if (fit.pairs.m.length < 8) return null
      fit.batchTries++
      fit.batch = inferBatchSize(fit.pairs.m, fit.pairs.k, 8)
      if (fit.batch === null) return null
    }
    return { values: acc.values, batch: fit.batch }
  }

  private setKind (i: number, k: number): void {
    const old = this.knd[i]!
    if (old === k) return
    if (old !== 255) this.kindCounts[old]!--
    this.kindCounts[k]!++
    this.knd[i] = k
  }
}

/**
 * One-shot inversion of a whole series: the same as feeding {@link RunningMeanInverter} everything
 * at once. Returns the outputs, the epochs and the cross-check.
 */
export function invertRunningMean (batch: SeriesData, epochs: SeriesData | null, sizes?: BatchSizes | null): {
  columns: InverterColumns, epochs: EpochInfo[], crossCheck: CrossCheck, notes: string[], inverter: RunningMeanInverter
} {
  const inv = new RunningMeanInverter(sizes)
  inv.update(batch, epochs)
  return { columns: inv.columns(), epochs: inv.epochs, crossCheck: inv.crossCheck(), notes: inv.notes(), inverter: inv }
}
