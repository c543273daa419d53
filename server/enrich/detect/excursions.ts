/**
 * Departures from the baseline: single bad points (spikes), transient excursions (also spikes),
 * lasting steps (level shifts) and sustained growth (divergence).
 *
 * An excursion opens on one strong point (robust z over the tail-adaptive threshold of
 * {@link TailModel} and a ratio of at least `spikeMinRatio`, a positive point `bigRatio` times its
 * local median at a z of `spikeZ`, or any positive point `grossRatio` times it) or on a majority
 * of elevated points in a short window — a rule of the
 * CUSUM family (Page 1954) with winsorised increments: each point adds at most one vote, so no
 * single outlier can open a sustained excursion. Its fate is decided by what follows:
 * - it returns to the baseline: a spike (one bad batch, or a short transient);
 * - it stays and is not decaying back after `shiftPoints` points (a quarter of the history on short
 *   series): a level shift, located at the change point that maximises the difference of the
 *   means before and after it, weighted by √(n₁n₂/n) (Hinkley 1970: the maximum-likelihood change point of a mean shift);
 * - it keeps rising over three windows, or ends in NaN/Inf: a divergence.
 * Spike candidates close together are judged together (a burst, or an oscillation) once the
 * series has been quiet for a while; until then they are shown as tentative.
 */

import { makeEvent, extendEvent, fmt, fmtRatio, type JumpEvent } from '../events.js'
import { medianOf, batchRatio, type DetectContext, type PointsView } from './context.js'
import { metricWords, timesRef } from '../metric-words.js'
import type { TailModel } from './tail.js'
import { foldInto, isFolded } from '../containment.js'
import { explain } from '../explain.js'

interface Excursion {
  trigger: 'point' | 'sustained'
  start: number
  lastElevated: number
  peakIdx: number
  peakZ: number
  normalRun: number
  confirmed: JumpEvent | null
  /** Analysed values of the excursion's points, from `start`. */
  us: number[]
  /** Points of the fit before the excursion (sets how long a short series waits before calling a shift). */
  history: number
  /** Baseline level and noise when it opened. */
  base: number
  sigma: number
  /** Median level of the excursion when it was confirmed (NaN before). */
  level: number
}

interface SpikeCandidate {
  start: number
  end: number
  peakIdx: number
  peakZ: number
  level: number
  base: number
  sigma: number
}

/** A lasting level below elevatedZ point by point counts as a shift when its median is this many times the baseline. */
const MEDIAN_SHIFT_RATIO = 1.5

/** Why an excursion ends. */
type EndReason = 'returned' | 'rebaseline' | 'restart' | 'non-finite'

export class ExcursionTracker {
  private exc: Excursion | null = null
  private pending: SpikeCandidate[] = []
  private elevMask = 0
  private elevCount = 0
  /** z of the newest consecutive elevated points (at most 3). */
  private readonly run: number[] = []

  /** `oscillating` says whether an oscillation is going on (its swings are not shifts). */
  /** Whether the point last judged by {@link step} stood alone (no elevated point among the few before it). */
  alone = true

  constructor (private readonly ctx: DetectContext, private readonly tail: TailModel, private readonly oscillating: () => boolean) {}

  /** True while an excursion is open or spike candidates wait to be judged. */
  get busy (): boolean { return this.exc !== null || this.pending.length > 0 }
  /** True while a confirmed shift or divergence is open (slower detectors stay quiet then). */
  get confirmedOpen (): boolean { return this.exc?.confirmed != null }

  reset (): void {
    this.exc = null; this.pending = []; this.elevMask = 0; this.elevCount = 0; this.run.length = 0
  }

  /** Pending spike candidates as one tentative event (shown, not yet announced). */
  tentative (v: PointsView): JumpEvent[] {
    const out = this.pending.length ? [this.spikeEvent(v, this.pending)] : []
    const e = this.exc
    // An excursion still being judged is shown as what it looks like so far.
    if (e !== null && e.confirmed === null && e.lastElevated - e.start >= 1) {
      const end = e.start + e.us.length - 1
      const ev = e.normalRun > 0 ? null : this.sustainedEvent(v, e, 'level-shift', end)
      if (ev !== null) out.push(ev)
    }
    return out
  }

