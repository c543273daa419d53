/**
 * Short-period oscillation: a periodic up-and-down pattern of large amplitude (up to a period of
 * 24 points), tested on a sliding window every `oscEvery` points.
 *
 * Differences at some lag L (half a period) much larger than at a lag m near 2L (a full period):
 * i.i.d. noise makes all lags alike, and a trend makes longer lags larger (so the largest
 * difference never comes before the smallest). Means of |differences| at every lag find the
 * candidate pair in one pass; medians (robust) decide.
 */

import { Ring, medianInPlace } from '../robust.js'
import { makeEvent, extendEvent, fmt, fmtRatio, type JumpEvent } from '../events.js'
import type { DetectContext, PointsView } from './context.js'

const MAX_HALF_PERIOD = 12

export class OscillationDetector {
  /** Index of the last evaluation (spike candidates wait for one past them). */
  lastEvalIdx = -1
  private readonly ring: Ring
  private readonly scratchA: Float64Array
  private readonly scratchB: Float64Array
  private readonly linear: Float64Array
  private readonly means = new Float64Array(MAX_HALF_PERIOD * 2 + 1)
  private since = 0
  private flags = 0
  private event: JumpEvent | null = null
  private notFlagged = 0
  private sigmaRef = Infinity
  private amp = 0
  private lag = 1
  private period = 2
  private diffRatio = 0

  constructor (private readonly ctx: DetectContext) {
    const w = ctx.p.oscWindow
    this.ring = new Ring(w)
    this.scratchA = new Float64Array(w)
    this.scratchB = new Float64Array(w)
    this.linear = new Float64Array(w)
  }

  /** The open oscillation, if any. */
  get current (): JumpEvent | null { return this.event }
  /** True once the window holds `oscWindow` points (evaluations can happen). */
  get filled (): boolean { return this.ring.size >= this.ctx.p.oscWindow }
  /** True while the last evaluation(s) saw the pattern. */
  get flagged (): boolean { return this.flags > 0 }

  reset (): void {
    this.ring.clear(); this.since = 0; this.flags = 0; this.notFlagged = 0; this.sigmaRef = Infinity
    if (this.event !== null) { this.event.open = false; this.event = null }
  }

  point (v: PointsView, i: number, u: number): void {
    const { p, baseline, space, label } = this.ctx
    this.ring.push(u)
    if (++this.since < p.oscEvery || this.ring.size < p.oscWindow) return
    this.since = 0
    this.lastEvalIdx = i
    if (this.flags === 0 && this.event === null) this.sigmaRef = baseline.sigma
    if (!Number.isNaN(baseline.sigma) && this.windowFlagged()) {
      this.flags++
      this.notFlagged = 0
      if (this.event === null && this.flags >= 2) {
        const start = Math.max(0, i - p.oscWindow - p.oscEvery + 1)
        const sigma = Math.min(baseline.sigma, this.sigmaRef)
        const ratio = space.logMode ? Math.exp(this.amp) : 1 + this.amp / Math.max(Math.abs(baseline.base), baseline.sigma)
        const ev = makeEvent(v, { kind: 'oscillation', severity: 'warning', start, end: i, ratio, robustZ: this.amp / 2 / sigma, baseline: space.y(baseline.base), peak: space.y(baseline.base + space.dir * this.amp), open: true })
        ev.causes.push({ cause: 'learning rate too high for the curvature, or batches too small', evidence: `${label} alternates with a typical swing of ${space.logMode ? `${fmtRatio(Math.exp(this.amp))} between neighbouring highs and lows` : fmt(this.amp)} every ${this.lag} point(s) (period ≈ ${this.period}), ${this.diffRatio.toFixed(1)}× the change over a full period, from step ${v.steps[start]}` })
        this.event = ev
        this.ctx.emit(ev)
      } else if (this.event !== null) extendEvent(this.event, v, i)
    } else {
      this.flags = 0
      if (this.event !== null && ++this.notFlagged >= 2) { this.event.open = false; this.event = null }
    }
  }

  private windowFlagged (): boolean {
    const { p, baseline, space } = this.ctx
    const r = this.ring
    const n = r.size
    const x = this.linear
    r.copyRecent(n, x)
    const maxLag = Math.min(MAX_HALF_PERIOD * 2, Math.floor(n / 4))
    const means = this.means
    for (let m = 1; m <= maxLag; m++) {
      let sum = 0
      for (let j = m; j < n; j++) sum += Math.abs(x[j]! - x[j - m]!)
      means[m] = sum / (n - m)
    }
    // Half a period: the shortest lag whose mean difference is within 10 % of the largest.
    let top = 0
    for (let m = 1; m <= maxLag / 2; m++) if (means[m]! > top) top = means[m]!
    let L = 1
    while (L < maxLag / 2 && means[L]! < 0.9 * top) L++
    const lo = Math.max(L + 1, Math.floor(1.5 * L)); const hi = Math.min(maxLag, Math.ceil(2.5 * L))
    let M = lo
    for (let m = lo + 1; m <= hi; m++) if (means[m]! < means[M]!) M = m
    // "High amplitude" is absolute in log space; in linear space relative to the level and to the
    // noise measured before the pattern began (the pattern itself feeds the baseline noise).
    const sigma = Math.min(baseline.sigma, this.sigmaRef)
    const minAmp = space.logMode ? p.oscMinLogAmp : Math.max(p.oscMinZ * sigma, 0.1 * Math.abs(baseline.base))
    if (!(means[L]! >= 0.5 * p.oscRatio * means[M]! && means[L]! >= 0.5 * minAmp)) return false
    let na = 0; let nb = 0
    for (let j = L; j < n; j++) this.scratchA[na++] = Math.abs(x[j]! - x[j - L]!)
    for (let j = M; j < n; j++) this.scratchB[nb++] = Math.abs(x[j]! - x[j - M]!)
    const a = medianInPlace(this.scratchA, na)
    const b = medianInPlace(this.scratchB, nb)
    if (a >= p.oscRatio * b && a >= minAmp) {
      this.amp = a
      this.lag = L
      this.period = M
      this.diffRatio = b > 0 ? a / b : Infinity
      return true
    }
    return false
  }
}
