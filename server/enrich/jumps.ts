/** Jump annotations: streaming, robust, scale-free detection of spikes, level shifts, divergence, non-finite values, oscillation and plateaus. */

import { Ring, MAD_TO_SIGMA, DIFF_MAD_TO_SIGMA, medianInPlace } from './robust.js'
import { explain } from './explain.js'

export type AnnotationKind = 'staircase-artifact' | 'spike' | 'level-shift' | 'non-finite' | 'oscillation' | 'plateau' | 'divergence' | 'overfitting' | 'restart'
export type Severity = 'info' | 'warning' | 'critical'

/** One reason offered for an annotation, with the numbers that support it. */
export interface Cause {
  cause: string
  evidence: string
}

/**
 * A detected event on one series. Indices are positions in the analysed series. Once emitted,
 * `key` (kind + start index), `kind`, `startIndex` and `startStep` never change; `endIndex`,
 * `endStep`, `peak`, magnitudes and causes may grow while the event is still going on.
 */
export interface JumpEvent {
  key: string
  kind: AnnotationKind
  severity: Severity
  startIndex: number
  endIndex: number
  startStep: number
  endStep: number
  /** Wall time of the start point. */
  wallTime: number
  /** Peak (or current) value over the baseline, in the direction that is bad for this metric (≥ 1 means worse). */
  ratio: number
  /** (peak − baseline) / robust noise scale, in the analysed space (log for positive series). */
  robustZ: number
  baseline: number
  peak: number
  causes: Cause[]
  explanation: string
  /** True while the event may still extend (its end is not yet known). */
  open: boolean
}

/**
 * Detection thresholds. Every threshold is in units of the robust noise scale σ of the analysed
 * series (log values for a positive series, so the detector is scale-free) or a ratio to the
 * baseline; defaults are chosen for ≤ 1 false annotation per 10,000 points on clean runs with
 * Student-t (3 degrees of freedom) noise while still catching a 3× spike in moderate noise.
 */
export interface JumpParams {
  /** Points in the rolling median baseline. Default 64. */
  baselineWindow: number
  /** Points needed before any jump can be reported. Default 16. */
  minHistory: number
  /** Robust z a single point needs to be a spike on its own, when the noise has Gaussian tails. Default 6. */
  spikeZ: number
  /**
   * Heavier tails raise that threshold to spikeZ·max(1, h − 0.25)^tailExponent, where h is how
   * much the empirical 99th (after 600 points also the 99.5th, after 2,000 the 99.9th) percentile
   * of past residuals (|u − window median| / σ) exceeds the Gaussian one (Gaussian data reads up to about
   * 1.2 from sampling noise). Default 1.7: Student-t with 3 degrees of freedom (h ≈ 3.5) then needs
   * about 43σ, Student-t(5) about 15σ, Laplace about 16σ.
   */
  tailExponent: number
  /** Lowest peak/baseline ratio of a single-point spike. Default 2.5. */
  spikeMinRatio: number
  /** z above which a point counts as elevated. Default 3. */
  elevatedZ: number
  /** Lowest ratio of an elevated point (and so of any reported jump). Default 1.3. */
  minRatio: number
  /** Of the last `sustainWindow` points, `sustainCount` elevated ones open a sustained excursion. Defaults 9 and 5. */
  sustainWindow: number
  sustainCount: number
  /** Consecutive normal points that end an excursion. Default 3. */
  returnPoints: number
  /** An excursion lasting this many points without returning is a level shift (or divergence). Default 32. */
  shiftPoints: number
  /** A level shift still not returned after this many points becomes the new baseline. Default 256. */
  maxShiftPoints: number
  /** Growth (ratio between the last and first third of a sustained excursion) that makes it a divergence. Default 2. */
  divergenceGrowth: number
  /** Spike candidates closer than this (points) are judged together (a burst, or an oscillation). Default 48. */
  clusterGap: number
  /**
   * Oscillation: window (points), evaluation period (points), half-period over full-period
   * difference ratio (default 2.5), and the minimum median swing between neighbouring highs and
   * lows: log units for positive series (default 0.3, a 35 % swing), σ units for others (default 4).
   */
  oscWindow: number
  oscEvery: number
  oscRatio: number
  oscMinZ: number
  oscMinLogAmp: number
  /** Block size (points) of the summary used for plateaus and slow divergence; doubles as the series grows past 256 blocks. Default 16. */
  blockSize: number
  /** Plateau: blocks a flat stretch must span, and the relative drop before and after it. Defaults 8 and 1.25. */
  plateauBlocks: number
  plateauDrop: number
  /** Slow divergence: growth over the best level, in ratio and in block-noise units. Defaults 1.5 and 8. */
  slowDivergenceGrowth: number
  slowDivergenceZ: number
}

/** Documented defaults of {@link JumpParams}. */
export const DEFAULT_JUMP_PARAMS: Readonly<JumpParams> = Object.freeze({
  baselineWindow: 64,
  minHistory: 16,
  spikeZ: 6,
  tailExponent: 1.7,
  spikeMinRatio: 2.5,
  elevatedZ: 3,
  minRatio: 1.3,
  sustainWindow: 9,
  sustainCount: 5,
  returnPoints: 3,
  shiftPoints: 32,
  maxShiftPoints: 256,
  divergenceGrowth: 2,
  clusterGap: 48,
  oscWindow: 96,
  oscEvery: 96,
  oscRatio: 2.5,
  oscMinZ: 4,
  oscMinLogAmp: 0.3,
  blockSize: 16,
  plateauBlocks: 8,
  plateauDrop: 1.25,
  slowDivergenceGrowth: 1.5,
  slowDivergenceZ: 8
})

/** What the detector reads: full columns (views; only indices below the `upTo` of each call are read). */
export interface PointsView {
  steps: ArrayLike<number>
  wallTimes: ArrayLike<number>
  values: ArrayLike<number>
  /** Per-point uncertainty of the value (e.g. the de-smoothing bound); Infinity = approximate. Optional. */
  bounds?: ArrayLike<number>
}

/** How the detector reads the series. */
export interface DetectorOptions {
  /** +1 when higher values are worse (losses), −1 when lower values are worse (accuracy, reward). */
  direction: 1 | -1
  params?: Partial<JumpParams>
  /** Indices where a new fit/process starts: detection state resets there. */
  restarts?: ReadonlyArray<{ index: number }>
  /** Short label of the series for explanations, e.g. `de-smoothed batch_loss`. */
  label?: string
}

interface Excursion {
  trigger: 'point' | 'sustained'
  start: number
  lastElevated: number
  peakIdx: number
  peakZ: number
  normalRun: number
  confirmed: JumpEvent | null
  /** Analysed values of the excursion's points, from `start`. */
  us: number[]
}

interface SpikeCandidate {
  start: number
  end: number
  peakIdx: number
  peakZ: number
  level: number
  trigger: 'point' | 'sustained'
}

interface Block {
  med: number
  first: number
  last: number
}

