/**
 * Slow patterns, seen in block medians of the series: a slow divergence (a rising trend too gradual
 * for single points), a level shift hidden in the noise of single points, and plateaus (a flat
 * stretch between two stretches of progress).
 */

import { medianInPlace, DIFF_MAD_TO_SIGMA } from '../robust.js'
import { makeEvent, extendEvent, fmt, fmtRatio, type JumpEvent } from '../events.js'
import type { DetectContext, PointsView } from './context.js'
import { metricWords } from '../metric-words.js'

interface Block {
  med: number
  first: number
  last: number
}

/** Block medians in the rolling level. */
const LEVEL_BLOCKS = 6
/** Blocks a block-level shift must stay settled after it is seen (else it is the start of a climb). */
const SETTLE_BLOCKS = 3
/** Kinds that already explain a stretch (a slow detector stays quiet over them). */
const EXPLAINED = new Set(['level-shift', 'divergence', 'non-finite', 'oscillation'])

/** Noise of a rolling level (the median of LEVEL_BLOCKS block medians of noise `sb`). */
function levelSigma (sb: number): number { return 1.25 * sb / Math.sqrt(LEVEL_BLOCKS) }

export class TrendDetector {
  private blocks: Block[] = []
  /** Rolling level (median of the last LEVEL_BLOCKS block medians) at each block. */
  private levels: number[] = []
  private blockSize: number
  private readonly buf: Float64Array
  private fill = 0
  private kept = 0
  private firstIdx = 0
  private slowDiv: JumpEvent | null = null
  /** An open stall (no progress over most of the series so far) and the centre of the band of rolling levels it was found in. */
  private stallEv: JumpEvent | null = null
  private stallCentre = NaN
  private bestBlock = -1
  private bestLevel = NaN
  private lastShiftBlock = -1
  /** A block-level shift found at block `j`, confirmed once SETTLE_BLOCKS more blocks show it settled. */
  private pendingShift: { j: number, d: number, after: number, before: number } | null = null
  private lastPlateauEndBlock = -1
  private readonly scratch = new Float64Array(65)
  private readonly levelScratch = new Float64Array(LEVEL_BLOCKS)

  constructor (private readonly ctx: DetectContext, private readonly busy: () => boolean) {
    this.blockSize = ctx.p.blockSize
    this.buf = new Float64Array(Math.max(ctx.p.blockSize, 256))
  }

  reset (): void {
    if (this.slowDiv !== null) { this.slowDiv.open = false; this.slowDiv = null }
    if (this.stallEv !== null) { this.stallEv.open = false; this.stallEv = null }
    this.blocks = []; this.levels = []; this.blockSize = this.ctx.p.blockSize; this.fill = 0
    this.bestBlock = -1; this.bestLevel = NaN; this.lastShiftBlock = -1; this.lastPlateauEndBlock = -1
    this.pendingShift = null
  }

  point (v: PointsView, i: number, u: number, n: number): void {
    if (this.fill === 0) { this.firstIdx = i; this.kept = 0 }
    // Blocks larger than the buffer keep every stride-th point (a systematic sample).
    const stride = Math.max(1, Math.ceil(this.blockSize / this.buf.length))
    if (this.fill % stride === 0 && this.kept < this.buf.length) this.buf[this.kept++] = u
    this.fill++
    if (this.fill < this.blockSize) return
    this.blocks.push({ med: medianInPlace(this.buf, this.kept), first: this.firstIdx, last: i })
    this.fill = 0
    this.onBlock(v, n)
    if (this.blocks.length >= 512) this.merge()
  }

  private merge (): void {
    const out: Block[] = []
    for (let k = 0; k + 1 < this.blocks.length; k += 2) {
      const a = this.blocks[k]!; const b = this.blocks[k + 1]!
      out.push({ med: (a.med + b.med) / 2, first: a.first, last: b.last })
    }
    if (this.blocks.length % 2) out.push(this.blocks[this.blocks.length - 1]!)
    this.blocks = out
    this.levels = []
    for (let j = LEVEL_BLOCKS - 1; j < out.length; j++) this.levels[j] = this.levelAt(j)
    const half = (x: number): number => x >= 0 ? Math.floor(x / 2) : -1
    this.bestBlock = half(this.bestBlock)
    this.lastPlateauEndBlock = half(this.lastPlateauEndBlock)
    this.lastShiftBlock = half(this.lastShiftBlock)
    this.pendingShift = null
    this.blockSize *= 2
  }

