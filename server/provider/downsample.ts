/** Deterministic, shape-preserving thinning of a series for display: min/max per bucket, or LTTB. */

import { NONE, emptyExtremes, type MinMaxPyramid } from '../store/minmax-pyramid.js'

/**
 * The candidate points, as positions into the stored columns, in output order: either the
 * contiguous positions `start … start+count-1` (`list` null) or `list[0 … count-1]`.
 */
export interface Candidates {
  start: number
  count: number
  list: Uint32Array | null
}

/** How to thin: min and max per bucket, or Largest-Triangle-Three-Buckets. */
export type DownsampleMethod = 'minmax' | 'lttb'

/** Position of the k-th candidate. */
export function candidateAt (c: Candidates, k: number): number {
  return c.list === null ? c.start + k : c.list[k]!
}

/**
 * Thins `c` to at most `maxPoints` positions (ascending candidate order, no duplicates).
 * Invariants for both methods: the first and the last candidate are always kept; the result is
 * a pure function of the inputs; when `count ≤ maxPoints` every candidate is returned.
 * `maxPoints` must be ≥ 2. Non-finite values are never thinned away: a bucket holding NaN or
 * ±Infinity keeps its first such point, so the onset of a divergence always shows.
 *
 * - `minmax`: the interior is cut into equal-count buckets, and each bucket keeps, for every
 *   column in `ys`, the position of its smallest finite value and of its largest one — or of its
 *   first non-finite value when it has one (ties: the earliest). Every spike of every column
 *   survives; the cost is O(count × columns).
 * - `lttb`: Largest-Triangle-Three-Buckets (Steinarsson 2013) on `xs` × `ys[0]`: one point per
 *   bucket, the one forming the largest triangle with the previous pick and the next bucket's
 *   mean. A bucket holding a non-finite value keeps its first non-finite point instead.
 */
export function downsample (c: Candidates, maxPoints: number, method: DownsampleMethod, xs: ArrayLike<number>, ys: ReadonlyArray<ArrayLike<number>>): Uint32Array {
  if (!(maxPoints >= 2)) throw new RangeError(`maxPoints must be >= 2, got ${maxPoints}`)
  if (c.count <= maxPoints) {
    const all = new Uint32Array(c.count)
    for (let k = 0; k < c.count; k++) all[k] = candidateAt(c, k)
    return all
  }
  return method === 'lttb' ? lttb(c, maxPoints, xs, ys[0]!) : minMax(c, maxPoints, ys)
}

/**
 * Exactly `downsample(c, maxPoints, 'minmax', xs, [values])`, read from the series' min/max
 * pyramid when the candidates are contiguous: O(maxPoints × (64 + 8 × log₈ n)) instead of
 * O(count). `pyramid` must summarise `values`.
 */
export function downsampleMinMaxPyramid (c: Candidates, maxPoints: number, values: ArrayLike<number>, pyramid: MinMaxPyramid): Uint32Array {
  if (c.list !== null || c.count <= maxPoints) return downsample(c, maxPoints, 'minmax', values, [values])
  if (!(maxPoints >= 2)) throw new RangeError(`maxPoints must be >= 2, got ${maxPoints}`)
  const n = c.count
  const buckets = Math.floor((maxPoints - 2) / 2)
  if (buckets < 1) return evenlySpaced(c, maxPoints)
  const out = new Uint32Array(maxPoints)
  let o = 0
  out[o++] = c.start
  const interior = n - 2
  const e = emptyExtremes()
  for (let b = 0; b < buckets; b++) {
    const lo = 1 + Math.floor(b * interior / buckets)
    const hi = 1 + Math.floor((b + 1) * interior / buckets)
    if (hi <= lo) continue
    pyramid.extremes(values, c.start + lo, c.start + hi, e)
    // The same picks as bucketExtremes: the minimum, then the first non-finite value or else the maximum; ascending, no duplicates.
    const a = e.minP
    const z = e.badP !== NONE ? e.badP : e.maxP
    if (a === NONE) { if (z !== NONE) out[o++] = z } else if (z === NONE || z === a) out[o++] = a
    else if (a < z) { out[o++] = a; out[o++] = z } else { out[o++] = z; out[o++] = a }
  }
  out[o++] = c.start + n - 1
  return out.slice(0, o)
}

