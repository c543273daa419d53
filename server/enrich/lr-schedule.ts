/**
 * What a learning-rate series says about the schedule: warm-up and decay phases (smooth, monotone
 * stretches), cycles (alternating warm-ups and decays of similar length) and steps (abrupt
 * changes). A loss that moves with its schedule is expected, so these become `lr-schedule` info
 * annotations, or the cause of a jump.
 */

import { fmt, fmtRatio } from './events.js'

export type LrPhaseKind = 'warm-up' | 'decay' | 'step-down' | 'step-up' | 'cyclic'

export interface LrPhase {
  kind: LrPhaseKind
  tag: string
  from: number
  to: number
  /** The phase happened within [stepLo, stepHi] (a step: after the previous logged point, by this one). */
  stepLo: number
  stepHi: number
  /** Evidence sentence. */
  where: string
}

/** Relative change that a step needs. */
const STEP_RATIO = 1.2
/** A step's change is this many times larger than the changes on either side of it (a ramp's are alike). */
const STEP_DOMINANCE = 3
/** Total relative change a smooth monotone stretch needs to be a phase. */
const PHASE_RATIO = 1.5

/**
 * Incrementally segments an LR series into phases. A change between two points is judged once the
 * point after it is known (a step stands out from both neighbouring changes; a ramp's changes are
 * alike). Cost O(1) per point.
 */
export class LrScheduleTracker {
  /** Closed phases, in order. */
  readonly phases: LrPhase[] = []
  private n = 0
  /** The last three points (value, step): a change is judged with its neighbours. */
  private readonly v: number[] = []
  private readonly s: number[] = []
  /** The smooth stretch being followed: its direction, start value and step. */
  private dir = 0
  private runFrom = NaN
  private runFromStep = NaN
  /** Where the rate last moved (a phase ends there, not at the end of a flat stretch after it). */
  private runTo = NaN
  private runToStep = NaN

  constructor (readonly tag: string) {}

  update (steps: ArrayLike<number>, values: ArrayLike<number>, length: number): void {
    for (let i = this.n; i < length; i++) {
      const x = values[i]!
      if (!(x >= 0) || !Number.isFinite(x)) continue
      this.v.push(x); this.s.push(steps[i]!)
      if (this.v.length === 1) { this.runFrom = x; this.runFromStep = steps[i]! }
      if (this.v.length > 3) { this.v.shift(); this.s.shift() }
      // Judge the change into the middle point once the point after it is known; the first change
      // has no left neighbour (taken as 0, so a step at the very start counts).
      if (this.v.length === 3) this.judge(this.v[0]!, this.v[1]!, this.v[2]!, this.s[0]!, this.s[1]!)
    }
    this.n = length
  }

  private lastDelta = 0

  private judge (a: number, b: number, c: number, sa: number, sb: number): void {
    // The change a → b, with its neighbours: the change before it (lastDelta) and b → c.
    const d = b - a
    const q = a > 0 ? b / a : (b > 0 ? Infinity : 1)
    const big = a > 0 && (q >= STEP_RATIO || q <= 1 / STEP_RATIO)
    const dominant = Math.abs(d) >= STEP_DOMINANCE * Math.max(Math.abs(this.lastDelta), Math.abs(c - b))
    this.lastDelta = d
    if (big && dominant) {
      if (this.dir !== 0) this.closeRun(this.runTo, this.runToStep)
      const lo = Number.isInteger(sa) ? Math.min(sb, sa + 1) : sa
      this.phases.push({ kind: d > 0 ? 'step-up' : 'step-down', tag: this.tag, from: a, to: b, stepLo: lo, stepHi: sb, where: `${this.tag} went from ${fmt(a)} at step ${sa} to ${fmt(b)} at step ${sb} (${fmtRatio(b / a)})` })
      this.runFrom = b; this.runFromStep = sb
      return
    }
    const dir = d > 0 ? 1 : d < 0 ? -1 : 0
    if (dir === 0) return
    if (this.dir !== 0 && dir !== this.dir) this.closeRun(this.runTo, this.runToStep)
    // A phase starts where the rate began to move (not where a flat stretch began).
    if (this.dir === 0) { this.runFrom = a; this.runFromStep = sa }
    this.dir = dir
    this.runTo = b; this.runToStep = sb
  }

