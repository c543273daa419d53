/** Overfitting: a validation loss rising for several evaluations while the training loss keeps falling. */

import type { JumpEvent } from './events.js'
import { fmt } from './events.js'
import { DIFF_MAD_TO_SIGMA, median } from './robust.js'
import { explain } from './explain.js'

/** Thresholds of {@link OverfittingDetector}. */
export interface OverfittingParams {
  /** Evaluations after the best one before overfitting can be reported. Default 3. */
  minEvaluations: number
  /**
   * Lowest rise of the validation loss over its best value (relative). Default 0.1: a validation
   * loss drifting a few per cent above its best while the learning rate decays is common in clean
   * runs (the framework corpus has one at +9 %) and is not worth a warning.
   */
  minRise: number
  /** …and in units of the validation noise (robust, from its evaluation-to-evaluation changes). Default 3. */
  minRiseZ: number
  /** Lowest relative fall of the training loss over the same stretch. Default 0.02. */
  minTrainFall: number
  /** Fraction of evaluation-to-evaluation changes since the best that must be rises. Default 0.6. */
  minRisingFraction: number
}

export const DEFAULT_OVERFITTING_PARAMS: Readonly<OverfittingParams> = Object.freeze({
  minEvaluations: 3, minRise: 0.1, minRiseZ: 3, minTrainFall: 0.02, minRisingFraction: 0.6
})

/** The training loss level at a step (median around it), NaN when unknown. */
export type TrainLevel = (step: number, previousStep: number) => number

/**
 * Streams the points of a validation loss; for each, compares it with the best (lowest) value so
 * far. Overfitting is reported when, over ≥ `minEvaluations` evaluations since the best one, the
 * validation loss mostly rose and ended `minRise` and `minRiseZ`·σ above the best while the
 * training loss fell by `minTrainFall`. The event spans best evaluation → latest evaluation and
 * grows until the validation loss sets a new best.
 */
export class OverfittingDetector {
  readonly events: JumpEvent[] = []
  private n = 0
  private best = -1
  private current: JumpEvent | null = null
  private readonly p: OverfittingParams
  private readonly us: number[] = []
  private readonly idx: number[] = []

  constructor (private readonly valLabel: string, private readonly trainLabel: string, params?: Partial<OverfittingParams>) {
    this.p = { ...DEFAULT_OVERFITTING_PARAMS, ...params }
  }

  update (val: { steps: ArrayLike<number>, wallTimes: ArrayLike<number>, values: ArrayLike<number> }, upTo: number, train: TrainLevel): JumpEvent[] {
    const out: JumpEvent[] = []
    for (let i = this.n; i < upTo; i++) {
      const y = val.values[i]!
      if (!(y > 0) || !Number.isFinite(y)) continue
      const u = Math.log(y)
      this.us.push(u)
      this.idx.push(i)
      const k = this.us.length - 1
      if (this.best < 0 || u <= this.us[this.best]!) {
        this.best = k
        if (this.current !== null) { this.current.open = false; this.current = null }
        continue
      }
      const after = k - this.best
      if (after < this.p.minEvaluations) continue
      const bestU = this.us[this.best]!
      let rises = 0
      for (let j = this.best + 1; j <= k; j++) if (this.us[j]! > this.us[j - 1]!) rises++
      const diffs: number[] = []
      for (let j = Math.max(1, k - 63); j <= k; j++) diffs.push(Math.abs(this.us[j]! - this.us[j - 1]!))
      const sigma = DIFF_MAD_TO_SIGMA * median(diffs)
      const rise = u - bestU
      const lastThree = this.us.slice(k - this.p.minEvaluations + 1, k + 1)
      const sustained = lastThree.every(x => x - bestU >= Math.log1p(this.p.minRise) / 2)
      const bi = this.idx[this.best]!
      const tBest = train(val.steps[bi]!, bi > 0 ? val.steps[bi - 1]! : -Infinity)
      const tNow = train(val.steps[i]!, val.steps[this.idx[k - 1]!]!)
      const trainFell = tBest > 0 && tNow > 0 && Math.log(tBest) - Math.log(tNow) >= -Math.log1p(-this.p.minTrainFall)
      const ok = rises / after >= this.p.minRisingFraction && rise >= Math.log1p(this.p.minRise) && rise >= this.p.minRiseZ * sigma && sustained && trainFell
      if (this.current !== null) {
        const ev = this.current
        ev.endIndex = i; ev.endStep = val.steps[i]!
        if (Math.exp(rise) > ev.ratio) { ev.ratio = Math.exp(rise); ev.peak = y; ev.robustZ = sigma > 0 ? rise / sigma : Infinity }
        ev.causes[0]!.evidence = this.evidence(val, bi, i, tBest, tNow)
        continue
      }
      if (!ok) continue
      const ev: JumpEvent = {
        key: `overfitting@${bi}`,
        kind: 'overfitting',
        severity: 'warning',
        startIndex: bi,
        endIndex: i,
        startStep: val.steps[bi]!,
        endStep: val.steps[i]!,
        wallTime: val.wallTimes[bi]!,
        ratio: Math.exp(rise),
        robustZ: sigma > 0 ? rise / sigma : Infinity,
        baseline: Math.exp(bestU),
        peak: y,
        causes: [{ cause: 'the model fits the training data ever better while generalising worse (too little regularisation or data, trained too long)', evidence: this.evidence(val, bi, i, tBest, tNow) }],
        explanation: '',
        open: true
      }
      ev.explanation = explain(ev, this.valLabel)
      this.current = ev
      this.events.push(ev)
      out.push(ev)
    }
    this.n = Math.max(this.n, upTo)
    return out
  }

  private evidence (val: { steps: ArrayLike<number>, values: ArrayLike<number> }, bi: number, i: number, tBest: number, tNow: number): string {
    return `${this.valLabel} rose from its best ${fmt(val.values[bi]!)} at step ${val.steps[bi]} to ${fmt(val.values[i]!)} at step ${val.steps[i]} (${this.us.length - 1 - this.best} evaluations), while ${this.trainLabel} fell from ${fmt(tBest)} to ${fmt(tNow)}`
  }
}
