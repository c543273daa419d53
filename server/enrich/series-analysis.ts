/**
 * The analysis of one logged series, incremental: de-smoothing of a running mean, jumps on the
 * best raw series, the staircase of a running mean, overfitting, writer restarts, the
 * learning-rate schedule, and causes from the series logged with it. Pure: it reads the other
 * series through {@link CoLogged} and hands each new event to its {@link AnalysisSink}.
 */

import type { FamilyGuess } from './families.js'
import { epochTagFor, isLearningRateTag, isDiagnosticTag, isGradientNormTag, higherIsBetter, isAdditiveTag, isLossLike, trainCounterparts, wantsSchedule, noJumps, trainLevelAt } from './families.js'
import { diagnosticNonFinite, restartEvent } from './restart-events.js'
import { RunningMeanInverter, type SeriesData, type BatchSizes } from './desmooth.js'
import { accuracyTagFor, evaluationTagFor, validationRunFor } from './keras-companions.js'
import { valueDomain } from './value-domain.js'
import { JumpDetector, type JumpEvent, type JumpParams } from './jumps.js'
import { StaircaseDetector } from './staircase.js'
import { OverfittingDetector } from './overfitting.js'
import { lrChangesFromEpochs, attachLrCause, attachLrCauseAtEnd, attachGradientCause, snapToLrChange, type LrChange } from './causes.js'
import type { LrPhase } from './lr-schedule.js'
import { ScheduleAnnotator } from './schedule-events.js'
import { explain } from './explain.js'
import { isFolded } from './containment.js'
import type { RunLearningRates } from './run-learning-rates.js'
import { seriesData, type LoggedSeries } from './logged-series.js'

export type { LoggedSeries } from './logged-series.js'

/** Per-request override of the de-smoothing: `auto` inverts only what is recognised as invertible. */
export type DesmoothMode = 'auto' | 'running-mean' | 'none'

/** Points of the analysed series before a jump in which a learning-rate change counts as "shortly before". */
const LR_LOOKBACK_POINTS = 50

/** The other series logged with the analysed one, as they are now. */
export interface CoLogged {
  /** Names of a run's scalar series (null when there is no such run). */
  tags: (run: string) => ReadonlySet<string> | null
  /** A scalar series of a run, or null. */
  series: (run: string, tag: string) => LoggedSeries | null
  /** The analysis of another series of the analysed series' run, brought up to date (for gradient causes). */
  analysis: (tag: string) => SeriesAnalysis | null
  /** The learning-rate trackers of the analysed series' run. */
  learningRates: RunLearningRates
}

/** Who keeps the analysis' events: hears of each event when it is recorded, and when all are dropped. */
export interface AnalysisSink {
  /** A new event, as recorded (before causes from other series are attached). */
  recorded: (ev: JumpEvent) => void
  /** Every recorded event was dropped: the series is analysed again from its start. */
  cleared: () => void
}

export interface AnalysisOptions {
  /** The de-smoothing the configuration asks for this run (`auto`: decided by the family). */
  desmooth: DesmoothMode
  /** Dataset and batch size of the run, when configured. */
  sizes: BatchSizes | null
  /** Detector thresholds. */
  params?: Partial<JumpParams>
}

