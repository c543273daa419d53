/** Inverts Keras-style running means into raw per-batch values, with float32 error bounds (segmentation: epochs.ts). */

import type { ValueDomain } from './value-domain.js'
import { countAt, countFits, inferBatchSize, informative } from './sample-counts.js'
import { EpochSegmenter } from './epochs.js'
import {
  POINT_APPROX_LAST, POINT_ESTIMATE, POINT_EXACT, POINT_GAP_MEAN, POINT_UNRECOVERABLE, grow,
  type BatchSizes, type CrossCheck, type EpochInfo, type Fit, type InverterColumns, type SeriesData
} from './desmooth-types.js'

export * from './desmooth-types.js'

/** Unit roundoff of float32 (round to nearest). */
const U32 = 2 ** -24
/** Unit roundoff of float64, for the recovery arithmetic itself. */
const U64 = 2 ** -53

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
export class RunningMeanInverter extends EpochSegmenter {
  private desm = new Float64Array(0)
  private bnd = new Float64Array(0)
  private knd = new Uint8Array(0)
  /** Batches each output averages (1 for one batch, the gap for a gap mean, 0 when unrecoverable). */
  private spn = new Int32Array(0)
  /** Samples seen since the epoch start at each point, from the accuracy (NaN unknown). */
  private cnt = new Float64Array(0)
  /** Points per kind (index = kind), kept as outputs are (re)computed, so notes() is O(1). */
  private readonly kindCounts = [0, 0, 0, 0, 0, 0]
  /** Range raw values must lie in, while every logged value does; null when unknown or disproved. */
  private domain: ValueDomain | null
  /** Points that violated the domain (counted once per recomputation of their epoch). */
  private violations = 0
  /** The run's running accuracy (same steps), whose whole-number counts give the samples seen. */
  private acc: SeriesData | null = null
  /** The views {@link columns} handed out last (the arrays are replaced when they grow). */
  private views: InverterColumns | null = null

  constructor (sizes?: BatchSizes | null, domain?: ValueDomain | null) {
    super(sizes)
    this.domain = domain ?? null
  }

  /**
   * Consumes the points of `batch` and the events of `epochs` (train epoch_*), `evaluation`
   * (validation evaluation_*_vs_iterations) and `accuracy` (the run's batch accuracy) not seen
   * yet. All must only have grown since the previous call (the store only appends); null when
   * the run has no such tag.
   */
  override update (batch: SeriesData, epochs: SeriesData | null, evaluation: SeriesData | null = null, accuracy: SeriesData | null = null): void {
    this.acc = this.sizes === null ? accuracy : null
    super.update(batch, epochs, evaluation)
  }

  protected override growTo (cap: number, used: number): void {
    super.growTo(cap, used)
    this.desm = grow(this.desm, cap, used, Float64Array)
    this.bnd = grow(this.bnd, cap, used, Float64Array)
    // 255 marks a point not computed yet (not counted in kindCounts).
    this.knd = grow(this.knd, cap, used, Uint8Array)
    this.knd.fill(255, used)
    this.cnt = grow(this.cnt, cap, used, Float64Array)
    this.spn = grow(this.spn, cap, used, Int32Array)
  }