  private levelAt (j: number): number {
    const lv = this.levelScratch
    for (let k = 0; k < LEVEL_BLOCKS; k++) lv[k] = this.blocks[j - k]!.med
    return medianInPlace(lv, LEVEL_BLOCKS)
  }

  /** Noise of block medians, from their lag-1 differences (over at most 64 blocks). */
  private blockSigma (from: number, to: number): number {
    const n = to - from
    if (n < 4) return NaN
    const a = this.scratch
    for (let k = from + 1; k <= to; k++) a[k - from - 1] = Math.abs(this.blocks[k]!.med - this.blocks[k - 1]!.med)
    return DIFF_MAD_TO_SIGMA * medianInPlace(a, n)
  }

  /**
   * Whether an event of an explaining kind accounts for the rise from block index `from` to block
   * `j`: it is still open, or it ended within the last LEVEL_BLOCKS blocks, or the level has not
   * risen by a further half of `rise` since it ended. A level shift called at the start of a
   * climb that then went on for thousands of steps explains only its own stretch: the climb
   * after it is a divergence (without this, a loss growing ×10⁴ to NaN showed one 60-step shift).
   */
  private explainedNow (from: number, j: number, rise: number): boolean {
    const { space } = this.ctx
    const B = this.blocks
    let end = -1
    for (const e of this.ctx.events) {
      if (!EXPLAINED.has(e.kind) || e.endIndex < from || e.startIndex > B[j]!.last) continue
      if (e.open) return true
      end = Math.max(end, e.endIndex)
    }
    if (end < 0) return false
    let k = j
    while (k > 0 && B[k - 1]!.last >= end) k--
    if (j - k < LEVEL_BLOCKS || this.levels[k] === undefined) return true
    return space.dir * (this.levels[j]! - this.levels[k]!) < rise / 2
  }

  private covered (from: number, to: number): boolean {
    return this.ctx.events.some(e => EXPLAINED.has(e.kind) && e.endIndex >= from && e.startIndex <= to)
  }

  private onBlock (v: PointsView, n: number): void {
    const { p, space, label } = this.ctx
    const B = this.blocks
    const j = B.length - 1
    const cur = B[j]!
    const sB = this.blockSigma(Math.max(0, j - 64), j)
    if (Number.isNaN(sB) || j + 1 < LEVEL_BLOCKS) return
    const sb = Math.max(sB, space.logMode ? 1e-4 : 1e-12)
    const level = this.levels[j] = this.levelAt(j)
    this.blockShift(v, sb, n)
    if (this.bestBlock < 0 || space.dir * (level - this.bestLevel) < 0) { this.bestLevel = level; this.bestBlock = j }
    const rise = space.dir * (level - this.bestLevel)
    const growth = space.logMode ? Math.log(p.slowDivergenceGrowth) : (p.slowDivergenceGrowth - 1) * Math.abs(this.bestLevel)
    const ratioOf = (r: number): number => space.logMode ? Math.exp(r) : 1 + r / Math.max(Math.abs(this.bestLevel), sb)
    if (this.slowDiv === null) {
      if (j - this.bestBlock >= 4 && rise >= growth && rise >= p.slowDivergenceZ * sb && !this.busy()) {
        // A trend, not a step: no two neighbouring rolling levels carry more than a quarter of the rise.
        let maxInc = 0
        for (let k = this.bestBlock + 1; k <= j; k++) maxInc = Math.max(maxInc, space.dir * (this.levels[k]! - this.levels[k - 1]!))
        const spread = maxInc <= rise / 4
        const midLevel = this.levels[this.bestBlock + Math.floor((j - this.bestBlock) / 2)] ?? this.bestLevel
        // The start: where the level came close to the growth that defines a divergence for good,
        // after it was last within half of it of the best level (noise of the rolling level can
        // touch 0.9 of the growth long before the climb); a rolling level lags its blocks by half its width.
        let calm = this.bestBlock
        for (let k = j; k > this.bestBlock; k--) if (space.dir * (this.levels[k]! - this.bestLevel) <= 0.5 * growth) { calm = k; break }
        let sBlock = j
        for (let k = calm; k <= j; k++) if (space.dir * (this.levels[k]! - this.bestLevel) >= 0.9 * growth) { sBlock = k; break }
        const startIdx = B[Math.max(0, sBlock - (LEVEL_BLOCKS >> 1))]!.first
        if (spread && !this.explainedNow(startIdx, j, rise)) {
          const ev = makeEvent(v, { kind: 'divergence', severity: 'critical', start: startIdx, end: cur.last, ratio: ratioOf(rise), robustZ: rise / sb, baseline: space.y(this.bestLevel), peak: space.y(level), open: true })
          const w = metricWords(space.dir, label)
          ev.causes.push({ cause: `a sustained ${w.upward} trend (learning rate too high for the current curvature, accumulating numerical error, a drifting data stream)`, evidence: `the median of ${label} over ${LEVEL_BLOCKS} blocks of ${this.blockSize} points ${w.worsened} steadily from its best level ${fmt(space.y(this.bestLevel))} (around step ${v.steps[B[this.bestBlock]!.first]}) through ${fmt(space.y(midLevel))} to ${fmt(space.y(level))} (step ${v.steps[cur.last]})` })
          this.slowDiv = ev
          this.ctx.emit(ev)
        }
      }
    } else {
      const ev = this.slowDiv
      if (rise >= growth / 2) {
        extendEvent(ev, v, cur.last)
        const r = ratioOf(rise)
        if (r > ev.ratio) { ev.ratio = r; ev.robustZ = rise / sb; ev.peak = space.y(level) }
      } else { ev.open = false; this.slowDiv = null; this.bestLevel = level; this.bestBlock = j }
    }
    this.plateau(v, sb)
    this.stall(v, sb)
  }

