/**
 * Level shifts in noisy or sparse series, where single points never stand out: a rank test for a
 * change in location, run when the newest points have all been high for a while.
 *
 * Mann–Whitney U between the newest m points and the (up to 40) points before them, the
 * statistic of Pettitt's (1979) non-parametric change-point test at a given split, standardised to
 * a z-score. Ranks make it immune to heavy tails and to single outliers, and it needs only a few
 * points after the change: 5 points all above 8 earlier ones give z ≈ 3.1. A shift is reported
 * when the best split gives z ≥ 3 (one-sided p ≈ 1.3·10⁻³; the test only runs after four
 * consecutive high points) and the median after it is at least twice as bad as the median before
 * it.
 */

import { Ring } from '../robust.js'
import { makeEvent, extendEvent, fmt, fmtRatio, type JumpEvent } from '../events.js'
import { medianOf, type DetectContext, type PointsView } from './context.js'
import { alternating } from './excursions.js'
import { metricWords, timesRef } from '../metric-words.js'

const BEFORE = 40
const MIN_AFTER = 4
const MAX_AFTER = 24
const MIN_BEFORE = 8
const Z_SHIFT = 3
/** Points at the start of a fit left out of the reference. */
const SKIP_START = 3
/** The median after a shift is at least this many times the median before. */
const SHIFT_RATIO = 2

export class ShiftScan {
  private readonly ring = new Ring(BEFORE + MAX_AFTER)
  /** The ring's values, oldest first, for the rank test. */
  private readonly xs = new Float64Array(BEFORE + MAX_AFTER)
  /** Pushes into the ring so far, and whether the newest one pushed a value out of the full ring (`dropped`). */
  private pushes = 0
  private droppedSome = false
  private dropped = 0
  /** The rank statistic of the first split as of push `uPushes` (−1: none kept), for the split `uM`. */
  private uPushes = -1
  private uM = 0
  private uVal = 0
  /** Consecutive newest points that were high (ratio ≥ minRatio over the baseline). */
  private high = 0
  private event: JumpEvent | null = null
  private levelBefore = NaN
  private back = 0
  /** Baseline level when the current run of high points began. */
  private refLevel = NaN
  /** The fit's points before the baseline was ready. */
  private readonly first: number[] = []

  constructor (private readonly ctx: DetectContext) {}

  get open (): boolean { return this.event !== null }

  reset (): void {
    this.ring.clear(); this.uPushes = -1; this.high = 0; this.back = 0; this.first.length = 0
    if (this.event !== null) { this.event.open = false; this.event = null }
  }

  /** While a shift is open: points still at the new level extend it; `returnPoints` normal ones end it. */
  private follow (v: PointsView, i: number, u: number): boolean {
    const { p, space } = this.ctx
    const ev = this.event!
    if (space.dir * (u - this.levelBefore) >= 0) { this.back = 0; extendEvent(ev, v, i); return true }
    if (++this.back >= p.returnPoints) { ev.open = false; this.event = null; this.high = 0 }
    return false
  }

  /**
   * A series too short for the rank test (an epoch-level curve of a few points): the newest m ≥ 2
   * points all at least 2× worse than every one of the (up to 4, at least 2) points before them,
   * and their median 2·minRatio× worse than the median of those (complete separation with a
   * margin). The fit's first point is never a reference: a learning curve starts high. Returns
   * that m, or 0.
   */
  private separated (xs: readonly number[]): number {
    const { p, space } = this.ctx
    const n = xs.length
    const margin = Math.log(2 * p.minRatio)
    for (let m = Math.min(this.high, n - 3); m >= 2; m--) {
      const from = Math.max(1, n - m - 4)
      if (n - m - from < 2) continue
      let worstBefore = -Infinity; let bestAfter = Infinity
      for (let j = from; j < n - m; j++) worstBefore = Math.max(worstBefore, space.dir * xs[j]!)
      for (let j = n - m; j < n; j++) bestAfter = Math.min(bestAfter, space.dir * xs[j]!)
      if (bestAfter - worstBefore < Math.LN2) continue
      if (space.dir * (medianOf(xs.slice(n - m)) - medianOf(xs.slice(from, n - m))) >= margin) return m
    }
    return 0
  }

