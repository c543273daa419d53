/** Causes that come from other series of the run: learning-rate changes and gradient-norm jumps. */

import type { JumpEvent } from './events.js'
import { fmt, fmtRatio } from './events.js'

/** A change of the learning rate, located to a range of steps of the jump series. */
export interface LrChange {
  tag: string
  from: number
  to: number
  /** The change happened somewhere in [stepLo, stepHi] (a single step for per-step series). */
  stepLo: number
  stepHi: number
  /** How the location was found, for the evidence text. */
  where: string
  /**
   * The rate jumped between two consecutive logged values (a step schedule, a manual change),
   * rather than drifting over several; set by per-step LR series. Optional (false).
   */
  abrupt?: boolean
}

/** A learning-rate change must be at least this large to be named as the cause of a jump. */
const CAUSE_RATIO = 1.5

/** Relative change that counts as a learning-rate change (and not as schedule noise). Default 1.2. */
export const LR_CHANGE_RATIO = 1.2

/**
 * Incrementally finds learning-rate changes in a per-step series. A change is recorded when the
 * rate has moved by `LR_CHANGE_RATIO`× from the last anchor (the value after the previous change
 * or the first value); a smooth schedule thus yields one change per 20 % of decay, and a step
 * schedule one change per step. Steps of the LR series are those of the jump series (same writer).
 */
export class LrStepTracker {
  readonly changes: LrChange[] = []
  private n = 0
  private anchor = NaN
  private anchorStep = NaN
  private prev = NaN
  private prevStep = NaN

  constructor (readonly tag: string) {}

  update (steps: ArrayLike<number>, values: ArrayLike<number>, length: number): void {
    for (let i = this.n; i < length; i++) {
      const v = values[i]!; const s = steps[i]!
      if (!(v > 0) || !Number.isFinite(v)) continue
      if (!(this.anchor > 0)) { this.anchor = this.prev = v; this.anchorStep = this.prevStep = s; continue }
      const r = v / this.anchor
      if (r >= LR_CHANGE_RATIO || r <= 1 / LR_CHANGE_RATIO) {
        // Abrupt: most of the change happened between two consecutive points.
        const q = v / this.prev
        const abrupt = q >= Math.sqrt(LR_CHANGE_RATIO) || q <= 1 / Math.sqrt(LR_CHANGE_RATIO)
        // An abrupt change happened after the previous point, by this one: [previous step + 1, s].
        const lo = Number.isInteger(this.prevStep) ? Math.min(s, this.prevStep + 1) : s
        this.changes.push(abrupt
          ? { tag: this.tag, from: this.prev, to: v, stepLo: lo, stepHi: s, abrupt: true, where: `${this.tag} went from ${fmt(this.prev)} at step ${this.prevStep} to ${fmt(v)} at step ${s}` }
          : { tag: this.tag, from: this.anchor, to: v, stepLo: this.anchorStep, stepHi: s, where: `${this.tag} drifted from ${fmt(this.anchor)} at step ${this.anchorStep} to ${fmt(v)} at step ${s}` })
        this.anchor = v
        this.anchorStep = s
      }
      this.prev = v
      this.prevStep = s
    }
    this.n = length
  }
}

/**
 * Learning-rate changes of an epoch-level series (Keras `epoch_learning_rate`, `epoch_lr`): the
 * value logged at the end of epoch e is the rate the next batch will use (a schedule evaluated at
 * the optimizer's iteration count; a callback's rate set at the epoch's start is the same value),
 * so a change between epochs e−1 and e took effect at a batch from epoch e's first to the one after
 * its last. `epochSteps(e)` maps an epoch index to that [first, last] range of batch steps (from
 * the epoch segmentation), or null when unknown.
 */
export function lrChangesFromEpochs (tag: string, epochs: ArrayLike<number>, values: ArrayLike<number>, length: number,
  epochSteps: (epoch: number) => [number, number] | null): LrChange[] {
  const out: LrChange[] = []
  for (let i = 1; i < length; i++) {
    const a = values[i - 1]!; const b = values[i]!
    if (!(a > 0) || !(b > 0)) continue
    const r = b / a
    if (r < LR_CHANGE_RATIO && r > 1 / LR_CHANGE_RATIO) continue
    const e = epochs[i]!
    const range = epochSteps(e)
    if (range === null) continue
    out.push({
      tag,
      from: a,
      to: b,
      stepLo: range[0],
      stepHi: range[1],
      where: `${tag} was ${fmt(a)} at epoch ${epochs[i - 1]} and ${fmt(b)} at epoch ${e}; Keras logs at each epoch's end the rate of the next batch, so it changed between batch steps ${range[0]} and ${range[1]} (epoch ${e}'s batches or the first after them)`
    })
  }
  return out
}

/**
 * Attaches a learning-rate cause to a jump when a change began at or before its start and ended
 * at most `lookbackSteps` before it. The cause names the old and the new rate. Returns true when
 * one was attached (an existing learning-rate cause is replaced, so this can be re-run).
 */
