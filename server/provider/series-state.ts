/** The cached enrichment of one (run, tag): its analysis, the annotations served from it, and the extra columns cached for requests. */

import type { TagInfo } from '../store/scalar-store.js'
import type { FamilyGuess } from '../enrich/families.js'
import type { RunningMeanInverter } from '../enrich/desmooth.js'
import type { JumpEvent } from '../enrich/jumps.js'
import { SeriesAnalysis, type AnalysisOptions } from '../enrich/series-analysis.js'
import type { TbSmoother } from '../enrich/smooth.js'
import type { Annotation } from './enrichment-types.js'

/** FNV-1a, 32 bits, hex: a short stable hash for annotation ids. */
function fnv1a (s: string): string {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return (h >>> 0).toString(16).padStart(8, '0')
}

/** Names of a run's tags, recomputed when tags are added. */
export interface RunContext {
  /** The run's `tagShape` when `tags` was listed. */
  shape: number
  tags: Set<string>
}

/** Cached enrichment of one (run, tag). */
export class TagState {
  readonly key: string
  readonly hash: string
  readonly analysis: SeriesAnalysis
  /** Annotations by key, in creation order: each as served when its event was recorded, refreshed while it changes. */
  readonly annotations = new Map<string, Annotation>()
  /** The epoch column of a series that is not inverted (Lightning `epoch`, HF `train/epoch`), grown incrementally. */
  epochCol: { source: TagInfo | null, n: number, j: number, out: Int32Array } | null = null
  seenVersion = -1
  seenDepsVersion = -1
  /** The run's tag set `guess` was made with (the provider guesses again when it changes). */
  guessTags: ReadonlySet<string> | null = null
  /** Series length when last brought up to date: what the analyses have read. */
  seenLength = 0
  rawCopy: Float64Array | null = null
  rawCopyLength = 0
  /** Inverters for requests with other sizes or a forced mode, by sizes key (at most 4). */
  readonly oneOff = new Map<string, RunningMeanInverter>()
  readonly smoothers = new Map<number, { sm: TbSmoother, out: Float64Array }>()

  constructor (readonly run: string, readonly tag: string, readonly info: TagInfo, readonly guess: FamilyGuess, options: AnalysisOptions) {
    this.key = run + '\0' + tag
    this.hash = fnv1a(this.key)
    this.analysis = new SeriesAnalysis(run, tag, info.series!, guess, options, {
      recorded: ev => { this.annotations.set(ev.key, this.served(ev, false)); this.byStart = null },
      cleared: () => { this.annotations.clear(); this.byStart = null }
    })
  }

  /** The recorded annotations by start step (stable: creation order among equal starts), until one is added or all are dropped. */
  private byStart: Annotation[] | null = null

  /** The recorded annotations ordered by start step, ties in creation order (a start never changes once recorded). */
  sortedAnnotations (): readonly Annotation[] {
    if (this.byStart === null) this.byStart = [...this.annotations.values()].sort((a, b) => a.startStep - b.startStep)
    return this.byStart
  }

  /** The inverter of the default de-smoothing, while the series is a running mean. */
  get inverter (): RunningMeanInverter | null { return this.analysis.inverter }

  /** An event as the API serves it. */
  served (ev: JumpEvent, tentative: boolean): Annotation {
    return {
      id: `${this.hash}-${ev.key.replace('@', '-')}`,
      run: this.run,
      tag: this.tag,
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
      series: ev.kind === 'staircase-artifact' ? 'logged' : this.inverter !== null && ev.kind !== 'restart' ? 'desmoothed' : 'raw',
      open: ev.open,
      tentative
    }
  }

  /** Brings the annotations of events that changed since served up to date (closed ones never change again). */
  refresh (): void {
    for (const ev of this.analysis.changed()) {
      const a = this.annotations.get(ev.key)!
      a.endStep = ev.endStep
      // (A piece folded into a divergence or an oscillation becomes information: enrich/containment.ts.)
      a.severity = ev.severity
      a.magnitude.ratio = ev.ratio
      a.magnitude.robustZ = ev.robustZ
      a.peak = ev.peak
      a.open = ev.open
      a.causes = ev.causes.map(c => ({ ...c }))
      a.explanation = ev.explanation
    }
  }
}