  /** Returns true when the point belongs to a shift found here (it must not join the baseline). */
  point (v: PointsView, i: number, u: number, ratio: number, ready: boolean, quiet: boolean): boolean {
    const { p, space } = this.ctx
    // Every point of the fit but its first few (a learning curve starts high) is a reference.
    if (i - this.ctx.fitStart >= SKIP_START) {
      const r = this.ring
      this.droppedSome = r.size === r.capacity
      if (this.droppedSome) this.dropped = r.recent(r.capacity - 1)
      r.push(u)
      this.pushes++
    }
    if (!ready) return this.early(v, i, u)
    if (this.event !== null) return this.follow(v, i, u)
    // "High" against the level when the current run of high points began (the baseline itself
    // may be absorbing a shift that single points cannot show).
    if (this.high === 0) {
      if (ratio >= p.minRatio) { this.high = 1; this.refLevel = this.ctx.baseline.base }
    } else if (space.dir * (u - this.refLevel) >= Math.log(p.minRatio)) this.high++
    else this.high = 0
    // A shift must last: a few points on a short series, up to MAX_AFTER on a long one (where
    // short runs of high points are ordinary noise).
    const minAfter = Math.max(MIN_AFTER, Math.min(MAX_AFTER, Math.floor((i - this.ctx.fitStart) / 8)))
    if (!quiet || this.high < minAfter || !space.logMode) return false
    // Oldest first. After a shift the newest points can stay high for good (the test then runs at
    // every point), so the statistic is updated from split to split instead of recounted.
    const n = this.ring.size
    const x = this.xs
    this.ring.copyRecent(n, x)
    const dir = space.dir
    let bestZ = -Infinity; let bestM = 0
    // U for the split m: after = x[n−m, n), before = x[n−m−nb, n−m). Each count is 0, ½ or 1, so
    // the sum is exact in any order: an update (from the previous point, or from split m to m+1)
    // gives the recount's value bit for bit.
    let U = 0; let m = minAfter; let nb = Math.min(BEFORE, n - m)
    if (nb >= MIN_BEFORE) {
      if (this.uPushes === this.pushes - 1 && this.uM === m && this.droppedSome) {
        // One push since, into the full ring (n unchanged): x[t] moved from after to before, the
        // oldest before-value o left (the dropped one when before started at the ring's start),
        // the new point w joined after.
        const t = n - m - 1; const oi = n - m - nb - 1; const w = n - 1
        const o = oi >= 0 ? x[oi]! : this.dropped
        U = this.uVal
        U -= pairCount(dir, x[t]!, o)
        for (let b = n - m - nb; b < t; b++) U -= pairCount(dir, x[t]!, x[b]!)
        for (let a = n - m; a < w; a++) U += pairCount(dir, x[a]!, x[t]!) - pairCount(dir, x[a]!, o)
        for (let b = n - m - nb; b < n - m; b++) U += pairCount(dir, x[w]!, x[b]!)
      } else {
        for (let a = n - m; a < n; a++) for (let b = n - m - nb; b < n - m; b++) U += pairCount(dir, x[a]!, x[b]!)
      }
      this.uPushes = this.pushes; this.uM = m; this.uVal = U
    }
    const last = Math.min(this.high, MAX_AFTER)
    for (; m <= last; m++) {
      if (m > minAfter) {
        // x[e] moves from before to after; before loses it and, while it holds BEFORE points, gains x[g].
        const e = n - m; const nbNew = Math.min(BEFORE, n - m)
        if (nbNew < MIN_BEFORE) break
        for (let a = e + 1; a < n; a++) U -= pairCount(dir, x[a]!, x[e]!)
        for (let b = e - nb + 1; b < e; b++) U += pairCount(dir, x[e]!, x[b]!)
        if (nbNew === nb) { const g = e - nb; for (let a = e; a < n; a++) U += pairCount(dir, x[a]!, x[g]!) }
        nb = nbNew
      } else if (nb < MIN_BEFORE) break
      const z = (U - m * nb / 2) / Math.sqrt(m * nb * (m + nb + 1) / 12)
      if (z > bestZ) { bestZ = z; bestM = m }
    }
    if (!(bestZ >= Z_SHIFT)) return false
    const xs = Array.from(x.subarray(0, n))
    if (alternating(xs.slice(-Math.max(12, bestM)))) return false
    return this.report(v, i, xs, bestM, bestZ)
  }