/** Tail ratios h up to 1 + this are read as Gaussian (quantile and σ sampling noise); above, h − this is used. */
const TAIL_DEAD_ZONE = 0.25
/** Threshold multiplier before 200 points have shown how heavy the tails are (assumes moderately heavy ones). */
const INITIAL_TAIL = 1.4
/** Block medians in the rolling level used by slow-divergence detection. */
const LEVEL_BLOCKS = 6
/** Longest half-period (points) the oscillation check looks for. */
const OSC_MAX_HALF_PERIOD = 12
const HIST_BINS = 256
const HIST_WIDTH = 0.125

/**
 * Streaming jump detector over one series. {@link update} consumes new points in order, in
 * amortised O(1) each (medians of fixed small windows, recomputed every few points), and appends
 * to {@link events}. Feeding the same points in any chunking gives the same events.
 *
 * The analysed value is log(y) while every finite value so far is > 0, else y; a baseline is the
 * median of the last `baselineWindow` normal points and the noise scale σ the larger of the
 * lag-1-difference MAD (insensitive to trends) and half the MAD around the baseline, so robust z
 * = (u − baseline) / σ is scale-free and not moved by outliers. Excursions open on one strong
 * point (z ≥ max(spikeZ, tailFactor·q99(|z|)) and ratio ≥ spikeMinRatio) or on a majority of
 * elevated points in a short window (whose median is far less heavy-tailed than single points);
 * an excursion that returns within `shiftPoints` is a spike, one that stays is a level shift, or a
 * divergence when it keeps growing or ends in NaN/Inf.
 */
export class JumpDetector {
  readonly events: JumpEvent[] = []
  /** Spike candidates not yet judged (they may merge into a burst or turn out to be an oscillation). */
  private pending: SpikeCandidate[] = []
  private readonly p: JumpParams
  private readonly dir: 1 | -1
  private readonly label: string
  private readonly restarts: ReadonlyArray<{ index: number }>
  private restartCursor = 0
  n = 0
  private logMode = true
  /** Largest |value| seen (linear space only needs it, as a scale for levels near 0). */
  private maxAbs = 0
  /** First index of the current fit (warm-up points are checked once the baseline exists). */
  private fitStart = 0
  private warmChecked = false
  private base = NaN
  private sigma = NaN
  private readonly baseRing: Ring
  private readonly diffRing: Ring
  private lastNormalU = NaN
  private lastNormalIdx = -2
  private sinceRecompute = 0
  private sinceLevel = 0
  private readonly hist = new Uint32Array(HIST_BINS + 1)
  private histCount = 0
  private spikeThreshold: number
  private sinceThreshold = 0
  private elevMask = 0
  private elevCount = 0
  private exc: Excursion | null = null
  private nonFiniteEvent: JumpEvent | null = null
  private nonFiniteRun = false
  // oscillation
  private readonly oscRing: Ring
  private readonly oscScratchA: Float64Array
  private readonly oscScratchB: Float64Array
  private readonly oscLinear: Float64Array
  private readonly oscMeans = new Float64Array(OSC_MAX_HALF_PERIOD * 2 + 1)
  private sinceOsc = 0
  private oscFlags = 0
  private oscEvent: JumpEvent | null = null
  private oscNotFlagged = 0
  private lastOscEvalIdx = -1
  // blocks
  private blocks: Block[] = []
  private blockSize: number
  private readonly blockBuf: Float64Array
  private blockFill = 0
  private blockKept = 0
  private blockFirst = 0
  private slowDiv: JumpEvent | null = null
  private bestBlock = -1
  private bestLevel = NaN
  /** Rolling level (median of the last LEVEL_BLOCKS block medians) at each block. */
  private levels: number[] = []
  private readonly blockScratch = new Float64Array(65)
  private lastShiftBlock = -1
  private readonly levelScratch = new Float64Array(LEVEL_BLOCKS)
  private lastPlateauEndBlock = -1
  private readonly view: { v: PointsView | null } = { v: null }

  constructor (opts: DetectorOptions) {
    this.p = { ...DEFAULT_JUMP_PARAMS, ...opts.params }
    this.dir = opts.direction
    this.label = opts.label ?? 'series'
    this.restarts = opts.restarts ?? []
    this.baseRing = new Ring(this.p.baselineWindow)
    this.diffRing = new Ring(this.p.baselineWindow)
    this.oscRing = new Ring(this.p.oscWindow)
    this.oscScratchA = new Float64Array(this.p.oscWindow)
    this.oscScratchB = new Float64Array(this.p.oscWindow)
    this.oscLinear = new Float64Array(this.p.oscWindow)
    this.spikeThreshold = this.p.spikeZ * INITIAL_TAIL
    this.blockSize = this.p.blockSize
    this.blockBuf = new Float64Array(Math.max(this.p.blockSize, 256))
  }

  /** Pending spike candidates as tentative events (shown, but not yet announced). */
  tentative (): JumpEvent[] {
    const v = this.view.v
    if (v === null) return []
    return this.pending.length ? [this.spikeEvent(v, this.pending)] : []
  }

  /** Consumes points [n, upTo) of `v`. */
  update (v: PointsView, upTo: number): JumpEvent[] {
    const before = this.events.length
    this.view.v = v
    for (let i = this.n; i < upTo; i++) {
      const y = v.values[i]!
      if (this.logMode && Number.isFinite(y) && !(y > 0)) {
        // A value ≤ 0: log space no longer applies. Start over in linear space (rare; O(n) once).
        this.logMode = false
        const keep = this.events.length
        this.resetState()
        this.restartCursor = 0
        this.fitStart = 0
        this.nonFiniteEvent = null
        this.nonFiniteRun = false
        for (let j = 0; j < i; j++) this.point(v, j)
        this.dedupe(keep)
      }
      this.point(v, i)
    }
    return this.events.slice(before)
  }

  private point (v: PointsView, i: number): void {
    while (this.restartCursor < this.restarts.length && this.restarts[this.restartCursor]!.index <= i) {
      if (this.restarts[this.restartCursor]!.index === i && i > 0) this.reset(v, i)
      this.restartCursor++
    }
    const y = v.values[i]!
    if (!Number.isFinite(y)) this.nonFinite(v, i, y)
    else {
      if (this.nonFiniteRun) this.nonFiniteRun = false
      this.step(v, i)
    }
    this.n = i + 1
  }

  // ---------------------------------------------------------------------------------------------

  private resetState (): void {
    this.baseRing.clear(); this.diffRing.clear(); this.oscRing.clear()
    this.base = NaN; this.sigma = NaN; this.lastNormalU = NaN; this.lastNormalIdx = -2; this.maxAbs = 0; this.warmChecked = false
    this.sinceRecompute = 0; this.sinceLevel = 0; this.hist.fill(0); this.histCount = 0
    this.spikeThreshold = this.p.spikeZ * INITIAL_TAIL; this.sinceThreshold = 0
    this.elevMask = 0; this.elevCount = 0; this.exc = null
    this.sinceOsc = 0; this.oscFlags = 0; this.oscEvent = null; this.oscNotFlagged = 0; this.oscSigmaRef = Infinity
    this.blocks = []; this.blockSize = this.p.blockSize; this.blockFill = 0
    this.slowDiv = null; this.bestBlock = -1; this.bestLevel = NaN; this.levels = []; this.lastPlateauEndBlock = -1; this.lastShiftBlock = -1
    this.pending = []
  }

