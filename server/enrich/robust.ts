/** Robust statistics on small numeric buffers (medians by selection, MAD), allocation-free after warm-up. */

/** 1 / Φ⁻¹(3/4): turns a median absolute deviation into a standard deviation for Gaussian data. */
export const MAD_TO_SIGMA = 1.482602218505602
/**
 * Turns the median of |x_i − x_{i−1}| of i.i.d. Gaussian data into its standard deviation:
 * the difference of two draws has deviation √2·σ, and the median of its absolute value is
 * 0.6745·√2·σ. Differences cancel slow trends, which is why the jump detector estimates noise this way.
 */
export const DIFF_MAD_TO_SIGMA = 1 / (0.6744897501960817 * Math.SQRT2)

/**
 * Median of `a[0..n)` by Hoare selection. Reorders `a` in place (pass a scratch copy).
 * `n` must be ≥ 1. For even `n` it returns the mean of the two middle values.
 */
export function medianInPlace (a: Float64Array, n: number): number {
  const k = n >> 1
  const hi = select(a, 0, n - 1, k)
  if (n & 1) return hi
  // The lower middle is the largest value left of k after selection.
  let lo = -Infinity
  for (let i = 0; i < k; i++) if (a[i]! > lo) lo = a[i]!
  return (lo + hi) / 2
}

/** k-th smallest of a[lo..hi] (inclusive), reordering that range. */
function select (a: Float64Array, lo: number, hi: number, k: number): number {
  while (hi > lo) {
    const mid = (lo + hi) >> 1
    // Median of three as pivot keeps sorted and reversed inputs linear.
    const x = a[lo]!; const y = a[mid]!; const z = a[hi]!
    const pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y))
    let i = lo; let j = hi
    while (i <= j) {
      while (a[i]! < pivot) i++
      while (a[j]! > pivot) j--
      if (i <= j) {
        const t = a[i]!; a[i] = a[j]!; a[j] = t
        i++; j--
      }
    }
    if (k <= j) hi = j
    else if (k >= i) lo = i
    else return a[k]!
  }
  return a[k]!
}

/**
 * Fixed-capacity ring of numbers with cheap robust summaries. Holds the most recent
 * `capacity` pushed values; `median()` and `quantile()` copy into a scratch buffer, so the
 * ring's order is never disturbed.
 */
export class Ring {
  readonly buf: Float64Array
  private readonly scratch: Float64Array
  /** Values currently held (≤ capacity). */
  size = 0
  private head = 0

  constructor (readonly capacity: number) {
    this.buf = new Float64Array(capacity)
    this.scratch = new Float64Array(capacity)
  }

  push (x: number): void {
    this.buf[this.head] = x
    if (++this.head === this.capacity) this.head = 0
    if (this.size < this.capacity) this.size++
  }

  clear (): void { this.size = 0; this.head = 0 }

  /** The i-th most recent value (0 = newest). */
  recent (i: number): number {
    return this.buf[(this.head - 1 - i + 2 * this.capacity) % this.capacity]!
  }

  /** Median of the held values; NaN when empty. */
  median (): number {
    if (this.size === 0) return NaN
    this.scratch.set(this.size === this.capacity ? this.buf : this.buf.subarray(0, this.size))
    return medianInPlace(this.scratch, this.size)
  }

  /**
   * Copies the `n` most recent values (n ≤ size), oldest first, into `out[0..n)`: at most two
   * runs, as the newest values end at head (exclusive), possibly wrapping around the buffer's end.
   */
  copyRecent (n: number, out: Float64Array): void {
    const buf = this.buf; const head = this.head
    let j = 0
    // (Plain loops: a subarray view per copy would be garbage at every call.)
    if (head < n) for (let q = head - n + this.capacity; q < this.capacity; q++) out[j++] = buf[q]!
    for (let q = Math.max(0, head - n); q < head; q++) out[j++] = buf[q]!
  }

  /** Median of the `m` most recent values (all when fewer are held); NaN when empty. */
  medianRecent (m: number): number {
    const n = Math.min(m, this.size)
    if (n === 0) return NaN
    this.copyRecent(n, this.scratch)
    return medianInPlace(this.scratch, n)
  }

  /** Median of |x − center| over the held values; NaN when empty. */
  mad (center: number): number {
    if (this.size === 0) return NaN
    for (let i = 0; i < this.size; i++) this.scratch[i] = Math.abs(this.buf[i]! - center)
    return medianInPlace(this.scratch, this.size)
  }

  /** The q-quantile (0 ≤ q ≤ 1, nearest rank) of the held values; NaN when empty. */
  quantile (q: number): number {
    if (this.size === 0) return NaN
    this.scratch.set(this.size === this.capacity ? this.buf : this.buf.subarray(0, this.size))
    const k = Math.min(this.size - 1, Math.max(0, Math.round(q * (this.size - 1))))
    return select(this.scratch, 0, this.size - 1, k)
  }
}

/** Median of the values `xs` (copied first). NaN for an empty list. */
export function median (xs: ArrayLike<number>): number {
  if (xs.length === 0) return NaN
  const a = Float64Array.from(xs)
  return medianInPlace(a, a.length)
}
