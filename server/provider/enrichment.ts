/** Contract between the enrichment (enrich/) and the HTTP API, and its implementation over the store: cached, incremental. */

import type { ScalarStore, RunState, TagInfo } from '../store/scalar-store.js'
import { isScalarTag } from '../store/scalar-store.js'
import type { SmoothingFamily } from '../enrich/families.js'
import { guessFamily, epochTagFor, isLearningRateTag, isDiagnosticTag, higherIsBetter, isLossLike, trainCounterparts, trainRunCounterparts, wantsSchedule, noJumps, trainLevelAt } from '../enrich/families.js'
import { diagnosticNonFinite } from '../enrich/restart-events.js'
import { restartEvent } from '../enrich/restart-events.js'
import { RunningMeanInverter, type SeriesData, type BatchSizes } from '../enrich/desmooth.js'
import { accuracyTagFor, evaluationTagFor, validationRunFor } from '../enrich/keras-companions.js'
import { valueDomain } from '../enrich/value-domain.js'
import { JumpDetector, type JumpEvent, type Severity } from '../enrich/jumps.js'
import { StaircaseDetector } from '../enrich/staircase.js'
import { OverfittingDetector } from '../enrich/overfitting.js'
import { LrStepTracker, lrChangesFromEpochs, attachLrCause, attachLrCauseAtEnd, attachGradientCause, snapToLrChange, type LrChange } from '../enrich/causes.js'
import { LrScheduleTracker, type LrPhase } from '../enrich/lr-schedule.js'
import { ScheduleAnnotator } from '../enrich/schedule-events.js'
import { explain } from '../enrich/explain.js'
import { ColumnCache } from './column-cache.js'
import { TagState, seriesData, type RunContext } from './series-state.js'

export type { SmoothingFamily } from '../enrich/families.js'
export type { AnnotationKind, Severity } from '../enrich/jumps.js'
export type { DesmoothMode, EnrichOptions, EnrichedColumns, Annotation, AnnotationFilter, EnrichmentProvider, ProviderOptions } from './enrichment-types.js'
import type { DesmoothMode, EnrichOptions, EnrichedColumns, Annotation, AnnotationFilter, EnrichmentProvider, ProviderOptions } from './enrichment-types.js'

/** Points of the analysed series before a jump in which a learning-rate change counts as "shortly before". */
const LR_LOOKBACK_POINTS = 50
const EMPTY_SUMMARY = (): Record<Severity, number> => ({ info: 0, warning: 0, critical: 0 })

/** Creates the provider over `store`. */
export function createEnrichmentProvider (store: ScalarStore, options: ProviderOptions = {}): EnrichmentProvider {
  return new StoreEnrichment(store, options)
}

/**
 * The provider: one {@link TagState} per (run, tag), created on first use and brought up to date
 * on every call (O(new points)). While someone listens for annotations, appends are processed
 * eagerly in a setImmediate after the store's notification so that the listener hears of new
 * annotations without a query.
 */
class StoreEnrichment implements EnrichmentProvider {
  private readonly states = new Map<string, TagState>()
  private readonly runContexts = new Map<string, RunContext>()
  private readonly lrTrackers = new Map<string, { info: TagInfo, tracker: LrStepTracker }>()
  private readonly lrSchedules = new Map<string, { info: TagInfo, tracker: LrScheduleTracker }>()
  private readonly announced = new Set<string>()
  private readonly cols = new ColumnCache()
  private readonly listeners = new Set<(a: Annotation) => void>()
  private readonly dirty = new Set<string>()
  private flushScheduled = false
  /** Training run → validation runs whose overfitting check reads it (see trainRunCounterparts). */
  private readonly dependents = new Map<string, Set<string>>()

