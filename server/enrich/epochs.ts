/**
 * Epoch segmentation of a Keras batch series (KERAS_LOGGING.md §3.6): which logged points belong to
 * which epoch of which fit(), and where each epoch starts, from every piece of evidence the run
 * holds — step regressions (a new fit), epoch_* events (wall-time bracketing, bit-equal value
 * match), the validation run's evaluation_*_vs_iterations (exact batch counters at epoch ends, even
 * when update_freq gates epoch_*), and a constant epoch length. Incremental: each update reads only
 * new points and events. The subclass computes the per-point values ({@link computeEpoch}).
 */

import { grow, growth, recordCheck, type BatchSizes, type CrossCheck, type EpochInfo, type Fit, type SeriesData } from './desmooth-types.js'

export abstract class EpochSegmenter {
  protected n = 0
  protected cap = 0
  /** Epoch label per point. */
  protected ep = new Int32Array(0)
  /** Batch counter per point (step, or ordinal within the fit). */
  protected ctr = new Float64Array(0)
  /** Epochs in order; the last one is open (it may be empty). */
  readonly epochs: EpochInfo[] = []
  protected readonly fits: Fit[] = []
  /** Next unread epoch event. */
  protected evCursor = 0
  protected restartCursor = 0
  /** Index of the point flagged as a possibly-last batch of the open epoch, or -1. */
  protected provisional = -1
  protected readonly sizes: BatchSizes | null
  protected readonly sizeK: number
  protected readonly sizeR: number
  protected values: ArrayLike<number> = []
  protected walls: ArrayLike<number> = []
  protected steps: ArrayLike<number> = []
  protected hasEpochSeries = false
  /** First point of the current epoch whose outputs are not computed yet (they are computed in one pass). */
  protected pendingFrom = 0
  protected closedEpochs = 0
  protected readonly check: CrossCheck = { epochs: 0, matched: 0, maxRelError: 0 }
  /** Next unread evaluation event (validation run's evaluation_*_vs_iterations). */
  protected evalCursor = 0
  /** Largest optimizer.iterations seen so far (a later fit starts from it). */
  protected lastIterations = 0
  protected hasEval = false

  constructor (sizes?: BatchSizes | null) {
    const ok = sizes != null && Number.isInteger(sizes.datasetSize) && Number.isInteger(sizes.batchSize) &&
      sizes.datasetSize > 0 && sizes.batchSize > 0
    this.sizes = ok ? sizes! : null
    this.sizeK = ok ? Math.ceil(sizes!.datasetSize / sizes!.batchSize) : 0
    this.sizeR = ok ? sizes!.datasetSize - (this.sizeK - 1) * sizes!.batchSize : 0
  }

  /** Points processed. */
  get length (): number { return this.n }

  /** (Re)computes the outputs of epoch e from point `from` to its last point. */
  protected abstract computeEpoch (e: EpochInfo, from: number): void

  protected ensureCapacity (n: number): void {
    if (n <= this.cap) return
    const cap = Math.max(n, Math.ceil(this.cap * growth(this.ctr)), 64)
    this.growTo(cap, this.n)
    this.cap = cap
  }

  /** Grows the per-point arrays to `cap`, keeping the first `used` entries. */
  protected growTo (cap: number, used: number): void {
    this.ep = grow(this.ep, cap, used, Int32Array)
    this.ctr = grow(this.ctr, cap, used, Float64Array)
  }