  /**
   * A level shift too small to show in single points but clear in block medians: the rolling level
   * of the last LEVEL_BLOCKS blocks is `minRatio`× and 8 level-σ worse than that of the blocks
   * before, which were themselves flat (a step, not a trend). The start is the split that
   * maximises the difference of the means before and after, weighted by √(n₁n₂/n) (Hinkley 1970).
   */
  private blockShift (v: PointsView, sb: number, n: number): void {
    const { p, space } = this.ctx
    const B = this.blocks; const Lv = this.levels
    const j = B.length - 1
    const W = LEVEL_BLOCKS
    const pend = this.pendingShift
    if (pend !== null) {
      if (j < pend.j + SETTLE_BLOCKS) return
      this.pendingShift = null
      // A step has settled: the blocks since are level with the last two it was seen in. Still
      // climbing away from them: the start of a divergence (the slow-divergence check names it).
      const since: number[] = []
      for (let k = pend.j + 1; k <= j; k++) since.push(B[k]!.med)
      const later = since.sort((a, b) => a - b)[since.length >> 1]!
      const atSeen = (B[pend.j]!.med + B[pend.j - 1]!.med) / 2
      if (space.dir * (later - atSeen) >= Math.max(pend.d / 3, 2 * sb)) return
      this.emitBlockShift(v, pend.j, pend.d, pend.before, pend.after, sb, n)
      return
    }
    if (Lv[j - 2 * W] === undefined || j - 2 * W <= this.lastShiftBlock) return
    const after = Lv[j]!; const before = Lv[j - W]!; const earlier = Lv[j - 2 * W]!
    const d = space.dir * (after - before)
    const sLv = levelSigma(sb)
    const minD = Math.max(space.logMode ? Math.log(p.minRatio) : 0, 8 * sLv)
    if (!(d >= minD) || Math.abs(before - earlier) > d / 3 || this.busy()) return
    this.lastShiftBlock = j
    this.pendingShift = { j, d, after, before }
  }

  private emitBlockShift (v: PointsView, j: number, d: number, before: number, after: number, sb: number, n: number): void {
    const { space, label } = this.ctx
    const B = this.blocks
    const W = LEVEL_BLOCKS
    const sLv = levelSigma(sb)
    // The change lies between the flat stretch before and the block where it was seen (the rolling
    // median moves once more than half its blocks are past it).
    const from = B[j - W - 2]!.first; const to = B[j]!.last
    if (this.covered(from, B[j]!.last) || this.ctx.events.some(e => e.kind === 'spike' && e.endIndex >= from && e.startIndex <= B[j]!.last)) return
    const half = (W >> 1) * this.blockSize
    let best = from; let bestGain = -Infinity
    const lo = Math.max(0, from - half); const hi = Math.min(n, to + half)
    let total = 0; let cnt = 0
    const us: number[] = []
    for (let i = lo; i < hi; i++) { const y = v.values[i]!; const u = space.ok(y) ? space.u(y) : NaN; us.push(u); if (!Number.isNaN(u)) { total += u; cnt++ } }
    let left = 0; let ln = 0
    for (let i = lo; i < hi; i++) {
      if (i >= from && i <= to && ln > 0 && cnt - ln > 0) {
        const gain = space.dir * ((total - left) / (cnt - ln) - left / ln) * Math.sqrt(ln * (cnt - ln) / cnt)
        if (gain > bestGain) { bestGain = gain; best = i }
      }
      const u = us[i - lo]!
      if (!Number.isNaN(u)) { left += u; ln++ }
    }
    const ratio = space.logMode ? Math.exp(d) : 1 + d / Math.max(Math.abs(before), sb)
    const ev = makeEvent(v, { kind: 'level-shift', severity: 'warning', start: best, end: B[j]!.last, ratio, robustZ: d / sLv, baseline: space.y(before), peak: space.y(after) })
    ev.causes.push({ cause: 'a lasting change in the optimisation (learning-rate change, instability, a change in the data)', evidence: `the median of ${label} over ${W} blocks of ${this.blockSize} points went from ${fmt(space.y(before))} to ${fmt(space.y(after))} (${fmtRatio(ratio)}) around step ${v.steps[best]}, after a flat stretch; too small to see in single points (noise), clear in block medians` })
    this.ctx.emit(ev)
  }

