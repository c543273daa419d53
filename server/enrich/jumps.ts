/**
 * The jump detector of one series: streams points through its parts (baseline, tail model,
 * excursions, oscillation, trends, non-finite values), each with its own state, and collects their
 * events. Appending a point costs O(1) amortised; feeding the same points in any chunking gives
 * the same events.
 */

import { Space } from './detect/space.js'
import { Baseline } from './detect/baseline.js'
import { TailModel } from './detect/tail.js'
import { ExcursionTracker } from './detect/excursions.js'
import { OscillationDetector } from './detect/oscillation.js'
import { TrendDetector } from './detect/trend.js'
import { NonFiniteTracker } from './detect/nonfinite.js'
import { ShiftScan } from './detect/shift-scan.js'
import { DEFAULT_JUMP_PARAMS, type JumpParams } from './detect/params.js'
import type { DetectContext, PointsView } from './detect/context.js'
import { explain } from './explain.js'
import { foldOnEmit, isFolded } from './containment.js'
import type { JumpEvent } from './events.js'

export type { AnnotationKind, Severity, Cause, JumpEvent } from './events.js'
export { fmt, fmtRatio } from './events.js'
export type { JumpParams } from './detect/params.js'
export { DEFAULT_JUMP_PARAMS } from './detect/params.js'
export type { PointsView } from './detect/context.js'

/** Until the tail of the noise is known (a few hundred points), single points need this robust z. */
const INITIAL_Z = 8.5

/** How the detector reads the series. */
export interface DetectorOptions {
  /** +1 when higher values are worse (losses), −1 when lower values are worse (accuracy, reward). */
  direction: 1 | -1
  params?: Partial<JumpParams>
  /** Indices where a new fit/process starts: detection state resets there. */
  restarts?: ReadonlyArray<{ index: number }>
  /** Short label of the series for explanations, e.g. `de-smoothed batch_loss`. */
  label?: string
  /** Analyse in linear space from the start (rewards, returns: no ratios to a level). Default: log space while every value is positive. */
  linear?: boolean
  /**
   * Positive values below this are zeros in disguise and end log space like a 0 would: an accuracy
   * is a count over a batch, so 1.5e-8 is float rounding of 0 (a de-smoothed running mean), not a
   * value a billion times below the level. Default 0.
   */
  zeroBelow?: number
  /**
   * A loss-like series (a loss, an error, a perplexity read upward): bad batches are what it is
   * scanned for, and a point `bigRatio` times its median is one (detect/params.ts). Other series
   * (gradient norms, whose natural tails are heavier, metrics) rely on the tail threshold. Default false.
   */
  loss?: boolean
}

export class JumpDetector {
  readonly events: JumpEvent[] = []
  /** Points consumed. */
  n = 0
  private readonly ctx: DetectContext
  private readonly tail: TailModel
  private readonly excursions: ExcursionTracker
  private readonly oscillation: OscillationDetector
  private readonly trend: TrendDetector
  private readonly nonFinite: NonFiniteTracker
  private readonly shifts: ShiftScan
  private readonly restarts: ReadonlyArray<{ index: number }>
  private restartCursor = 0
  private warmChecked = false
  private view: PointsView | null = null
  private readonly zeroBelow: number

  constructor (opts: DetectorOptions) {
    const p = { ...DEFAULT_JUMP_PARAMS, ...(opts.loss === true ? {} : { bigRatio: Infinity }), ...opts.params }
    const space = new Space(opts.direction)
    if (opts.linear === true) space.logMode = false
    this.zeroBelow = opts.zeroBelow ?? 0
    const label = opts.label ?? 'series'
    const events = this.events
    this.ctx = {
      p,
      space,
      baseline: new Baseline(p.baselineWindow, space),
      label,
      events,
      fitStart: 0,
      emit: (ev) => {
        // Pieces of a divergence or an oscillation become information inside it (containment.ts).
        for (const o of foldOnEmit(ev, events)) if (o !== ev) o.explanation = explain(o, label, opts.direction)
        if (ev.explanation === '' || isFolded(ev)) ev.explanation = explain(ev, label, opts.direction)
        events.push(ev)
      }
    }
    this.restarts = opts.restarts ?? []
    this.tail = new TailModel(p.spikeZ, Math.max(p.spikeZ, INITIAL_Z), p.spikeFalseRate, p.bigRatio)
    this.oscillation = new OscillationDetector(this.ctx)
    this.excursions = new ExcursionTracker(this.ctx, this.tail, () => this.oscillation.current !== null || this.oscillation.flagged)
    this.trend = new TrendDetector(this.ctx, () => this.excursions.busy || this.shifts.open || this.oscillation.current !== null)
    this.nonFinite = new NonFiniteTracker(this.ctx)
    this.shifts = new ShiftScan(this.ctx)
  }

  /** Pending spike candidates as tentative events (shown, but not yet announced). */
  tentative (): JumpEvent[] {
    if (this.view === null) return []
    return this.excursions.tentative(this.view).map(ev => { ev.explanation = explain(ev, this.ctx.label, this.ctx.space.dir); return ev })
  }