  constructor (private readonly store: ScalarStore, private readonly opts: ProviderOptions) {
    for (const run of store.runs.keys()) this.indexDependents(run)
    store.subscribe(change => {
      if (change.kind === 'run-removed') {
        for (const set of this.dependents.values()) set.delete(change.run)
        for (const [k, s] of this.states) if (s.run === change.run) this.states.delete(k)
        this.runContexts.delete(change.run)
        for (const k of [...this.lrTrackers.keys()]) if (k.startsWith(change.run + '\0')) this.lrTrackers.delete(k)
        for (const k of [...this.lrSchedules.keys()]) if (k.startsWith(change.run + '\0')) this.lrSchedules.delete(k)
        return
      }
      if (change.kind === 'run-added') { this.indexDependents(change.run); return }
      if (change.kind !== 'points' || this.listeners.size === 0) return
      const run = this.store.runs.get(change.run)
      if (run === undefined) return
      // Any tag of the run may depend on the changed ones (epoch events, learning rate).
      for (const t of run.tags.values()) if (isScalarTag(t) && t.series !== null) this.dirty.add(change.run + '\0' + t.name)
      // Across runs, only a validation run's series depend on its training sibling's same-named
      // series (overfitting). Looking only there keeps a logdir of many sibling runs linear: marking
      // every sibling's tags made each run's read re-sync all series of all runs.
      for (const other of this.dependents.get(change.run) ?? []) {
        const r = this.store.runs.get(other)
        if (r === undefined) continue
        for (const tag of change.tags) {
          const t = r.tags.get(tag)
          if (t !== undefined && isScalarTag(t) && t.series !== null) this.dirty.add(other + '\0' + tag)
        }
      }
      this.scheduleFlush()
    })
  }

  /** Registers `run` as a dependent of the training runs it would be compared with. */
  private indexDependents (run: string): void {
    for (const train of trainRunCounterparts(run)) {
      let set = this.dependents.get(train)
      if (set === undefined) this.dependents.set(train, set = new Set())
      set.add(run)
    }
  }

  onAnnotation (listener: (a: Annotation) => void): () => void {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }

  private scheduleFlush (): void {
    if (this.flushScheduled) return
    this.flushScheduled = true
    setImmediate(() => {
      this.flushScheduled = false
      const keys = [...this.dirty]
      this.dirty.clear()
      for (const k of keys) {
        const i = k.indexOf('\0')
        const st = this.state(k.slice(0, i), k.slice(i + 1))
        if (st !== null) this.sync(st)
      }
    })
  }

  // --- public -------------------------------------------------------------------------------------

  columns (run: string, tag: string, opts: EnrichOptions): EnrichedColumns {
    const st = this.state(run, tag)
    if (st === null) return { family: 'unknown', notes: [`no scalar series '${tag}' in run '${run}'`] }
    this.sync(st)
    const s = st.info.series!
    const n = s.length
    const c = s.columns()
    const out: EnrichedColumns = { family: st.guess.family, notes: [st.guess.reason] }
    if (opts.desmoothed) {
      const sizes = this.requestSizes(run, opts)
      const mode = opts.desmooth ?? 'auto'
      const defaultMode = this.defaultMode(st)
      const sameAsDefault = (mode === 'auto' || mode === defaultMode) && this.sameSizes(sizes, this.defaultSizes(run))
      const effective = mode === 'auto' ? defaultMode : mode
      if (effective === 'running-mean') {
        let inv: RunningMeanInverter
        if (sameAsDefault && st.inverter !== null) inv = st.inverter
        else inv = this.oneOffInverter(st, sizes)
        const ic = inv.columns()
        out.desmoothed = ic.desmoothed
        out.desmoothedBound = ic.bound
        out.epoch = ic.epoch
        out.desmoothedKind = ic.kind
        out.crossCheck = inv.crossCheck()
        out.notes.push(...inv.notes())
        if (mode === 'running-mean' && st.guess.family !== 'keras-running-mean') out.notes.push('de-smoothing forced by the request (desmooth=running-mean): the series is treated as a running mean that resets at each epoch')
      } else {
        out.desmoothed = this.cols.rawCopy(st, c.values, n)
        out.desmoothedBound = this.cols.zeros(st, n)
        out.desmoothedKind = this.cols.rawKinds(st, n)
        out.epoch = this.cols.epochFromRun(st, this.store.runs.get(run)!, c.steps, n)
        if (mode === 'none') out.notes.push('de-smoothing off (desmooth=none): desmoothed repeats the stored values')
        else if (st.crossCheckFailed) out.notes.push('not inverted: the epoch values do not equal the last running mean of their epochs, so this is not a Keras running mean')
        else if (st.guess.family !== 'raw') out.notes.push(`not inverted (${st.guess.family}): desmoothed repeats the stored values, which already are what the logger recorded`)
      }
    }
    if (opts.smoothed) out.smoothed = this.cols.smoothed(st, c.values, n, opts.smoothing)
    return out
  }