  /** Drops events re-detected after a linear-space restart that duplicate earlier keys. */
  private dedupe (keep: number): void {
    const seen = new Set(this.events.slice(0, keep).map(e => e.key))
    const out = this.events.slice(0, keep)
    for (const e of this.events.slice(keep)) if (!seen.has(e.key)) out.push(e)
    this.events.length = 0
    this.events.push(...out)
  }

  /** A new fit or process: finish what is open and forget the baseline. */
  private reset (v: PointsView, i: number): void {
    this.finishExcursion(v, i - 1, 'restart')
    this.flushPending(v, true)
    if (this.oscEvent) { this.oscEvent.open = false; this.oscEvent = null }
    if (this.slowDiv) { this.slowDiv.open = false; this.slowDiv = null }
    const log = this.logMode
    this.resetState()
    this.logMode = log
    this.fitStart = i
    // A new fit may fail again: its first NaN/Inf gets its own annotation.
    this.nonFiniteEvent = null
    this.nonFiniteRun = false
  }

  private u (y: number): number { return this.logMode ? Math.log(y) : y }
  private y (u: number): number { return this.logMode ? Math.exp(u) : u }

  /** Ratio of "how much worse" than the baseline, ≥ 1 for a worse value. */
  private ratioOf (u: number): number {
    if (this.logMode) return Math.exp(this.dir * (u - this.base))
    const b = this.base
    // A level near 0 makes a ratio meaningless: measure against the series' own scale then.
    const s = Math.max(Math.abs(b), this.sigma * 4, 0.05 * this.maxAbs)
    return 1 + this.dir * (u - b) / s
  }

  private step (v: PointsView, i: number): void {
    const y = v.values[i]!
    const u = this.u(y)
    if (Math.abs(y) > this.maxAbs) this.maxAbs = Math.abs(y)
    this.oscRing.push(u)
    this.addToBlock(v, i, u)
    const ready = this.baseRing.size >= this.p.minHistory && !Number.isNaN(this.sigma)
    if (ready && !this.warmChecked) this.checkWarmup(v, i)
    let z = 0; let ratio = 1; let elevated = false
    if (ready) {
      let s = this.sigma
      const bnd = v.bounds === undefined ? 0 : v.bounds[i]!
      // A de-smoothing uncertainty larger than the noise must not look like a jump (log1p(b/y) ≤ b/y,
      // so a bound below σ·y can be skipped without computing it).
      if (bnd > (this.logMode ? s * y : s)) {
        const su = this.logMode ? (Number.isFinite(bnd) ? Math.log1p(bnd / y) : Infinity) : bnd
        if (su > s) s = su
      }
      z = this.dir * (u - this.base) / s
      ratio = this.ratioOf(u)
      elevated = z >= this.p.elevatedZ && ratio >= this.p.minRatio
    }
    const approx = v.bounds !== undefined && !Number.isFinite(v.bounds[i]!)
    // Sliding count of elevated points among the last sustainWindow.
    const w = this.p.sustainWindow
    const outBit = (this.elevMask >>> (w - 1)) & 1
    this.elevMask = ((this.elevMask << 1) | (elevated ? 1 : 0)) & ((1 << w) - 1)
    this.elevCount += (elevated ? 1 : 0) - outBit

    if (this.exc !== null) {
      this.continueExcursion(v, i, u, z, ratio)
    } else if (ready) {
      const strong = !approx && z >= this.spikeThreshold && ratio >= this.p.spikeMinRatio
      const sustained = this.elevCount >= this.p.sustainCount
      if (strong || sustained) {
        let start = i
        if (!strong) {
          for (let k = w - 1; k >= 0; k--) if ((this.elevMask >>> k) & 1) { start = i - k; break }
        } else {
          // The onset: elevated points right before a strong one belong to the same excursion.
          for (let k = 1; k < w && ((this.elevMask >>> k) & 1); k++) start = i - k
        }
        const us: number[] = []
        for (let j = start; j <= i; j++) us.push(this.u(v.values[j]!))
        this.exc = { trigger: strong ? 'point' : 'sustained', start, lastElevated: i, peakIdx: i, peakZ: z, normalRun: 0, confirmed: null, us }
        for (let j = start; j < i; j++) {
          const zj = this.dir * (us[j - start]! - this.base) / this.sigma
          if (zj > this.exc.peakZ) { this.exc.peakZ = zj; this.exc.peakIdx = j }
        }
      } else if (!elevated) {
        this.acceptNormal(i, u)
      }
    } else {
      this.acceptNormal(i, u)
    }
    this.oscillation(v, i)
    this.flushPending(v, false)
  }

  /**
   * Points seen before the baseline existed are judged once against the first baseline (whose
   * median and difference-based σ are not moved by a few outliers): a strong single point among
   * them is a spike candidate like any other. This finds a bad batch in the very first steps.
   */
  private checkWarmup (v: PointsView, upTo: number): void {
    this.warmChecked = true
    // The first point of a fit is where a learning curve starts (high by nature), never a spike;
    // a spike also stands out from both of its neighbours.
    const ok = (y: number): boolean => Number.isFinite(y) && (!this.logMode || y > 0)
    for (let j = this.fitStart + 1; j < upTo; j++) {
      const y = v.values[j]!
      if (!ok(y)) continue
      if (v.bounds !== undefined && !Number.isFinite(v.bounds[j]!)) continue
      const u = this.u(y)
      const l = v.values[j - 1]!; const r = v.values[j + 1]!
      const aboveNeighbours = ok(l) && ok(r) && this.dir * (u - this.u(l)) >= Math.log(this.p.spikeMinRatio) * (this.logMode ? 1 : 0) &&
        this.dir * (u - this.u(r)) >= (this.logMode ? Math.log(this.p.spikeMinRatio) : 0)
      const z = this.dir * (u - this.base) / this.sigma
      if (aboveNeighbours && z >= this.spikeThreshold && this.ratioOf(u) >= this.p.spikeMinRatio) {
        this.pending.push({ start: j, end: j, peakIdx: j, peakZ: z, level: u, trigger: 'point' })
      }
    }
  }

  /** A point that belongs to the baseline. */
  private acceptNormal (i: number, u: number): void {
    this.baseRing.push(u)
    if (this.lastNormalIdx === i - 1) this.diffRing.push(Math.abs(u - this.lastNormalU))
    this.lastNormalU = u
    this.lastNormalIdx = i
    // While the window fills, everything is refreshed at every point. Then the level (median of the
    // most recent half window) every quarter window, so it follows a falling loss closely, and
    // the noise scale and the tail statistics once per window.
    const W = this.p.baselineWindow
    const full = this.baseRing.size >= W
    if (this.baseRing.size < Math.min(this.p.minHistory, 8)) return
    if (!full) { this.recomputeBaseline(); return }
    if (++this.sinceLevel >= W >> 2) { this.sinceLevel = 0; this.base = this.baseRing.medianRecent(W >> 1) }
    if (++this.sinceRecompute >= W) {
      const fresh = this.sinceRecompute
      this.sinceRecompute = 0
      this.recomputeBaseline()
      this.updateTails(fresh)
    }
  }