  /** The flat stretch of rolling levels ending at block `c`, scanning back; returns its first block and band. */
  private flatBack (c: number, tol: number): { s: number, lo: number, hi: number } {
    const Lv = this.levels
    let lo = Lv[c]!; let hi = lo; let s = c
    const P = this.ctx.p.plateauBlocks
    while (s - 1 > this.lastPlateauEndBlock && s - 1 >= 2 * P && c - s < 256 && Lv[s - 1] !== undefined) {
      const m = Lv[s - 1]!
      const nlo = Math.min(lo, m); const nhi = Math.max(hi, m)
      if (nhi - nlo > tol) break
      lo = nlo; hi = nhi; s--
    }
    return { s, lo, hi }
  }

  private tolerances (sb: number): { drop: number, tol: number } {
    const { p, space } = this.ctx
    return {
      drop: space.logMode ? Math.log(p.plateauDrop) : 3 * sb,
      tol: Math.max(space.logMode ? Math.log(p.plateauDrop) / 2 : 0, 3 * sb)
    }
  }

  /**
   * A long flat stretch between two stretches of progress, found `plateauBlocks` blocks after
   * progress resumed: the stretch stays within a narrow band, the level fell by `plateauDrop`×
   * before it and after it, and the rate of progress inside it is under a quarter of the rates
   * before and after (a loss whose decrease only slows down never recovers its rate).
   */
  private plateau (v: PointsView, sb: number): void {
    const { p, space } = this.ctx
    const Lv = this.levels
    const j = this.blocks.length - 1
    const P = p.plateauBlocks
    const c = j - P
    if (c - P < 3 * P || Lv[j] === undefined || Lv[c] === undefined) return
    const { drop, tol } = this.tolerances(sb)
    const after = space.dir * (Lv[c]! - Lv[j]!)
    if (!(after >= drop)) return
    const { s, lo, hi } = this.flatBack(c, tol)
    if (c - s + 1 < P || Lv[s - 2 * P] === undefined) return
    const before = space.dir * (Lv[s - 2 * P]! - Lv[s]!)
    const during = Math.max(0, space.dir * (Lv[s]! - Lv[c]!))
    const rateBefore = before / (2 * P); const rateAfter = after / P; const rateDuring = during / (c - s)
    if (!(before >= drop && rateDuring <= 0.25 * rateBefore && rateDuring <= 0.25 * rateAfter)) return
    this.emitPlateau(v, s, c, lo, hi, s - 2 * P, sb)
  }

