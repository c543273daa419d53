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
  'step-up': 'learning-rate schedule step: raised',
  cyclic: 'cyclic learning rate'
}

export class ScheduleAnnotator {
  private readonly events = new Map<string, JumpEvent>()

  constructor (private readonly label: string) {}

  /**
   * Records the final phases (`phases[0, final)`, which can no longer change) that are not yet
   * recorded, and returns them. The others are shown by {@link tentative}.
   */
  update (v: StepColumns, n: number, phases: readonly LrPhase[], final: number): JumpEvent[] {
    const out: JumpEvent[] = []
    for (let k = 0; k < final; k++) {
      const ev = this.build(v, n, phases[k]!)
      if (ev === null || this.events.has(ev.key)) continue
      this.events.set(ev.key, ev)
      out.push(ev)
    }
    return out
  }

  /** Phases that may still change (the newest ones), as events not yet recorded. */
  tentative (v: StepColumns, n: number, phases: readonly LrPhase[], final: number): JumpEvent[] {
    const out: JumpEvent[] = []
    for (let k = final; k < phases.length; k++) {
      const ev = this.build(v, n, phases[k]!)
      if (ev !== null && !this.events.has(ev.key)) { ev.open = true; out.push(ev) }
    }
    return out
  }

  /** The event of one phase on this series, or null when the series has no point there yet. */
  private build (v: StepColumns, n: number, ph: LrPhase): JumpEvent | null {
    const isStep = ph.kind === 'step-down' || ph.kind === 'step-up'
    // Every phase happened within [stepLo, stepHi]. A step is placed where the new rate was first
    // logged (stepHi: exact when the rate is logged every step; with a rate logged every N steps it
    // is where a scheduler stepping at a boundary puts it, and the evidence names both logged
    // points); an epoch-level rate, which only says "during this epoch", and every smooth phase
    // span their range.
    const epochLevel = ph.tag.startsWith('epoch_')
    const start = lowerBound(v.steps, n, isStep && !epochLevel ? ph.stepHi : ph.stepLo)
    if (start >= n) return null
    const end = isStep && (ph.stepLo === ph.stepHi || !epochLevel) ? start : Math.min(n - 1, Math.max(start, lowerBound(v.steps, n, ph.stepHi + 1) - 1))
    return makeEvent(v, { kind: 'lr-schedule', severity: 'info', start, end, ratio: ph.from > 0 ? ph.to / ph.from : Infinity, robustZ: 0, baseline: ph.from, peak: ph.to, cause: this.cause(ph) })
  }

  /**
   * A loss whose jumps repeat inside a cycle of the learning rate is oscillating with it: one
   * oscillation (warning) over those jumps, the cycle as its cause. Returns it once, when two or
   * more problem events start inside a cyclic phase.
   */
  cycleOscillation (v: StepColumns, phases: readonly LrPhase[], problems: readonly JumpEvent[], label: string): JumpEvent | null {
    let created: JumpEvent | null = null
    for (const ph of phases) {
      if (ph.kind !== 'cyclic') continue
      const inside = problems.filter(e => e.kind !== 'non-finite' && e.kind !== 'oscillation' && e.startStep >= ph.stepLo && e.startStep <= ph.stepHi)
      if (inside.length < 2) continue
      const first = inside.reduce((a, b) => (b.startIndex < a.startIndex ? b : a))
      const last = inside.reduce((a, b) => (b.endIndex > a.endIndex ? b : a))
      const peak = inside.reduce((a, b) => (b.ratio > a.ratio ? b : a))
      const cause = { cause: `learning rate too high at the top of its cycle: ${label} swings with the cyclic learning rate (between ${fmt(ph.from)} and ${fmt(ph.to)})`, evidence: `${ph.where}; ${inside.length} jumps of ${label} between steps ${first.startStep} and ${last.endStep} fall inside the cycle, the largest ${fmtRatio(peak.ratio)} its baseline` }
      // One oscillation per cycle, keyed by the cycle's start; it grows with the cycle's jumps.
      const key = `oscillation@cycle${ph.stepLo}`
      const have = this.events.get(key)
      if (have !== undefined) {
        extendEvent(have, v, Math.max(have.endIndex, last.endIndex))
        if (peak.ratio > have.ratio) { have.ratio = peak.ratio; have.peak = peak.peak; have.robustZ = peak.robustZ }
        have.causes[0] = cause
        continue
      }
      const ev = makeEvent(v, { kind: 'oscillation', severity: 'warning', start: first.startIndex, end: last.endIndex, ratio: peak.ratio, robustZ: peak.robustZ, baseline: peak.baseline, peak: peak.peak, open: true, cause })
      ev.key = key
      this.events.set(key, ev)
      created = ev
    }
    return created
  }

  private cause (ph: LrPhase): { cause: string, evidence: string } {
    return {
      cause: `${WHAT[ph.kind]} from ${fmt(ph.from)} to ${fmt(ph.to)}${ph.from > 0 ? ` (${fmtRatio(ph.to / ph.from)})` : ''}`,
      evidence: `${ph.where}; ${this.label} is read as moving with the schedule, not as a problem`
    }
  }
}