  /**
   * Tail heaviness: the `fresh` newest baseline points, as |u − median| / σ of the window they are
   * in (a trend biases them by at most half a window, unlike z against a lagging baseline), go
   * into a histogram whose upper quantiles, against the Gaussian ones, set the spike threshold.
   */
  private updateTails (fresh: number): void {
    for (let j = 0; j < fresh && j < this.baseRing.size; j++) {
      const b = Math.min(HIST_BINS, Math.floor(Math.abs(this.baseRing.recent(j) - this.base) / this.sigma / HIST_WIDTH))
      this.hist[b]!++
      this.histCount++
    }
    if ((this.sinceThreshold += fresh) >= 256 && this.histCount >= 200) {
      this.sinceThreshold = 0
      // Gaussian |z| quantiles: 2.576 (99 %), 2.807 (99.5 %), 3.291 (99.9 %); each needs enough samples.
      let h = this.histQuantile(0.99) / 2.5758
      if (this.histCount >= 600) h = Math.max(h, this.histQuantile(0.995) / 2.8070)
      if (this.histCount >= 2000) h = Math.max(h, this.histQuantile(0.999) / 3.2905)
      // Sampling noise of the quantiles and of σ makes Gaussian data read up to ~1.2: a dead zone keeps 6σ there.
      const heavy = Math.max(1, h - TAIL_DEAD_ZONE)
      this.spikeThreshold = this.p.spikeZ * Math.pow(heavy, this.p.tailExponent)
    }
  }

  /** q-quantile of the |z| histogram (bin midpoint). */
  private histQuantile (q: number): number {
    const target = this.histCount * q
    let acc = 0
    for (let k = 0; k <= HIST_BINS; k++) { acc += this.hist[k]!; if (acc >= target) return (k + 0.5) * HIST_WIDTH }
    return HIST_BINS * HIST_WIDTH
  }

  private recomputeBaseline (): void {
    const base = this.baseRing.medianRecent(this.p.baselineWindow >> 1)
    const sd = this.diffRing.size >= 4 ? DIFF_MAD_TO_SIGMA * this.diffRing.median() : NaN
    const sl = MAD_TO_SIGMA * this.baseRing.mad(base)
    let s = Math.max(!Number.isNaN(sd) ? sd : sl, 0.5 * sl)
    const floor = this.logMode ? 1e-4 : Math.max(1e-9 * Math.abs(base), 1e-300)
    if (!(s > floor)) s = floor
    this.base = base
    this.sigma = s
  }

  private continueExcursion (v: PointsView, i: number, u: number, z: number, ratio: number): void {
    const e = this.exc!
    e.us.push(u)
    const stay = z >= this.p.elevatedZ * 2 / 3 && ratio >= Math.sqrt(this.p.minRatio)
    if (stay) {
      e.lastElevated = i
      e.normalRun = 0
      if (z > e.peakZ) { e.peakZ = z; e.peakIdx = i }
    } else e.normalRun++
    if (e.confirmed !== null) {
      const ev = e.confirmed
      ev.endIndex = e.lastElevated
      ev.endStep = v.steps[e.lastElevated]!
      if (z > ev.robustZ) { ev.robustZ = z; ev.peak = this.y(u); ev.ratio = this.ratioOf(u) }
      if (e.normalRun >= this.p.returnPoints) { this.finishExcursion(v, i, 'returned'); return }
      if (i - e.start + 1 >= this.p.maxShiftPoints) { this.finishExcursion(v, i, 'rebaseline'); return }
      return
    }
    if (e.normalRun >= this.p.returnPoints) { this.finishExcursion(v, i, 'returned'); return }
    const len = i - e.start + 1
    if (len >= this.p.shiftPoints && (len - this.p.shiftPoints) % 8 === 0) {
      const level = this.medianOf(e.us)
      const zl = this.dir * (level - this.base) / this.sigma
      if (zl >= this.p.elevatedZ && this.ratioOf(level) >= this.p.minRatio) {
        e.confirmed = this.sustainedEvent(v, e, this.isRising(e.us) ? 'divergence' : 'level-shift', i)
        this.emit(e.confirmed)
        return
      }
      if (len >= this.p.maxShiftPoints) this.finishExcursion(v, i, 'rebaseline')
    }
  }

  private medianOf (xs: number[]): number {
    const a = Float64Array.from(xs)
    return medianInPlace(a, a.length)
  }

  /** Thirds of the excursion rise monotonically and the last is `divergenceGrowth`× the first. */
  private isRising (us: number[]): boolean {
    const n = us.length
    if (n < 6) return n >= 3 && this.dir * (us[n - 1]! - us[0]!) >= this.growthU()
    const t = Math.floor(n / 3)
    const m1 = this.medianOf(us.slice(0, t))
    const m2 = this.medianOf(us.slice(t, n - t))
    const m3 = this.medianOf(us.slice(n - t))
    return this.dir * (m2 - m1) > 0 && this.dir * (m3 - m2) > 0 && this.dir * (m3 - m1) >= this.growthU()
  }

  private growthU (): number {
    return this.logMode ? Math.log(this.p.divergenceGrowth) : Math.max(this.p.elevatedZ * this.sigma, (this.p.divergenceGrowth - 1) * Math.abs(this.base))
  }

  /** Closes the open excursion; `end` is the last point processed. */
  private finishExcursion (v: PointsView, end: number, why: 'returned' | 'rebaseline' | 'restart' | 'non-finite'): void {
    const e = this.exc
    if (e === null) return
    this.exc = null
    // The excursion's elevated points must not count toward the next one.
    this.elevMask = 0
    this.elevCount = 0
    if (e.confirmed !== null) {
      const ev = e.confirmed
      ev.open = false
      ev.endIndex = why === 'rebaseline' ? end : e.lastElevated
      ev.endStep = v.steps[ev.endIndex]!
      if (why === 'rebaseline') this.rebaseline(e)
      else this.readmitTail(e, end)
      return
    }
    if (why === 'non-finite') {
      // Growth that ends in NaN/Inf is a divergence however short it was.
      const len = e.lastElevated - e.start + 1
      if (len >= 2 && (this.isRising(e.us.slice(0, len)) || e.peakZ >= this.p.spikeZ)) {
        const ev = this.sustainedEvent(v, e, 'divergence', e.lastElevated)
        ev.open = false
        this.emit(ev)
      }
      return
    }
    if (why === 'rebaseline') { this.rebaseline(e); return }
    const level = e.lastElevated - e.start + 1 >= 5 ? this.medianOf(e.us.slice(0, e.lastElevated - e.start + 1)) : e.us[e.peakIdx - e.start]!
    this.pending.push({ start: e.start, end: e.lastElevated, peakIdx: e.peakIdx, peakZ: e.peakZ, level, trigger: e.trigger })
    this.readmitTail(e, end)
  }