  /**
   * A plateau that has not ended (yet): the rolling level has stayed in a narrow band for at least
   * 2·plateauBlocks blocks and for three quarters of the series or more, after progress at four times the rate
   * (stuck early, or flat to the end of the run). Shown as an open info event that grows while the band holds; it closes
   * when the level leaves the band (progress resumed, or the loss got worse).
   */
  private stall (v: PointsView, sb: number): void {
    const { p, space, label } = this.ctx
    const B = this.blocks; const Lv = this.levels
    const j = B.length - 1
    const { tol, drop } = this.tolerances(sb)
    const ev = this.stallEv
    if (ev !== null) {
      // It lasts while the rolling level stays within the tolerance of the band's centre (the
      // band itself widens slowly with the noise of thousands of rolling levels).
      if (Math.abs(Lv[j]! - this.stallCentre) <= tol) { extendEvent(ev, v, B[j]!.last); return }
      ev.open = false
      this.stallEv = null
      this.lastPlateauEndBlock = j
      return
    }
    const P = p.plateauBlocks
    if (j < 2 * P || Lv[j] === undefined || this.busy()) return
    // Cheap test first: the level ¾ of the series back must already be within the band.
    const need = j - Math.ceil(3 * (j + 1) / 4) + 1
    if (Lv[need] === undefined || Math.abs(Lv[need]! - Lv[j]!) > tol) return
    // The flat stretch of rolling levels that ends now, as far back as levels exist.
    let lo = Lv[j]!; let hi = lo; let s = j
    while (s - 1 > Math.max(this.lastPlateauEndBlock, LEVEL_BLOCKS - 2) && Lv[s - 1] !== undefined) {
      const nlo = Math.min(lo, Lv[s - 1]!); const nhi = Math.max(hi, Lv[s - 1]!)
      if (nhi - nlo > tol) break
      lo = nlo; hi = nhi; s--
    }
    const len = j - s + 1
    if (len < 2 * P || 4 * len < 3 * (j + 1)) return
    // The rolling level lags its blocks by half its width: the stall began about there.
    const first = B[Math.max(0, s - (LEVEL_BLOCKS >> 1))]!.first
    if (this.covered(first, B[j]!.last) || this.ctx.events.some(e => e.kind === 'plateau' && e.endIndex >= first)) return
    const levelU = (lo + hi) / 2
    const startU = B[0]!.med
    const made = space.dir * (startU - levelU)
    // Stuck, not merely slowing down: the series had improved by plateauDrop× at least (one flat
    // from its first point is not stuck), and inside the band it made no progress beyond the noise
    // of rolling levels (an accuracy saturating slowly is still improving), nor at a quarter of the
    // rate before.
    const during = Math.max(0, space.dir * (Lv[s]! - Lv[j]!))
    if (!(made >= drop && during <= Math.max(4 * levelSigma(sb), drop / 8) && during / len <= 0.25 * made / Math.max(1, s))) return
    const stalled = makeEvent(v, { kind: 'plateau', severity: 'info', start: first, end: B[j]!.last, ratio: 1, robustZ: 0, baseline: space.y(startU), peak: space.y(levelU), open: true })
    const band = space.logMode ? `${((Math.exp(hi - lo) - 1) * 100).toFixed(0)} %` : fmt(hi - lo)
    const progress = `after improving ${space.logMode ? fmtRatio(Math.exp(Math.max(0, made))) : `by ${fmt(Math.abs(made))}`} from`
    stalled.causes.push({
      cause: 'no progress: stuck (a learning rate too small to make progress or too large to settle, a saddle point or poor local minimum, a model that cannot fit the data), or converged at this learning rate',
      evidence: `${label} has stayed within ${band} of ${fmt(space.y(levelU))} since step ${v.steps[first]} (${B[j]!.last - first + 1} points, ${Math.round(100 * len / (j + 1))} % of the series so far), ${progress} its first block median ${fmt(space.y(startU))}`
    })
    this.stallEv = stalled
    this.stallCentre = levelU
    this.ctx.emit(stalled)
  }

  private emitPlateau (v: PointsView, s: number, c: number, lo: number, hi: number, beforeAt: number, sb: number): void {
    const { space, label } = this.ctx
    const B = this.blocks
    const j = B.length - 1
    const first = B[s]!.first; const last = B[c]!.last
    const levelU = (lo + hi) / 2
    const prevU = this.levels[beforeAt] ?? B[beforeAt]!.med
    const nowU = B[j]!.med
    const bandGood = space.dir > 0 ? lo : hi
    const ev = makeEvent(v, {
      kind: 'plateau',
      severity: 'info',
      start: first,
      end: last,
      ratio: space.logMode ? Math.exp(space.dir * (levelU - nowU)) : 1 + space.dir * (levelU - nowU) / Math.max(Math.abs(nowU), sb),
      robustZ: space.dir * (bandGood - nowU) / sb,
      baseline: space.y(prevU),
      peak: space.y(levelU),
      open: false
    })
    const band = space.logMode ? `${((Math.exp(hi - lo) - 1) * 100).toFixed(0)} %` : fmt(hi - lo)
    ev.causes.push({ cause: 'a saddle point or poor local minimum, or a learning rate too small to make progress', evidence: `${label} stayed within ${band} of ${fmt(space.y(levelU))} for ${last - first + 1} points (steps ${v.steps[first]}–${v.steps[last]}), after ${space.dir === 1 ? 'falling' : 'rising'} from ${fmt(space.y(prevU))}, and ${space.dir === 1 ? 'fell' : 'rose'} again to ${fmt(space.y(nowU))} afterwards` })
    this.lastPlateauEndBlock = c
    this.ctx.emit(ev)
  }
}