export class SeriesAnalysis {
  /** The inverter while the series is analysed as a running mean. */
  inverter: RunningMeanInverter | null = null
  /** The epoch-level tag the inverter segments with. */
  private epochTag: string | null = null
  private detector: JumpDetector | null = null
  private staircase: StaircaseDetector | null = null
  private overfitting: OverfittingDetector | null = null
  /** The training series this validation loss is compared with, once found. */
  trainingPair: { run: string, tag: string } | null = null
  /** Version of the training series when last read. */
  trainingVersion = -1
  /** Every recorded event by key, in creation order. */
  readonly events = new Map<string, JumpEvent>()
  /** Keys of events whose recorded copy is stale: open ones, and ones whose causes changed. */
  private readonly stale = new Set<string>()
  private restartCursor = 0
  /** Versions of the learning-rate and gradient series (and the event count) when causes were last attached. */
  private causesSeen = ''
  /** Learning-rate changes of the run, mapped onto this series (for tentative events too). */
  private lrChanges: LrChange[] = []
  /** The schedule's info annotations (training losses only). */
  private schedule: ScheduleAnnotator | null = null
  /** The epoch values do not match a running mean: the series is analysed as logged. */
  crossCheckFailed = false
  // What the names alone decide, worked out once (each is a handful of regular expressions, and
  // update runs on every append to the run).
  /** Only NaN/Inf is annotated on this series. */
  private readonly skip: boolean
  /** +1 when higher values are worse, −1 when lower values are. */
  private readonly dir: 1 | -1
  /** The series carries the schedule's info annotations. */
  private readonly schedules: boolean
  /** The series is a gradient norm. */
  private readonly gradNorm: boolean
  /** Training series this one would be compared with for overfitting, most specific first (null: not a validation loss). */
  private readonly pairCandidates: ReadonlyArray<{ run: string, tag: string }> | null
  /** The run's learning-rate and gradient tags, as of the tag set `tagsSeen` (of size `tagsSeenSize`). */
  private tagsSeen: ReadonlySet<string> | null = null
  private tagsSeenSize = -1
  private lrTags: string[] = []
  private gradTags: string[] = []

  constructor (readonly run: string, readonly tag: string, readonly series: LoggedSeries, readonly guess: FamilyGuess,
    private readonly opts: AnalysisOptions, private readonly sink: AnalysisSink) {
    this.skip = noJumps(tag)
    this.dir = higherIsBetter(tag) ? -1 : 1
    this.schedules = wantsSchedule(run, tag)
    this.gradNorm = isGradientNormTag(tag)
    this.pairCandidates = isLossLike(tag) && !tag.startsWith('batch_') ? trainCounterparts(run, tag) : null
  }

  /** Brings the learning-rate and gradient tag lists up to date with the run's tags. */
  private tagLists (tags: ReadonlySet<string>): void {
    if (tags === this.tagsSeen && tags.size === this.tagsSeenSize) return
    this.tagsSeen = tags
    this.tagsSeenSize = tags.size
    this.lrTags = [...tags].filter(isLearningRateTag)
    this.gradTags = [...tags].filter(t => /grad/i.test(t) && t !== this.tag && !isLearningRateTag(t))
  }

  /** How the series is de-smoothed by default. */
  get mode (): 'running-mean' | 'none' {
    if (this.opts.desmooth !== 'auto') return this.opts.desmooth
    return this.guess.family === 'keras-running-mean' && !this.crossCheckFailed ? 'running-mean' : 'none'
  }

  /** The name of the analysed series in explanations. */
  private get label (): string {
    return this.inverter !== null ? `de-smoothed ${this.tag}` : this.tag
  }

