/** Contract between the enrichment (enrich/) and the HTTP API, and its implementation over the store: the analyses cached per series, brought up to date on reads and, while someone listens, on appends. */

import type { ScalarStore, RunState, TagInfo } from '../store/scalar-store.js'
import { isScalarTag } from '../store/scalar-store.js'
import type { SmoothingFamily } from '../enrich/families.js'
import { guessFamily, epochTagFor, trainRunCounterparts } from '../enrich/families.js'
import { RunningMeanInverter, type BatchSizes } from '../enrich/desmooth.js'
import { valueDomain } from '../enrich/value-domain.js'
import { validationRunFor } from '../enrich/keras-companions.js'
import type { Severity } from '../enrich/jumps.js'
import { feedInverter, type CoLogged } from '../enrich/series-analysis.js'
import { RunLearningRates } from '../enrich/run-learning-rates.js'
import { ColumnCache } from './column-cache.js'
import { TagState, type RunContext } from './series-state.js'

export type { SmoothingFamily } from '../enrich/families.js'
export { REQUEST_ANALYSIS_BUDGET_POINTS } from './enrichment-types.js'
export type { AnnotationKind, Severity } from '../enrich/jumps.js'
export type { DesmoothMode, EnrichOptions, EnrichedColumns, Annotation, AnnotationFilter, EnrichmentProvider, ProviderOptions, EnrichmentProgress, SeriesRef, PartialOptions, BackgroundProgress } from './enrichment-types.js'
import type { DesmoothMode, EnrichOptions, EnrichedColumns, Annotation, AnnotationFilter, EnrichmentProvider, ProviderOptions, EnrichmentProgress, SeriesRef, PartialOptions, BackgroundProgress } from './enrichment-types.js'

/** Longest stretch of background processing of appends before yielding to the event loop. */
const FLUSH_SLICE_MS = 20

const EMPTY_SUMMARY = (): Record<Severity, number> => ({ info: 0, warning: 0, critical: 0 })

/** Creates the provider over `store`. */
export function createEnrichmentProvider (store: ScalarStore, options: ProviderOptions = {}): EnrichmentProvider {
  return new StoreEnrichment(store, options)
}

/**
 * The provider: one {@link TagState} per (run, tag), created on first use and brought up to date
 * on every call (O(new points)). Appends are also processed in the background, in time slices
 * after the store's notification (once no hold is open: the server holds it during the initial
 * load), so that listeners hear of new annotations without a query and a many-run logdir's
 * analyses are done off the load's critical path; {@link prepare} lets a request ask for what is
 * already computed instead of waiting for the rest.
 */
class StoreEnrichment implements EnrichmentProvider {
  private readonly states = new Map<string, TagState>()
  private readonly runContexts = new Map<string, RunContext>()
  /** What each run's analyses read of the series logged with them (and the run's shared learning-rate trackers). */
  private readonly coLogged = new Map<string, CoLogged>()
  private readonly announced = new Set<string>()
  private readonly cols = new ColumnCache()
  private readonly listeners = new Set<(a: Annotation) => void>()
  /** Series with points not yet read by their analyses, in the order the background pass takes them (after `urgent`). */
  private readonly dirty = new Set<string>()
  /** Stale series a request asked about: the background pass takes them first. */
  private readonly urgent = new Set<string>()
  private flushScheduled = false
  /** Open holds of the eager processing (see holdEager). */
  private holds = 0
  /** Training run → validation runs whose overfitting check reads it (see trainRunCounterparts). */
  private readonly dependents = new Map<string, Set<string>>()