function minMax (c: Candidates, maxPoints: number, ys: ReadonlyArray<ArrayLike<number>>): Uint32Array {
  const n = c.count
  const cols = Math.max(1, ys.length)
  const buckets = Math.floor((maxPoints - 2) / (2 * cols))
  if (buckets < 1) return evenlySpaced(c, maxPoints)
  const out = new Uint32Array(maxPoints)
  let o = 0
  out[o++] = candidateAt(c, 0)
  const interior = n - 2
  const picks: number[] = []
  for (let b = 0; b < buckets; b++) {
    const lo = 1 + Math.floor(b * interior / buckets)
    const hi = 1 + Math.floor((b + 1) * interior / buckets)
    if (hi <= lo) continue
    picks.length = 0
    for (const y of ys) bucketExtremes(c, y, lo, hi, picks)
    if (ys.length === 0) picks.push(lo)
    picks.sort((a, b2) => a - b2)
    let prev = -1
    for (const k of picks) if (k !== prev) { out[o++] = candidateAt(c, k); prev = k }
  }
  out[o++] = candidateAt(c, n - 1)
  return out.slice(0, o)
}

/**
 * Pushes onto `picks` the candidate indices (in lo…hi-1) of the smallest finite value of `y` and
 * of its largest one, or of its first non-finite value. Contiguous candidates get their own loop:
 * indexing through {@link candidateAt} costs about 2× on a million points.
 */
function bucketExtremes (c: Candidates, y: ArrayLike<number>, lo: number, hi: number, picks: number[]): void {
  let minP = -1; let minV = Infinity
  let maxP = -1; let maxV = -Infinity; let badP = -1
  if (c.list === null) {
    for (let p = c.start + lo, end = c.start + hi; p < end; p++) {
      const v = y[p]!
      if (v - v !== 0) { if (badP < 0) badP = p; continue }
      if (v < minV || minP < 0) { minV = v; minP = p }
      if (v > maxV || maxP < 0) { maxV = v; maxP = p }
    }
    if (minP >= 0) picks.push(minP - c.start)
    if (badP >= 0) picks.push(badP - c.start)
    else if (maxP >= 0) picks.push(maxP - c.start)
    return
  }
  const list = c.list
  for (let k = lo; k < hi; k++) {
    const v = y[list[k]!]!
    if (v - v !== 0) { if (badP < 0) badP = k; continue }
    if (v < minV || minP < 0) { minV = v; minP = k }
    if (v > maxV || maxP < 0) { maxV = v; maxP = k }
  }
  if (minP >= 0) picks.push(minP)
  if (badP >= 0) picks.push(badP)
  else if (maxP >= 0) picks.push(maxP)
}

function lttb (c: Candidates, maxPoints: number, xs: ArrayLike<number>, ys: ArrayLike<number> | undefined): Uint32Array {
  if (ys === undefined) return evenlySpaced(c, maxPoints)
  const n = c.count
  const buckets = maxPoints - 2
  const every = (n - 2) / buckets
  const out = new Uint32Array(maxPoints)
  let o = 0
  const first = candidateAt(c, 0)
  out[o++] = first
  // The previous pick's coordinates; a non-finite pick leaves the last finite one in place.
  let ax = xs[first]!
  let ay = ys[first]!
  let haveA = Number.isFinite(ay)
  for (let b = 0; b < buckets; b++) {
    const lo = 1 + Math.floor(b * every)
    const hi = Math.min(n - 1, 1 + Math.floor((b + 1) * every))
    // Mean of the next bucket (the last point when this is the last bucket).
    const nlo = hi
    const nhi = b === buckets - 1 ? n : Math.min(n - 1, 1 + Math.floor((b + 2) * every))
    let mx = 0; let my = 0; let m = 0
    for (let k = nlo; k < Math.max(nhi, nlo + 1) && k < n; k++) {
      const p = candidateAt(c, k)
      const y = ys[p]!
      if (!Number.isFinite(y)) continue
      mx += xs[p]!; my += y; m++
    }
    if (m > 0) { mx /= m; my /= m }
    let pick = -1; let best = -1; let nonFinite = -1
    for (let k = lo; k < hi; k++) {
      const p = candidateAt(c, k)
      const y = ys[p]!
      if (!Number.isFinite(y)) { if (nonFinite < 0) nonFinite = k; continue }
      if (!haveA || m === 0) { if (pick < 0) pick = k; continue }
      const area = Math.abs((ax - mx) * (y - ay) - (ax - xs[p]!) * (my - ay))
      if (area > best) { best = area; pick = k }
    }
    if (nonFinite >= 0) pick = nonFinite
    if (pick < 0) continue
    const p = candidateAt(c, pick)
    out[o++] = p
    if (Number.isFinite(ys[p]!)) { ax = xs[p]!; ay = ys[p]!; haveA = true }
  }
  out[o++] = candidateAt(c, n - 1)
  return out.slice(0, o)
}

function evenlySpaced (c: Candidates, maxPoints: number): Uint32Array {
  const out = new Uint32Array(maxPoints)
  for (let j = 0; j < maxPoints; j++) out[j] = candidateAt(c, Math.round(j * (c.count - 1) / (maxPoints - 1)))
  return out
}