  /** Analyses the points appended since the last call; returns the events recorded by it. */
  update (co: CoLogged): JumpEvent[] {
    const s = this.series
    const tags = co.tags(this.run)!
    // 1. De-smoothing (running means only).
    if (this.mode === 'running-mean') {
      const epochTag = epochTagFor(this.tag, tags)
      if (this.inverter !== null && epochTag !== this.epochTag) {
        // The run's epoch-level tag appeared after the first epoch: segment again with it (once).
        this.inverter = null
        this.detector = null
        this.staircase = null
        this.events.clear()
        this.sink.cleared()
        this.stale.clear()
        this.restartCursor = 0
      }
      if (this.inverter === null) {
        this.epochTag = epochTag
        this.inverter = new RunningMeanInverter(this.opts.sizes, valueDomain(this.tag))
      }
      feedInverter(this.inverter, this.run, this.tag, s, this.epochTag, co)
      const cc = this.inverter.crossCheck()
      if (this.guess.family === 'keras-running-mean' && cc.epochs >= 3 && cc.matched === 0 && cc.maxRelError > 1e-3 && this.opts.desmooth !== 'running-mean') {
        // Not a running mean after all (e.g. a raw per-batch value under a batch_ name).
        this.crossCheckFailed = true
        this.inverter = null
        this.detector = null
        this.staircase = null
        this.sink.cleared(); this.events.clear(); this.stale.clear()
        return this.update(co)
      }
    } else this.inverter = null
    // 2. Jumps on the best raw series.
    const c = s.columns()
    const skip = this.skip
    const dir = this.dir
    this.tagLists(tags)
    if (this.detector === null) {
      // A metric in [0, 1] (an accuracy: a count over a batch) takes no positive value under 1e-6.
      const unit = valueDomain(this.tag)?.hi === 1
      this.detector = new JumpDetector({ direction: dir, label: this.label, restarts: s.restarts, params: this.opts.params, linear: isAdditiveTag(this.tag), zeroBelow: unit ? 1e-6 : 0, loss: dir === 1 && isLossLike(this.tag) })
    }
    const fresh: JumpEvent[] = []
    if (this.inverter !== null) {
      const ic = this.inverter.columns()
      const view = { steps: c.steps, wallTimes: c.wallTimes, values: ic.desmoothed, bounds: ic.bound, span: ic.span }
      fresh.push(...this.filterSkip(skip, this.detector.update(view, this.inverter.stableLength())))
      if (this.staircase === null) this.staircase = new StaircaseDetector(this.tag, dir)
      fresh.push(...this.staircase.update(this.inverter.epochs, { steps: c.steps, wallTimes: c.wallTimes, logged: c.values, desmoothed: ic.desmoothed, bounds: ic.bound }, this.inverter.stableLength()))
    } else {
      fresh.push(...this.filterSkip(skip, this.detector.update({ steps: c.steps, wallTimes: c.wallTimes, values: c.values }, s.length)))
    }
    // 3. Overfitting, on a validation loss with a training counterpart.
    fresh.push(...this.overfittingEvents(co))
    // 4. Restarts of the writer (the store records one just before the point that follows it).
    while (this.restartCursor < s.restarts.length && s.restarts[this.restartCursor]!.index < s.length) {
      const rs = s.restarts[this.restartCursor++]!
      if (rs.index > 0) fresh.push(restartEvent(this.tag, rs, c))
    }
    // 5. The learning-rate schedule: a change that caused a jump moves its start to the change;
    //    schedule steps and phases on a training loss become information.
    const changes = this.runLrChanges(tags, co)
    snapToLrChange(fresh, changes, c, s.length, LR_LOOKBACK_POINTS, key => this.events.has(key))
    if (this.schedules) fresh.push(...this.scheduleEvents(tags, co, c, s.length, fresh))
    if (this.gradNorm) for (const ev of fresh) this.gradNormSeverity(ev)
    for (const ev of fresh) this.record(ev)
    // 6. Causes from the run's other series (re-run when they change).
    this.attachCauses(tags, co)
    return fresh
  }

  /**
   * Events recorded earlier whose recorded copy is stale (still open, or their causes changed).
   * Each is returned until it is closed.
   */
  changed (): JumpEvent[] {
    const out: JumpEvent[] = []
    for (const key of this.stale) {
      const ev = this.events.get(key)!
      out.push(ev)
      if (!ev.open) this.stale.delete(key)
    }
    return out
  }

  /**
   * Events not recorded yet: spikes waiting for the following points, and schedule phases that
   * may still change (the newest warm-up, decay or cycle), with causes as last seen.
   */
  tentative (co: CoLogged): JumpEvent[] {
    const out: JumpEvent[] = []
    if (this.detector !== null && !this.skip) {
      const c = this.series.columns()
      for (const ev of this.detector.tentative()) {
        // A tentative event names its learning-rate cause too (the run's changes as last seen).
        const look = Math.max(1, ev.startStep - c.steps[Math.max(0, ev.startIndex - LR_LOOKBACK_POINTS)]!)
        if (attachLrCause(ev, this.lrChanges, look)) ev.explanation = explain(ev, this.label)
        out.push(ev)
      }
    }
    if (this.schedule !== null) {
      const c = this.series.columns()
      for (const tracker of co.learningRates.scheduleTrackers()) {
        for (const ev of this.schedule.tentative(c, this.series.length, tracker.current(), tracker.finalCount())) {
          ev.explanation = explain(ev, this.tag)
          out.push(ev)
        }
      }
    }
    return out
  }

