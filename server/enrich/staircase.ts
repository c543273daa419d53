/** Staircase artefacts: steps of a logged running mean at epoch boundaries that the de-smoothed series does not have. */

import type { EpochInfo } from './desmooth.js'
import type { JumpEvent } from './events.js'
import { fmt } from './events.js'
import { DIFF_MAD_TO_SIGMA, median } from './robust.js'
import { explain } from './explain.js'

/** Points on each side of a boundary used for the de-smoothed levels. */
const SIDE = 8
/** Points at the end of an epoch over which its typical changes are measured. */
const WINDOW = 128

/** Thresholds of {@link StaircaseDetector}. */
export interface StaircaseParams {
  /** The logged step must be this many times the typical within-epoch change of the running mean. Default 6. */
  visibleFactor: number
  /** …and at least this relative change (log space; linear: of the level). Default 0.05. */
  minRelative: number
}

export const DEFAULT_STAIRCASE_PARAMS: Readonly<StaircaseParams> = Object.freeze({ visibleFactor: 6, minRelative: 0.05 })

/** Series as the staircase check reads it: logged running means and their de-smoothed values. */
export interface StaircaseView {
  steps: ArrayLike<number>
  wallTimes: ArrayLike<number>
  logged: ArrayLike<number>
  desmoothed: ArrayLike<number>
  bounds: ArrayLike<number>
}

/**
 * Checks each epoch boundary once both sides are known (the next epoch has SIDE points or is
 * closed). A boundary is a staircase artefact when the logged running mean jumps visibly there —
 * by `visibleFactor`× its typical within-epoch change and by `minRelative` — while the
 * de-smoothed values (medians of up to 8 points on each side) do not jump by even half as much
 * beyond their own noise. Amortised O(1) per point: each boundary is looked at once.
 */
export class StaircaseDetector {
  readonly events: JumpEvent[] = []
  private next = 0
  private readonly p: StaircaseParams

  constructor (private readonly label: string, private readonly direction: 1 | -1, params?: Partial<StaircaseParams>) {
    this.p = { ...DEFAULT_STAIRCASE_PARAMS, ...params }
  }

  /** Looks at boundaries that became decidable; `stable` = points whose de-smoothed values are final. */
  update (epochs: readonly EpochInfo[], v: StaircaseView, stable: number): JumpEvent[] {
    const out: JumpEvent[] = []
    while (this.next < epochs.length) {
      const a = epochs[this.next]!
      if (!a.closed) break
      if (a.first > a.last) { this.next++; continue }
      // The next epoch with points, in the same fit.
      let b: EpochInfo | undefined
      for (let k = this.next + 1; k < epochs.length; k++) {
        const e = epochs[k]!
        if (e.fit !== a.fit) break
        if (e.first <= e.last) { b = e; break }
        if (!e.closed) break
      }
      if (b === undefined) {
        if (epochs.slice(this.next + 1).some(e => e.fit !== a.fit)) { this.next++; continue }
        break
      }
      const nb = b.last - b.first + 1
      if ((nb < SIDE && !b.closed) || b.first + Math.min(SIDE, nb) > stable) break
      const ev = this.check(a, b, v)
      if (ev !== null) { this.events.push(ev); out.push(ev) }
      this.next++
    }
    return out
  }

  private check (a: EpochInfo, b: EpochInfo, v: StaircaseView): JumpEvent | null {
    const last = a.last; const first = b.first
    const yl = v.logged[last]!; const yf = v.logged[first]!
    if (!Number.isFinite(yl) || !Number.isFinite(yf)) return null
    const log = yl > 0 && yf > 0
    const u = (y: number): number => log ? Math.log(y) : y
    const jump = u(yf) - u(yl)
    // Typical change of the running mean inside epoch a (second half: where it has settled).
    const diffs: number[] = []
    for (let i = Math.max(a.first + 1, Math.floor((a.first + a.last) / 2), last - WINDOW); i <= last; i++) {
      const d = Math.abs(u(v.logged[i]!) - u(v.logged[i - 1]!))
      if (Number.isFinite(d)) diffs.push(d)
    }
    const within = diffs.length > 0 ? median(diffs) : 0
    const minRel = log ? Math.log1p(this.p.minRelative) : this.p.minRelative * Math.abs(yl)
    if (!(Math.abs(jump) >= this.p.visibleFactor * within && Math.abs(jump) >= minRel)) return null
    // De-smoothed levels on each side, ignoring approximate points.
    const side = (from: number, to: number): number[] => {
      const xs: number[] = []
      for (let i = from; i <= to; i++) if (Number.isFinite(v.bounds[i]!) && Number.isFinite(v.desmoothed[i]!)) xs.push(v.desmoothed[i]!)
      return xs
    }
    const before = side(Math.max(a.first, last - SIDE + 1), last)
    const after = side(first, Math.min(b.last, first + SIDE - 1))
    if (before.length < 2 || after.length < 2) return null
    const lb = median(before); const la = median(after)
    const dlog = log && lb > 0 && la > 0
    const du = (dlog ? Math.log(la) - Math.log(lb) : la - lb)
    const inner: number[] = []
    for (let i = Math.max(a.first + 1, last - WINDOW); i <= last; i++) {
      const x = v.desmoothed[i]!; const y = v.desmoothed[i - 1]!
      if (!Number.isFinite(v.bounds[i]!) || !Number.isFinite(v.bounds[i - 1]!)) continue
      const d = dlog && x > 0 && y > 0 ? Math.abs(Math.log(x) - Math.log(y)) : Math.abs(x - y)
      if (Number.isFinite(d)) inner.push(d)
    }
    const sigma = inner.length >= 3 ? DIFF_MAD_TO_SIGMA * median(inner) : 0
    const se = 1.25 * sigma * Math.sqrt(1 / before.length + 1 / after.length)
    const comparable = Math.sign(du) === Math.sign(jump) && Math.abs(du) >= 0.5 * Math.abs(jump) && Math.abs(du) >= 3 * se
    if (comparable) return null
    const ratio = log ? Math.exp(this.direction * jump) : 1 + this.direction * jump / Math.max(Math.abs(yl), 1e-300)
    const ev: JumpEvent = {
      key: `staircase-artifact@${first}`,
      kind: 'staircase-artifact',
      severity: 'info',
      startIndex: last,
      endIndex: first,
      startStep: v.steps[last]!,
      endStep: v.steps[first]!,
      wallTime: v.wallTimes[first]!,
      ratio,
      robustZ: within > 0 ? Math.abs(jump) / within : Infinity,
      baseline: yl,
      peak: yf,
      causes: [{
        cause: 'Keras running-mean reset at the epoch boundary (not a training problem)',
        evidence: `logged ${this.label} went from ${fmt(yl)} (running mean over epoch ${a.label < 0 ? '?' : a.label}, ${a.last - a.first + 1} logged points) to ${fmt(yf)} (epoch ${b.label < 0 ? '?' : b.label} restarts the mean), ${((Math.exp(log ? jump : 0) - 1) * 100).toFixed(0)} %${log ? '' : ' (linear)'}; the de-smoothed batch values are ${fmt(lb)} before and ${fmt(la)} after (medians of ${before.length} and ${after.length} points), a change of ${dlog ? `${((Math.exp(du) - 1) * 100).toFixed(0)} %` : fmt(du)}`
      }],
      explanation: '',
      open: false
    }
    ev.explanation = explain(ev, this.label, this.direction)
    return ev
  }
}