  /**
   * Judges the finite point `i`. `z` and `ratio` are measured against the baseline (0 and 1 before
   * it is ready). Returns true when the point is normal (it joins the baseline).
   */
  step (v: PointsView, i: number, u: number, z: number, ratio: number, approx: boolean, ready: boolean): boolean {
    const { p, space } = this.ctx
    const shortHistory = i - this.ctx.fitStart < 16
    const elevated = ready && z >= p.elevatedZ && ratio >= (shortHistory ? 1.5 : p.minRatio)
    const w = p.sustainWindow
    const outBit = (this.elevMask >>> (w - 1)) & 1
    this.elevMask = ((this.elevMask << 1) | (elevated ? 1 : 0)) & ((1 << w) - 1)
    this.elevCount += (elevated ? 1 : 0) - outBit

    if (this.exc !== null) { this.continueExcursion(v, i, u, z, ratio); return false }
    if (!ready) return true
    this.alone = (this.elevMask >>> 1) === 0
    const strong = !approx && this.isStrong(z, ratio, this.alone, v.span?.[i] ?? 1)
    // A run of consecutive elevated points, each well above the noise, is sustained too (a short
    // excursion on a sparse series: a few logged points may be all there is).
    if (elevated) { this.run.push(z); if (this.run.length > 3) this.run.shift() } else this.run.length = 0
    const sustained = this.elevCount >= p.sustainCount || (this.run.length >= 3 && medianOf(this.run) >= 1.5 * p.elevatedZ)
    if (!strong && !sustained) return !elevated
    let start = i
    if (!strong) {
      for (let k = w - 1; k >= 0; k--) if ((this.elevMask >>> k) & 1) { start = i - k; break }
    } else {
      // The onset: elevated points right before a strong one belong to the same excursion.
      for (let k = 1; k < w && ((this.elevMask >>> k) & 1); k++) start = i - k
    }
    const { base, sigma } = this.ctx.baseline
    const us: number[] = []
    for (let j = start; j <= i; j++) us.push(space.ok(v.values[j]!) ? space.u(v.values[j]!) : base)
    const e: Excursion = { trigger: strong ? 'point' : 'sustained', start, lastElevated: i, peakIdx: i, peakZ: z, normalRun: 0, confirmed: null, us, history: start - this.ctx.fitStart, base, sigma, level: NaN }
    for (let j = start; j < i; j++) {
      const zj = space.dir * (us[j - start]! - base) / sigma
      if (zj > e.peakZ) { e.peakZ = zj; e.peakIdx = j }
    }
    this.exc = e
    return false
  }

  /**
   * A point strong enough to be a spike on its own: over the tail-adaptive threshold, or (positive
   * series) `grossRatio` times the median at any z, or `bigRatio` times it at z ≥ `spikeZ` when it
   * stands `alone` (no elevated point among the few before it: a bad batch arrives out of the
   * blue, while a point that high after elevated ones is part of a climb or a step, which the
   * excursion rules judge). For a mean over `span` batches (a gap mean under update_freq > 1) the
   * two ratio rules judge the one batch that would lift the mean that far ({@link batchRatio}):
   * a ×10 bad batch among five logged as one mean shows only ×2.8.
   */
  private isStrong (z: number, ratio: number, alone: boolean, span: number): boolean {
    const { p, space } = this.ctx
    if (z >= this.tail.threshold && ratio >= p.spikeMinRatio) return true
    if (!space.logMode) return false
    ratio = batchRatio(ratio, span)
    if (ratio >= p.grossRatio) return true
    // The z of the big-ratio rule needs a σ from half a baseline window at least: over the first
    // dozen points of a warm-up it can be a third of the true one.
    return alone && ratio >= p.bigRatio && z >= p.spikeZ && this.ctx.baseline.size >= p.baselineWindow >> 1 && this.tail.bigRatioAllowed
  }