  /**
   * How many of {@link phases} can no longer change: every phase up to the last step, and smooth
   * phases (or a cycle) followed by two or more others. The newest smooth ones may still merge into
   * a cycle (or a cycle absorb them).
   */
  finalCount (): number {
    let k = this.phases.length
    const ph = this.phases
    while (k > 0 && this.phases.length - k < 2 && (ph[k - 1]!.kind === 'warm-up' || ph[k - 1]!.kind === 'decay' || ph[k - 1]!.kind === 'cyclic')) k--
    return k
  }

  /** Closed phases plus the smooth stretch still going on, when it already qualifies. */
  current (): LrPhase[] {
    if (this.dir === 0) return this.phases
    const open = this.runPhase(this.runTo, this.runToStep)
    return open === null ? this.phases : [...this.phases, open]
  }

  private runPhase (to: number, toStep: number): LrPhase | null {
    if (this.dir === 0) return null
    const a = this.runFrom
    const big = a <= 0 ? to > 0 : (to / a >= PHASE_RATIO || to / a <= 1 / PHASE_RATIO)
    if (!big) return null
    const kind: LrPhaseKind = this.dir > 0 ? 'warm-up' : 'decay'
    return { kind, tag: this.tag, from: a, to, stepLo: this.runFromStep, stepHi: toStep, where: `${this.tag} ${kind === 'warm-up' ? 'rose' : 'fell'} smoothly from ${fmt(a)} at step ${this.runFromStep} to ${fmt(to)} at step ${toStep}` }
  }

  private closeRun (to: number, toStep: number): void {
    const p = this.runPhase(to, toStep)
    this.dir = 0
    if (p === null) return
    this.phases.push(p)
    this.mergeCycle()
  }

  /** Three or more alternating warm-ups and decays of similar length are one cycle (and later ones extend it). */
  private mergeCycle (): void {
    const ph = this.phases
    const n = ph.length
    const smooth = (p: LrPhase): boolean => p.kind === 'warm-up' || p.kind === 'decay'
    if (n >= 2 && ph[n - 2]!.kind === 'cyclic' && smooth(ph[n - 1]!) && ph[n - 1]!.stepLo <= ph[n - 2]!.stepHi + 1) {
      const c = ph[n - 2]!; const z = ph.pop()!
      c.from = Math.min(c.from, z.from, z.to); c.to = Math.max(c.to, z.from, z.to); c.stepHi = z.stepHi
      c.where = this.cycleText(c.from, c.to, c.stepLo, c.stepHi)
      return
    }
    if (n < 3) return
    const [x, y, z] = [ph[n - 3]!, ph[n - 2]!, ph[n - 1]!]
    if (!smooth(x) || !smooth(y) || !smooth(z) || x.kind === y.kind || y.kind === z.kind) return
    const L = [x.stepHi - x.stepLo, y.stepHi - y.stepLo, z.stepHi - z.stepLo]
    if (Math.max(...L) > 1.5 * Math.min(...L)) return
    const lo = Math.min(x.from, x.to, y.to, z.to); const hi = Math.max(x.from, x.to, y.to, z.to)
    ph.splice(n - 3, 3, { kind: 'cyclic', tag: this.tag, from: lo, to: hi, stepLo: x.stepLo, stepHi: z.stepHi, where: this.cycleText(lo, hi, x.stepLo, z.stepHi) })
  }

  private cycleText (lo: number, hi: number, a: number, b: number): string {
    return `${this.tag} cycles between ${fmt(lo)} and ${fmt(hi)} from step ${a} to ${b}`
  }
}
