/** Live feed of store changes for /api/v1/stream: numbered events, coalesced per turn, kept in a ring for resumption. */

import type { ScalarStore, StoreChange } from '../store/scalar-store.js'
import { isScalarTag } from '../store/scalar-store.js'
import type { Annotation, EnrichmentProvider } from './enrichment.js'
import type { LiveEventDto } from './dto.js'

/** A numbered event. Ids increase by one per event within one feed (one server process). */
export interface LiveEnvelope {
  seq: number
  event: LiveEventDto
}

/** The optional hook by which an enrichment provider reports new annotations (issue 4). */
interface AnnotationSource {
  onAnnotation?: (listener: (a: Annotation) => void) => (() => void) | void
}

/** Construction options of a {@link LiveFeed}. */
export interface LiveFeedOptions {
  /** Events kept for resumption with Last-Event-ID. */
  bufferSize?: number
  /** Id of this feed, part of every event id (a restarted server cannot be confused with this one). */
  bootId: string
}

/** Outcome of {@link LiveFeed.resume}. */
export type ResumeOutcome =
  | { kind: 'replay', events: LiveEnvelope[] }
  | { kind: 'gap', reason: string }

/**
 * Turns store changes into events: `run-added`, `run-removed`, `tag-added` (a scalar tag got its
 * first point), `points` (per run and tag, with the appended step range) and `annotation`
 * (when the provider reports new annotations). Changes arriving within one event-loop turn are
 * coalesced: one `points` event per (run, tag) per turn. Invariants: listeners see events in
 * `seq` order, each exactly once; the ring holds the last `bufferSize` events.
 */
export class LiveFeed {
  readonly bootId: string
  private seq = 0
  private readonly ring: LiveEnvelope[] = []
  private readonly bufferSize: number
  private readonly listeners = new Set<(e: LiveEnvelope) => void>()
  /** Points seen so far per scalar series, keyed run + '\0' + tag. */
  private readonly seen = new Map<string, number>()
  private pending: StoreChange[] = []
  private pendingAnnotations: Annotation[] = []
  private flushScheduled = false
  private readonly unsubscribers: Array<() => void> = []
  private closed = false

  constructor (private readonly store: ScalarStore, enrichment: EnrichmentProvider, opts: LiveFeedOptions) {
    this.bootId = opts.bootId
    this.bufferSize = opts.bufferSize ?? 10_000
    for (const [run, state] of store.runs) {
      for (const t of state.tags.values()) if (isScalarTag(t) && t.series !== null && t.series.length > 0) this.seen.set(key(run, t.name), t.series.length)
    }
    this.unsubscribers.push(store.subscribe(c => { this.pending.push(c); this.schedule() }))
    const source = enrichment as EnrichmentProvider & AnnotationSource
    if (typeof source.onAnnotation === 'function') {
      const off = source.onAnnotation(a => { this.pendingAnnotations.push(a); this.schedule() })
      if (typeof off === 'function') this.unsubscribers.push(off)
    }
  }

  /** Id of the newest event ('<bootId>-<seq>'; seq 0 before any event). */
  lastEventId (): string { return `${this.bootId}-${this.seq}` }

  /** Adds a listener for events from now on; returns its remover. */
  subscribe (listener: (e: LiveEnvelope) => void): () => void {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }

  /**
   * Events after `lastEventId`, for a client reconnecting with Last-Event-ID. `gap` when the id
   * is from another server process, malformed, newer than ours, or older than the ring: the
   * client must refetch its state.
   */
  resume (lastEventId: string): ResumeOutcome {
    const m = /^(.+)-(\d+)$/.exec(lastEventId)
    if (m === null || m[1] !== this.bootId) return { kind: 'gap', reason: 'the event id is from another server process' }
    const after = Number(m[2])
    if (after > this.seq) return { kind: 'gap', reason: 'the event id is newer than this server\'s' }
    const oldest = this.ring.length > 0 ? this.ring[0]!.seq : this.seq + 1
    if (after < oldest - 1) return { kind: 'gap', reason: 'events after that id are no longer kept' }
    return { kind: 'replay', events: this.ring.filter(e => e.seq > after) }
  }

  /** Formats the id of an envelope as sent in the SSE `id:` field. */
  idOf (e: LiveEnvelope): string { return `${this.bootId}-${e.seq}` }

  close (): void {
    this.closed = true
    for (const off of this.unsubscribers.splice(0)) off()
    this.listeners.clear()
  }

  private schedule (): void {
    if (this.flushScheduled || this.closed) return
    this.flushScheduled = true
    setImmediate(() => { this.flushScheduled = false; this.flush() })
  }

  /** Emits the events for the changes of the last turn, coalescing points per (run, tag). */
  private flush (): void {
    if (this.closed) return
    const changes = this.pending
    this.pending = []
    const touched = new Map<string, { run: string, tag: string }>()
    for (const c of changes) {
      if (c.kind === 'run-added') this.emit({ type: 'run-added', run: c.run })
      else if (c.kind === 'run-removed') {
        for (const k of [...this.seen.keys()]) if (k.startsWith(c.run + '\0')) this.seen.delete(k)
        for (const k of [...touched.keys()]) if (k.startsWith(c.run + '\0')) touched.delete(k)
        this.emit({ type: 'run-removed', run: c.run })
      } else {
        for (const tag of c.tags) touched.set(key(c.run, tag), { run: c.run, tag })
      }
    }
    for (const [k, { run, tag }] of touched) {
      const t = this.store.runs.get(run)?.tags.get(tag)
      if (t === undefined || !isScalarTag(t) || t.series === null) continue
      const s = t.series
      const before = this.seen.get(k)
      const from = before ?? 0
      if (s.length <= from) continue
      if (before === undefined) this.emit({ type: 'tag-added', run, tag })
      this.seen.set(k, s.length)
      const { steps, wallTimes } = s.columns()
      let minStep = Infinity; let maxStep = -Infinity
      if (s.stepsNonDecreasing) {
        // The usual case, in O(1): the initial load of a many-run logdir passes every point through here.
        minStep = steps[from]!
        maxStep = steps[s.length - 1]!
      } else {
        for (let i = from; i < s.length; i++) {
          const x = steps[i]!
          if (x < minStep) minStep = x
          if (x > maxStep) maxStep = x
        }
      }
      const restart = s.restarts.some(r => r.index >= from && r.index < s.length) || (from > 0 && steps[from]! < steps[from - 1]!)
      this.emit({
        type: 'points',
        run,
        tag,
        firstStep: steps[from]!,
        lastStep: steps[s.length - 1]!,
        minStep,
        maxStep,
        fromIndex: from,
        count: s.length - from,
        totalPoints: s.length,
        lastWallTime: wallTimes[s.length - 1]!,
        restart
      })
    }
    for (const a of this.pendingAnnotations.splice(0)) this.emit({ type: 'annotation', annotation: a })
  }

  private emit (event: LiveEventDto): void {
    const env: LiveEnvelope = { seq: ++this.seq, event }
    this.ring.push(env)
    // Trim in batches: a splice per event would cost O(bufferSize) each.
    if (this.ring.length > this.bufferSize + (this.bufferSize >> 2)) this.ring.splice(0, this.ring.length - this.bufferSize)
    for (const l of this.listeners) l(env)
  }
}

function key (run: string, tag: string): string {
  return run + '\0' + tag
}