  /** Consumes points [n, upTo) of `v`. Returns the events emitted by this call. */
  update (v: PointsView, upTo: number): JumpEvent[] {
    const before = this.events.length
    this.view = v
    const space = this.ctx.space
    for (let i = this.n; i < upTo; i++) {
      const y = v.values[i]!
      if (space.logMode && Number.isFinite(y) && !(y > this.zeroBelow)) {
        // A value ≤ 0: log space no longer applies. Start over in linear space (rare; O(n) once).
        space.logMode = false
        const keep = this.events.length
        this.resetAll(0)
        this.restartCursor = 0
        this.nonFinite.reset()
        for (let j = 0; j < i; j++) this.point(v, j)
        this.dedupe(keep)
      }
      this.point(v, i)
    }
    return this.events.slice(before)
  }

  private point (v: PointsView, i: number): void {
    while (this.restartCursor < this.restarts.length && this.restarts[this.restartCursor]!.index <= i) {
      if (this.restarts[this.restartCursor]!.index === i && i > 0) this.restart(v, i)
      this.restartCursor++
    }
    const y = v.values[i]!
    if (!Number.isFinite(y)) {
      this.excursions.finish(v, i - 1, 'non-finite')
      this.flush(v, true)
      this.nonFinite.point(v, i, y)
    } else {
      this.nonFinite.finite(v, i)
      this.step(v, i, y)
    }
    this.n = i + 1
  }

  private step (v: PointsView, i: number, y: number): void {
    const { p, space, baseline } = this.ctx
    const u = space.u(y)
    if (Math.abs(y) > space.maxAbs) space.maxAbs = Math.abs(y)
    this.oscillation.point(v, i, u)
    this.trend.point(v, i, u, i + 1)
    const ready = baseline.ready(p.minHistory)
    if (ready && !this.warmChecked) { this.warmChecked = true; this.excursions.checkWarmup(v, this.ctx.fitStart, i) }
    let z = 0; let ratio = 1
    if (ready) {
      let s = baseline.sigma
      const bnd = v.bounds === undefined ? 0 : v.bounds[i]!
      // A de-smoothing uncertainty larger than the noise must not look like a jump.
      if (bnd > (space.logMode ? s * y : s)) {
        const su = space.logMode ? (Number.isFinite(bnd) ? Math.log1p(bnd / y) : Infinity) : bnd
        if (su > s) s = su
      }
      z = space.dir * (u - baseline.base) / s
      ratio = space.ratio(u, baseline.base, baseline.sigma)
    }
    const approx = v.bounds !== undefined && !Number.isFinite(v.bounds[i]!)
    const wasOpen = this.excursions.busy
    let normal = this.excursions.step(v, i, u, z, ratio, approx, ready)
    const quiet = !wasOpen && !this.excursions.busy && this.oscillation.current === null && !this.oscillation.flagged
    if (this.shifts.point(v, i, u, ratio, ready, quiet)) normal = false
    // Every judged point outside a sustained excursion informs the tail model (winsorised there).
    // (Only a point standing alone can be a near miss of the big-ratio rule: the first points of a
    // step or a climb are not the natural tail.)
    if (ready && !wasOpen && !approx) this.tail.add(z, this.excursions.alone ? ratio : 1)
    if (normal) baseline.accept(i, u)
    this.flush(v, false)
  }

  private flush (v: PointsView, force: boolean): void {
    this.excursions.flushPending(v, this.n + 1, force, this.caughtUp, this.insideOscillation)
  }

  /** Spike candidates wait until the oscillation check has looked past them (or cannot: a short series). */
  private readonly caughtUp = (end: number): boolean => this.oscillation.lastEvalIdx >= end || !this.oscillation.filled

  private readonly insideOscillation = (start: number, end: number): boolean => {
    const osc = this.oscillation
    return this.events.some(e => e.kind === 'oscillation' && e.endIndex >= start && e.startIndex <= end) ||
      (osc.current !== null && osc.current.startIndex <= end) || osc.flagged
  }

  /** A new fit or process: finish what is open and forget the baseline. */
  private restart (v: PointsView, i: number): void {
    this.excursions.finish(v, i - 1, 'restart')
    this.flush(v, true)
    this.resetAll(i)
    this.nonFinite.reset()
  }

  private resetAll (fitStart: number): void {
    this.ctx.baseline.clear()
    this.tail.clear()
    this.excursions.reset()
    this.oscillation.reset()
    this.trend.reset()
    this.shifts.reset()
    this.ctx.fitStart = fitStart
    this.warmChecked = false
  }

  /** Drops events re-detected after a linear-space restart that duplicate earlier keys. */
  private dedupe (keep: number): void {
    const seen = new Set(this.events.slice(0, keep).map(e => e.key))
    const out = this.events.slice(0, keep)
    for (const e of this.events.slice(keep)) if (!seen.has(e.key)) out.push(e)
    this.events.length = 0
    this.events.push(...out)
  }
}
