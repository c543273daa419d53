/** The cached enrichment state of one (run, tag): its inverter, detectors, events and served annotations. */

import type { TagInfo } from '../store/scalar-store.js'
import type { FamilyGuess } from '../enrich/families.js'
import type { RunningMeanInverter, SeriesData } from '../enrich/desmooth.js'
import type { JumpDetector, JumpEvent } from '../enrich/jumps.js'
import type { StaircaseDetector } from '../enrich/staircase.js'
import type { OverfittingDetector } from '../enrich/overfitting.js'
import type { LrChange } from '../enrich/causes.js'
import type { ScheduleAnnotator } from '../enrich/schedule-events.js'
import type { TbSmoother } from '../enrich/smooth.js'
import type { Annotation, DesmoothMode } from './enrichment-types.js'

/** FNV-1a, 32 bits, hex: a short stable hash for annotation ids. */
function fnv1a (s: string): string {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return (h >>> 0).toString(16).padStart(8, '0')
}

export function seriesData (t: TagInfo): SeriesData {
  const s = t.series!
  const c = s.columns()
  return { length: s.length, steps: c.steps, wallTimes: c.wallTimes, values: c.values, restarts: s.restarts }
}

/** Names of a run's tags, recomputed when tags are added. */
export interface RunContext {
  size: number
  tags: Set<string>
}

/** Cached enrichment of one (run, tag). */
export class TagState {
  readonly key: string
  readonly hash: string
  guess: FamilyGuess
  /** The inverter when the effective mode inverts a running mean. */
  inverter: RunningMeanInverter | null = null
  epochTag: string | null = null
  invertMode: DesmoothMode = 'auto'
  detector: JumpDetector | null = null
  staircase: StaircaseDetector | null = null
  overfitting: OverfittingDetector | null = null
  overfitTrain: { run: string, tag: string } | null = null
  /** Annotations by key, in creation order. */
  readonly annotations = new Map<string, Annotation>()
  readonly events = new Map<string, JumpEvent>()
  /** Keys whose annotation must be refreshed from its event: open ones and ones whose causes changed. */
  readonly refresh = new Set<string>()
  /** The epoch column of a series that is not inverted (Lightning `epoch`, HF `train/epoch`), grown incrementally. */
  epochCol: { source: TagInfo | null, n: number, j: number, out: Int32Array } | null = null
  restartCursor = 0
  seenVersion = -1
  seenDepsVersion = -1
  rawCopy: Float64Array | null = null
  rawCopyLength = 0
  /** Version of the training series of the overfitting pair when last looked at. */
  trainVersionSeen = -1
  /** Inverters for requests with other sizes or a forced mode, by sizes key (at most 4). */
  readonly oneOff = new Map<string, RunningMeanInverter>()
  readonly smoothers = new Map<number, { sm: TbSmoother, out: Float64Array }>()
  lrSeen = ''
  /** Learning-rate changes of the run, mapped onto this series (for tentative events too). */
  lrChanges: LrChange[] = []
  /** The schedule's info annotations (training losses only). */
  schedule: ScheduleAnnotator | null = null
  crossCheckFailed = false

  constructor (readonly run: string, readonly tag: string, readonly info: TagInfo, guess: FamilyGuess) {
    this.key = run + '\0' + tag
    this.hash = fnv1a(this.key)
    this.guess = guess
  }
}