  /**
   * A gradient norm's level shift is information. The norm's level follows the phase of training
   * (it commonly grows ×2–4 while the model leaves its initialisation, then drifts with the
   * schedule), so a lasting change is no problem in itself; the norm's bursts (spikes) and its
   * climbs (divergence) stay warnings, and the loss carries its own.
   */
  private gradNormSeverity (ev: JumpEvent): void {
    if (ev.kind === 'level-shift') ev.severity = 'info'
  }

  private record (ev: JumpEvent): void {
    this.events.set(ev.key, ev)
    this.sink.recorded(ev)
    if (ev.open) this.stale.add(ev.key)
  }

  private filterSkip (skip: boolean, evs: JumpEvent[]): JumpEvent[] {
    if (!skip) return evs
    const out = evs.filter(e => e.kind === 'non-finite')
    if (isDiagnosticTag(this.tag)) for (const e of out) diagnosticNonFinite(e, this.tag)
    return out
  }

  // --- overfitting ------------------------------------------------------------------------------

  private overfittingEvents (co: CoLogged): JumpEvent[] {
    if (this.pairCandidates === null) return []
    if (this.overfitting === null) {
      const pair = this.pairCandidates.find(c => co.series(c.run, c.tag) !== null)
      if (pair === undefined) return []
      this.trainingPair = pair
      this.overfitting = new OverfittingDetector(this.run === pair.run ? this.tag : `${this.run}/${this.tag}`, this.run === pair.run ? pair.tag : `${pair.run}/${pair.tag}`)
    }
    const pair = this.trainingPair!
    const t = co.series(pair.run, pair.tag)
    if (t === null) return []
    this.trainingVersion = t.version
    const tc = t.columns()
    const tn = t.length
    const level = (step: number, prev: number): number => trainLevelAt(tc.steps, tc.values, tn, step, prev)
    const c = this.series.columns()
    return this.overfitting.update({ steps: c.steps, wallTimes: c.wallTimes, values: c.values }, this.series.length, level)
  }

  // --- causes -------------------------------------------------------------------------------------

  private attachCauses (tags: ReadonlySet<string>, co: CoLogged): void {
    if (this.events.size === 0) return
    this.tagLists(tags)
    const lrTags = this.lrTags
    const gradTags = this.gradTags
    const version = (t: string): number => co.series(this.run, t)!.version
    const sig = lrTags.map(t => `${t}:${version(t)}`).join('|') + '#' + gradTags.map(t => `${t}:${version(t)}`).join('|') + '#' + this.events.size
    if (sig === this.causesSeen) return
    this.causesSeen = sig
    const changes = this.runLrChanges(tags, co)
    const c = this.series.columns()
    for (const ev of this.events.values()) {
      if (ev.kind === 'restart' || ev.kind === 'staircase-artifact' || ev.kind === 'overfitting' || ev.kind === 'lr-schedule' || isFolded(ev)) continue
      const look = Math.max(1, ev.startStep - c.steps[Math.max(0, ev.startIndex - LR_LOOKBACK_POINTS)]!)
      if (ev.kind === 'plateau') {
        if (attachLrCauseAtEnd(ev, changes, look)) { ev.explanation = explain(ev, this.label); this.stale.add(ev.key) }
        continue
      }
      let changed = attachLrCause(ev, changes, look)
      for (const gt of gradTags) {
        const g = co.analysis(gt)
        if (g === null || g === this) continue
        changed = attachGradientCause(ev, gt, [...g.events.values()], look) || changed
      }
      if (changed) { ev.explanation = explain(ev, this.label); this.stale.add(ev.key) }
    }
  }

  /** Every learning-rate change of the run, mapped onto this series' steps (kept for tentative events). */
  private runLrChanges (tags: ReadonlySet<string>, co: CoLogged): LrChange[] {
    const changes: LrChange[] = []
    this.tagLists(tags)
    for (const lt of this.lrTags) {
      const ls = co.series(this.run, lt)
      if (ls !== null) changes.push(...this.lrChangesOf(lt, ls, co))
    }
    this.lrChanges = changes
    return changes
  }

