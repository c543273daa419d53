/**
 * How heavy the upper tail of a series' noise is, and the spike threshold that follows from it.
 *
 * Peaks over threshold (Pickands 1975; Balkema & de Haan 1974; Davison & Smith 1990): above a
 * high quantile u, exceedances of most noise distributions are close to a generalised Pareto
 * law; with shape 0 (exponential excesses, which residuals of log losses follow closely) the
 * (1 − p) quantile is u + β·ln(P(X > u) / p), where β is the mean excess over u; heavier
 * (power-law) tails get a positive shape ξ and u + β/ξ·((P(X > u) / p)^ξ − 1). The residuals
 * are robust z-scores, (u − level) / σ in the bad direction, of every point the detector judged
 * (normal points and single-point candidates); each is winsorised at twice the current threshold, so a
 * bad batch counts as a tail point but cannot inflate β, and one spike never raises the threshold
 * for the next.
 */

const BIN = 0.05
const BINS = 1200
/** Exceedance probability of the quantile the excesses are measured from. */
const TAIL_P = 0.05
/** Residuals needed before the tail is trusted (before that: a conservative default). */
const MIN_COUNT = 256
const EVERY = 128

export class TailModel {
  private readonly hist = new Uint32Array(BINS + 1)
  private count = 0
  private since = 0
  /** Spike threshold in z units. */
  threshold: number

  /** `floor` is the lowest threshold ever used (spikeZ); `initial` the one used until the tail is known. */
  constructor (private readonly floor: number, private readonly initial: number, private readonly falseRate: number) {
    this.threshold = initial
  }

  get known (): boolean { return this.count >= MIN_COUNT }

  clear (): void { this.hist.fill(0); this.count = 0; this.since = 0; this.threshold = this.initial }

  add (z: number): void {
    const w = Math.min(Math.max(z, 0), 2 * this.threshold)
    this.hist[Math.min(BINS, Math.floor(w / BIN))]!++
    this.count++
    if (++this.since >= EVERY && this.count >= MIN_COUNT) { this.since = 0; this.refit() }
  }

  private refit (): void {
    const target = this.count * (1 - TAIL_P)
    let acc = 0; let k = 0
    for (; k <= BINS; k++) { acc += this.hist[k]!; if (acc >= target) break }
    const u = (k + 1) * BIN
    let s1 = 0; let s2 = 0; let n = 0
    for (let j = k + 1; j <= BINS; j++) {
      const c = this.hist[j]!
      if (c === 0) continue
      const x = (j + 0.5) * BIN - u
      s1 += c * x; s2 += c * x * x; n += c
    }
    if (n < 8) { this.threshold = Math.max(this.floor, u + BIN * Math.log(TAIL_P / this.falseRate)); return }
    const mean = s1 / n
    const variance = Math.max(s2 / n - mean * mean, 1e-12)
    // Method-of-moments GPD fit (Hosking & Wallis 1987): ξ = (1 − mean²/var) / 2. Bounded tails
    // (ξ < 0) are taken as exponential and the shape is capped at 0.5: never lighter than
    // exponential, so an under-sampled tail errs toward fewer alarms.
    const xi = Math.min(0.5, Math.max(0, 0.5 * (1 - mean * mean / variance)))
    const scale = xi > 0 ? 0.5 * mean * (1 + mean * mean / variance) : mean
    const r = TAIL_P / this.falseRate
    const q = xi > 1e-6 ? scale / xi * (Math.pow(r, xi) - 1) : scale * Math.log(r)
    this.threshold = Math.max(this.floor, u + q)
  }
}
