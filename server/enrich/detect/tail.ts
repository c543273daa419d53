/**
 * How heavy the upper tail of a series' noise is, and the spike threshold that follows from it.
 *
 * Peaks over threshold (Pickands 1975; Balkema & de Haan 1974): above a high quantile u, the
 * exceedances of most noise distributions are close to a generalised Pareto law GPD(β, ξ), whose
 * (1 − p) quantile is u + β/ξ·((P(X > u)/p)^ξ − 1), or u + β·ln(P(X > u)/p) for ξ = 0.
 *
 * The law is fitted from quantiles, not moments (Pickands' estimator): with q₀, q₁, q₂ the
 * quantiles at exceedance probabilities p₀, p₀/m, p₀/m², ξ = ln((q₂ − q₁)/(q₁ − q₀)) / ln m and
 * β follows from q₁ − q₀. Quantiles move by a rank when an outlier is added, so a handful of bad
 * batches cannot inflate the threshold (moment estimates were raised several-fold by them: one
 * spike raised the threshold for the next). ξ is kept in [0, ½]: a tail never counts as lighter
 * than exponential (a bounded-looking sample tail extrapolates to too low a threshold), and a
 * power-law tail is capped so that an under-sampled one cannot silence the detector.
 *
 * ξ is the larger of the upper tail's and the lower tail's estimate. Pickands' estimate converges
 * slowly on power-law tails (on Student t₃ noise it reads ≈ 0.1 at these quantiles where the truth is
 * ⅓) and bad batches never reach the lower tail, so a heavy lower tail is taken as evidence that
 * the upper one is at least as heavy. Loss noise is skewed the other way (easy batches make the
 * lower tail of log losses longer), which only makes the threshold more conservative there.
 *
 * The residuals are robust z-scores, (u − level) / σ in the bad direction, of every point the
 * detector judged outside an excursion (normal points and single-point candidates alike).
 */

const BIN = 0.05
const BINS = 1200
/** Exceedance probability of the tail's base quantile u. */
const P0 = 0.05
/** Ratio between the exceedance probabilities of the three quantiles. */
const M = 4
/** The same while the sample is too small for M (fewer than MIN_TOP points above p₀/M²). */
const EARLY_M = 3
/** Residuals needed before a refit is tried. */
const MIN_COUNT = 512
/** Points wanted above the highest quantile of the ladder (a quarter of it at least, else no fit yet). */
const MIN_TOP = 24
const EVERY = 128
/**
 * Near misses tolerated by the big-ratio rule: at most one per this many judged points. A natural
 * tail that reaches ×bigRatio/1.5 more often than that reaches ×bigRatio too (Student t₃ noise in
 * log space: 16 false spikes in 132,000 points without this check).
 */
const NEAR_MISS_EVERY = 5000

export class TailModel {
  private readonly hist = new Uint32Array(BINS + 1)
  /** The same for −z: the lower tail, which bad batches never reach. */
  private readonly low = new Uint32Array(BINS + 1)
  private count = 0
  private since = 0
  /** Spike threshold in z units. */
  threshold: number
  /** Fitted shape ξ (0 until known). */
  shape = 0
  /** Judged points whose ratio to the median was `nearRatio` or more but under `bigRatio`. */
  private nearMisses = 0

  /** `floor` is the lowest threshold ever used; `initial` the one used until the tail is known. */
  /**
   * `floor` is the lowest threshold ever used; `initial` the one used until the tail is known;
   * `bigRatio` that of the big-ratio rule (detect/params.ts), whose near misses (ratios from
   * ⅔ of it up to it) are counted.
   */
  constructor (private readonly floor: number, private readonly initial: number, private readonly falseRate: number, private readonly bigRatio = Infinity) {
    this.threshold = initial
  }

  clear (): void { this.hist.fill(0); this.low.fill(0); this.count = 0; this.since = 0; this.threshold = this.initial; this.shape = 0; this.nearMisses = 0 }

  /**
   * Whether the big-ratio rule may call a point a spike: the series' own judged points have come
   * close to that ratio (within 1.5×) at most once per NEAR_MISS_EVERY points. Bad batches
   * themselves are over the ratio, so they never count against the next one.
   */
  get bigRatioAllowed (): boolean { return this.nearMisses * NEAR_MISS_EVERY <= this.count }

  /** Adds the residual `z` of a judged point whose ratio to its local median is `ratio`. */
  add (z: number, ratio = 1): void {
    if (ratio >= this.bigRatio / 1.5 && ratio < this.bigRatio) this.nearMisses++
    this.hist[Math.min(BINS, Math.max(0, Math.floor(z / BIN)))]!++
    this.low[Math.min(BINS, Math.max(0, Math.floor(-z / BIN)))]!++
    this.count++
    if (++this.since >= EVERY && this.count >= MIN_COUNT) { this.since = 0; this.refit() }
  }

  /**
   * The values exceeded by fractions `ps` (decreasing) of the residuals, in one pass up the
   * histogram (upper bin edges, so never optimistic).
   */
  private quantiles (hist: Uint32Array, ps: readonly number[]): number[] {
    const out: number[] = []
    let below = 0; let j = 0
    for (let k = 0; k <= BINS && j < ps.length; k++) {
      below += hist[k]!
      while (j < ps.length && this.count - below < this.count * ps[j]!) { out.push((k + 1) * BIN); j++ }
    }
    while (out.length < ps.length) out.push((BINS + 1) * BIN)
    return out
  }

  /** Pickands' ξ from the quantiles of `hist` at p₀, p₀/m, p₀/m². */
  private shapeOf (hist: Uint32Array, m: number): { xi: number, q0: number, q1: number } {
    const [a, b, c] = this.quantiles(hist, [P0, P0 / m, P0 / (m * m)])
    const q0 = Math.max(0, a!)
    const q1 = Math.max(q0 + BIN, b!)
    const q2 = Math.max(q1 + BIN, c!)
    return { xi: Math.log((q2 - q1) / (q1 - q0)) / Math.log(m), q0, q1 }
  }

  private refit (): void {
    // The widest ladder the sample supports: ratio 4 (steadier) once MIN_TOP points lie above its
    // top quantile, ratio 3 before that. Without ξ a power-law tail (Student t₃ noise) would be
    // extrapolated as exponential and its ordinary large draws reported as spikes.
    const m = this.count * P0 / (M * M) >= MIN_TOP ? M : EARLY_M
    if (this.count * P0 / (m * m) < MIN_TOP / 4) return
    const { xi: upper, q0, q1 } = this.shapeOf(this.hist, m)
    const xi = Math.min(0.5, Math.max(0, upper, this.shapeOf(this.low, m).xi))
    // q₁ − q₀ = β/ξ·(m^ξ − 1); the threshold is the (1 − falseRate) quantile.
    const r = P0 / this.falseRate
    const growth = xi > 1e-6 ? (Math.pow(r, xi) - 1) / (Math.pow(m, xi) - 1) : Math.log(r) / Math.log(m)
    this.shape = xi
    this.threshold = Math.max(this.floor, q0 + (q1 - q0) * growth)
  }
}