  /**
   * Before the baseline exists (the first `minHistory` points of a fit, which may be the whole of
   * an epoch-level series): only complete separation can show a shift.
   */
  private early (v: PointsView, i: number, u: number): boolean {
    const { space } = this.ctx
    if (this.event !== null) return this.follow(v, i, u)
    this.first.push(u)
    if (this.first.length > 64) this.first.shift()
    const n = this.first.length
    const prev = n >= 4 ? medianOf(this.first.slice(n - 4, n - 1)) : NaN
    this.high = !Number.isNaN(prev) && space.ratio(u, prev, 0) >= this.ctx.p.minRatio ? this.high + 1 : 0
    if (this.high < 2 || !space.logMode) return false
    const m = this.separated(this.first)
    return m > 0 && this.report(v, i, this.first, m, NaN)
  }

  /** Reports the shift of the newest `bestM` of `xs` (`z` of the rank test, NaN for separation). */
  private report (v: PointsView, i: number, xs: readonly number[], bestM: number, bestZ: number): boolean {
    const { p, space } = this.ctx
    const n = xs.length
    const nb = Math.min(BEFORE, n - bestM)
    const before = xs.slice(n - bestM - nb, n - bestM); const after = xs.slice(n - bestM)
    const mb = medianOf(before); const ma = medianOf(after)
    if (!(space.dir * (ma - mb) >= Math.log(SHIFT_RATIO))) return false
    const start = i - bestM + 1
    const ratioMed = Math.exp(space.dir * (ma - mb))
    // Still climbing after the change (Kendall's τ of the values against time ≥ 0.6, and the last
    // third divergenceGrowth²× the first): the start of a divergence, not a step.
    // (A few rising points right after a raise are the loss settling to its new level: it takes
    // a dozen points and growth of divergenceGrowth² to call it a divergence.)
    const t = Math.max(1, Math.floor(bestM / 3))
    const climbing = bestM >= 12 && kendallTau(after) * space.dir >= 0.6 && space.dir * (medianOf(after.slice(-t)) - medianOf(after.slice(0, t))) >= 2 * Math.log(p.divergenceGrowth)
    const kind = climbing ? 'divergence' : 'level-shift'
    const ev = makeEvent(v, { kind, severity: climbing ? 'critical' : 'warning', start, end: i, ratio: ratioMed, robustZ: Number.isNaN(bestZ) ? 0 : bestZ, baseline: space.y(mb), peak: space.y(ma), open: true })
    const w = metricWords(space.dir, this.ctx.label)
    const test = Number.isNaN(bestZ) ? `every one ${w.above} the points before` : `rank test z = ${bestZ.toFixed(1)}`
    ev.causes.push(climbing
      ? { cause: 'training instability (learning rate too high, exploding gradients)', evidence: `${this.ctx.label} has ${w.dir === 1 ? 'climbed' : 'fallen'} steadily since step ${v.steps[start]}: the ${bestM} points since have a median ${timesRef(w, fmtRatio(ratioMed), `the median ${fmt(space.y(mb))}`)} of the ${nb} points before, and keep ${w.worsening} (${test})` }
      : { cause: 'a lasting change in the optimisation (learning-rate change, instability, a change in the data)', evidence: `the ${bestM} points of ${this.ctx.label} from step ${v.steps[start]} have a median of ${fmt(space.y(ma))}, ${timesRef(w, fmtRatio(ratioMed), `the median ${fmt(space.y(mb))}`)} of the ${nb} points before (${test}; too noisy or too sparse for single points to stand out)` })
    this.event = ev
    this.levelBefore = mb + space.dir * Math.log(Math.sqrt(2 * p.minRatio))
    this.back = 0
    this.ctx.emit(ev)
    // The new level is the reference from now on, for this scan and for the baseline.
    this.ring.clear()
    this.uPushes = -1
    for (const x of after) this.ring.push(x)
    this.ctx.baseline.restartFrom(after)
    return true
  }
}

/** Mann–Whitney's count for one pair: after-value `a` against before-value `b` (`dir` +1 when higher is worse). */
function pairCount (dir: number, a: number, b: number): number {
  return dir * (a - b) > 0 ? 1 : a === b ? 0.5 : 0
}

/** Kendall's τ of `xs` against their order (+1: strictly increasing). */
function kendallTau (xs: readonly number[]): number {
  let s = 0
  const n = xs.length
  for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) s += Math.sign(xs[b]! - xs[a]!)
  return n > 1 ? s / (n * (n - 1) / 2) : 0
}