  constructor (private readonly store: ScalarStore, private readonly opts: ProviderOptions) {
    for (const run of store.runs.keys()) this.indexDependents(run)
    store.subscribe(change => {
      if (change.kind === 'run-removed') {
        for (const set of this.dependents.values()) set.delete(change.run)
        for (const [k, s] of this.states) if (s.run === change.run) this.states.delete(k)
        this.runContexts.delete(change.run)
        this.coLogged.delete(change.run)
        return
      }
      if (change.kind === 'run-added') { this.indexDependents(change.run); return }
      if (change.kind !== 'points') return
      const run = this.store.runs.get(change.run)
      if (run === undefined) return
      // Any tag of the run may depend on the changed ones (epoch events, learning rate).
      for (const t of run.tags.values()) if (isScalarTag(t) && t.series !== null) this.mark(change.run + '\0' + t.name)
      // Across runs, only a validation run's series depend on its training sibling's same-named
      // series (overfitting). Looking only there keeps a logdir of many sibling runs linear: marking
      // every sibling's tags made each run's read re-sync all series of all runs.
      for (const other of this.dependents.get(change.run) ?? []) {
        const r = this.store.runs.get(other)
        if (r === undefined) continue
        for (const tag of change.tags) {
          const t = r.tags.get(tag)
          if (t !== undefined && isScalarTag(t) && t.series !== null) this.mark(other + '\0' + tag)
        }
      }
      this.scheduleFlush()
    })
  }