  annotations (filter: AnnotationFilter): Annotation[] {
    const out: Annotation[] = []
    const runs = filter.run !== undefined ? [filter.run] : [...this.store.runs.keys()]
    for (const run of runs) {
      const r = this.store.runs.get(run)
      if (r === undefined) continue
      const tags = filter.tag !== undefined ? [filter.tag] : [...r.tags.keys()]
      for (const tag of tags) {
        const st = this.state(run, tag)
        if (st === null) continue
        this.sync(st)
        for (const a of this.listOf(st)) {
          if (filter.kind !== undefined && a.kind !== filter.kind) continue
          if (filter.severity !== undefined && a.severity !== filter.severity) continue
          if (filter.minStep !== undefined && a.endStep < filter.minStep) continue
          out.push(a)
        }
      }
    }
    out.sort((a, b) => a.run < b.run ? -1 : a.run > b.run ? 1 : a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : a.startStep - b.startStep)
    return out
  }

  tagSummary (run: string, tag: string): { family: SmoothingFamily, annotations: Record<Severity, number> } {
    const st = this.state(run, tag)
    if (st === null) return { family: 'unknown', annotations: EMPTY_SUMMARY() }
    this.sync(st)
    const counts = EMPTY_SUMMARY()
    for (const a of st.annotations.values()) counts[a.severity]++
    return { family: st.guess.family, annotations: counts }
  }

  // --- state --------------------------------------------------------------------------------------

  private runContext (r: RunState): RunContext {
    let ctx = this.runContexts.get(r.name)
    if (ctx === undefined || ctx.size !== r.tags.size) {
      const tags = new Set<string>()
      for (const t of r.tags.values()) if (isScalarTag(t) && t.series !== null) tags.add(t.name)
      ctx = { size: r.tags.size, tags }
      this.runContexts.set(r.name, ctx)
    }
    return ctx
  }

  private state (run: string, tag: string): TagState | null {
    const r = this.store.runs.get(run)
    const t = r?.tags.get(tag)
    if (r === undefined || t === undefined || !isScalarTag(t) || t.series === null) return null
    const key = run + '\0' + tag
    let st = this.states.get(key)
    const guess = guessFamily({ run, tag, runTags: this.runContext(r).tags })
    if (st === undefined || st.info !== t || st.guess.family !== guess.family) {
      st = new TagState(run, tag, t, guess)
      this.states.set(key, st)
    }
    return st
  }

  private defaultMode (st: TagState): DesmoothMode {
    for (const rule of this.opts.desmoothRules ?? []) {
      if (rule.pattern.test(st.run)) {
        if (rule.mode !== 'auto') return rule.mode
        break
      }
    }
    return st.guess.family === 'keras-running-mean' && !st.crossCheckFailed ? 'running-mean' : 'none'
  }

  private defaultSizes (run: string): BatchSizes | null {
    for (const s of this.opts.sizes ?? []) if (s.pattern === null || s.pattern.test(run)) return s.sizes
    return null
  }

  private requestSizes (run: string, opts: EnrichOptions): BatchSizes | null {
    if (opts.datasetSize !== undefined && opts.batchSize !== undefined) return { datasetSize: opts.datasetSize, batchSize: opts.batchSize }
    return this.defaultSizes(run)
  }

  private sameSizes (a: BatchSizes | null, b: BatchSizes | null): boolean {
    return a === b || (a !== null && b !== null && a.datasetSize === b.datasetSize && a.batchSize === b.batchSize)
  }

  private epochSeries (st: TagState, tag: string | null = st.epochTag): SeriesData | null {
    if (tag === null) return null
    const t = this.store.runs.get(st.run)?.tags.get(tag)
    return t?.series != null ? seriesData(t) : null
  }

