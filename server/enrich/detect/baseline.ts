/** The local baseline of a series: rolling median level and robust noise scale over its recent normal points. */

import { Ring, MAD_TO_SIGMA, DIFF_MAD_TO_SIGMA } from '../robust.js'
import type { Space } from './space.js'

/**
 * Only points judged normal are admitted (outliers and excursions never are), so the level and
 * the noise scale are trimmed estimates: one spike cannot raise the threshold for the next. The
 * level is the median of the newest half window; σ is the larger of the lag-1-difference MAD
 * (insensitive to trends) and half the MAD around the level.
 */
/** Memory of the long noise-scale estimate, in windows. */
const LONG = 16
/** The short-window σ counts at this weight against the long one (it wins only when clearly larger). */
const SHORT_WEIGHT = 0.8

export class Baseline {
  base = NaN
  sigma = NaN
  private readonly ring: Ring
  private readonly diffs: Ring
  /** Lag-1 differences over a longer memory (LONG windows): the stable part of σ. */
  private readonly longDiffs: Ring
  private lastU = NaN
  private lastIdx = -2
  private sinceLevel = 0
  private sinceRecompute = 0
  private sinceLong = 0
  private longSigma = NaN

  constructor (private readonly window: number, private readonly space: Space) {
    this.ring = new Ring(window)
    this.diffs = new Ring(window)
    this.longDiffs = new Ring(window * LONG)
  }

  get size (): number { return this.ring.size }

  ready (minHistory: number): boolean { return this.ring.size >= minHistory && !Number.isNaN(this.sigma) }

  /** Newest admitted value `j` points back (0 = newest). */
  recent (j: number): number { return this.ring.recent(j) }

  clear (): void {
    this.ring.clear(); this.diffs.clear(); this.longDiffs.clear()
    this.base = NaN; this.sigma = NaN; this.lastU = NaN; this.lastIdx = -2; this.sinceLevel = 0; this.sinceRecompute = 0
    this.sinceLong = 0; this.longSigma = NaN
  }

  /** Admits the normal point `i` (analysed value `u`). Returns true when σ was recomputed. */
  accept (i: number, u: number): boolean {
    this.ring.push(u)
    if (this.lastIdx === i - 1) { const d = Math.abs(u - this.lastU); this.diffs.push(d); this.longDiffs.push(d) }
    this.lastU = u
    this.lastIdx = i
    // While the window fills everything is refreshed at every point; then the level every quarter
    // window (it follows a falling loss closely) and the noise scale once per window.
    const W = this.window
    if (this.ring.size < 3) return false
    if (this.ring.size < W) { this.recompute(); return true }
    const level = ++this.sinceLevel >= W >> 2
    if (level) this.sinceLevel = 0
    if (++this.sinceRecompute >= W) {
      this.sinceRecompute = 0
      // recompute sets the level itself (a level median taken here would be overwritten unread).
      this.recompute()
      return true
    }
    if (level) this.base = this.ring.medianRecent(W >> 1)
    return false
  }

  /** A lasting shift: the newest values of the shifted stretch become the baseline. */
  restartFrom (us: readonly number[]): void {
    this.clear()
    const from = Math.max(0, us.length - this.window)
    for (let j = from; j < us.length; j++) {
      this.ring.push(us[j]!)
      if (j > from) { const d = Math.abs(us[j]! - us[j - 1]!); this.diffs.push(d); this.longDiffs.push(d) }
    }
    if (this.ring.size >= 3) this.recompute()
  }

  private recompute (): void {
    const base = this.ring.medianRecent(Math.max(3, this.window >> 1))
    const sd = this.diffs.size >= 4 ? DIFF_MAD_TO_SIGMA * this.diffs.median() : NaN
    // Over one window the MAD of 64 differences scatters by ±20 %, and a low draw turns ordinary
    // noise into 5σ "spikes" while a high one hides a real 5× batch; the long memory holds σ to a
    // few per cent. The short estimate still wins when the noise has grown recently (it must
    // exceed the long one by a quarter, which chance alone seldom does).
    // The long median moves slowly: refreshed once per memory length (and while it fills).
    if (this.longDiffs.size < this.longDiffs.capacity || ++this.sinceLong >= LONG || Number.isNaN(this.longSigma)) {
      this.sinceLong = 0
      this.longSigma = this.longDiffs.size > this.diffs.size ? DIFF_MAD_TO_SIGMA * this.longDiffs.median() : NaN
    }
    const long = this.longSigma
    const sl = MAD_TO_SIGMA * this.ring.mad(base)
    const short = !Number.isNaN(sd) ? sd : sl
    let s = Math.max(Number.isNaN(long) ? short : Math.max(long, SHORT_WEIGHT * short), 0.5 * sl)
    const floor = this.space.logMode ? 1e-4 : Math.max(1e-9 * Math.abs(base), 1e-300)
    if (!(s > floor)) s = floor
    this.base = base
    this.sigma = s
  }
}
