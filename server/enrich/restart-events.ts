/** Annotations that need no detector: restarts of the writer, and NaN in an optimiser diagnostic. */

import { makeEvent, fmt, type JumpEvent } from './events.js'
import { explain } from './explain.js'

/** Where the store saw the step counter go back. */
export interface RestartPoint {
  index: number
  step: number
  previousStep: number
  wallTime: number
  file: string
  reason: string
}

/** The info annotation of one restart of `tag`'s series. */
export function restartEvent (tag: string, rs: RestartPoint, c: { steps: ArrayLike<number>, wallTimes: ArrayLike<number>, values: ArrayLike<number> }): JumpEvent {
  const before = c.values[rs.index - 1]!
  const after = c.values[rs.index]!
  const ev = makeEvent(c, {
    kind: 'restart',
    severity: 'info',
    start: rs.index,
    end: rs.index,
    startStep: rs.step,
    endStep: rs.step,
    wallTime: rs.wallTime,
    ratio: before !== 0 ? after / before : NaN,
    robustZ: 0,
    baseline: before,
    peak: after,
    cause: {
      cause: rs.reason === 'session-start' ? 'the writer restarted (SessionLog START)' : 'a new process or fit() call restarted the step counter',
      evidence: `step went back from ${rs.previousStep} to ${rs.step} in ${rs.file || 'the same file'}; value ${fmt(before)} before, ${fmt(after)} after`
    }
  })
  ev.explanation = explain(ev, tag)
  return ev
}

/**
 * NaN or ±Inf in an optimiser diagnostic (SB3's `explained_variance`, an approximate KL, an
 * entropy): the statistic is undefined for some updates (explained variance when the returns did
 * not vary), which says nothing about the loss. Information, with a cause that fits the metric.
 */
export function diagnosticNonFinite (ev: JumpEvent, tag: string): void {
  ev.severity = 'info'
  ev.causes = [{
    cause: `the diagnostic ${tag} was undefined for some updates (e.g. explained variance when the returns did not vary), not a numerical failure of training`,
    evidence: ev.causes[0]?.evidence ?? ''
  }]
  // explain() gives a diagnostic's NaN its own text, so a later re-explanation keeps it.
  ev.explanation = explain(ev, tag)
}