  /** The normal points that ended an excursion join the baseline. */
  private readmitTail (e: Excursion, end: number): void {
    for (let j = e.lastElevated + 1; j <= end; j++) {
      const u = e.us[j - e.start]
      if (u !== undefined) this.acceptNormal(j, u)
    }
  }

  /** A lasting shift: the recent level becomes the baseline. */
  private rebaseline (e: Excursion): void {
    this.baseRing.clear()
    this.diffRing.clear()
    const us = e.us
    const from = Math.max(0, us.length - this.p.baselineWindow)
    this.sinceLevel = 0; this.sinceRecompute = 0
    for (let j = from; j < us.length; j++) {
      this.baseRing.push(us[j]!)
      if (j > from) this.diffRing.push(Math.abs(us[j]! - us[j - 1]!))
    }
    this.lastNormalIdx = -2
    this.recomputeBaseline()
  }

  private startByMidpoint (e: Excursion, level: number): number {
    const half = this.base + (level - this.base) / 2
    for (let j = 0; j < e.us.length; j++) if (this.dir * (e.us[j]! - half) >= 0) return e.start + j
    return e.start
  }

  private sustainedEvent (v: PointsView, e: Excursion, kind: 'level-shift' | 'divergence', end: number): JumpEvent {
    const level = this.medianOf(e.us.slice(0, end - e.start + 1))
    const start = kind === 'divergence' ? e.start : this.startByMidpoint(e, level)
    const peakU = e.us[e.peakIdx - e.start]!
    const ev = this.makeEvent(v, kind, kind === 'divergence' ? 'critical' : 'warning', start, Math.min(end, e.lastElevated), e.peakZ, peakU)
    ev.open = true
    const lenPts = e.lastElevated - start + 1
    const levelRatio = this.ratioOf(level)
    ev.causes.push(kind === 'divergence'
      ? { cause: 'training instability (learning rate too high, exploding gradients)', evidence: `${this.label} kept growing from step ${v.steps[start]}: ${fmt(this.y(e.us[0]!))} → ${fmt(this.y(peakU))}, ${fmtRatio(ev.ratio)} the baseline ${fmt(ev.baseline)} (robust z ${ev.robustZ.toFixed(1)})` }
      : { cause: 'a lasting change in the optimisation (learning-rate change, instability, a change in the data)', evidence: `${this.label} stayed at about ${fmtRatio(levelRatio)} its baseline ${fmt(ev.baseline)} for ${lenPts}+ points from step ${v.steps[start]} (median level ${fmt(this.y(level))}, peak ${fmt(ev.peak)} at step ${v.steps[e.peakIdx]})` })
    ev.explanation = explain(ev, this.label)
    return ev
  }

  private makeEvent (v: PointsView, kind: AnnotationKind, severity: Severity, start: number, end: number, z: number, peakU: number): JumpEvent {
    return {
      key: `${kind}@${start}`,
      kind,
      severity,
      startIndex: start,
      endIndex: end,
      startStep: v.steps[start]!,
      endStep: v.steps[end]!,
      wallTime: v.wallTimes[start]!,
      ratio: this.ratioOf(peakU),
      robustZ: z,
      baseline: this.y(this.base),
      peak: this.y(peakU),
      causes: [],
      explanation: '',
      open: false
    }
  }

  private emit (ev: JumpEvent): void {
    if (ev.explanation === '') ev.explanation = explain(ev, this.label)
    this.events.push(ev)
  }

  /** Judges pending spike candidates: a burst of them is one spike, unless an oscillation covers them. */
  private flushPending (v: PointsView, force: boolean): void {
    if (this.pending.length === 0) return
    const last = this.pending[this.pending.length - 1]!
    const quiet = this.n - 1 - last.end >= this.p.clusterGap && this.lastOscEvalIdx >= last.end + this.p.oscEvery
    if (!quiet && !force) return
    const group = this.pending
    this.pending = []
    const osc = this.events.find(e => e.kind === 'oscillation' && e.endIndex >= group[0]!.start && e.startIndex <= last.end)
    if (osc !== undefined || (this.oscEvent !== null && this.oscEvent.startIndex <= last.end)) return
    if (this.oscFlags > 0 && group.length >= 3) return
    this.emit(this.spikeEvent(v, group))
  }

  private spikeEvent (v: PointsView, group: SpikeCandidate[]): JumpEvent {
    let best = group[0]!
    for (const c of group) if (c.peakZ > best.peakZ) best = c
    const first = group[0]!
    const lastC = group[group.length - 1]!
    const peakU = this.u(v.values[best.peakIdx]!)
    const e: Excursion = { trigger: first.trigger, start: first.start, lastElevated: first.end, peakIdx: first.peakIdx, peakZ: first.peakZ, normalRun: 0, confirmed: null, us: [] }
    for (let j = first.start; j <= first.end; j++) e.us.push(this.u(v.values[j]!))
    const start = group.length === 1 ? this.startByMidpoint(e, first.level) : first.start
    const ev = this.makeEvent(v, 'spike', 'warning', start, lastC.end, best.peakZ, peakU)
    const width = lastC.end - start + 1
    ev.causes.push(group.length === 1
      ? { cause: width <= 2 ? 'one bad batch (corrupt or mislabelled samples, an outlier, a data-pipeline glitch)' : 'a short run of bad batches (data-pipeline or shuffling problem)', evidence: `${this.label} reached ${fmt(ev.peak)} at step ${v.steps[best.peakIdx]}, ${fmtRatio(ev.ratio)} the baseline ${fmt(ev.baseline)} (robust z ${ev.robustZ.toFixed(1)}), and was back at the baseline after ${width} point(s)` }
      : { cause: 'a burst of bad batches', evidence: `${group.length} separate excursions between steps ${v.steps[start]} and ${v.steps[lastC.end]}; the largest reached ${fmt(ev.peak)} (${fmtRatio(ev.ratio)} the baseline ${fmt(ev.baseline)}, robust z ${ev.robustZ.toFixed(1)})` })
    ev.explanation = explain(ev, this.label)
    return ev
  }