  /** Points before the baseline existed are judged once against the first baseline. */
  checkWarmup (v: PointsView, from: number, upTo: number): void {
    const { p, space, baseline } = this.ctx
    // The first point of a fit is where a learning curve starts (high by nature), never a spike;
    // a spike also stands out from both neighbours.
    for (let j = from + 1; j < upTo; j++) {
      const y = v.values[j]!
      if (!space.ok(y)) continue
      if (v.bounds !== undefined && !Number.isFinite(v.bounds[j]!)) continue
      const u = space.u(y)
      const l = v.values[j - 1]!; const r = v.values[j + 1]!
      if (!space.ok(l) || !space.ok(r)) continue
      const minStep = space.logMode ? Math.log(p.spikeMinRatio) : 0
      if (!(space.dir * (u - space.u(l)) >= minStep && space.dir * (u - space.u(r)) >= minStep)) continue
      const z = space.dir * (u - baseline.base) / baseline.sigma
      const ratio = space.ratio(u, baseline.base, baseline.sigma)
      if (this.isStrong(z, ratio, true, v.span?.[j] ?? 1)) {
        this.pending.push({ start: j, end: j, peakIdx: j, peakZ: z, level: u, base: baseline.base, sigma: baseline.sigma })
      }
    }
  }

  private continueExcursion (v: PointsView, i: number, u: number, z: number, ratio: number): void {
    const { p } = this.ctx
    const e = this.exc!
    if (e.confirmed !== null) {
      // A bad batch inside the shift is reported on its own and stands in the shift as its level.
      const level = this.grossInsideShift(v, e, i, u)
      if (level !== null) { u = level; z = this.ctx.space.dir * (u - e.base) / e.sigma; ratio = this.ctx.space.ratio(u, e.base, e.sigma) }
    }
    e.us.push(u)
    // A confirmed level shift lasts while points stay nearer its level than the old baseline (in
    // heavy noise, single points of a lasting ×3 step often fall under 2σ); anything else, while
    // it is still a departure, must stay elevated.
    const shifted = e.confirmed?.kind === 'level-shift' && !Number.isNaN(e.level)
    const stay = shifted
      ? this.ctx.space.dir * (u - e.base) >= 0.5 * this.ctx.space.dir * (e.level - e.base)
      : z >= p.elevatedZ * 2 / 3 && ratio >= Math.sqrt(p.minRatio)
    if (stay) {
      e.lastElevated = i
      e.normalRun = 0
      if (z > e.peakZ) { e.peakZ = z; e.peakIdx = i }
    } else if (shifted || z < p.elevatedZ / 3) e.normalRun++
    // (A point between the two, under 2σ but not back within 1σ of the baseline, counts neither
    // way: three such points in a row are common inside a modest lasting step and must not end it.)
    const len = i - e.start + 1
    if (e.confirmed !== null) {
      const ev = e.confirmed
      extendEvent(ev, v, e.lastElevated)
      if (z > ev.robustZ) { ev.robustZ = z; ev.peak = this.ctx.space.y(u); ev.ratio = ratio }
      if (e.normalRun >= (shifted ? 3 * p.returnPoints : p.returnPoints)) this.finish(v, i, 'returned')
      else if (len >= p.maxShiftPoints && ev.kind === 'level-shift') this.finish(v, i, 'rebaseline')
      return
    }
    if (e.normalRun >= p.returnPoints) { this.finish(v, i, 'returned'); return }
    const wait = Math.max(3, Math.min(p.shiftPoints, Math.floor(e.history / 4)))
    // Judged at every point while short, then every 8 points (bounded cost per point).
    if (len < wait || (len > 64 && (len - wait) % 8 !== 0)) return
    this.judge(v, e, i, wait)
  }

  /**
   * A bad batch during an open level shift or divergence: a point `grossRatio` times the shift's
   * own recent level is still reported as a spike of its own (it would otherwise vanish into the
   * shift's span). Its ratio and z are measured against that level, which is returned (null when
   * the point is no such batch).
   */
  private grossInsideShift (v: PointsView, e: Excursion, i: number, u: number): number | null {
    const { p, space } = this.ctx
    if (!space.logMode || e.us.length < 5) return null
    const level = medianOf(e.us.slice(-9))
    if (space.ratio(u, level, e.sigma) < p.grossRatio) return null
    // A bad batch stands alone; a point after one already twice the level is a climb (a blow-up).
    const prev = v.values[i - 1]!
    if (!space.ok(prev) || space.ratio(space.u(prev), level, e.sigma) >= 2) return null
    const z = space.dir * (u - level) / e.sigma
    this.ctx.emit(this.spikeEvent(v, [{ start: i, end: i, peakIdx: i, peakZ: z, level: u, base: level, sigma: e.sigma }]))
    return level
  }

