/** Annotation vocabulary shared by every detector: kinds, severities, causes, the event record and its one factory. */

export type AnnotationKind = 'staircase-artifact' | 'spike' | 'level-shift' | 'non-finite' | 'oscillation' | 'plateau' | 'divergence' | 'overfitting' | 'restart' | 'lr-schedule'
export type Severity = 'info' | 'warning' | 'critical'

/** One reason offered for an annotation, with the numbers that support it. */
export interface Cause {
  cause: string
  evidence: string
}

/**
 * A detected event on one series. Indices are positions in the analysed series. Once emitted,
 * `key` (kind + start index), `kind`, `startIndex` and `startStep` never change; `endIndex`,
 * `endStep`, `peak`, magnitudes and causes may grow while the event is still open.
 */
export interface JumpEvent {
  key: string
  kind: AnnotationKind
  severity: Severity
  startIndex: number
  endIndex: number
  startStep: number
  endStep: number
  /** Wall time of the start point. */
  wallTime: number
  /** Peak (or current) value over the baseline, in the direction that is bad for this metric (≥ 1 means worse). */
  ratio: number
  /** (peak − baseline) / robust noise scale, in the analysed space (log for positive series). */
  robustZ: number
  baseline: number
  peak: number
  causes: Cause[]
  explanation: string
  /** True while the event may still extend (its end is not yet known). */
  open: boolean
}

/** Where an event sits: the step and wall-time columns of its series. */
export interface StepColumns {
  steps: ArrayLike<number>
  wallTimes: ArrayLike<number>
}

export interface EventInit {
  kind: AnnotationKind
  severity: Severity
  start: number
  end: number
  ratio: number
  robustZ: number
  baseline: number
  peak: number
  cause?: Cause
  open?: boolean
  /** Index whose position names the event (default `start`); the staircase keys on the batch after the reset. */
  keyIndex?: number
  /** Index whose wall time the event carries (default `start`). */
  wallIndex?: number
  /** Step overrides, for events placed on another axis (a writer restart keeps its own steps). */
  startStep?: number
  endStep?: number
  wallTime?: number
}

/** The one way to build an event: key, steps and wall time always come from the same indices. */
export function makeEvent (v: StepColumns, e: EventInit): JumpEvent {
  return {
    key: `${e.kind}@${e.keyIndex ?? e.start}`,
    kind: e.kind,
    severity: e.severity,
    startIndex: e.start,
    endIndex: e.end,
    startStep: e.startStep ?? v.steps[e.start]!,
    endStep: e.endStep ?? v.steps[e.end]!,
    wallTime: e.wallTime ?? v.wallTimes[e.wallIndex ?? e.start]!,
    ratio: e.ratio,
    robustZ: e.robustZ,
    baseline: e.baseline,
    peak: e.peak,
    causes: e.cause === undefined ? [] : [e.cause],
    explanation: '',
    open: e.open ?? false
  }
}

/** Moves an open event's end to `end` (an index of the same series). */
export function extendEvent (ev: JumpEvent, v: StepColumns, end: number): void {
  ev.endIndex = end
  ev.endStep = v.steps[end]!
}

/** Formats a value for evidence strings: 4 significant digits, exponent for extremes. */
export function fmt (x: number): string {
  if (!Number.isFinite(x)) return String(x)
  const a = Math.abs(x)
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return x.toExponential(3)
  return Number(x.toPrecision(4)).toString()
}

/** `×3.2` style multiplier. */
export function fmtRatio (r: number): string {
  if (!Number.isFinite(r)) return `×${r}`
  return r >= 100 ? `×${r.toExponential(1)}` : `×${r.toFixed(r >= 10 ? 0 : 1)}`
}