  private nonFinite (v: PointsView, i: number, y: number): void {
    if (this.exc !== null) this.finishExcursion(v, i - 1, 'non-finite')
    this.flushPending(v, true)
    const what = Number.isNaN(y) ? 'NaN' : y > 0 ? '+Infinity' : '-Infinity'
    if (this.nonFiniteEvent === null) {
      let lastFinite = NaN
      for (let j = i - 1; j >= Math.max(0, i - 1000); j--) { const x = v.values[j]!; if (Number.isFinite(x)) { lastFinite = x; break } }
      const base = !Number.isNaN(this.base) ? this.y(this.base) : lastFinite
      const ev: JumpEvent = {
        key: `non-finite@${i}`,
        kind: 'non-finite',
        severity: 'critical',
        startIndex: i,
        endIndex: i,
        startStep: v.steps[i]!,
        endStep: v.steps[i]!,
        wallTime: v.wallTimes[i]!,
        ratio: Number.isFinite(lastFinite) && base !== 0 ? Math.abs(lastFinite / base) : NaN,
        robustZ: !Number.isNaN(this.sigma) && Number.isFinite(lastFinite) ? this.dir * (this.u(Math.abs(lastFinite) || 1e-300) - this.base) / this.sigma : NaN,
        baseline: base,
        peak: lastFinite,
        causes: [{ cause: 'numerical overflow or an invalid operation (NaN/Inf in the loss)', evidence: `first non-finite value (${what}) at step ${v.steps[i]}${Number.isFinite(lastFinite) ? `; the last finite value before it was ${fmt(lastFinite)}` : ''}` }],
        explanation: '',
        open: true
      }
      this.nonFiniteEvent = ev
      this.emit(ev)
    } else if (this.nonFiniteRun && this.nonFiniteEvent.open) {
      this.nonFiniteEvent.endIndex = i
      this.nonFiniteEvent.endStep = v.steps[i]!
    } else if (this.nonFiniteEvent.open) this.nonFiniteEvent.open = false
    if (this.nonFiniteEvent.open && this.nonFiniteEvent.endIndex === i && i !== this.nonFiniteEvent.startIndex) {
      const c = this.nonFiniteEvent.causes[0]!
      c.evidence = c.evidence.replace(/; non-finite through step .*$/, '') + `; non-finite through step ${v.steps[i]} (${i - this.nonFiniteEvent.startIndex + 1} points)`
    }
    this.nonFiniteRun = true
  }

  // --- oscillation --------------------------------------------------------------------------------

  private oscillation (v: PointsView, i: number): void {
    if (++this.sinceOsc < this.p.oscEvery || this.oscRing.size < this.p.oscWindow) return
    this.sinceOsc = 0
    this.lastOscEvalIdx = i
    if (this.oscFlags === 0 && this.oscEvent === null) this.oscSigmaRef = this.sigma
    const flagged = !Number.isNaN(this.sigma) && this.oscWindowFlagged()
    if (flagged) {
      this.oscFlags++
      this.oscNotFlagged = 0
      if (this.oscEvent === null && this.oscFlags >= 2) {
        const start = Math.max(0, i - this.p.oscWindow - this.p.oscEvery + 1)
        const ev = this.makeEvent(v, 'oscillation', 'warning', start, i, this.lastOscZ, this.base + this.dir * this.lastOscAmp)
        ev.ratio = Math.exp(this.lastOscAmp)
        if (!this.logMode) ev.ratio = 1 + this.lastOscAmp / Math.max(Math.abs(this.base), this.sigma)
        ev.open = true
        ev.causes.push({ cause: 'learning rate too high for the curvature, or batches too small', evidence: `${this.label} alternates with a typical swing of ${this.logMode ? `${fmtRatio(Math.exp(this.lastOscAmp))} between neighbouring highs and lows` : fmt(this.lastOscAmp)} every ${this.lastOscLag} point(s) (period ≈ ${this.lastOscPeriod}), ${this.lastOscRatio.toFixed(1)}× the change over a full period, from step ${v.steps[start]}` })
        ev.explanation = explain(ev, this.label)
        this.oscEvent = ev
        this.emit(ev)
      } else if (this.oscEvent !== null) {
        this.oscEvent.endIndex = i
        this.oscEvent.endStep = v.steps[i]!
      }
    } else {
      this.oscFlags = 0
      if (this.oscEvent !== null && ++this.oscNotFlagged >= 2) { this.oscEvent.open = false; this.oscEvent = null }
    }
  }

  private lastOscAmp = 0
  private lastOscZ = 0
  private lastOscLag = 1
  private lastOscRatio = 0
  private lastOscPeriod = 2
  private oscSigmaRef = Infinity

  /**
   * A periodic pattern: differences at some lag L (half a period) much larger than at a lag m
   * near 2L (a full period), with a large amplitude. I.i.d. noise makes all lags alike, and a
   * trend makes longer lags larger (so the largest difference never comes before the smallest).
   * Means of |differences| at every lag find the candidate pair in one pass; medians (robust)
   * decide.
   */
  private oscWindowFlagged (): boolean {
    const r = this.oscRing
    const n = r.size
    const x = this.oscLinear
    for (let j = 0; j < n; j++) x[j] = r.recent(n - 1 - j)
    const maxLag = Math.min(OSC_MAX_HALF_PERIOD * 2, Math.floor(n / 4))
    const means = this.oscMeans
    for (let m = 1; m <= maxLag; m++) {
      let sum = 0
      for (let j = m; j < n; j++) sum += Math.abs(x[j]! - x[j - m]!)
      means[m] = sum / (n - m)
    }
    // Half a period: the shortest lag whose mean difference is within 10 % of the largest
    // (an alternation makes every odd lag equally large).
    let top = 0
    for (let m = 1; m <= maxLag / 2; m++) if (means[m]! > top) top = means[m]!
    let L = 1
    while (L < maxLag / 2 && means[L]! < 0.9 * top) L++
    const lo = Math.max(L + 1, Math.floor(1.5 * L)); const hi = Math.min(maxLag, Math.ceil(2.5 * L))
    let M = lo
    for (let m = lo + 1; m <= hi; m++) if (means[m]! < means[M]!) M = m
    // The ratio test already says the periodic part dominates the noise (differences over a full
    // period are noise only). "High amplitude" is then absolute in log space (oscMinLogAmp); in
    // linear space it is relative to the level and to the noise measured before the pattern began
    // (the pattern itself feeds the baseline noise estimate).
    const sigma = Math.min(this.sigma, this.oscSigmaRef)
    const minAmp = this.logMode ? this.p.oscMinLogAmp : Math.max(this.p.oscMinZ * sigma, 0.1 * Math.abs(this.base))
    if (!(means[L]! >= 0.5 * this.p.oscRatio * means[M]! && means[L]! >= 0.5 * minAmp)) return false
    let na = 0; let nb = 0
    for (let j = L; j < n; j++) this.oscScratchA[na++] = Math.abs(x[j]! - x[j - L]!)
    for (let j = M; j < n; j++) this.oscScratchB[nb++] = Math.abs(x[j]! - x[j - M]!)
    const a = medianInPlace(this.oscScratchA, na)
    const b = medianInPlace(this.oscScratchB, nb)
    if (a >= this.p.oscRatio * b && a >= minAmp) {
      this.lastOscAmp = a
      this.lastOscZ = a / 2 / sigma
      this.lastOscLag = L
      this.lastOscPeriod = M
      this.lastOscRatio = b > 0 ? a / b : Infinity
      return true
    }
    return false
  }

  // --- blocks: plateau and slow divergence --------------------------------------------------------