  /** Decides whether a lasting excursion is a level shift or a divergence (or keeps waiting). */
  private judge (v: PointsView, e: Excursion, i: number, wait: number): void {
    const { p, space } = this.ctx
    const len = e.us.length
    if (this.oscillating() || alternating(e.us)) return
    const level = medianOf(e.us)
    const zl = space.dir * (level - e.base) / e.sigma
    // The level is a median of `len` points: in heavy noise a lasting ×3 step sits only 2σ above
    // the baseline point by point, yet its median is many standard errors (1.25σ/√len) away.
    const levelRatio = space.ratio(level, e.base, e.sigma)
    const clearLevel = zl >= p.elevatedZ || (zl * Math.sqrt(len) / 1.25 >= 2 * p.elevatedZ && levelRatio >= MEDIAN_SHIFT_RATIO)
    if (!(clearLevel && levelRatio >= p.minRatio)) {
      if (len >= p.maxShiftPoints) this.finish(v, i, 'rebaseline')
      return
    }
    const excess = e.us.map(x => space.dir * (x - e.base))
    const t = Math.floor(len / 3)
    const a = medianOf(excess.slice(0, t)); const b = medianOf(excess.slice(t, len - t)); const c = medianOf(excess.slice(len - t))
    // Coming back down toward the baseline (its last third well below its highest third): a
    // transient, which becomes a spike when it returns, unless it settles.
    if (c < 0.7 * Math.max(a, b) && len < p.maxShiftPoints) return
    const growth = space.logMode ? Math.log(p.divergenceGrowth) : (p.divergenceGrowth - 1) * Math.max(Math.abs(e.base), e.sigma)
    const rising = b > a && c - b >= growth / 2 && c - a >= growth
    // A rise may be the ramp to a new level: with a long history, wait for three windows to tell.
    if (rising && len < 3 * wait && e.history >= 64) return
    // Still climbing, though not yet by a divergence's margin (the slow start of an exponential
    // blow-up): not a level yet, keep watching.
    if (!rising && b >= a && c - b >= growth / 4 && len < p.maxShiftPoints) return
    e.confirmed = this.sustainedEvent(v, e, rising ? 'divergence' : 'level-shift', i)
    e.level = level
    this.ctx.emit(e.confirmed)
  }

  /** Closes the open excursion; `end` is the last point processed. */
  finish (v: PointsView, end: number, why: EndReason): void {
    const e = this.exc
    if (e === null) return
    this.exc = null
    // The excursion's elevated points must not count toward the next one.
    this.elevMask = 0
    this.elevCount = 0
    this.run.length = 0
    if (e.confirmed !== null) {
      const ev = e.confirmed
      extendEvent(ev, v, why === 'rebaseline' ? end : e.lastElevated)
      // A "level" that kept climbing until the values overflowed was the start of a blow-up: the
      // divergence is reported over it, and the shift, still open until now, becomes a piece of
      // it (containment.ts).
      if (why === 'non-finite' && ev.kind === 'level-shift' && e.lastElevated >= end - 1 && this.climbedSince(v, e, end)) {
        const div = this.sustainedEvent(v, e, 'divergence', e.lastElevated)
        div.open = false
        this.ctx.emit(div)
        // The same excursion: the shift is the divergence's first stretch even when its change
        // point came a few points before the divergence's start.
        if (!isFolded(ev)) { foldInto(ev, div); ev.explanation = explain(ev, this.ctx.label, this.ctx.space.dir) }
      }
      ev.open = false
      if (why === 'rebaseline') this.ctx.baseline.restartFrom(e.us)
      else this.readmitTail(e, end)
      return
    }
    if (why === 'non-finite') {
      // Growth that ends in NaN/Inf is a divergence however short it was.
      const len = e.lastElevated - e.start + 1
      if (len >= 2) {
        const ev = this.sustainedEvent(v, e, 'divergence', e.lastElevated)
        ev.open = false
        this.ctx.emit(ev)
      }
      return
    }
    if (why === 'rebaseline') { this.ctx.baseline.restartFrom(e.us); return }
    const n = e.lastElevated - e.start + 1
    const level = n >= 5 ? medianOf(e.us.slice(0, n)) : e.us[e.peakIdx - e.start]!
    this.pending.push({ start: e.start, end: e.lastElevated, peakIdx: e.peakIdx, peakZ: e.peakZ, level, base: e.base, sigma: e.sigma })
    this.readmitTail(e, end)
  }

