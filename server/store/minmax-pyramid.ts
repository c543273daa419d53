/**
 * A multi-resolution min/max summary of one value column, maintained on append, so that the
 * extremes of any index range cost O(LEAF + FAN × levels) instead of O(range).
 */

/** Points per level-0 block. */
const LEAF = 64
const LEAF_SHIFT = 6
/** Blocks of level ℓ per block of level ℓ + 1. */
const FAN = 8
const FAN_SHIFT = 3
/** "No such point" in the index arrays. */
export const NONE = 0xFFFFFFFF

/**
 * One level: for block j (points j·size … (j+1)·size − 1), the index of its smallest finite value,
 * of its largest finite value and of its first non-finite value (NONE when there is none). Ties
 * keep the earliest index, as the brute-force scan does.
 */
interface Level {
  min: Uint32Array
  max: Uint32Array
  bad: Uint32Array
  length: number
}

/** A pyramid as plain, structured-cloneable data. */
export interface PyramidSnapshot {
  levels: Level[]
}

/** The extremes of a range: indices into the value column, NONE when absent. */
export interface Extremes {
  minP: number
  maxP: number
  badP: number
}

function newLevel (capacity: number): Level {
  return { min: new Uint32Array(capacity), max: new Uint32Array(capacity), bad: new Uint32Array(capacity), length: 0 }
}

function push (l: Level, mn: number, mx: number, bd: number): void {
  if (l.length === l.min.length) {
    const cap = Math.max(8, l.length * 2)
    for (const k of ['min', 'max', 'bad'] as const) {
      const next = new Uint32Array(cap)
      next.set(l[k])
      l[k] = next
    }
  }
  l.min[l.length] = mn
  l.max[l.length] = mx
  l.bad[l.length] = bd
  l.length++
}

/**
 * Indices only (12 bytes per block of 64 points, ×8/7 over all levels: 0.21 bytes per point), so
 * the values column may widen from float32 to float64 without touching the pyramid. Invariant:
 * level 0 holds ⌊n / LEAF⌋ complete blocks and level ℓ + 1 ⌊level ℓ / FAN⌋; the incomplete tail is
 * scanned from the column at query time.
 */
export class MinMaxPyramid {
  private levels: Level[] = []

  /** Called after the point at `n − 1` was appended (the column now holds `n` points). O(1) amortised. */
  appended (values: ArrayLike<number>, n: number): void {
    if ((n & (LEAF - 1)) !== 0) return
    const start = n - LEAF
    let minP = NONE; let minV = Infinity; let maxP = NONE; let maxV = -Infinity; let badP = NONE
    for (let p = start; p < n; p++) {
      const v = values[p]!
      if (v - v !== 0) { if (badP === NONE) badP = p; continue }
      if (minP === NONE || v < minV) { minV = v; minP = p }
      if (maxP === NONE || v > maxV) { maxV = v; maxP = p }
    }
    if (this.levels.length === 0) this.levels.push(newLevel(16))
    push(this.levels[0]!, minP, maxP, badP)
    for (let l = 0; (this.levels[l]!.length & (FAN - 1)) === 0; l++) {
      const below = this.levels[l]!
      if (l + 1 === this.levels.length) this.levels.push(newLevel(16))
      const from = below.length - FAN
      let mn = NONE; let mx = NONE; let bd = NONE
      for (let j = from; j < below.length; j++) {
        const a = below.min[j]!
        if (a !== NONE && (mn === NONE || values[a]! < values[mn]!)) mn = a
        const b = below.max[j]!
        if (b !== NONE && (mx === NONE || values[b]! > values[mx]!)) mx = b
        if (bd === NONE) bd = below.bad[j]!
      }
      push(this.levels[l + 1]!, mn, mx, bd)
    }
  }

  /**
   * The index of the smallest and of the largest finite value in `lo … hi − 1` and of the first
   * non-finite one, exactly as one left-to-right scan finds them (earliest on ties). `values`
   * must be the column the pyramid was built on, holding at least `hi` points.
   */
  extremes (values: ArrayLike<number>, lo: number, hi: number, out: Extremes): Extremes {
    let minP = NONE; let minV = Infinity; let maxP = NONE; let maxV = -Infinity; let badP = NONE
    const levels = this.levels
    const built0 = levels.length > 0 ? levels[0]!.length << LEAF_SHIFT : 0
    let i = lo
    while (i < hi) {
      // Points one by one: up to the next leaf boundary, or to the end when no whole built leaf is left.
      if ((i & (LEAF - 1)) !== 0 || i + LEAF > hi || i >= built0) {
        const stop = (i & (LEAF - 1)) !== 0 && i < built0 ? Math.min(hi, (i | (LEAF - 1)) + 1) : hi
        for (; i < stop; i++) {
          const v = values[i]!
          if (v - v !== 0) { if (badP === NONE) badP = i; continue }
          if (minP === NONE || v < minV) { minV = v; minP = i }
          if (maxP === NONE || v > maxV) { maxV = v; maxP = i }
        }
        continue
      }
      // i is leaf-aligned and a whole built leaf fits: climb while a larger built block starts here and fits.
      let l = 0
      let shift = LEAF_SHIFT
      while (l + 1 < levels.length) {
        const s = shift + FAN_SHIFT
        const size = 2 ** s
        if (i % size !== 0 || i + size > hi || Math.floor(i / size) >= levels[l + 1]!.length) break
        l++
        shift = s
      }
      const j = Math.floor(i / 2 ** shift)
      const lv = levels[l]!
      const a = lv.min[j]!
      if (a !== NONE) { const v = values[a]!; if (minP === NONE || v < minV) { minV = v; minP = a } }
      const b = lv.max[j]!
      if (b !== NONE) { const v = values[b]!; if (maxP === NONE || v > maxV) { maxV = v; maxP = b } }
      if (badP === NONE) badP = lv.bad[j]!
      i += 2 ** shift
    }
    out.minP = minP; out.maxP = maxP; out.badP = badP
    return out
  }

  /** Bytes held (capacity). */
  byteLength (): number {
    let b = 0
    for (const l of this.levels) b += l.min.byteLength + l.max.byteLength + l.bad.byteLength
    return b
  }

  snapshot (): PyramidSnapshot {
    return { levels: this.levels.map(l => ({ min: l.min, max: l.max, bad: l.bad, length: l.length })) }
  }

  static fromSnapshot (s: PyramidSnapshot): MinMaxPyramid {
    const p = new MinMaxPyramid()
    p.levels = s.levels.map(l => ({ ...l }))
    return p
  }
}