  /** Views of the outputs for the points processed so far (valid until the next update; the same views while nothing was added). */
  columns (): InverterColumns {
    const c = this.views
    if (c !== null && c.desmoothed.length === this.n && c.desmoothed.buffer === this.desm.buffer && c.epoch.buffer === this.ep.buffer) return c
    this.views = {
      desmoothed: this.desm.subarray(0, this.n),
      bound: this.bnd.subarray(0, this.n),
      epoch: this.ep.subarray(0, this.n),
      kind: this.knd.subarray(0, this.n),
      span: this.spn.subarray(0, this.n)
    }
    return this.views
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
    if (gap > 0) out.push(`gap form: ${gap} point(s) follow unlogged batches (update_freq > 1); each such value is the mean raw value over the batches since the previous logged point of the epoch (since the epoch start at an epoch's first logged point: a reset inside the gap hides the previous epoch's last batches), not one batch`)
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

  /** Cumulative weight after batch k: samples when the given sizes apply, batches otherwise. */
  private weight (k: number, sizesApply: boolean): number {
    if (!sizesApply) return k
    return k < this.sizeK ? k * this.sizes!.batchSize : this.sizes!.datasetSize
  }

  /** (Re)computes the outputs of epoch e from point `from` to its last point. */
  protected computeEpoch (e: EpochInfo, from: number): void {
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
    // A lost count chain not resolved yet is re-scanned with the new points (for a bounded stretch).
    const relost = e.countLost >= e.first && e.countLost < from && from - e.countLost <= 64
    const start = relost ? e.countLost : Math.max(from, e.first)
    if (start === e.first || (relost && e.brokenAt === e.countLost)) e.brokenAt = Infinity
    e.countLost = Infinity
    const counts = this.countsFor(e, fit)
    const cnt = this.cnt
    // Lost count chain (see below): where, the full-batch count there, its counter, the shortfalls
    // that still fit every point since, and the one that was pinned (-1: none yet).
    let lostAt = -1; let lostBase = NaN; let lostK = 0; let cands: number[] = []; let pinS = -1
    let ka = start > e.first ? ctr[start - 1]! - g : 0
    let ma = start > e.first ? values[start - 1]! : 0
    for (let i = start; i <= e.last; i++, ka = i > e.first ? ctr[i - 1]! - g : 0, ma = i > e.first ? values[i - 1]! : 0) {
      const m = values[i]!
      const k = ctr[i]! - g
      ep[i] = label
      if (dom !== null && (m < dom.lo || m > dom.hi)) this.domain = null
      // Samples seen, from the accuracy's whole-number counts: exact whatever the batch sizes.
      const ca = i === e.first ? 0 : cnt[i - 1]!
      const mayBeLast = i === lastCandidate && (!open || Number.isNaN(kFit) || k >= kFit)
      const expected = counts !== null ? ca + (k - ka) * counts.batch : NaN
      if (i === lostAt && pinS >= 0) cnt[i] = expected - pinS
      else cnt[i] = counts !== null && k > ka && k >= 1 ? (Number.isNaN(ca) ? NaN : countAt(counts.values[i]!, expected, counts.batch, mayBeLast)) : NaN
      const counted = !Number.isNaN(cnt[i]!) && (ka === 0 || !Number.isNaN(ca))
      if (counts !== null && k > ka && k >= 1 && !counted && !mayBeLast) {
        if (!Number.isNaN(ca) && i < e.brokenAt) {
          // The full-batch count does not fit and no single shorter one does: a short batch of
          // unknown size happened here (mid-epoch: steps_per_epoch over a repeated dataset). Equal
          // weights would be wrong from here on: estimates, until the later points' accuracies
          // leave one shortfall that fits them all (then the stretch is recomputed exactly).
          e.brokenAt = i
          e.countLost = i
          lostAt = i; lostBase = expected; lostK = k
          cands = []
          for (let sft = 1; sft < counts.batch && sft < expected; sft++) if (countFits(counts.values[i]!, expected - sft)) cands.push(sft)
        } else if (lostAt >= 0 && pinS < 0 && cands.length > 1 && i - lostAt <= 64) {
          const full = lostBase + (k - lostK) * counts.batch
          const mi = counts.values[i]!
          cands = cands.filter(sft => countFits(mi, full - sft))
          if (cands.length === 1) {
            pinS = cands[0]!
            e.brokenAt = Infinity
            e.countLost = Infinity
            i = lostAt - 1
            continue
          }
        }
      }
      // A short batch located here (the full count did not fit) may as well have been in an earlier
      // stretch whose accuracies fit the shifted counts too: then where it was is unknown.
      let forceEstimate = false
      if (counted && counts !== null && !mayBeLast && cnt[i]! < expected) {
        const q = this.shortBatchFrom(e, i, expected - cnt[i]!, counts.values)
        if (q < i) { this.markEstimates(q, i - 1); forceEstimate = true }
      }
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
      if ((risky || forceEstimate || i >= e.brokenAt) && kind !== POINT_UNRECOVERABLE) { b = Infinity; kind = POINT_ESTIMATE }
      const d = this.domain
      if (d !== null && Number.isFinite(value) && (value < d.lo || value > d.hi)) {
        // Never serve an impossible value: an estimate falls back to the logged mean, clamped.
        if (kind !== POINT_EXACT && kind !== POINT_GAP_MEAN) value = m
        value = Math.min(d.hi, Math.max(d.lo, value))
      }
      desm[i] = value
      bnd[i] = b
      this.spn[i] = k > ka && k >= 1 ? k - ka : 0
      this.setKind(i, kind)
    }
  }

  /**
   * Earliest point q ≤ i of epoch e where a short batch (shortfall s, found at i) may have been:
   * every point from q to i − 1 also fits its count minus s. Looks back at most 64 points.
   */
  private shortBatchFrom (e: EpochInfo, i: number, s: number, acc: ArrayLike<number>): number {
    const cnt = this.cnt
    let q = i
    for (let p = i - 1; p >= e.first && i - p <= 64; p--) {
      const c = cnt[p]! - s
      if (Number.isNaN(c) || c <= (p > e.first ? cnt[p - 1]! : 0) || !countFits(acc[p]!, c)) break
      q = p
    }
    return q
  }

  /** Points lo..hi (computed already) become estimates: bound infinite, value kept. */
  private markEstimates (lo: number, hi: number): void {
    for (let j = lo; j <= hi; j++) {
      if (this.knd[j] === POINT_UNRECOVERABLE) continue
      this.bnd[j] = Infinity
      this.setKind(j, POINT_ESTIMATE)
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
      // never an epoch's last point (it may be short) nor the newest point of an open epoch (it
      // may turn out to be the last: one short batch taken as full makes every count wrong, and
      // the smallest size that fits is then a large multiple of the true one); inferred once 8 are known.
      if (fit.batchTries >= 64 || fit.pairs.m.length >= 16) return null
      const upTo = e.last - 1
      for (let i = Math.max(e.first, fit.pairsUpTo + 1); i <= upTo && fit.pairs.m.length < 16; i++) {
        fit.pairsUpTo = i
        if (informative(acc.values[i]!)) { fit.pairs.m.push(acc.values[i]!); fit.pairs.k.push(this.ctr[i]! - e.g) }
      }
      if (fit.pairs.m.length < 8) return null
      fit.batchTries++
      fit.batch = inferBatchSize(fit.pairs.m, fit.pairs.k, 8)
      if (fit.batch === null) return null
    } else if (fit.pairs.m.length < 16) {
      // Eight pairs can all fit a divisor of the true size (all counts even: 1 in 256). Later
      // full-batch pairs check it; one that contradicts it makes the size a small multiple (a
      // contradiction by a mid-epoch short batch gives no such multiple and changes nothing).
      let contradicted = false
      for (let i = Math.max(e.first, fit.pairsUpTo + 1); i <= e.last - 1 && fit.pairs.m.length < 16; i++) {
        fit.pairsUpTo = i
        const m = acc.values[i]!
        if (!informative(m)) continue
        fit.pairs.m.push(m); fit.pairs.k.push(this.ctr[i]! - e.g)
        if (!countFits(m, (this.ctr[i]! - e.g) * fit.batch)) contradicted = true
      }
      if (contradicted) {
        const b = inferBatchSize(fit.pairs.m, fit.pairs.k, 8)
        if (b !== null && b % fit.batch === 0 && b <= 4 * fit.batch) fit.batch = b
      }
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