  /** The median of the last (up to 9) finite points before `end` is divergenceGrowth× past the level the shift was confirmed at. */
  private climbedSince (v: PointsView, e: Excursion, end: number): boolean {
    const { space, p } = this.ctx
    const last: number[] = []
    for (let j = Math.max(e.start, end - 8); j <= end; j++) { const y = v.values[j]!; if (space.ok(y)) last.push(space.u(y)) }
    return last.length >= 5 && space.dir * (medianOf(last) - e.level) >= Math.log(p.divergenceGrowth)
  }

  /** The normal points that ended an excursion join the baseline. */
  private readmitTail (e: Excursion, end: number): void {
    for (let j = e.lastElevated + 1; j <= end; j++) {
      const u = e.us[j - e.start]
      if (u !== undefined) this.ctx.baseline.accept(j, u)
    }
  }

  /**
   * Judges pending spike candidates once the series has been quiet for `clusterGap` points (or
   * twice the last excursion's length): a burst of them is one spike, three or more at a regular
   * spacing are an oscillation, and candidates inside an oscillation found otherwise are dropped.
   */
  flushPending (v: PointsView, n: number, force: boolean, caughtUp: (end: number) => boolean, insideOscillation: (start: number, end: number) => boolean): void {
    if (this.pending.length === 0) return
    const last = this.pending[this.pending.length - 1]!
    // On a short series (an epoch-level curve, update_freq logging) 16 quiet points can be a
    // quarter of it, and a spike near its end would stay tentative for good: the gap shrinks to a
    // sixteenth of the points seen so far, down to 4.
    // A long transient waits for twice its length of quiet (another may follow: an oscillation),
    // but at most an eighth of the points seen so far: a 10-point transient near the end of a
    // 75-point HF series must not stay tentative for good.
    const seen = n - this.ctx.fitStart
    const cluster = Math.min(this.ctx.p.clusterGap, Math.max(4, Math.floor(seen / 16)))
    const gap = Math.max(cluster, Math.min(2 * (last.end - last.start + 1), Math.floor(seen / 8)))
    if (!force && (n - 1 - last.end < gap || !caughtUp(last.end))) return
    const group = this.pending
    this.pending = []
    if (insideOscillation(group[0]!.start, last.end)) return
    if (group.length >= 3 && this.regular(group)) { this.ctx.emit(this.oscillationEvent(v, group)); return }
    this.ctx.emit(this.spikeEvent(v, group))
  }

  /** Candidates evenly spaced (coefficient of variation of their gaps ≤ 0.3). */
  private regular (group: readonly SpikeCandidate[]): boolean {
    const gaps: number[] = []
    for (let k = 1; k < group.length; k++) gaps.push(group[k]!.peakIdx - group[k - 1]!.peakIdx)
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length
    const sd = Math.sqrt(gaps.reduce((a, b) => a + (b - mean) ** 2, 0) / gaps.length)
    return mean > 1 && sd <= 0.3 * mean
  }

  private best (group: readonly SpikeCandidate[]): SpikeCandidate {
    let best = group[0]!
    for (const c of group) if (c.peakZ > best.peakZ) best = c
    return best
  }

