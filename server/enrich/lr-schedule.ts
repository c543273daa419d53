/**
 * What a learning-rate series says about the schedule: warm-up and decay phases (smooth, monotone
 * stretches) and steps (abrupt changes between consecutive points). A loss that moves with a
 * schedule is expected, so these become `lr-schedule` info annotations (or the cause of a jump).
 */

import { fmt, fmtRatio } from './events.js'

export type LrPhaseKind = 'warm-up' | 'decay' | 'step-down' | 'step-up'

export interface LrPhase {
  kind: LrPhaseKind
  tag: string
  from: number
  to: number
  /** First and last step of the phase (for a step: the logged points on either side of the change). */
  stepLo: number
  stepHi: number
  /** Evidence sentence. */
  where: string
}

/** Relative change between consecutive points that makes a step. */
const STEP_RATIO = 1.2
/** Total relative change a smooth monotone stretch needs to be a phase. */
const PHASE_RATIO = 1.5

/**
 * Incrementally segments an LR series into phases. A phase is closed when the direction changes or
 * a step occurs; the phase still going on is reported open (its end may grow). Cost O(1) per point.
 */
export class LrScheduleTracker {
  /** Closed phases, in order. */
  readonly phases: LrPhase[] = []
  private n = 0
  private prev = NaN
  private prevStep = NaN
  /** The smooth stretch being followed: its direction, start value and step. */
  private dir = 0
  private runFrom = NaN
  private runFromStep = NaN

  constructor (readonly tag: string) {}

  update (steps: ArrayLike<number>, values: ArrayLike<number>, length: number): void {
    for (let i = this.n; i < length; i++) {
      const v = values[i]!; const s = steps[i]!
      if (!(v >= 0) || !Number.isFinite(v)) continue
      if (Number.isNaN(this.prev)) { this.prev = v; this.prevStep = s; this.runFrom = v; this.runFromStep = s; continue }
      const q = this.prev > 0 ? v / this.prev : (v > 0 ? Infinity : 1)
      // A warm-up from 0 (or near it) is smooth even when its first ratio is large.
      const fromZero = this.prev <= 0 || (this.dir >= 0 && this.runFrom <= 0)
      if (!fromZero && (q >= STEP_RATIO || q <= 1 / STEP_RATIO)) {
        this.closeRun()
        const up = q > 1
        this.phases.push({ kind: up ? 'step-up' : 'step-down', tag: this.tag, from: this.prev, to: v, stepLo: this.prevStep, stepHi: s, where: `${this.tag} went from ${fmt(this.prev)} at step ${this.prevStep} to ${fmt(v)} at step ${s} (${fmtRatio(v / this.prev)})` })
        this.dir = 0; this.runFrom = v; this.runFromStep = s
      } else {
        const d = v > this.prev ? 1 : v < this.prev ? -1 : 0
        if (d !== 0 && this.dir !== 0 && d !== this.dir) { this.closeRun(); this.runFrom = this.prev; this.runFromStep = this.prevStep }
        if (d !== 0) this.dir = d
      }
      this.prev = v; this.prevStep = s
    }
    this.n = length
  }

  /** Closed phases plus the smooth stretch still going on, when it already qualifies. */
  current (): LrPhase[] {
    const open = this.runPhase()
    return open === null ? this.phases : [...this.phases, open]
  }

  private runPhase (): LrPhase | null {
    if (this.dir === 0 || Number.isNaN(this.prev)) return null
    const a = this.runFrom; const b = this.prev
    const big = a <= 0 ? b > 0 : (b / a >= PHASE_RATIO || b / a <= 1 / PHASE_RATIO)
    if (!big) return null
    const kind: LrPhaseKind = this.dir > 0 ? 'warm-up' : 'decay'
    return { kind, tag: this.tag, from: a, to: b, stepLo: this.runFromStep, stepHi: this.prevStep, where: `${this.tag} ${kind === 'warm-up' ? 'rose' : 'fell'} smoothly from ${fmt(a)} at step ${this.runFromStep} to ${fmt(b)} at step ${this.prevStep}` }
  }

  private closeRun (): void {
    const p = this.runPhase()
    if (p !== null) this.phases.push(p)
    this.dir = 0
  }
}
