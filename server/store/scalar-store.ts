/** In-memory truth: runs, their tags and scalar series, with TensorBoard's purge rules recorded (never applied destructively). */

import type { RunName, TagName, ScalarDtype } from '../domain.js'
import { ScalarSeries, type SeriesSnapshot } from './scalar-series.js'

/** What TensorBoard's Python loader knows about a tag: its first metadata. */
export interface TagInfo {
  readonly name: TagName
  /** Plugin of the first metadata seen for the tag ('' when none yet). */
  pluginName: string
  displayName: string
  description: string
  dataClass: number
  hasMetadata: boolean
  /** Numeric values seen for the tag (scalar tags, and one-element tensors of other tags). */
  series: ScalarSeries | null
  /** Values that were not one number (for a scalar tag these are data loss). */
  nonScalarValues: number
}

/** True when TensorBoard lists the tag under the scalars plugin. */
export function isScalarTag (t: TagInfo): boolean {
  return t.pluginName === 'scalars' && (t.dataClass === 0 || t.dataClass === 1)
}

/** A problem met while reading one of the run's files, kept for /api/v1/runs and logs. */
export interface FileIssue {
  file: string
  offset: number
  kind: string
  detail?: string
}

/** Counter snapshot of a run's files. */
export interface FileStat {
  file: string
  bytes: number
  records: number
  state: 'active' | 'dead' | 'not-an-event-file'
  skippedRecords: number
  skippedBytes: number
}

/** A run as plain, structured-cloneable data: see {@link RunState.snapshot}. */
export interface RunSnapshot {
  startTime: number | null
  fileVersion: number | null
  hasGraph: boolean
  plugins: string[]
  issues: FileIssue[]
  files: FileStat[]
  version: number
  points: number
  seenSessionStart: boolean
  mostRecentStep: number
  eventStep: number
  eventWallTime: number
  currentFile: string
  tags: Array<Omit<TagInfo, 'series'> & { series: SeriesSnapshot | null }>
}

/**
 * One run: tags in first-seen order, and the state TensorBoard's Python accumulator keeps for its
 * purge rules (file_version, first SessionLog.START, most recent summary step).
 */
export class RunState {
  readonly tags = new Map<TagName, TagInfo>()
  /** Wall time of the first event read (TB's FirstEventTimestamp), null until one is read. */
  startTime: number | null = null
  /** Parsed float after "brain.Event:" of the latest file_version record (-1 unparsable); null if none yet. */
  fileVersion: number | null = null
  hasGraph = false
  /** Non-scalar plugins seen (for /data/plugins_listing). */
  readonly plugins = new Set<string>()
  readonly issues: FileIssue[] = []
  files: FileStat[] = []
  /** Bumped whenever anything in the run changes. */
  version = 0
  /**
   * Bumped when the run's set of scalar series can have changed: a tag appears, gets its metadata,
   * or its first point (a tag is created before its metadata and series are, so the number of tags
   * alone does not tell).
   */
  tagShape = 0
  /** Points appended in total (all tags). */
  points = 0
  private seenSessionStart = false
  private mostRecentStep = -1
  private eventStep = 0
  private eventWallTime = 0
  private currentFile = ''

  constructor (readonly name: RunName) {}

  /** Returns the tag's info, creating it (in first-seen order) if new. */
  tag (name: TagName): TagInfo {
    let t = this.tags.get(name)
    if (t === undefined) {
      t = { name, pluginName: '', displayName: '', description: '', dataClass: 0, hasMetadata: false, series: null, nonScalarValues: 0 }
      this.tags.set(name, t)
      this.tagShape++
    }
    return t
  }

  /** Sets the event file that the following events come from (for restart records). */
  setFile (file: string): void { this.currentFile = file }

  beginEvent (wallTime: number, step: number): void {
    if (this.startTime === null) this.startTime = wallTime
    this.eventStep = step
    this.eventWallTime = wallTime
  }

  fileVersionRecord (version: string): void {
    const m = /^brain\.Event:(.*)$/.exec(version)
    const v = m ? Number.parseFloat(m[1]!) : NaN
    this.fileVersion = Number.isFinite(v) ? v : -1
  }

  /**
   * SessionLog.START. With file_version ≥ 2 TensorBoard ignores the first one of a run and purges,
   * from every tag, the points with step ≥ this step on every later one. We record the purge for the
   * TB view and a restart for every series.
   */
  sessionStart (): void {
    const step = this.eventStep
    const purging = this.fileVersion !== null && this.fileVersion >= 2 && this.seenSessionStart
    if (this.fileVersion !== null && this.fileVersion >= 2) this.seenSessionStart = true
    for (const t of this.tags.values()) {
      const s = t.series
      if (s === null || s.length === 0) continue
      if (purging) s.addPurge(step)
      if (s.restarts.at(-1)?.index !== s.length) {
        s.addRestart({ index: s.length, step, previousStep: s.lastStep()!, wallTime: this.eventWallTime, file: this.currentFile, reason: 'session-start' })
      }
    }
    this.version++
  }

  metadata (t: TagInfo, pluginName: string, displayName: string, description: string, dataClass: number): void {
    if (t.hasMetadata) return
    t.hasMetadata = true
    t.pluginName = pluginName
    t.displayName = displayName
    t.description = description
    t.dataClass = dataClass
    if (pluginName !== 'scalars' && pluginName !== '') this.plugins.add(pluginName)
    this.version++
    this.tagShape++
  }

