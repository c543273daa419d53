/** The y scale: an outlier-robust range (TensorBoard's "ignore outliers"), the points it leaves out, and tick labels at any magnitude. */

import type uPlot from 'uplot'

/** Fewer finite values than this: the full range is used (quantiles of a handful of points mean little). */
const MIN_ROBUST_POINTS = 20

/** Value at quantile q (0..1) of an ascending array, linearly interpolated. */
export function quantile (sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length
  if (n === 0) return NaN
  const pos = (n - 1) * q
  const i = Math.floor(pos)
  const f = pos - i
  return i + 1 < n ? sorted[i]! * (1 - f) + sorted[i + 1]! * f : sorted[i]!
}

/**
 * y range for the finite values of a chart's columns. Without outliers it is the data's range;
 * with them it is the 1st–99th percentile band, widened to take in every value that is not far
 * out (within half the band's width), padded by 5%. Log axes work on log10 of the positive values.
 * Returns null when there is nothing to scale, and `clipped` says whether some values lie outside.
 */
export function robustRange (columns: Array<ArrayLike<number | null | undefined>>, logY: boolean): { min: number, max: number, clipped: boolean } | null {
  const vals: number[] = []
  for (const col of columns) {
    for (let i = 0; i < col.length; i++) {
      const v = col[i]
      if (typeof v === 'number' && Number.isFinite(v) && (!logY || v > 0)) vals.push(logY ? Math.log10(v) : v)
    }
  }
  if (vals.length === 0) return null
  const sorted = Float64Array.from(vals).sort()
  const lo = sorted[0]!; const hi = sorted[sorted.length - 1]!
  let min = lo; let max = hi
  if (sorted.length >= MIN_ROBUST_POINTS) {
    const qlo = quantile(sorted, 0.01); const qhi = quantile(sorted, 0.99)
    const band = Math.max(qhi - qlo, Math.abs(qhi) * 1e-9, 1e-300)
    min = Math.max(lo, qlo - band * 0.5)
    max = Math.min(hi, qhi + band * 0.5)
    // Everything within the widened band: keep exactly the values that are in it.
    if (min > lo) min = smallestAtLeast(sorted, min)
    if (max < hi) max = largestAtMost(sorted, max)
  }
  const clipped = min > lo || max < hi
  const span = max - min
  const pad = span > 0 ? span * 0.05 : Math.max(Math.abs(max) * 0.05, logY ? 0.02 : 1e-9)
  const a = min - pad; const b = max + pad
  return logY ? { min: 10 ** a, max: 10 ** b, clipped } : { min: a, max: b, clipped }
}

function smallestAtLeast (sorted: Float64Array, v: number): number {
  for (const x of sorted) if (x >= v) return x
  return v
}
function largestAtMost (sorted: Float64Array, v: number): number {
  for (let i = sorted.length - 1; i >= 0; i--) if (sorted[i]! <= v) return sorted[i]!
  return v
}

const SI: Array<[number, string]> = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']]

/**
 * Labels for one axis' ticks, formatted together so they agree: SI suffixes (k, M, G, T) from
 * 10^4 up to 10^15, plain decimals between 10^-3 and 10^4, scientific notation beyond either end;
 * decimals enough to tell neighbouring ticks apart. Nulls (unlabelled log ticks) stay empty.
 */
export function formatTicks (splits: Array<number | null>): string[] {
  const vals = splits.filter((v): v is number => v !== null && Number.isFinite(v))
  if (vals.length === 0) return splits.map(() => '')
  const maxAbs = Math.max(...vals.map(Math.abs))
  let step = Infinity
  for (let i = 1; i < vals.length; i++) { const d = Math.abs(vals[i]! - vals[i - 1]!); if (d > 0 && d < step) step = d }
  if (!Number.isFinite(step)) step = maxAbs > 0 ? maxAbs : 1
  const fmt = (v: number): string => {
    if (v === 0) return '0'
    if (maxAbs >= 1e15 || maxAbs < 1e-3) {
      // Enough mantissa digits for the tick step relative to the largest value.
      const digits = Math.min(6, Math.max(0, Math.ceil(Math.log10(maxAbs / step) - 1e-9)))
      return v.toExponential(digits).replace(/\.?0+e/, 'e').replace('e+', 'e')
    }
    if (maxAbs >= 1e4) {
      const [div, suffix] = SI.find(([d]) => maxAbs >= d)!
      const dec = Math.max(0, Math.min(6, Math.ceil(-Math.log10(step / div) - 1e-9)))
      return `${trimZeros((v / div).toFixed(dec))}${suffix}`
    }
    const dec = Math.max(0, Math.min(12, Math.ceil(-Math.log10(step) - 1e-9)))
    return trimZeros(v.toFixed(dec))
  }
  return splits.map(v => v === null || !Number.isFinite(v) ? '' : fmt(v))
}

function trimZeros (s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s
}

/** uPlot axis `values` callback using formatTicks. */
export const tickValues = (_u: uPlot, splits: Array<number | null>): string[] => formatTicks(splits)
