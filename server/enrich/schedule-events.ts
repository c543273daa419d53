/**
 * `lr-schedule` annotations on a training loss: the learning-rate schedule's steps and phases
 * (warm-up, decay), placed on the loss's own steps, as information. A loss that moves with its
 * schedule is expected; a raise that made the loss jump is not repeated here (the jump names it).
 */

import { makeEvent, extendEvent, fmt, fmtRatio, type JumpEvent, type StepColumns } from './events.js'
import type { LrPhase } from './lr-schedule.js'

/** First index whose step is ≥ `step` (steps taken as non-decreasing), or `n`. */
function lowerBound (steps: ArrayLike<number>, n: number, step: number): number {
  let lo = 0; let hi = n
  while (lo < hi) { const mid = (lo + hi) >> 1; if (steps[mid]! < step) lo = mid + 1; else hi = mid }
  return lo
}

const WHAT: Record<LrPhase['kind'], string> = {
  'warm-up': 'learning-rate warm-up',
  decay: 'learning-rate decay',
  'step-down': 'learning-rate schedule step: lowered',
  'step-up': 'learning-rate schedule step: raised'
}

export class ScheduleAnnotator {
  private readonly events = new Map<string, JumpEvent>()

  constructor (private readonly label: string) {}

  /**
   * Brings the annotations up to date with `phases` (closed ones first, the open one last when
   * `lastOpen`). `problems` are the series' warning/critical events: a raise followed by one within
   * `lookSteps` is that problem's cause, not a schedule note. Returns the events created now.
   */
  update (v: StepColumns, n: number, phases: readonly LrPhase[], lastOpen: boolean, problems: readonly JumpEvent[], lookSteps: number): JumpEvent[] {
    const out: JumpEvent[] = []
    phases.forEach((ph, k) => {
      const isStep = ph.kind === 'step-down' || ph.kind === 'step-up'
      const start = lowerBound(v.steps, n, isStep ? ph.stepHi : ph.stepLo)
      if (start >= n) return
      // A step located only to a range (an epoch-level LR series) spans that range.
      let end = isStep ? Math.max(start, lowerBound(v.steps, n, ph.stepHi + 1) - 1) : lowerBound(v.steps, n, ph.stepHi + 1) - 1
      if (isStep && ph.stepHi - ph.stepLo > 0 && lowerBound(v.steps, n, ph.stepLo) < start) {
        end = start
      }
      end = Math.min(Math.max(end, start), n - 1)
      if (ph.kind === 'step-up' && problems.some(e => e.startStep >= ph.stepLo && e.startStep <= ph.stepHi + lookSteps)) return
      const key = `lr-schedule@${start}`
      const open = lastOpen && k === phases.length - 1 && !isStep
      const have = this.events.get(key)
      if (have !== undefined) {
        if (have.open) {
          extendEvent(have, v, end)
          have.open = open
          have.peak = ph.to
          have.ratio = ph.from > 0 ? ph.to / ph.from : Infinity
          have.causes[0] = this.cause(ph)
        }
        return
      }
      const ev = makeEvent(v, { kind: 'lr-schedule', severity: 'info', start, end, ratio: ph.from > 0 ? ph.to / ph.from : Infinity, robustZ: 0, baseline: ph.from, peak: ph.to, open, cause: this.cause(ph) })
      this.events.set(key, ev)
      out.push(ev)
    })
    return out
  }

  private cause (ph: LrPhase): { cause: string, evidence: string } {
    return {
      cause: `${WHAT[ph.kind]} from ${fmt(ph.from)} to ${fmt(ph.to)}${ph.from > 0 ? ` (${fmtRatio(ph.to / ph.from)})` : ''}`,
      evidence: `${ph.where}; ${this.label} is read as moving with the schedule, not as a problem`
    }
  }
}
