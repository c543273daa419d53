/** The analysed space of a series: log values while every value is positive (scale-free), else linear. */

export class Space {
  logMode = true
  /** Largest |value| seen: in linear space, a scale for levels near 0. */
  maxAbs = 0

  /** `dir` is +1 when higher values are worse (losses), −1 when lower values are worse (accuracy, reward). */
  constructor (readonly dir: 1 | -1) {}

  /** A value that can be analysed in this space. */
  ok (y: number): boolean { return Number.isFinite(y) && (!this.logMode || y > 0) }
  u (y: number): number { return this.logMode ? Math.log(y) : y }
  y (u: number): number { return this.logMode ? Math.exp(u) : u }

  /** How much worse `u` is than `base`, as a ratio (≥ 1 for a worse value). */
  ratio (u: number, base: number, sigma: number): number {
    if (this.logMode) return Math.exp(this.dir * (u - base))
    // A level near 0 makes a ratio meaningless: measure against the series' own scale then.
    const s = Math.max(Math.abs(base), sigma * 4, 0.05 * this.maxAbs)
    return 1 + this.dir * (u - base) / s
  }

  /** The analysed-space distance that corresponds to a ratio `r` above `base`. */
  distanceOf (r: number, base: number, sigma: number): number {
    if (this.logMode) return Math.log(r)
    return (r - 1) * Math.max(Math.abs(base), sigma * 4, 0.05 * this.maxAbs)
  }
}