  /** An inverter for a request whose sizes or mode differ from the defaults; cached per state, incremental. */
  private oneOffInverter (st: TagState, sizes: BatchSizes | null): RunningMeanInverter {
    const r = this.store.runs.get(st.run)!
    const epochTag = epochTagFor(st.tag, this.runContext(r).tags)
    const key = `${sizes?.datasetSize ?? ''}/${sizes?.batchSize ?? ''}/${epochTag ?? ''}`
    let inv = st.oneOff.get(key)
    if (inv === undefined) {
      inv = new RunningMeanInverter(sizes, valueDomain(st.tag))
      if (st.oneOff.size >= 4) st.oneOff.delete(st.oneOff.keys().next().value!)
      st.oneOff.set(key, inv)
    }
    inv.update(seriesData(st.info), this.epochSeries(st, epochTag), this.evaluationSeries(st), this.epochSeries(st, accuracyTagFor(this.runContext(r).tags)))
    return inv
  }

  /** The validation run's evaluation_*_vs_iterations (Keras epoch ends at optimizer.iterations), if any. */
  private evaluationSeries (st: TagState): SeriesData | null {
    const vr = validationRunFor(st.run)
    const v = vr === null ? undefined : this.store.runs.get(vr)
    if (v === undefined) return null
    const tag = evaluationTagFor(st.tag, this.runContext(v).tags)
    const t = tag === null ? undefined : v.tags.get(tag)
    return t?.series != null ? seriesData(t) : null
  }

  private depsVersion (st: TagState): number {
    const r = this.store.runs.get(st.run)
    const vr = validationRunFor(st.run)
    const v = vr === null ? undefined : this.store.runs.get(vr)
    return (r === undefined ? 0 : r.version) + (v === undefined ? 0 : v.version * 0x100000)
  }

  /** Brings one tag's enrichment up to date with the store. */
  private sync (st: TagState): void {
    const s = st.info.series!
    const r = this.store.runs.get(st.run)!
    const deps = this.depsVersion(st)
    if (s.version === st.seenVersion && deps === st.seenDepsVersion && !this.pairChanged(st)) return
    st.seenVersion = s.version
    st.seenDepsVersion = deps
    const ctx = this.runContext(r)
    const mode = this.defaultMode(st)
    // 1. De-smoothing (running means only).
    if (mode === 'running-mean') {
      const epochTag = epochTagFor(st.tag, ctx.tags)
      if (st.inverter !== null && epochTag !== st.epochTag) {
        // The run's epoch-level tag appeared after the first epoch: segment again with it (once).
        st.inverter = null
        st.detector = null
        st.staircase = null
        st.events.clear()
        st.annotations.clear()
        st.refresh.clear()
        st.restartCursor = 0
      }
      if (st.inverter === null) {
        st.epochTag = epochTag
        st.inverter = new RunningMeanInverter(this.defaultSizes(st.run), valueDomain(st.tag))
      }
      st.inverter.update(seriesData(st.info), this.epochSeries(st), this.evaluationSeries(st), this.epochSeries(st, accuracyTagFor(ctx.tags)))
      const cc = st.inverter.crossCheck()
      if (st.guess.family === 'keras-running-mean' && cc.epochs >= 3 && cc.matched === 0 && cc.maxRelError > 1e-3 && !this.forcedRunningMean(st)) {
        // Not a running mean after all (e.g. a raw per-batch value under a batch_ name).
        st.crossCheckFailed = true
        st.inverter = null
        st.detector = null
        st.staircase = null
        st.annotations.clear(); st.events.clear(); st.refresh.clear()
        st.seenVersion = -1
        this.sync(st)
        return
      }
    } else st.inverter = null
    // 2. Jumps on the best raw series.
    const c = s.columns()
    const skip = noJumps(st.tag)
    const dir: 1 | -1 = higherIsBetter(st.tag) ? -1 : 1
    const label = st.inverter !== null ? `de-smoothed ${st.tag}` : st.tag
    if (st.detector === null) {
      st.detector = new JumpDetector({ direction: dir, label, restarts: s.restarts, params: this.opts.params })
    }
    const fresh: JumpEvent[] = []
    if (st.inverter !== null) {
      const ic = st.inverter.columns()
      const view = { steps: c.steps, wallTimes: c.wallTimes, values: ic.desmoothed, bounds: ic.bound }
      fresh.push(...this.filterSkip(skip, st.detector.update(view, st.inverter.stableLength()), st.tag))
      if (st.staircase === null) st.staircase = new StaircaseDetector(st.tag, dir)
      fresh.push(...st.staircase.update(st.inverter.epochs, { steps: c.steps, wallTimes: c.wallTimes, logged: c.values, desmoothed: ic.desmoothed, bounds: ic.bound }, st.inverter.stableLength()))
    } else {
      fresh.push(...this.filterSkip(skip, st.detector.update({ steps: c.steps, wallTimes: c.wallTimes, values: c.values }, s.length), st.tag))
    }
    // 3. Overfitting, on a validation loss with a training counterpart.
    fresh.push(...this.overfitting(st))
    // 4. Restarts of the writer (the store records one just before the point that follows it).
    while (st.restartCursor < s.restarts.length && s.restarts[st.restartCursor]!.index < s.length) {
      const rs = s.restarts[st.restartCursor++]!
      if (rs.index > 0) fresh.push(restartEvent(st.tag, rs, c))
    }
    // 5. The learning-rate schedule: a change that caused a jump moves its start to the change;
    //    schedule steps and phases on a training loss become information.
    const changes = this.runLrChanges(st, r, ctx)
    snapToLrChange(fresh, changes, c, s.length, LR_LOOKBACK_POINTS, key => st.events.has(key))
    if (wantsSchedule(st.run, st.tag)) fresh.push(...this.scheduleEvents(st, r, ctx, c, s.length, fresh))
    for (const ev of fresh) this.record(st, ev)
    // 6. Causes from the run's other series (re-run when they change), then announcements.
    this.attachCauses(st, r, ctx)
    for (const ev of fresh) {
      const a = st.annotations.get(ev.key)
      if (a !== undefined) this.announce(a)
    }
  }