  /** Queues a series for the background pass (a series a request already put first stays there). */
  private mark (key: string): void {
    if (!this.urgent.has(key)) this.dirty.add(key)
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

  holdEager (): () => void {
    this.holds++
    let released = false
    return () => {
      if (released) return
      released = true
      if (--this.holds === 0) this.scheduleFlush()
    }
  }

  /**
   * Processes the marked series in a setImmediate, a time slice at a time (one series at least per
   * slice), so that a large backlog (everything the initial load appended) never blocks the event
   * loop for longer than one series takes.
   */
  private scheduleFlush (): void {
    if (this.flushScheduled || this.holds > 0 || this.urgent.size + this.dirty.size === 0) return
    this.flushScheduled = true
    setImmediate(() => {
      this.flushScheduled = false
      if (this.holds > 0) return
      const t0 = performance.now()
      // The series a request asked about first, then the rest in the order they were appended to.
      if (this.drain(this.urgent, t0)) this.drain(this.dirty, t0)
      this.scheduleFlush()
    })
  }

  /** Brings the queued series up to date until the slice is used up; true when the queue was emptied in time. */
  private drain (queue: Set<string>, t0: number): boolean {
    for (const k of queue) {
      queue.delete(k)
      const i = k.indexOf('\0')
      const st = this.state(k.slice(0, i), k.slice(i + 1))
      if (st !== null) this.sync(st)
      if (performance.now() - t0 > FLUSH_SLICE_MS) return false
    }
    return true
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
      const defaultMode = st.analysis.mode
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
        else if (st.analysis.crossCheckFailed) out.notes.push('not inverted: the epoch values do not equal the last running mean of their epochs, so this is not a Keras running mean')
        else if (st.guess.family !== 'raw') out.notes.push(`not inverted (${st.guess.family}): desmoothed repeats the stored values, which already are what the logger recorded`)
      }
    }
    if (opts.smoothed) out.smoothed = this.cols.smoothed(st, c.values, n, opts.smoothing)
    return out
  }

  prepare (series: Iterable<SeriesRef>, budgetPoints: number): EnrichmentProgress {
    let total = 0; let pendingPoints = 0
    const stale: Array<{ run: string, tag: string }> = []
    for (const ref of series) {
      const t = this.store.runs.get(ref.run)?.tags.get(ref.tag)
      if (t === undefined || !isScalarTag(t) || t.series === null || t.series.length === 0) continue
      total++
      const p = this.unread(ref.run, t)
      if (p === 0) continue
      pendingPoints += p
      stale.push(ref)
    }
    if (pendingPoints <= budgetPoints) {
      for (const ref of stale) {
        const st = this.state(ref.run, ref.tag)
        if (st !== null) this.sync(st)
      }
      return { status: 'done', series: total, pendingSeries: 0, pendingPoints: 0 }
    }
    for (const ref of stale) {
      const key = ref.run + '\0' + ref.tag
      this.dirty.delete(key)
      this.urgent.add(key)
    }
    this.scheduleFlush()
    return { status: 'computing', series: total, pendingSeries: stale.length, pendingPoints }
  }

  progress (): BackgroundProgress {
    const queuedSeries = this.urgent.size + this.dirty.size
    return { status: queuedSeries > 0 ? 'computing' : 'done', queuedSeries }
  }

  annotations (filter: AnnotationFilter, opts: PartialOptions = {}): Annotation[] {
    const out: Annotation[] = []
    const runs = filter.run !== undefined ? [filter.run] : [...this.store.runs.keys()]
    for (const run of runs) {
      const r = this.store.runs.get(run)
      if (r === undefined || (filter.runRe !== undefined && !filter.runRe.test(run))) continue
      const tags = filter.tag !== undefined ? [filter.tag] : [...r.tags.keys()]
      for (const tag of tags) {
        if (filter.tagRe !== undefined && !filter.tagRe.test(tag)) continue
        let st: TagState | null
        if (opts.computedOnly === true) {
          const t = r.tags.get(tag)
          st = t === undefined || !isScalarTag(t) || t.series === null || this.unread(run, t) > 0 ? null : this.states.get(run + '\0' + tag) ?? null
        } else {
          st = this.state(run, tag)
          if (st !== null) this.sync(st)
        }
        if (st === null) continue
        this.listOf(st, a => {
          if (filter.kind !== undefined && a.kind !== filter.kind) return
          if (filter.severity !== undefined && a.severity !== filter.severity) return
          if (filter.minStep !== undefined && a.endStep < filter.minStep) return
          out.push(a)
        })
      }
    }
    // Mostly in order already (one run's tags, events in creation order): the (stable) sort, which
    // copies the list, only when some pair is out of order.
    for (let i = 1; i < out.length; i++) {
      if (byRunTagStart(out[i - 1]!, out[i]!) > 0) { out.sort(byRunTagStart); break }
    }
    return out
  }

  tagSummary (run: string, tag: string, opts: PartialOptions = {}): { family: SmoothingFamily, annotations: Record<Severity, number>, complete: boolean } {
    const r = this.store.runs.get(run)
    const t = r?.tags.get(tag)
    if (r === undefined || t === undefined || !isScalarTag(t) || t.series === null) return { family: 'unknown', annotations: EMPTY_SUMMARY(), complete: true }
    const counts = EMPTY_SUMMARY()
    if (opts.computedOnly === true && this.unread(run, t) > 0) {
      // What is found so far, without running the analyses here; the family is a cheap guess from the names.
      const st = this.states.get(run + '\0' + tag)
      if (st !== undefined && st.info === t) for (const a of st.annotations.values()) counts[a.severity]++
      return { family: guessFamily({ run, tag, runTags: this.runContext(r).tags }).family, annotations: counts, complete: false }
    }
    const st = this.state(run, tag)!
    this.sync(st)
    for (const a of st.annotations.values()) counts[a.severity]++
    return { family: st.guess.family, annotations: counts, complete: true }
  }

  // --- state --------------------------------------------------------------------------------------

  private runContext (r: RunState): RunContext {
    let ctx = this.runContexts.get(r.name)
    if (ctx === undefined || ctx.shape !== r.tagShape) {
      const tags = new Set<string>()
      for (const t of r.tags.values()) if (isScalarTag(t) && t.series !== null) tags.add(t.name)
      ctx = { shape: r.tagShape, tags }
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
    const runTags = this.runContext(r).tags
    // The family follows from the names alone: guessed again only when the run's tags changed.
    if (st !== undefined && st.info === t && st.guessTags === runTags) return st
    const guess = guessFamily({ run, tag, runTags })
    if (st === undefined || st.info !== t || st.guess.family !== guess.family) {
      st = new TagState(run, tag, t, guess, { desmooth: this.configuredMode(run), sizes: this.defaultSizes(run), params: this.opts.params })
      this.states.set(key, st)
    }
    st.guessTags = runTags
    return st
  }

  /** The de-smoothing the configuration asks for `run` (the first matching `--desmooth` rule), `auto` without one. */
  private configuredMode (run: string): DesmoothMode {
    for (const rule of this.opts.desmoothRules ?? []) if (rule.pattern.test(run)) return rule.mode
    return 'auto'
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
    feedInverter(inv, st.run, st.tag, st.info.series!, epochTag, this.neighbours(st.run))
    return inv
  }

  private depsVersion (st: TagState): number {
    const r = this.store.runs.get(st.run)
    const vr = validationRunFor(st.run)
    const v = vr === null ? undefined : this.store.runs.get(vr)
    return (r === undefined ? 0 : r.version) + (v === undefined ? 0 : v.version * 0x100000)
  }

  /** What the analyses of `run`'s series read of the series logged with them. */
  private neighbours (run: string): CoLogged {
    let co = this.coLogged.get(run)
    if (co === undefined) {
      co = {
        tags: name => {
          const r = this.store.runs.get(name)
          return r === undefined ? null : this.runContext(r).tags
        },
        series: (name, tag) => {
          const t = this.store.runs.get(name)?.tags.get(tag)
          return t !== undefined && isScalarTag(t) ? t.series : null
        },
        analysis: tag => {
          const st = this.state(run, tag)
          if (st === null) return null
          this.sync(st)
          return st.analysis
        },
        learningRates: new RunLearningRates()
      }
      this.coLogged.set(run, co)
    }
    return co
  }

  /** Brings one tag's analysis up to date with the store, and announces the annotations it recorded. */
  private sync (st: TagState): void {
    if (this.upToDate(st)) return
    const s = st.info.series!
    st.seenVersion = s.version
    st.seenDepsVersion = this.depsVersion(st)
    st.seenLength = s.length
    this.urgent.delete(st.key)
    this.dirty.delete(st.key)
    for (const ev of st.analysis.update(this.neighbours(st.run))) {
      const a = st.annotations.get(ev.key)
      if (a !== undefined) this.announce(a)
    }
  }

  /**
   * Points of the series the analyses have not read yet (1 at least when only what it depends on
   * changed), 0 when it is up to date: the cost estimate of bringing it up to date.
   */
  private unread (run: string, t: TagInfo): number {
    const s = t.series!
    const st = this.states.get(run + '\0' + t.name)
    if (st === undefined || st.info !== t) return s.length + 1
    if (this.upToDate(st)) return 0
    return Math.max(1, s.length - st.seenLength)
  }

  /** The analyses have read every point of the series and of what they depend on. */
  private upToDate (st: TagState): boolean {
    return st.info.series!.version === st.seenVersion && this.depsVersion(st) === st.seenDepsVersion && !this.pairChanged(st)
  }

  private pairChanged (st: TagState): boolean {
    const pair = st.analysis.trainingPair
    if (pair === null) return false
    const t = this.store.runs.get(pair.run)?.tags.get(pair.tag)
    return t?.series != null && t.series.version !== st.analysis.trainingVersion
  }

  private announce (a: Annotation): void {
    // A state rebuilt (new tags changed the family) re-detects the same annotations: announce each id once.
    if (a.tentative || this.announced.has(a.id)) return
    this.announced.add(a.id)
    for (const l of this.listeners) l(a)
  }

  /** Hands each current annotation of a tag to `each`: the recorded ones (refreshed where their events changed), then tentative ones. */
  private listOf (st: TagState, each: (a: Annotation) => void): void {
    st.refresh()
    // In start order already, so that the list of one series seldom needs sorting again.
    for (const a of st.sortedAnnotations()) each(a)
    for (const ev of st.analysis.tentative(this.neighbours(st.run))) each(st.served(ev, true))
  }
}

/** The order of {@link EnrichmentProvider.annotations}: by run, tag and start step. */
function byRunTagStart (a: Annotation, b: Annotation): number {
  return a.run < b.run ? -1 : a.run > b.run ? 1 : a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : a.startStep - b.startStep
}