  private spikeEvent (v: PointsView, group: readonly SpikeCandidate[]): JumpEvent {
    const { space, label } = this.ctx
    const best = this.best(group)
    const first = group[0]!
    const lastC = group[group.length - 1]!
    const peakU = space.u(v.values[best.peakIdx]!)
    const start = group.length === 1 ? this.startByMidpoint(v, first) : first.start
    const ratio = space.ratio(peakU, best.base, best.sigma)
    const ev = makeEvent(v, { kind: 'spike', severity: 'warning', start, end: lastC.end, ratio, robustZ: best.peakZ, baseline: space.y(best.base), peak: space.y(peakU) })
    const width = lastC.end - start + 1
    const w = metricWords(space.dir, label)
    // A metric that should rise (accuracy, reward) drops; that is not a bad batch of a loss.
    const cause = w.dir === 1
      ? (group.length > 1 ? 'a burst of bad batches' : width <= 2 ? 'one bad batch (corrupt or mislabelled samples, an outlier, a data-pipeline glitch)' : 'a transient disturbance that recovered by itself (a run of bad batches, or an optimisation hiccup)')
      : (group.length > 1 ? `repeated short drops of ${label}` : width <= 2 ? `a momentary drop of ${label} (an unrepresentative measurement, or a brief disturbance that the next updates undid)` : `a transient drop of ${label} that recovered by itself (an optimisation hiccup, or a stretch of unrepresentative measurements)`)
    // A gap mean (update_freq > 1) averages several batches: say what one batch must have been.
    const span = v.span?.[best.peakIdx] ?? 1
    const inMean = span > 1 && space.logMode && w.dir === 1 ? `; the value is the mean of ${span} batches, so one of them was about ${fmtRatio(batchRatio(ev.ratio, span))} the median (or several were high)` : ''
    ev.causes.push(group.length === 1
      ? { cause, evidence: `${label} ${w.dir === 1 ? 'reached' : 'fell to'} ${fmt(ev.peak)} at step ${v.steps[best.peakIdx]}, ${timesRef(w, fmtRatio(ev.ratio), `its local median ${fmt(ev.baseline)}`)} (robust z ${ev.robustZ.toFixed(1)}), and was back at the baseline after ${width} point(s)${inMean}` }
      : { cause, evidence: `${group.length} separate ${w.dir === 1 ? 'excursions' : 'drops'} between steps ${v.steps[start]} and ${v.steps[lastC.end]}; the largest ${w.dir === 1 ? 'reached' : 'fell to'} ${fmt(ev.peak)} (${timesRef(w, fmtRatio(ev.ratio), `the local median ${fmt(ev.baseline)}`)}, robust z ${ev.robustZ.toFixed(1)})` })
    return ev
  }

  private oscillationEvent (v: PointsView, group: readonly SpikeCandidate[]): JumpEvent {
    const { space, label } = this.ctx
    const best = this.best(group)
    const first = group[0]!
    const lastC = group[group.length - 1]!
    const peakU = space.u(v.values[best.peakIdx]!)
    const period = Math.round((lastC.peakIdx - first.peakIdx) / (group.length - 1))
    const ev = makeEvent(v, { kind: 'oscillation', severity: 'warning', start: first.start, end: lastC.end, ratio: space.ratio(peakU, best.base, best.sigma), robustZ: best.peakZ, baseline: space.y(best.base), peak: space.y(peakU) })
    ev.causes.push({ cause: 'learning rate too high for the curvature (or a cyclic schedule that reaches such rates)', evidence: `${label} swung ${space.dir === 1 ? 'up' : 'down'} ${group.length} times at a regular interval of about ${period} points between steps ${v.steps[first.start]} and ${v.steps[lastC.end]}, ${space.dir === 1 ? 'peaking' : 'bottoming out'} at ${fmt(ev.peak)} (${timesRef(metricWords(space.dir, label), fmtRatio(ev.ratio), `the local median ${fmt(ev.baseline)}`)})` })
    return ev
  }

  /**
   * A spike starts where it first clearly left the noise: the first point 3× over the baseline
   * (the onset convention of a bad batch, 3× the local median), or halfway (in the analysed space)
   * between the baseline and a peak lower than ×9.
   */
  private startByMidpoint (v: PointsView, c: SpikeCandidate): number {
    const { space } = this.ctx
    const peak = space.u(v.values[c.peakIdx]!)
    const half = space.logMode ? c.base + space.dir * Math.min(Math.log(3), space.dir * (peak - c.base) / 2) : c.base + (peak - c.base) / 2
    for (let j = c.start; j <= c.end; j++) {
      const y = v.values[j]!
      if (space.ok(y) && space.dir * (space.u(y) - half) >= 0) return j
    }
    return c.start
  }

