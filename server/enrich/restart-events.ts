/** Restart annotations: the writer's step went back (a new process or fit() call, or a SessionLog START). */

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
