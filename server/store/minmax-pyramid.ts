/**
 * A multi-resolution min/max summary of one value column, maintained on append, so that the
 * extremes of any index range cost O(BLOCK + FAN × levels) instead of O(range).
 */

/** Points per level-0 block. */
const BLOCK = 128
/** Blocks of level ℓ per block of level ℓ + 1. */
const FAN = 8
const FAN_SHIFT = 3
/** "No such point". */
export const NONE = 0xFFFFFFFF

/**
 * Level ℓ: for block j (points j · 128 · 8^ℓ onwards, 128 · 8^ℓ of them), the index and value of
 * its smallest finite value and of its largest, and the index of its first non-finite value (NONE
 * when absent). The values are kept beside the indices so that folding neighbouring blocks reads
 * neighbouring memory instead of one cache line of the column per block.
 */
interface Level {
  minP: Uint32Array
  maxP: Uint32Array
  badP: Uint32Array
  minV: Float64Array
  maxV: Float64Array
  length: number
}

/** A pyramid as plain, structured-cloneable data. */
export interface PyramidSnapshot {
  levels: Level[]
}

/**
 * The extremes of a range: the index (and value) of its smallest finite value and of its largest,
 * the earliest on ties as one left-to-right scan finds them, and the index of its first
 * non-finite value; NONE when absent.
 */
export interface Extremes {
  minP: number
  minV: number
  maxP: number
  maxV: number
  badP: number
}

export function emptyExtremes (): Extremes {
  return { minP: NONE, minV: Infinity, maxP: NONE, maxV: -Infinity, badP: NONE }
}

function newLevel (): Level {
  const cap = 16
  return { minP: new Uint32Array(cap), maxP: new Uint32Array(cap), badP: new Uint32Array(cap), minV: new Float64Array(cap), maxV: new Float64Array(cap), length: 0 }
}

function push (l: Level, e: Extremes): void {
  const k = l.length
  if (k === l.minP.length) {
    const cap = k * 2
    const u = (a: Uint32Array): Uint32Array => { const b = new Uint32Array(cap); b.set(a); return b }
    const f = (a: Float64Array): Float64Array => { const b = new Float64Array(cap); b.set(a); return b }
    l.minP = u(l.minP); l.maxP = u(l.maxP); l.badP = u(l.badP); l.minV = f(l.minV); l.maxV = f(l.maxV)
  }
  l.minP[k] = e.minP; l.maxP[k] = e.maxP; l.badP[k] = e.badP; l.minV[k] = e.minV; l.maxV[k] = e.maxV
  l.length = k + 1
}

/** Folds the points `from … to − 1` into `e` (order-independent: ties go to the smaller index). */
function scan (e: Extremes, values: ArrayLike<number>, from: number, to: number): void {
  let minP = e.minP; let minV = e.minV; let maxP = e.maxP; let maxV = e.maxV; let badP = e.badP
  for (let p = from; p < to; p++) {
    const v = values[p]!
    if (v - v !== 0) { if (p < badP) badP = p; continue }
    if (minP === NONE || v < minV || (v === minV && p < minP)) { minV = v; minP = p }
    if (maxP === NONE || v > maxV || (v === maxV && p < maxP)) { maxV = v; maxP = p }
  }
  e.minP = minP; e.minV = minV; e.maxP = maxP; e.maxV = maxV; e.badP = badP
}

/** Folds blocks `from … to − 1` of `l` into `e` (order-independent). */
function fold (e: Extremes, l: Level, from: number, to: number): void {
  let minP = e.minP; let minV = e.minV; let maxP = e.maxP; let maxV = e.maxV; let badP = e.badP
  for (let j = from; j < to; j++) {
    const a = l.minP[j]!
    if (a !== NONE) {
      const v = l.minV[j]!
      if (minP === NONE || v < minV || (v === minV && a < minP)) { minV = v; minP = a }
      const b = l.maxP[j]!
      const w = l.maxV[j]!
      if (maxP === NONE || w > maxV || (w === maxV && b < maxP)) { maxV = w; maxP = b }
    }
    const c = l.badP[j]!
    if (c < badP) badP = c
  }
  e.minP = minP; e.minV = minV; e.maxP = maxP; e.maxV = maxV; e.badP = badP
}

/**
 * 28 bytes per block of 128 points, ×8/7 over all levels: 0.25 bytes per point. Indices and
 * float64 values, so the values column may widen from float32 to float64 without touching it.
 * Invariant: ⌊n / 128⌋ blocks at level 0, and level ℓ + 1 holds ⌊level ℓ / 8⌋; the incomplete
 * tail is scanned from the column at query time.
 */
export class MinMaxPyramid {
  private levels: Level[] = []

  /** Called after the point at `n − 1` was appended (the column now holds `n` points). O(1) amortised. */
  appended (values: ArrayLike<number>, n: number): void {
    if ((n & (BLOCK - 1)) !== 0) return
    const e = emptyExtremes()
    scan(e, values, n - BLOCK, n)
    if (this.levels.length === 0) this.levels.push(newLevel())
    push(this.levels[0]!, e)
    for (let l = 0; (this.levels[l]!.length & (FAN - 1)) === 0; l++) {
      if (l + 1 === this.levels.length) this.levels.push(newLevel())
      const below = this.levels[l]!
      const f = emptyExtremes()
      fold(f, below, below.length - FAN, below.length)
      push(this.levels[l + 1]!, f)
    }
  }

  /**
   * The extremes of `lo … hi − 1`, exactly as one left-to-right scan finds them. `values` must be
   * the column the pyramid was built on, holding at least `hi` points.
   */
  extremes (values: ArrayLike<number>, lo: number, hi: number, out: Extremes): Extremes {
    out.minP = NONE; out.minV = Infinity; out.maxP = NONE; out.maxV = -Infinity; out.badP = NONE
    const levels = this.levels
    // Whole built blocks [L, R); the points outside them are scanned.
    let L = Math.ceil(lo / BLOCK)
    let R = Math.min(Math.floor(hi / BLOCK), levels.length > 0 ? levels[0]!.length : 0)
    if (L >= R) { scan(out, values, lo, hi); return out }
    scan(out, values, lo, L * BLOCK)
    scan(out, values, R * BLOCK, hi)
    // Level by level: the blocks at either end that do not make up a whole block of the level above.
    for (let l = 0; L < R; l++) {
      const lv = levels[l]!
      if (l + 1 === levels.length) { fold(out, lv, L, R); break }
      const l2 = Math.min(R, (L + FAN - 1) & ~(FAN - 1))
      fold(out, lv, L, l2)
      const r2 = Math.max(l2, R & ~(FAN - 1))
      fold(out, lv, r2, R)
      L = l2 >>> FAN_SHIFT
      R = r2 >>> FAN_SHIFT
    }
    return out
  }

  /** Bytes held (capacity). */
  byteLength (): number {
    let b = 0
    for (const l of this.levels) b += l.minP.length * 28
    return b
  }

  snapshot (): PyramidSnapshot {
    return { levels: this.levels.map(l => ({ ...l })) }
  }

  static fromSnapshot (s: PyramidSnapshot): MinMaxPyramid {
    const p = new MinMaxPyramid()
    p.levels = s.levels.map(l => ({ ...l }))
    return p
  }
}