  private forcedRunningMean (st: TagState): boolean {
    for (const rule of this.opts.desmoothRules ?? []) if (rule.pattern.test(st.run)) return rule.mode === 'running-mean'
    return false
  }

  private filterSkip (skip: boolean, evs: JumpEvent[], tag: string): JumpEvent[] {
    if (!skip) return evs
    const out = evs.filter(e => e.kind === 'non-finite')
    if (isDiagnosticTag(tag)) for (const e of out) diagnosticNonFinite(e, tag)
    return out
  }

  private pairChanged (st: TagState): boolean {
    if (st.overfitTrain === null) return false
    const t = this.store.runs.get(st.overfitTrain.run)?.tags.get(st.overfitTrain.tag)
    return t?.series != null && t.series.version !== st.trainVersionSeen
  }

  private record (st: TagState, ev: JumpEvent): void {
    st.events.set(ev.key, ev)
    st.annotations.set(ev.key, this.toAnnotation(st, ev, false))
    if (ev.open) st.refresh.add(ev.key)
  }

  private announce (a: Annotation): void {
    // A state rebuilt (new tags changed the family) re-detects the same annotations: announce each id once.
    if (a.tentative || this.announced.has(a.id)) return
    this.announced.add(a.id)
    for (const l of this.listeners) l(a)
  }

  private toAnnotation (st: TagState, ev: JumpEvent, tentative: boolean): Annotation {
    return {
      id: `${st.hash}-${ev.key.replace('@', '-')}`,
      run: st.run,
      tag: st.tag,
      kind: ev.kind,
      severity: ev.severity,
      startStep: ev.startStep,
      endStep: ev.endStep,
      wallTime: ev.wallTime,
      magnitude: { ratio: ev.ratio, robustZ: ev.robustZ },
      baseline: ev.baseline,
      peak: ev.peak,
      causes: ev.causes.map(c => ({ ...c })),
      explanation: ev.explanation,
      series: ev.kind === 'staircase-artifact' ? 'logged' : st.inverter !== null && ev.kind !== 'restart' ? 'desmoothed' : 'raw',
      open: ev.open,
      tentative
    }
  }