  /**
   * Appends a numeric value of the current event. Without a usable file_version (TF1-era files),
   * TensorBoard purges this tag's points with step ≥ the event's step when the event goes back in
   * step; we record that purge. A step going back is always recorded as a restart.
   */
  scalar (t: TagInfo, value: number, dtype: ScalarDtype): void {
    let s = t.series
    if (s === null) { s = t.series = new ScalarSeries(); this.tagShape++ }
    const step = this.eventStep
    if (s.length > 0) {
      const last = s.lastStep()!
      if (step < last && s.restarts.at(-1)?.index !== s.length) {
        s.addRestart({ index: s.length, step, previousStep: last, wallTime: this.eventWallTime, file: this.currentFile, reason: 'step-regression' })
      }
    }
    if (!(this.fileVersion !== null && this.fileVersion >= 2) && step < this.mostRecentStep) s.addPurge(step)
    s.append(step, this.eventWallTime, value, dtype)
    this.points++
  }

  /**
   * An event holding exactly one numeric value: the same effects as `beginEvent(wallTime, step)`,
   * `scalar(t, value, dtype)`, `endEvent(true)`, in one call (the ingest hot path).
   */
  scalarEvent (t: TagInfo, wallTime: number, step: number, value: number, dtype: ScalarDtype): void {
    this.beginEvent(wallTime, step)
    this.scalar(t, value, dtype)
    this.endEvent(true)
  }

  nonScalar (t: TagInfo, pluginHint: string): void {
    t.nonScalarValues++
    if (pluginHint) this.plugins.add(pluginHint)
  }

  graph (): void { this.hasGraph = true }

  endEvent (hadSummary: boolean): void {
    if (hadSummary) this.mostRecentStep = this.eventStep
    this.version++
  }

  /**
   * Everything the run holds, including the purge bookkeeping that decides how the next event is
   * read, so that another thread can load a run and hand it over. The columns are the series'
   * own arrays; transferring their buffers leaves this RunState unusable.
   */
  snapshot (): RunSnapshot {
    return {
      startTime: this.startTime,
      fileVersion: this.fileVersion,
      hasGraph: this.hasGraph,
      plugins: [...this.plugins],
      issues: [...this.issues],
      files: [...this.files],
      version: this.version,
      points: this.points,
      seenSessionStart: this.seenSessionStart,
      mostRecentStep: this.mostRecentStep,
      eventStep: this.eventStep,
      eventWallTime: this.eventWallTime,
      currentFile: this.currentFile,
      tags: [...this.tags.values()].map(t => ({ ...t, series: t.series === null ? null : t.series.snapshot() }))
    }
  }

  /**
   * Takes over a {@link snapshot} taken in another thread: afterwards this run reads on exactly as
   * the one that was snapshotted would. Only for a run that has seen nothing yet (throws otherwise).
   */
  restore (snap: RunSnapshot): void {
    if (this.tags.size > 0 || this.startTime !== null || this.points > 0) throw new Error(`run '${this.name}' is not empty`)
    this.startTime = snap.startTime
    this.fileVersion = snap.fileVersion
    this.hasGraph = snap.hasGraph
    for (const p of snap.plugins) this.plugins.add(p)
    this.issues.push(...snap.issues)
    this.files = snap.files
    this.points = snap.points
    this.seenSessionStart = snap.seenSessionStart
    this.mostRecentStep = snap.mostRecentStep
    this.eventStep = snap.eventStep
    this.eventWallTime = snap.eventWallTime
    this.currentFile = snap.currentFile
    for (const t of snap.tags) this.tags.set(t.name, { ...t, series: t.series === null ? null : ScalarSeries.fromSnapshot(t.series) })
    this.version = snap.version + 1
    this.tagShape++
  }
}

/** Listener of store changes, for live updates (SSE) and cache invalidation. */
export type StoreListener = (change: StoreChange) => void
export type StoreChange =
  | { kind: 'run-added', run: RunName }
  | { kind: 'run-removed', run: RunName }
  | { kind: 'points', run: RunName, tags: TagName[] }

/** All runs. Only the logdir loader mutates it; readers see a consistent state between event-loop turns. */
export class ScalarStore {
  readonly runs = new Map<RunName, RunState>()
  version = 0
  private readonly listeners = new Set<StoreListener>()

  getOrCreateRun (name: RunName): RunState {
    let r = this.runs.get(name)
    if (r === undefined) {
      r = new RunState(name)
      this.runs.set(name, r)
      this.version++
      this.emit({ kind: 'run-added', run: name })
    }
    return r
  }

  removeRun (name: RunName): void {
    if (this.runs.delete(name)) {
      this.version++
      this.emit({ kind: 'run-removed', run: name })
    }
  }

  /** Tells listeners that points were appended to these tags of a run. */
  notifyPoints (run: RunName, tags: TagName[]): void {
    this.version++
    this.emit({ kind: 'points', run, tags })
  }

  subscribe (listener: StoreListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /**
   * Run names in TensorBoard's /data/runs order: by start time (first event's wall time), runs
   * without one last, ties by name.
   */
  runNamesTbOrder (): RunName[] {
    return [...this.runs.values()].sort((a, b) => {
      if (a.startTime === null || b.startTime === null) {
        if (a.startTime !== b.startTime) return a.startTime === null ? 1 : -1
      } else if (a.startTime !== b.startTime) return a.startTime - b.startTime
      return a.name < b.name ? -1 : a.name > b.name ? 1 : 0
    }).map(r => r.name)
  }

  private emit (c: StoreChange): void {
    for (const l of this.listeners) l(c)
  }
}