  private addToBlock (v: PointsView, i: number, u: number): void {
    if (this.blockFill === 0) { this.blockFirst = i; this.blockKept = 0 }
    // Blocks larger than the buffer keep every stride-th point (a systematic sample).
    const stride = Math.max(1, Math.ceil(this.blockSize / this.blockBuf.length))
    if (this.blockFill % stride === 0 && this.blockKept < this.blockBuf.length) this.blockBuf[this.blockKept++] = u
    this.blockFill++
    if (this.blockFill < this.blockSize) return
    const med = medianInPlace(this.blockBuf, this.blockKept)
    this.blocks.push({ med, first: this.blockFirst, last: i })
    this.blockFill = 0
    this.onBlock(v)
    if (this.blocks.length >= 512) this.mergeBlocks()
  }

  private mergeBlocks (): void {
    const out: Block[] = []
    for (let k = 0; k + 1 < this.blocks.length; k += 2) {
      const a = this.blocks[k]!; const b = this.blocks[k + 1]!
      out.push({ med: (a.med + b.med) / 2, first: a.first, last: b.last })
    }
    if (this.blocks.length % 2) out.push(this.blocks[this.blocks.length - 1]!)
    this.blocks = out
    const lv = new Float64Array(LEVEL_BLOCKS)
    this.levels = []
    for (let j = LEVEL_BLOCKS - 1; j < out.length; j++) {
      for (let k = 0; k < LEVEL_BLOCKS; k++) lv[k] = out[j - k]!.med
      this.levels[j] = medianInPlace(lv, LEVEL_BLOCKS)
    }
    this.bestBlock = this.bestBlock >= 0 ? Math.floor(this.bestBlock / 2) : -1
    this.lastPlateauEndBlock = this.lastPlateauEndBlock >= 0 ? Math.floor(this.lastPlateauEndBlock / 2) : -1
    this.lastShiftBlock = this.lastShiftBlock >= 0 ? Math.floor(this.lastShiftBlock / 2) : -1
    this.blockSize *= 2
  }

  /** Noise of block medians, from their lag-1 differences (over at most 64 blocks). */
  private blockSigma (from: number, to: number): number {
    const n = to - from
    if (n < 4) return NaN
    const a = this.blockScratch
    for (let k = from + 1; k <= to; k++) a[k - from - 1] = Math.abs(this.blocks[k]!.med - this.blocks[k - 1]!.med)
    return DIFF_MAD_TO_SIGMA * medianInPlace(a, n)
  }

  private onBlock (v: PointsView): void {
    const B = this.blocks
    const j = B.length - 1
    const cur = B[j]!
    const sB = this.blockSigma(Math.max(0, j - 64), j)
    if (Number.isNaN(sB)) return
    const sb = Math.max(sB, this.logMode ? 1e-4 : 1e-12)
    // Slow divergence: the rolling median of the last LEVEL_BLOCKS blocks rises well above the best
    // such level reached so far (a single extreme block cannot trigger it).
    if (j + 1 < LEVEL_BLOCKS) return
    const lv = this.levelScratch
    for (let k = 0; k < LEVEL_BLOCKS; k++) lv[k] = B[j - k]!.med
    const level = medianInPlace(lv, LEVEL_BLOCKS)
    this.levels[j] = level
    this.blockShift(v, sb)
    if (this.bestBlock < 0 || this.dir * (level - this.bestLevel) < 0) { this.bestLevel = level; this.bestBlock = j }
    const rise = this.dir * (level - this.bestLevel)
    const growth = this.logMode ? Math.log(this.p.slowDivergenceGrowth) : (this.p.slowDivergenceGrowth - 1) * Math.abs(this.bestLevel)
    if (this.slowDiv === null) {
      if (j - this.bestBlock >= 4 && rise >= growth && rise >= this.p.slowDivergenceZ * sb) {
        // A trend, not a step: both halves of the stretch since the best level carry part of the rise.
        const mid = this.bestBlock + Math.floor((j - this.bestBlock) / 2)
        const midLevel = this.levels[mid] ?? this.bestLevel
        const spread = this.dir * (midLevel - this.bestLevel) >= rise / 5 && this.dir * (level - midLevel) >= rise / 5
        const startBlock = B[Math.max(0, this.bestBlock - Math.floor(LEVEL_BLOCKS / 2))]!
        const covered = (this.exc !== null && this.exc.confirmed !== null) || this.events.some(e => (e.kind === 'level-shift' || e.kind === 'divergence' || e.kind === 'non-finite') && e.endIndex >= startBlock.first && e.startIndex <= cur.last)
        if (spread && !covered) {
          const ev: JumpEvent = {
            key: `divergence@${startBlock.first}`,
            kind: 'divergence',
            severity: 'critical',
            startIndex: startBlock.first,
            endIndex: cur.last,
            startStep: v.steps[startBlock.first]!,
            endStep: v.steps[cur.last]!,
            wallTime: v.wallTimes[startBlock.first]!,
            ratio: this.logMode ? Math.exp(rise) : 1 + rise / Math.max(Math.abs(this.bestLevel), sb),
            robustZ: rise / sb,
            baseline: this.y(this.bestLevel),
            peak: this.y(level),
            causes: [{ cause: 'a sustained upward trend (learning rate too high or growing, accumulating numerical error, a drifting data stream)', evidence: `the median of ${this.label} over ${LEVEL_BLOCKS} blocks of ${this.blockSize} points rose steadily from its best level ${fmt(this.y(this.bestLevel))} (around step ${v.steps[startBlock.first]}) through ${fmt(this.y(midLevel))} to ${fmt(this.y(level))} (step ${v.steps[cur.last]})` }],
            explanation: '',
            open: true
          }
          this.slowDiv = ev
          this.emit(ev)
        }
      }
    } else {
      const ev = this.slowDiv
      if (rise >= growth / 2) {
        ev.endIndex = cur.last; ev.endStep = v.steps[cur.last]!
        const r = this.logMode ? Math.exp(rise) : 1 + rise / Math.max(Math.abs(this.bestLevel), sb)
        if (r > ev.ratio) { ev.ratio = r; ev.robustZ = rise / sb; ev.peak = this.y(level) }
      } else { ev.open = false; this.slowDiv = null; this.bestLevel = level; this.bestBlock = j }
    }
    this.plateau(v, sb)
  }