  /** Consumes the new points and events (see RunningMeanInverter.update). */
  update (batch: SeriesData, epochs: SeriesData | null, evaluation: SeriesData | null = null): void {
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
  protected computePending (): void {
    const e = this.epochs[this.epochs.length - 1]
    if (e !== undefined && this.pendingFrom < this.n && e.first <= e.last) this.computeEpoch(e, Math.max(this.pendingFrom, e.first))
    this.pendingFrom = this.n
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

  protected currentEpoch (): EpochInfo { return this.epochs[this.epochs.length - 1]! }

  protected newEpoch (fit: number, label: number, gLo: number, gHi: number): EpochInfo {
    const e: EpochInfo = { label, fit, first: this.n, last: this.n - 1, g: gLo, gLo, gHi, closed: false, endKnown: false, eventValue: NaN, eventWallTime: NaN, matched: false, byCounter: false, hasEvent: false, byEval: false, estimate: false, brokenAt: Infinity, countLost: Infinity }
    this.epochs.push(e)
    return e
  }

  protected newFit (start: number): void {
    this.fits.push({ start, g0: 0, mode: 'undecided', firstEpoch: this.epochs.length, kLo: 1, kHi: Infinity, ended: false, itOffset: this.lastIterations, evals: 0, evalBad: false, batch: null, batchTries: 0, pairs: { m: [], k: [] }, pairsUpTo: -1, labelBase: null, gapped: false })
    this.newEpoch(this.fits.length - 1, -1, 0, 0)
  }

  /** Ends the current fit (if any) and starts a new one at point i. */
  protected startFit (i: number): void {
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
  protected releaseProvisional (): void {
    if (this.provisional < 0) return
    const p = this.provisional
    this.provisional = -1
    for (let k = this.epochs.length - 1; k >= 0; k--) {
      const e = this.epochs[k]!
      if (e.first <= p && p <= e.last) { this.computeEpoch(e, p); return }
    }
  }

  protected addPoint (batch: SeriesData, i: number): void {
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
  protected lateMatch (batch: SeriesData, i: number): boolean {
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
  protected rebuildChecks (): void {
    this.check.epochs = 0; this.check.matched = 0; this.check.maxRelError = 0
    for (const e of this.epochs) {
      if (!e.closed || !e.endKnown || e.last < e.first || !Number.isFinite(e.eventValue)) continue
      const m = this.values[e.last]!
      recordCheck(this.check, m, e.eventValue, e.matched)
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
  protected predictedEnd (fit: Fit, e: EpochInfo): number {
    if (!fit.gapped || (fit.evals > 0 && !fit.evalBad) || e.closed || e.gLo !== e.gHi) return Infinity
    const K = this.sizes !== null ? this.sizeK : (fit.kLo === fit.kHi ? fit.kLo : NaN)
    return Number.isFinite(K) ? e.g + K : Infinity
  }

  /** Index of an epoch within its fit. */
  protected fitIndex (e: EpochInfo): number {
    return this.epochs.lastIndexOf(e) - this.fits[e.fit]!.firstEpoch
  }

  /** Sets the fit's first epoch label (initial_epoch) and relabels its epochs and their points. */
  protected setLabelBase (fitNo: number, base: number): void {
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
  protected closeByEval (ev: SeriesData, j: number): void {
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
  protected closeByEvent (ev: SeriesData, j: number): void {
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
  protected attachEvent (e: EpochInfo, label: number, value: number, wall: number): void {
    e.hasEvent = true
    e.eventValue = value
    e.eventWallTime = wall
    if (e.endKnown && Number.isFinite(value)) {
      const m = this.values[e.last]!
      e.matched = Math.fround(m) === Math.fround(value)
      recordCheck(this.check, m, value, e.matched)
    }
    this.setLabelBase(e.fit, label - this.fitIndex(e))
  }

  /**
   * Closes `epoch`. `endCounter` (finite) is its exact last batch counter: points after it move to
   * the next epoch, which starts there exactly. `split` marks a split inside a stretch whose
   * points are recomputed by the caller's last close.
   */
  protected closeEpoch (epoch: EpochInfo, value: number, wall: number, label: number, bySizes: boolean, endCounter = NaN, split = false): void {
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
      recordCheck(this.check, m, value, epoch.matched)
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
  protected segmentConsecutive (epoch: EpochInfo): boolean {
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
  protected noteEndBracket (fit: Fit, idx: number): void {
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
  protected chooseG (fit: Fit, e: EpochInfo): void {
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
}
