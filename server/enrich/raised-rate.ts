/**
 * Spikes while a raised learning rate holds the loss up. After a raise that lifted the loss level
 * (a level shift or divergence whose first cause is the raise), single batches of ×10 and more are
 * common: at the higher rate one update can overshoot far. Such a spike is more likely the
 * optimiser than the data, so "one bad batch" is not its first cause: the raise is, with the event
 * that carries it as evidence. (A learning rate too high makes the loss fluctuate and jump: the
 * user's material, seeds 001–004.)
 */

import type { JumpEvent } from './events.js'

/** First-cause prefix of a spike inside a shift that a learning-rate raise started. */
export const RAISED_RATE = 'learning rate too high since it was raised'

/**
 * Puts the raise first among the causes of the spike `ev` when it starts inside a level shift or
 * divergence of `events` (the same series) whose first cause is a learning-rate raise. Returns
 * true when the causes changed. Idempotent.
 */
export function attachRaisedRateCause (ev: JumpEvent, events: Iterable<JumpEvent>): boolean {
  if (ev.kind !== 'spike') return false
  let host: JumpEvent | null = null
  for (const o of events) {
    if ((o.kind !== 'level-shift' && o.kind !== 'divergence') || o === ev) continue
    if (ev.startIndex <= o.startIndex || ev.startIndex > o.endIndex) continue
    if (!/^learning-rate change: raised/.test(o.causes[0]?.cause ?? '')) continue
    host = o
  }
  const at = ev.causes.findIndex(c => c.cause.startsWith(RAISED_RATE))
  if (host === null) {
    if (at < 0) return false
    ev.causes.splice(at, 1)
    return true
  }
  const raise = host.causes[0]!
  const cause = {
    cause: `${RAISED_RATE} ${raise.cause.replace(/^learning-rate change: raised /, '')}: at that rate single updates can overshoot`,
    evidence: `this spike at step ${ev.startStep} lies inside the ${host.kind} that began at step ${host.startStep} when the rate was raised (${raise.evidence})`
  }
  const same = at === 0 && ev.causes[0]!.cause === cause.cause && ev.causes[0]!.evidence === cause.evidence
  if (same) return false
  if (at >= 0) ev.causes.splice(at, 1)
  ev.causes.unshift(cause)
  return true
}