  /**
   * Start of a lasting shift: the split point, among the excursion's first points and the few
   * before it, that maximises the difference between the mean after and the mean before, weighted
   * by √(n₁n₂/n) (Hinkley 1970: the likelihood-ratio statistic of one change in mean; unweighted,
   * a short segment's noise pulls the split toward the window's edges).
   */
  private changePoint (v: PointsView, e: Excursion, end: number): number {
    const { space } = this.ctx
    const lo = Math.max(this.ctx.fitStart, e.start - 16)
    const hi = Math.min(end, e.start + 16)
    const from = Math.max(this.ctx.fitStart, lo - 32)
    const xs: number[] = []
    for (let j = from; j <= end; j++) { const y = v.values[j]!; xs.push(space.ok(y) ? space.u(y) : NaN) }
    let total = 0; let cnt = 0
    for (const x of xs) if (!Number.isNaN(x)) { total += x; cnt++ }
    let left = 0; let ln = 0; let best = e.start; let bestGain = -Infinity
    for (let j = from; j <= hi; j++) {
      if (j >= lo && ln >= 2 && cnt - ln >= 2) {
        const gain = space.dir * ((total - left) / (cnt - ln) - left / ln) * Math.sqrt(ln * (cnt - ln) / cnt)
        if (gain > bestGain) { bestGain = gain; best = j }
      }
      const x = xs[j - from]!
      if (!Number.isNaN(x)) { left += x; ln++ }
    }
    return best
  }

  private sustainedEvent (v: PointsView, e: Excursion, kind: 'level-shift' | 'divergence', end: number): JumpEvent {
    const { space, label } = this.ctx
    const level = medianOf(e.us.slice(0, end - e.start + 1))
    const start = kind === 'divergence' ? e.start : this.changePoint(v, e, end)
    const peakU = e.us[e.peakIdx - e.start]!
    const ev = makeEvent(v, {
      kind,
      severity: kind === 'divergence' ? 'critical' : 'warning',
      start,
      end: Math.max(start, Math.min(end, e.lastElevated)),
      ratio: space.ratio(peakU, e.base, e.sigma),
      robustZ: e.peakZ,
      baseline: space.y(e.base),
      peak: space.y(peakU),
      open: true
    })
    const lenPts = e.lastElevated - start + 1
    const w = metricWords(space.dir, label)
    ev.causes.push(kind === 'divergence'
      ? { cause: 'training instability (learning rate too high, exploding gradients)', evidence: `${label} kept ${w.dir === 1 ? 'growing' : 'falling'} from step ${v.steps[start]}: ${fmt(space.y(e.us[0]!))} → ${fmt(space.y(peakU))}, ${timesRef(w, fmtRatio(ev.ratio), `the baseline ${fmt(ev.baseline)}`)} (robust z ${ev.robustZ.toFixed(1)})` }
      : { cause: 'a lasting change in the optimisation (learning-rate change, instability, a change in the data)', evidence: `${label} stayed at about ${timesRef(w, fmtRatio(space.ratio(level, e.base, e.sigma)), `its baseline ${fmt(ev.baseline)}`)} for ${lenPts}+ points from step ${v.steps[start]} (median level ${fmt(space.y(level))}, ${w.dir === 1 ? 'peak' : 'lowest'} ${fmt(ev.peak)} at step ${v.steps[e.peakIdx]})` })
    return ev
  }
}

/**
 * Up, down, up, down: ≥ 90 % of consecutive differences change sign over ≥ 12 points (i.i.d. noise
 * turns at two thirds of them). Such a stretch is an oscillation in the making, not a shift.
 */
export function alternating (us: readonly number[]): boolean {
  const n = us.length
  if (n < 12) return false
  let turns = 0
  for (let j = 2; j < n; j++) if ((us[j]! - us[j - 1]!) * (us[j - 1]! - us[j - 2]!) < 0) turns++
  return turns >= 0.9 * (n - 2)
}
