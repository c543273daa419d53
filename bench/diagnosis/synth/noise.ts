/**
 * Noise models of the synthetic runs, fitted to the real framework runs (not a textbook law).
 *
 * Fitted by bench/diagnosis/synth/fit-noise.ts on ../shared/corpus/frameworks/truth (raw per-step
 * losses written by torch 2.13 / tensorboardX, labelled events ± 30 steps and the first 200 steps
 * left out): r_t = ln(raw_t) − ln(rolling median over 101 steps). What it found:
 *   - the residuals are skewed and heavy-tailed (left tail longer in log space: easy batches; right
 *     tail to ×2.0–×5.1 of the median), so they are sampled by inverse CDF from the measured
 *     quantile tables below (linear between quantiles, the 0 and 1 quantiles = observed min/max);
 *   - lag-1 autocorrelation of r is −0.001 … 0.07: independent draws are faithful;
 *   - the rolling median falls from an initial level to a floor, 90 % of the way by t90 (73–885
 *     steps); in a 20,000-step run that is an exponential decay with τ = t90 / ln 10 stretched to
 *     the run (t90 is 5–9 % of the source run), on which the LR schedule (warm-up, then cosine) acts.
 * Noise levels (the three real runs that span the range):
 *   light  = tbx/osc_then_nan (MSE regression, batch 128): p99 ×1.35, max ×1.65 of the median;
 *   medium = torch/warmup_cosine_clean (cross-entropy, batch 32): p99 ×1.96, max ×2.71;
 *   heavy  = torch/heavy_tail_12k (cross-entropy, batch 8, 15 % label noise): p99 ×2.97, max ×5.08.
 * Keras runs add the epoch reshuffle: each epoch's data order changes the per-epoch level by a
 * factor exp(N(0, 0.02)) (the spread of per-epoch medians around the trend in the Keras corpus runs
 * is 1–3 %), so a staircase at epoch boundaries is also present in the raw losses.
 */

/** Probabilities of the quantile tables. */
export const QS = [0, 0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 0.999, 1]

export type NoiseLevel = 'light' | 'medium' | 'heavy'

/** Log-residual quantiles at QS, as printed by fit-noise.ts. */
export const NOISE_MODELS: Record<NoiseLevel, { source: string, quantiles: number[], trend: { init: number, floor: number, t90: number, steps: number } }> = {
  light: { source: 'tbx/osc_then_nan', quantiles: [-0.5024, -0.4693, -0.3215, -0.2258, -0.1799, -0.0916, -0.0012, 0.0874, 0.1722, 0.2202, 0.3008, 0.3224, 0.4266, 0.5031], trend: { init: 0.767, floor: 0.0279, t90: 281, steps: 3000 } },
  medium: { source: 'torch/warmup_cosine_clean', quantiles: [-1.0987, -0.9582, -0.7015, -0.486, -0.3856, -0.2055, 0, 0.1946, 0.3742, 0.478, 0.6733, 0.7249, 0.8459, 0.9951], trend: { init: 1.37, floor: 0.519, t90: 480, steps: 9000 } },
  heavy: { source: 'torch/heavy_tail_12k', quantiles: [-3.1621, -2.5727, -1.7549, -1.1581, -0.8565, -0.4167, 0, 0.359, 0.6459, 0.8116, 1.0869, 1.175, 1.3289, 1.6252], trend: { init: 1.59, floor: 0.656, t90: 885, steps: 12000 } }
}

/** One log residual drawn from a fitted quantile table (inverse CDF, linear between quantiles). */
export function residual (u: number, q: readonly number[]): number {
  for (let k = 1; k < QS.length; k++) {
    if (u <= QS[k]!) {
      const f = (u - QS[k - 1]!) / (QS[k]! - QS[k - 1]!)
      return q[k - 1]! + f * (q[k]! - q[k - 1]!)
    }
  }
  return q[q.length - 1]!
}

/** The noise-free loss level at step t of n: the fitted decay from init to floor, τ stretched to the run. */
export function trendLevel (t: number, n: number, level: NoiseLevel, floorScale = 1): number {
  const { init, floor, t90, steps } = NOISE_MODELS[level].trend
  // The same fraction of the run as in the source run, at least 10 steps.
  const tau = Math.max(10, (t90 / steps) * n) / Math.LN10
  const f = floor * floorScale
  return f + (init - floor) * floorScale * Math.exp(-t / tau)
}