  /** Learning-rate changes of one LR series of the run, mapped onto steps of this series. */
  private lrChangesOf (lrTag: string, ls: LoggedSeries, co: CoLogged): LrChange[] {
    if (lrTag.startsWith('epoch_') && this.inverter !== null) {
      const inv = this.inverter
      const steps = this.series.columns().steps
      const c = ls.columns()
      return lrChangesFromEpochs(lrTag, c.steps, c.values, ls.length, (e) => {
        // The last fit's epoch with that index (a resumed fit repeats indices); its batches and
        // the one after them (the rate logged at an epoch's end is the next batch's).
        for (let k = inv.epochs.length - 1; k >= 0; k--) {
          const ep = inv.epochs[k]!
          if (ep.label !== e || ep.first > ep.last) continue
          return [ep.g + 1, Math.max(steps[ep.last]!, ep.g + 1) + 1]
        }
        return null
      })
    }
    if (lrTag.startsWith('epoch_')) return []
    return co.learningRates.stepChanges(lrTag, ls)
  }

  /** `lr-schedule` events from the run's per-step learning-rate series. */
  private scheduleEvents (tags: ReadonlySet<string>, co: CoLogged, c: { steps: ArrayLike<number>, wallTimes: ArrayLike<number> }, n: number, fresh: readonly JumpEvent[]): JumpEvent[] {
    const out: JumpEvent[] = []
    if (this.schedule === null) this.schedule = new ScheduleAnnotator(this.tag)
    // The problems so far, listed only when a per-step learning-rate series is there to read them.
    let problems: JumpEvent[] | null = null
    this.tagLists(tags)
    for (const lt of this.lrTags) {
      if (lt.startsWith('epoch_')) continue
      const ls = co.series(this.run, lt)
      if (ls === null) continue
      const tracker = co.learningRates.schedule(lt, ls)
      const phases = tracker.current()
      out.push(...this.schedule.update(c, n, phases, tracker.finalCount()))
      // (Pieces already folded into an oscillation still count as its jumps.)
      problems ??= [...this.events.values(), ...fresh].filter(e => e.severity !== 'info' || isFolded(e))
      const osc = this.schedule.cycleOscillation(c, phases, problems, this.tag)
      if (osc !== null) out.push(osc)
    }
    // Epoch-level rates (Keras `epoch_learning_rate`) place a change only within an epoch's batches
    // and the one after them; the note spans the epoch's batches (the batch after them is not
    // logged yet when the epoch closes, and a span must not depend on when it was computed), its
    // evidence names the whole range.
    const epochSteps: LrPhase[] = this.lrChanges.filter(ch => ch.tag.startsWith('epoch_')).map(ch => ({
      kind: ch.to > ch.from ? 'step-up' : 'step-down', tag: ch.tag, from: ch.from, to: ch.to, stepLo: ch.stepLo, stepHi: Math.max(ch.stepLo, ch.stepHi - 1), where: ch.where
    }))
    if (epochSteps.length) out.push(...this.schedule.update(c, n, epochSteps, epochSteps.length))
    for (const ev of out) ev.explanation = explain(ev, this.label)
    return out
  }
}

/**
 * Brings `inv` up to date with `series` (the series `run`/`tag`), its epoch-level series
 * `epochTag`, the validation run's evaluation series and the run's accuracy series (Keras
 * companions), as logged now.
 */
export function feedInverter (inv: RunningMeanInverter, run: string, tag: string, series: LoggedSeries, epochTag: string | null, co: CoLogged): void {
  inv.update(seriesData(series), sameRun(run, epochTag, co), evaluationSeries(run, tag, co), sameRun(run, accuracyTagFor(co.tags(run)!), co))
}

function sameRun (run: string, tag: string | null, co: CoLogged): SeriesData | null {
  const s = tag === null ? null : co.series(run, tag)
  return s === null ? null : seriesData(s)
}

/** The validation run's evaluation_*_vs_iterations (Keras epoch ends at optimizer.iterations), if any. */
function evaluationSeries (run: string, tag: string, co: CoLogged): SeriesData | null {
  const vr = validationRunFor(run)
  const vtags = vr === null ? null : co.tags(vr)
  if (vr === null || vtags === null) return null
  const et = evaluationTagFor(tag, vtags)
  return sameRun(vr, et, co)
}
