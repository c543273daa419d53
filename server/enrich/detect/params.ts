/** Thresholds of the jump detector, with their documented defaults. */

/**
 * Every threshold is in units of the robust noise scale σ of the analysed series (log values for a
 * positive series, so the detector is scale-free) or a ratio to the local baseline.
 */
export interface JumpParams {
  /** Normal points in the rolling baseline (median level and noise scale). Default 64. */
  baselineWindow: number
  /** Normal points needed before a jump can be reported. Default 8. */
  minHistory: number
  /**
   * Lowest robust z a single point needs to be a spike on its own; the threshold actually used is
   * fitted to each series' tail (detect/tail.ts) and is usually higher. Default 4.
   */
  spikeZ: number
  /** Lowest peak/baseline ratio of a single-point spike. Default 2. */
  spikeMinRatio: number
  /**
   * A positive point this many times its local median is always a spike, however heavy the tails
   * (the tail-adaptive threshold is capped here). Default 7. The largest natural excursions of real
   * heavy-tailed runs reach ×5 of the true local median; the baseline's own level error (a median
   * of 32–64 noisy points: up to ×1.3–1.4 in such noise) makes them read as up to ×6.5–7, and makes a
   * 10× batch read as low as ×7 (measured on 200,000 points of the heavy noise model).
   */
  grossRatio: number
  /**
   * A positive point this many times its local median is a spike once its robust z reaches
   * `spikeZ`, whatever the fitted tail says. Default 4.5. The tail fit extrapolates from the 5 % of
   * largest residuals and is noisy over a few thousand points (its shape estimate swings by ±0.3),
   * which lifted the threshold over z 9 on noise whose largest natural batch was ×2.7: bad batches
   * of ×5 (z 5–6 there) went unreported. A point ×4.5 the median at z ≥ 4 needs log noise with σ ≤
   * 0.38, where it is a four-σ event; heavier noise (σ 0.55 and more, natural batches to ×5) gives
   * it a z under 3, and the tail threshold alone decides there. Needs half a baseline window of
   * history (a σ from fewer points is too uncertain), and a series whose own points seldom came
   * near the ratio (detect/tail.ts: a power-law tail reaches it naturally).
   */
  bigRatio: number
  /**
   * Target rate of false single-point spikes on clean noise: the spike threshold is the
   * (1 − rate) quantile of the residuals, extrapolated from their upper tail. Default 1/20,000.
   */
  spikeFalseRate: number
  /** z above which a point counts as elevated. Default 3. */
  elevatedZ: number
  /** Lowest ratio of an elevated point (and so of any reported jump). Default 1.3. */
  minRatio: number
  /** Of the last `sustainWindow` points, `sustainCount` elevated ones open a sustained excursion. Defaults 9 and 5. */
  sustainWindow: number
  sustainCount: number
  /** Consecutive normal points that end an excursion. Default 3. */
  returnPoints: number
  /**
   * A sustained excursion that has not decayed after this many points is a level shift (or a
   * divergence). On short series the wait is a quarter of the history before it, at least 3. Default 64
   * (a transient after one bad update can peak late and take as long to start coming down).
   */
  shiftPoints: number
  /** A level shift still not returned after this many points becomes the new baseline. Default 256. */
  maxShiftPoints: number
  /** Growth between the middle and the last third of an excursion that makes it a divergence. Default 1.5. */
  divergenceGrowth: number
  /** Spike candidates closer than this (points, or twice the last one's length) are judged together (a burst, or an oscillation). Default 16. */
  clusterGap: number
  /** Oscillation: window, evaluation period, half- vs full-period difference ratio, minimum swing (σ units; log units for positive series). */
  oscWindow: number
  oscEvery: number
  oscRatio: number
  oscMinZ: number
  oscMinLogAmp: number
  /** Block size (points) of the block medians used for trends and plateaus (doubles past 512 blocks). Default 16. */
  blockSize: number
  /** Plateau: blocks a flat stretch must span, and the fall before (and after) it. Defaults 8 and 1.25. */
  plateauBlocks: number
  plateauDrop: number
  /** Slow divergence: growth of the rolling block level over the best level, in ratio and in block-noise units. Defaults 1.5 and 8. */
  slowDivergenceGrowth: number
  slowDivergenceZ: number
}

/** Documented defaults of {@link JumpParams}. */
export const DEFAULT_JUMP_PARAMS: Readonly<JumpParams> = Object.freeze({
  baselineWindow: 64,
  minHistory: 8,
  spikeZ: 4,
  spikeMinRatio: 2,
  grossRatio: 7,
  bigRatio: 4.5,
  spikeFalseRate: 1 / 20000,
  elevatedZ: 3,
  minRatio: 1.3,
  sustainWindow: 9,
  sustainCount: 5,
  returnPoints: 3,
  shiftPoints: 64,
  maxShiftPoints: 256,
  divergenceGrowth: 1.5,
  clusterGap: 16,
  oscWindow: 96,
  oscEvery: 64,
  oscRatio: 2.5,
  oscMinZ: 4,
  oscMinLogAmp: 0.3,
  blockSize: 16,
  plateauBlocks: 8,
  plateauDrop: 1.25,
  slowDivergenceGrowth: 1.5,
  slowDivergenceZ: 8
})