  /**
   * Current annotations of a tag: the recorded ones (those still open, or whose causes changed,
   * refreshed from their mutable events; closed ones never change again), then tentative ones.
   */
  private listOf (st: TagState): Annotation[] {
    for (const key of st.refresh) {
      const ev = st.events.get(key)!
      const a = st.annotations.get(key)!
      a.endStep = ev.endStep
      a.magnitude.ratio = ev.ratio
      a.magnitude.robustZ = ev.robustZ
      a.peak = ev.peak
      a.open = ev.open
      a.causes = ev.causes.map(c => ({ ...c }))
      a.explanation = ev.explanation
      if (!ev.open) st.refresh.delete(key)
    }
    const out = [...st.annotations.values()]
    if (st.detector !== null && !noJumps(st.tag)) {
      const c = st.info.series!.columns()
      for (const ev of st.detector.tentative()) {
        // A tentative event names its learning-rate cause too (the run's changes as last seen).
        const look = Math.max(1, ev.startStep - c.steps[Math.max(0, ev.startIndex - LR_LOOKBACK_POINTS)]!)
        if (attachLrCause(ev, st.lrChanges, look)) ev.explanation = explain(ev, st.inverter !== null ? `de-smoothed ${st.tag}` : st.tag)
        out.push(this.toAnnotation(st, ev, true))
      }
    }
    if (st.schedule !== null) {
      // Schedule phases that may still change (the newest warm-up, decay or cycle).
      const c = st.info.series!.columns()
      for (const [key, tr] of this.lrSchedules) {
        if (!key.startsWith(st.run + '\0')) continue
        for (const ev of st.schedule.tentative(c, st.info.series!.length, tr.tracker.current(), tr.tracker.finalCount())) {
          ev.explanation = explain(ev, st.tag)
          out.push(this.toAnnotation(st, ev, true))
        }
      }
    }
    return out
  }

  // --- overfitting ------------------------------------------------------------------------------

  private overfitting (st: TagState): JumpEvent[] {
    if (!isLossLike(st.tag) || st.tag.startsWith('batch_')) return []
    if (st.overfitting === null) {
      const pair = trainCounterparts(st.run, st.tag).find(c => {
        const t = this.store.runs.get(c.run)?.tags.get(c.tag)
        return t !== undefined && isScalarTag(t) && t.series !== null
      })
      if (pair === undefined) return []
      st.overfitTrain = pair
      st.overfitting = new OverfittingDetector(st.run === pair.run ? st.tag : `${st.run}/${st.tag}`, st.run === pair.run ? pair.tag : `${pair.run}/${pair.tag}`)
    }
    const pair = st.overfitTrain!
    const t = this.store.runs.get(pair.run)?.tags.get(pair.tag)
    if (t?.series == null) return []
    st.trainVersionSeen = t.series.version
    const tc = t.series.columns()
    const tn = t.series.length
    const level = (step: number, prev: number): number => trainLevelAt(tc.steps, tc.values, tn, step, prev)
    const c = st.info.series!.columns()
    return st.overfitting.update({ steps: c.steps, wallTimes: c.wallTimes, values: c.values }, st.info.series!.length, level)
  }

  // --- causes -------------------------------------------------------------------------------------

  private attachCauses (st: TagState, r: RunState, ctx: RunContext): void {
    if (st.events.size === 0) return
    const lrTags = [...ctx.tags].filter(isLearningRateTag)
    const gradTags = [...ctx.tags].filter(t => /grad/i.test(t) && t !== st.tag && !isLearningRateTag(t))
    const sig = lrTags.map(t => `${t}:${r.tags.get(t)!.series!.version}`).join('|') + '#' + gradTags.map(t => `${t}:${r.tags.get(t)!.series!.version}`).join('|') + '#' + st.events.size
    if (sig === st.lrSeen) return
    st.lrSeen = sig
    const changes = this.runLrChanges(st, r, ctx)
    const c = st.info.series!.columns()
    for (const ev of st.events.values()) {
      if (ev.kind === 'restart' || ev.kind === 'staircase-artifact' || ev.kind === 'overfitting' || ev.kind === 'lr-schedule') continue
      const look = Math.max(1, ev.startStep - c.steps[Math.max(0, ev.startIndex - LR_LOOKBACK_POINTS)]!)
      if (ev.kind === 'plateau') {
        if (attachLrCauseAtEnd(ev, changes, look)) { ev.explanation = explain(ev, st.inverter !== null ? `de-smoothed ${st.tag}` : st.tag); st.refresh.add(ev.key) }
        continue
      }
      let changed = attachLrCause(ev, changes, look)
      for (const gt of gradTags) {
        const gs = this.state(st.run, gt)
        if (gs === null || gs === st) continue
        this.sync(gs)
        changed = attachGradientCause(ev, gt, [...gs.events.values()], look) || changed
      }
      if (changed) { ev.explanation = explain(ev, st.inverter !== null ? `de-smoothed ${st.tag}` : st.tag); st.refresh.add(ev.key) }
    }
  }