export function attachLrCause (ev: JumpEvent, changes: readonly LrChange[], lookbackSteps: number): boolean {
  let best: LrChange | null = null
  // An oscillation that already names a cyclic schedule keeps it; a change of less than ×1.5 is
  // schedule noise, not the cause of a jump.
  if (ev.causes.some(c => /cyclic learning rate/.test(c.cause))) return false
  for (const c of changes) {
    if (c.to / c.from < CAUSE_RATIO && c.from / c.to < CAUSE_RATIO) continue
    if (c.stepLo > ev.startStep) continue
    if (ev.startStep - c.stepHi > lookbackSteps) continue
    if (best === null || c.stepHi > best.stepHi) best = c
  }
  const at = ev.causes.findIndex(c => /learning-rate change/.test(c.cause))
  if (best === null) return false
  const up = best.to > best.from
  // A lowered rate does not make a loss jump; NaN/Inf has its own first cause (how it arose).
  const supporting = ev.kind === 'non-finite' || (!up && ev.kind !== 'plateau')
  const cause = {
    cause: `learning-rate change: ${up ? 'raised' : 'lowered'} from ${fmt(best.from)} to ${fmt(best.to)} (${fmtRatio(best.to / best.from)})`,
    evidence: `${best.where}; the ${ev.kind} starts at step ${ev.startStep}`
  }
  if (at >= 0) ev.causes[at] = cause
  else if (supporting) ev.causes.push(cause)
  else ev.causes.unshift(cause)
  return true
}

/**
 * For a plateau: a learning-rate change near its end (within `windowSteps`), after which progress
 * resumed. Returns true when one was attached.
 */
export function attachLrCauseAtEnd (ev: JumpEvent, changes: readonly LrChange[], windowSteps: number): boolean {
  let best: LrChange | null = null
  for (const c of changes) {
    if (c.stepLo > ev.endStep + windowSteps || c.stepHi < ev.endStep - windowSteps) continue
    if (best === null || Math.abs(c.stepHi - ev.endStep) < Math.abs(best.stepHi - ev.endStep)) best = c
  }
  if (best === null) return false
  const cause = {
    cause: `learning-rate change: ${best.to > best.from ? 'raised' : 'lowered'} from ${fmt(best.from)} to ${fmt(best.to)} (${fmtRatio(best.to / best.from)}) when progress resumed`,
    evidence: `${best.where}; the plateau ends at step ${ev.endStep}`
  }
  const at = ev.causes.findIndex(c => /learning-rate change/.test(c.cause))
  if (at >= 0) ev.causes[at] = cause
  else ev.causes.unshift(cause)
  return true
}

/**
 * A jump of a gradient-norm series near the event's start. When it began before the loss event
 * (at most `windowSteps` earlier) and was large (×3 or more), exploding or accumulating gradients
 * are the first cause; otherwise it supports the others.
 */
export function attachGradientCause (ev: JumpEvent, gradTag: string, gradEvents: readonly JumpEvent[], windowSteps: number): boolean {
  const hit = gradEvents.find(g => (g.kind === 'spike' || g.kind === 'level-shift' || g.kind === 'divergence') &&
    g.startStep <= ev.startStep + Math.max(1, windowSteps / 10) && ev.startStep - g.startStep <= windowSteps)
  if (hit === undefined || ev.causes.some(c => c.cause.startsWith('gradient norm') || c.cause.startsWith('exploding'))) return false
  const leads = hit.startStep < ev.startStep && hit.ratio >= 3
  const cause = {
    cause: leads ? 'exploding or accumulating gradients: the gradient norm jumped just before' : 'gradient norm jumped at the same time',
    evidence: `${gradTag} has a ${hit.kind} from step ${hit.startStep} (peak ${fmt(hit.peak)}, ${fmtRatio(hit.ratio)} its baseline ${fmt(hit.baseline)})${leads ? `, ${ev.startStep - hit.startStep} step(s) before this ${ev.kind} began` : ''}`
  }
  if (leads && ev.kind !== 'non-finite') ev.causes.unshift(cause)
  else ev.causes.push(cause)
  return true
}

/**
 * A jump that an abrupt learning-rate raise explains starts at the raise: the loss answers a few
 * steps late (momentum, Adam's moments), but the change point is the raise. Moves the start of each
 * new level shift, divergence or spike whose start lies at most `lookbackPoints` points after an
 * abrupt raise to the first point at or after the step where the new rate was logged (with the
 * rate logged every N steps, as Lightning's LearningRateMonitor does, the raise is known to within
 * N steps and the loss points before that step may precede it). Only for events not yet recorded:
 * an announced event never changes its start.
 */
export function snapToLrChange (fresh: JumpEvent[], changes: readonly LrChange[], v: { steps: ArrayLike<number>, wallTimes: ArrayLike<number> }, n: number, lookbackPoints: number, taken: (key: string) => boolean): void {
  const steps = v.steps
  for (const ev of fresh) {
    if (ev.kind !== 'level-shift' && ev.kind !== 'divergence' && ev.kind !== 'spike') continue
    let best: LrChange | null = null
    const lo = steps[Math.max(0, ev.startIndex - lookbackPoints)]!
    for (const c of changes) {
      if (!(c.stepLo === c.stepHi || c.abrupt === true) || !(c.to > c.from) || c.stepHi > ev.startStep || c.stepHi < lo) continue
      if (best === null || c.stepHi > best.stepHi) best = c
    }
    if (best === null) continue
    let i = ev.startIndex
    while (i > 0 && steps[i - 1]! >= best.stepHi && i - 1 < n) i--
    // Two jumps after one raise: the first keeps the raise, the next keeps its own start.
    if (i === ev.startIndex || taken(`${ev.kind}@${i}`) || fresh.some(o => o !== ev && o.key === `${ev.kind}@${i}`)) continue
    ev.startIndex = i
    ev.startStep = steps[i]!
    ev.wallTime = v.wallTimes[i]!
    ev.key = `${ev.kind}@${i}`
  }
}
