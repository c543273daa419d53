/** TensorBoard's chart smoothing (debiased EMA), computed server-side on the full series, incrementally. */

/**
 * TensorBoard's `classicSmoothing` (webapp/widgets/line_chart_v2/data_transformer.ts, same math
 * as the legacy chart's `resmoothDataset`; ../shared/reference/TENSORBOARD_HTTP_API.md §5):
 *
 * - a non-finite weight counts as 0, and the weight is clamped to [0, 1];
 * - a series whose values all equal the first one (`==`, so one NaN makes it non-constant) is
 *   returned unchanged;
 * - a non-finite value is passed through and does not touch the average;
 * - otherwise `last = last·w + (1−w)·y`, `k += 1`, and the output is `last / (1 − w^k)`
 *   (`w == 1` divides by 1, so the line is 0: TensorBoard's own behaviour, issue #5370).
 *
 * The index, not the step, drives the decay, exactly as in TensorBoard. Weight 0 returns the values.
 */
export function tbSmooth (values: ArrayLike<number>, weight: number): Float64Array {
  const s = new TbSmoother(weight)
  const out = new Float64Array(values.length)
  s.extend(values, out, 0)
  s.finish(values, out)
  return out
}

/**
 * Incremental form of {@link tbSmooth}: `extend` smooths the values from `from` on, in O(new
 * points). The constant-series rule depends on the whole series, so `finish` must be called after
 * each extension; it rewrites the output only while the series is still constant (then the output
 * is the values themselves), which costs O(n) only for constant series.
 */
export class TbSmoother {
  readonly weight: number
  private last = 0
  private k = 0
  /** Index up to which the input was consumed. */
  length = 0
  /** True while every value so far `==` the first one. */
  private constant = true
  private first = NaN
  /** w^k has become too small to change 1 − w^k. */
  private settled = false

  constructor (weight: number) {
    let w = Number.isFinite(weight) ? weight : 0
    w = Math.min(1, Math.max(0, w))
    this.weight = w
  }

  /** Smooths values[from..) into out[from..); `from` must equal the previous `length`. */
  extend (values: ArrayLike<number>, out: Float64Array, from: number): void {
    if (from !== this.length) throw new Error(`TbSmoother.extend: expected from=${this.length}, got ${from}`)
    const w = this.weight
    let last = this.last; let k = this.k; let constant = this.constant; let settled = this.settled
    if (from === 0 && values.length > 0) this.first = values[0]!
    const first = this.first
    for (let i = from; i < values.length; i++) {
      const y = values[i]!
      if (constant && !(y === first)) constant = false
      if (!Number.isFinite(y)) {
        out[i] = y
        continue
      }
      last = last * w + (1 - w) * y
      k++
      // Once w^k < 2^-54, 1 − w^k is exactly 1 in float64: skipping Math.pow then changes no bit.
      let debias = 1
      if (w !== 1 && !settled) {
        const wk = Math.pow(w, k)
        if (wk < 2 ** -54) settled = true
        debias = 1 - wk
      }
      out[i] = last / debias
    }
    this.last = last; this.k = k; this.constant = constant; this.settled = settled
    this.length = values.length
  }

  /** Applies the constant-series rule over out[0..length). */
  finish (values: ArrayLike<number>, out: Float64Array): void {
    if (!this.constant || this.length === 0) return
    // `!Number.isNaN(first)` is false only for NaN: a NaN start makes the series non-constant.
    if (Number.isNaN(this.first)) { this.constant = false; return }
    for (let i = 0; i < this.length; i++) out[i] = values[i]!
  }
}
