/**
 * Words that fit the metric an annotation is on: a loss gets worse by rising, an accuracy, a
 * reward or an explained variance by falling. Evidence and explanation texts take their verbs
 * from here, so that an accuracy drop reads "accuracy fell to 0.3, ×3.0 below its local median"
 * and never as a loss spike.
 */

import { higherIsBetter, isLossLike } from './families.js'

export interface MetricWords {
  /** +1 when higher values are worse (losses), −1 when lower values are worse (accuracy, reward). */
  dir: 1 | -1
  /** True for a loss-like series (a loss, an error, a perplexity): loss-specific advice applies. */
  loss: boolean
  /** Past tense of getting worse: `rose` / `fell`. */
  worsened: string
  /** Getting better, as a participle: `falling` / `rising`. */
  improving: string
  /** Getting worse, as a participle: `rising` / `falling`. */
  worsening: string
  /** `jump` / `drop`. */
  jump: string
  /** `jumped` / `dropped`. */
  jumped: string
  /** `up` / `down`: the worse direction. */
  up: string
  /** `upward` / `downward`. */
  upward: string
  /** `higher` / `lower`. */
  higher: string
  /** `above` / `below`. */
  above: string
}

const WORSE_HIGH: Omit<MetricWords, 'loss'> = {
  dir: 1, worsened: 'rose', improving: 'falling', worsening: 'rising', jump: 'jump', jumped: 'jumped', up: 'up', upward: 'upward', higher: 'higher', above: 'above'
}
const WORSE_LOW: Omit<MetricWords, 'loss'> = {
  dir: -1, worsened: 'fell', improving: 'rising', worsening: 'falling', jump: 'drop', jumped: 'dropped', up: 'down', upward: 'downward', higher: 'lower', above: 'below'
}

/** The words of a series read in direction `dir`, labelled `label` (a tag, maybe `de-smoothed <tag>`). */
export function metricWords (dir: 1 | -1, label: string): MetricWords {
  return { ...(dir === 1 ? WORSE_HIGH : WORSE_LOW), loss: dir === 1 && isLossLike(label) }
}

/** The direction the enrichment reads a tag in (what the provider passes to the detector). */
export function directionOf (label: string): 1 | -1 {
  return higherIsBetter(label) ? -1 : 1
}

/**
 * A bad-direction ratio against a reference: `×3.0 its local median` for a loss, `×3.0 below its
 * local median` for a metric that fell to a third of it.
 */
export function timesRef (w: MetricWords, ratioText: string, ref: string): string {
  return w.dir === 1 ? `${ratioText} ${ref}` : `${ratioText} below ${ref}`
}