  /**
   * A level shift too small to show in single points (below elevatedZ per point) but clear in
   * block medians: the rolling level of the last LEVEL_BLOCKS blocks is `minRatio`× and 8 level-σ
   * worse than that of the LEVEL_BLOCKS blocks before, which were themselves flat (a step, not a
   * trend). The start is the split, within the blocks around the change, that maximises the
   * difference of means before and after.
   */
  private blockShift (v: PointsView, sb: number): void {
    const B = this.blocks; const Lv = this.levels
    const j = B.length - 1
    const W = LEVEL_BLOCKS
    if (Lv[j - 2 * W] === undefined || j - 2 * W <= this.lastShiftBlock) return
    const after = Lv[j]!; const before = Lv[j - W]!; const earlier = Lv[j - 2 * W]!
    const d = this.dir * (after - before)
    const sLv = 1.25 * sb / Math.sqrt(W)
    const minD = Math.max(this.logMode ? Math.log(this.p.minRatio) : 0, 8 * sLv)
    if (!(d >= minD) || Math.abs(before - earlier) > d / 3) return
    if (this.exc !== null) return
    const from = B[j - W - 2]!.first; const to = B[j - W + 2]!.last
    const covered = this.events.some(e => (e.kind === 'level-shift' || e.kind === 'divergence' || e.kind === 'non-finite' || e.kind === 'oscillation') && e.endIndex >= from && e.startIndex <= B[j]!.last)
    if (covered) { this.lastShiftBlock = j; return }
    // Best split: maximise (mean after − mean before) over [from, to], both sides W/2 blocks wide.
    const half = (W >> 1) * this.blockSize
    let best = from; let bestGain = -Infinity
    const lo = Math.max(0, from - half); const hi = Math.min(this.n, to + half)
    let total = 0; let cnt = 0
    const us: number[] = []
    for (let i = lo; i < hi; i++) { const y = v.values[i]!; const u = Number.isFinite(y) && (!this.logMode || y > 0) ? this.u(y) : NaN; us.push(u); if (!Number.isNaN(u)) { total += u; cnt++ } }
    let left = 0; let ln = 0
    for (let i = lo; i < hi; i++) {
      if (i >= from && i <= to && ln > 0 && cnt - ln > 0) {
        const gain = this.dir * ((total - left) / (cnt - ln) - left / ln)
        if (gain > bestGain) { bestGain = gain; best = i }
      }
      const u = us[i - lo]!
      if (!Number.isNaN(u)) { left += u; ln++ }
    }
    this.lastShiftBlock = j
    const peakU = after
    const ev = this.makeEvent(v, 'level-shift', 'warning', best, B[j]!.last, d / sLv, peakU)
    ev.baseline = this.y(before)
    ev.ratio = this.logMode ? Math.exp(d) : 1 + d / Math.max(Math.abs(before), sb)
    ev.causes.push({ cause: 'a lasting change in the optimisation (learning-rate change, instability, a change in the data)', evidence: `the median of ${this.label} over ${W} blocks of ${this.blockSize} points went from ${fmt(this.y(before))} to ${fmt(this.y(after))} (${fmtRatio(ev.ratio)}) around step ${v.steps[best]}, after a flat stretch; too small to see in single points (noise), clear in block medians` })
    ev.explanation = explain(ev, this.label)
    this.emit(ev)
  }

  /**
   * A long flat stretch between two stretches of progress, found `plateauBlocks` blocks after
   * progress resumed. On rolling levels (medians of 6 block medians): the stretch [s, c] of ≥
   * `plateauBlocks` blocks stays within a narrow band; the level fell by `plateauDrop`× over the
   * 2·plateauBlocks blocks before s and over the plateauBlocks blocks after c; and the rate of
   * progress inside the stretch is under a quarter of the rate before and after. A loss whose
   * decrease only slows down (convergence) never has a rate that recovers, so it is no plateau.
   */
  private plateau (v: PointsView, sb: number): void {
    const B = this.blocks
    const Lv = this.levels
    const j = B.length - 1
    const P = this.p.plateauBlocks
    const c = j - P
    if (c - P < 3 * P || Lv[j] === undefined) return
    const drop = this.logMode ? Math.log(this.p.plateauDrop) : 3 * sb
    const tol = Math.max(this.logMode ? Math.log(this.p.plateauDrop) / 2 : 0, 3 * sb)
    const after = this.dir * (Lv[c]! - Lv[j]!)
    if (!(after >= drop)) return
    let lo = Lv[c]!; let hi = lo
    let s = c
    while (s - 1 > this.lastPlateauEndBlock && s - 1 >= 2 * P && c - s < 256 && Lv[s - 1] !== undefined) {
      const m = Lv[s - 1]!
      const nlo = Math.min(lo, m); const nhi = Math.max(hi, m)
      if (nhi - nlo > tol) break
      lo = nlo; hi = nhi; s--
    }
    if (c - s + 1 < P || Lv[s - 2 * P] === undefined) return
    const before = this.dir * (Lv[s - 2 * P]! - Lv[s]!)
    const during = Math.max(0, this.dir * (Lv[s]! - Lv[c]!))
    const rateBefore = before / (2 * P); const rateAfter = after / P; const rateDuring = during / (c - s)
    if (!(before >= drop && rateDuring <= 0.25 * rateBefore && rateDuring <= 0.25 * rateAfter)) return
    this.emitPlateau(v, s, c, lo, hi, s - 2 * P, sb)
  }

  private emitPlateau (v: PointsView, s: number, c: number, lo: number, hi: number, beforeAt: number, sb: number): void {
    const B = this.blocks
    const j = B.length - 1
    const first = B[s]!.first; const last = B[c]!.last
    const levelU = (lo + hi) / 2
    const prevU = this.levels[beforeAt] ?? B[beforeAt]!.med
    const nowU = B[j]!.med
    const bandGood = this.dir > 0 ? lo : hi
    const ev: JumpEvent = {
      key: `plateau@${first}`,
      kind: 'plateau',
      severity: 'info',
      startIndex: first,
      endIndex: last,
      startStep: v.steps[first]!,
      endStep: v.steps[last]!,
      wallTime: v.wallTimes[first]!,
      ratio: this.logMode ? Math.exp(this.dir * (levelU - nowU)) : 1 + this.dir * (levelU - nowU) / Math.max(Math.abs(nowU), sb),
      robustZ: this.dir * (bandGood - nowU) / sb,
      baseline: this.y(prevU),
      peak: this.y(levelU),
      causes: [{ cause: 'a saddle point or poor local minimum, or a learning rate too small to make progress', evidence: `${this.label} stayed within ${this.logMode ? `${((Math.exp(hi - lo) - 1) * 100).toFixed(0)} %` : fmt(hi - lo)} of ${fmt(this.y(levelU))} for ${last - first + 1} points (steps ${v.steps[first]}–${v.steps[last]}), after falling from ${fmt(this.y(prevU))}, and fell again to ${fmt(this.y(nowU))} afterwards` }],
      explanation: '',
      open: false
    }
    this.lastPlateauEndBlock = c
    this.emit(ev)
  }
}

/** Formats a value for evidence strings: 4 significant digits, exponent for extremes. */
export function fmt (x: number): string {
  if (!Number.isFinite(x)) return String(x)
  const a = Math.abs(x)
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return x.toExponential(3)
  return Number(x.toPrecision(4)).toString()
}

/** `×3.2` style multiplier. */
export function fmtRatio (r: number): string {
  if (!Number.isFinite(r)) return `×${r}`
  return r >= 100 ? `×${r.toExponential(1)}` : `×${r.toFixed(r >= 10 ? 0 : 1)}`
}