  /** Every learning-rate change of the run, mapped onto `st`'s steps (cached on `st` for tentative events). */
  private runLrChanges (st: TagState, r: RunState, ctx: RunContext): LrChange[] {
    const changes: LrChange[] = []
    for (const lt of ctx.tags) if (isLearningRateTag(lt) && r.tags.get(lt)?.series != null) changes.push(...this.lrChanges(st, r, lt))
    st.lrChanges = changes
    return changes
  }

  /** `lr-schedule` annotations from the run's per-step learning-rate series. */
  private scheduleEvents (st: TagState, r: RunState, ctx: RunContext, c: { steps: ArrayLike<number>, wallTimes: ArrayLike<number> }, n: number, fresh: readonly JumpEvent[]): JumpEvent[] {
    const out: JumpEvent[] = []
    if (st.schedule === null) st.schedule = new ScheduleAnnotator(st.tag)
    const problems = [...st.events.values(), ...fresh].filter(e => e.severity !== 'info')
    for (const lt of ctx.tags) {
      if (!isLearningRateTag(lt) || lt.startsWith('epoch_')) continue
      const t = r.tags.get(lt)
      if (t?.series == null) continue
      const key = st.run + '\0' + lt
      let tr = this.lrSchedules.get(key)
      if (tr === undefined || tr.info !== t) { tr = { info: t, tracker: new LrScheduleTracker(lt) }; this.lrSchedules.set(key, tr) }
      const lc = t.series.columns()
      tr.tracker.update(lc.steps, lc.values, t.series.length)
      const phases = tr.tracker.current()
      out.push(...st.schedule.update(c, n, phases, tr.tracker.finalCount()))
      const osc = st.schedule.cycleOscillation(c, phases, problems, st.tag)
      if (osc !== null) out.push(osc)
    }
    // Epoch-level rates (Keras `epoch_learning_rate`) place a change only within an epoch's batches.
    const epochSteps: LrPhase[] = st.lrChanges.filter(ch => ch.tag.startsWith('epoch_')).map(ch => ({
      kind: ch.to > ch.from ? 'step-up' : 'step-down', tag: ch.tag, from: ch.from, to: ch.to, stepLo: ch.stepLo, stepHi: ch.stepHi, where: ch.where
    }))
    if (epochSteps.length) out.push(...st.schedule.update(c, n, epochSteps, epochSteps.length))
    for (const ev of out) ev.explanation = explain(ev, st.inverter !== null ? `de-smoothed ${st.tag}` : st.tag)
    return out
  }

  /** Learning-rate changes of one LR tag of the run, mapped onto steps of `st`'s series. */
  private lrChanges (st: TagState, r: RunState, lrTag: string): LrChange[] {
    const t = r.tags.get(lrTag)!
    const s = t.series!
    const c = s.columns()
    if (lrTag.startsWith('epoch_') && st.inverter !== null) {
      const inv = st.inverter
      const steps = st.info.series!.columns().steps
      return lrChangesFromEpochs(lrTag, c.steps, c.values, s.length, (e) => {
        // The last fit's epoch with that index (a resumed fit repeats indices).
        for (let k = inv.epochs.length - 1; k >= 0; k--) {
          const ep = inv.epochs[k]!
          if (ep.label !== e || ep.first > ep.last) continue
          return [ep.g + 1, Math.max(steps[ep.last]!, ep.g + 1)]
        }
        return null
      })
    }
    if (lrTag.startsWith('epoch_')) return []
    const key = st.run + '\0' + lrTag
    let tr = this.lrTrackers.get(key)
    if (tr === undefined || tr.info !== t) { tr = { info: t, tracker: new LrStepTracker(lrTag) }; this.lrTrackers.set(key, tr) }
    tr.tracker.update(c.steps, c.values, s.length)
    return tr.tracker.changes
  }
}
