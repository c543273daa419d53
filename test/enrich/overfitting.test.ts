/** Overfitting on its own: a validation loss that rises for several evaluations while the training loss keeps falling. */

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { OverfittingDetector } from '../../server/enrich/overfitting.js'
import { trainLevelAt } from '../../server/enrich/families.js'
import type { JumpEvent } from '../../server/enrich/events.js'

/** A validation series: one evaluation every 100 steps, wall time 10 s per step. */
function evaluations (values: number[]): { steps: number[], wallTimes: number[], values: number[] } {
  const steps = values.map((_, i) => (i + 1) * 100)
  return { steps, wallTimes: steps.map(s => 1_000 + s * 10), values }
}

/** A training loss logged every 10 steps up to `last`, as the level function the detector reads. */
function training (last: number, at: (step: number) => number): (step: number, prev: number) => number {
  const steps: number[] = []; const values: number[] = []
  for (let s = 10; s <= last; s += 10) { steps.push(s); values.push(at(s)) }
  return (step, prev) => trainLevelAt(steps, values, steps.length, step, prev)
}

/** Feeds the evaluations one at a time, as they arrive; returns every event with the evaluation count that produced it. */
function stream (det: OverfittingDetector, val: ReturnType<typeof evaluations>, train: (step: number, prev: number) => number): Array<{ at: number, ev: JumpEvent }> {
  const out: Array<{ at: number, ev: JumpEvent }> = []
  for (let n = 1; n <= val.values.length; n++) for (const ev of det.update(val, n, train)) out.push({ at: n, ev })
  return out
}

// Falls to its best at step 600 (0.50), then rises by 8 % per evaluation.
const FALL = [1.2, 0.95, 0.8, 0.68, 0.58, 0.5]
const RISE = [0.54, 0.583, 0.63, 0.68, 0.734, 0.793]
const FALLING_TRAIN = training(2000, s => 2 * Math.exp(-s / 700))

test('validation loss rising while the training loss falls: overfitting from the best evaluation, reported once it is sustained', () => {
  const val = evaluations([...FALL, ...RISE])
  const det = new OverfittingDetector('val_loss', 'loss')
  const found = stream(det, val, FALLING_TRAIN)
  assert.equal(found.length, 1, `one overfitting event: ${found.map(f => f.ev.key).join(', ')}`)
  const { at, ev } = found[0]!
  assert.equal(ev.kind, 'overfitting')
  assert.equal(ev.severity, 'warning')
  // It starts at the best validation loss (step 600), not where it was noticed.
  assert.equal(ev.startStep, 600)
  assert.equal(ev.startIndex, 5)
  assert.equal(ev.wallTime, val.wallTimes[5])
  assert.equal(ev.baseline, 0.5)
  // Not before three evaluations after the best (the default minEvaluations).
  assert.ok(at >= FALL.length + 3, `reported after evaluation ${at}, at least 3 after the best`)
  // It stays open and grows with every further rise: its end and peak are the latest evaluation.
  assert.equal(ev.open, true)
  assert.equal(ev.endStep, val.steps.at(-1))
  assert.equal(ev.peak, RISE.at(-1))
  assert.ok(Math.abs(ev.ratio - RISE.at(-1)! / 0.5) < 1e-9, `ratio ${ev.ratio} = latest / best`)
  assert.match(ev.causes[0]!.evidence, /val_loss rose from its best 0\.5 at step 600 to 0\.793 at step 1200/)
  assert.match(ev.causes[0]!.evidence, /while loss fell/)
  assert.ok(ev.explanation.length > 0)
})

test('a new best validation loss closes the event; the same stretch fed at once gives the same event', () => {
  const values = [...FALL, ...RISE, 0.45]
  const val = evaluations(values)
  const streamed = new OverfittingDetector('val_loss', 'loss')
  const found = stream(streamed, val, FALLING_TRAIN)
  assert.equal(found.length, 1)
  assert.equal(found[0]!.ev.open, false, 'closed by the new best at step 1300')
  assert.equal(found[0]!.ev.endStep, 1200, 'ends at the last rising evaluation')
  const whole = new OverfittingDetector('val_loss', 'loss')
  const once = whole.update(val, values.length, FALLING_TRAIN)
  assert.deepEqual(once, found.map(f => f.ev))
})

test('a flat validation loss, or one that keeps falling, is no overfitting', () => {
  const flat = evaluations(Array.from({ length: 30 }, (_, i) => 0.5 * (1 + 0.004 * Math.sin(i * 1.7))))
  assert.deepEqual(stream(new OverfittingDetector('val_loss', 'loss'), flat, FALLING_TRAIN), [])
  const falling = evaluations(Array.from({ length: 20 }, (_, i) => 1.2 * Math.exp(-i / 8)))
  assert.deepEqual(stream(new OverfittingDetector('val_loss', 'loss'), falling, FALLING_TRAIN), [])
})

test('validation loss rising while the training loss rises too is not overfitting (both get worse: not a generalisation gap)', () => {
  const val = evaluations([...FALL, ...RISE])
  const rising = training(2000, s => 0.3 + s / 2000)
  assert.deepEqual(stream(new OverfittingDetector('val_loss', 'loss'), val, rising), [])
  const flatTrain = training(2000, () => 0.3)
  assert.deepEqual(stream(new OverfittingDetector('val_loss', 'loss'), val, flatTrain), [])
})

test('a rise that is too small or too short is not reported', () => {
  // +1 % per evaluation: 6 % above the best after six rises, under the 10 % minimum.
  const small = evaluations([...FALL, 0.505, 0.51, 0.515, 0.52, 0.525, 0.53])
  assert.deepEqual(stream(new OverfittingDetector('val_loss', 'loss'), small, FALLING_TRAIN), [])
  // Two large rises, then a new best: fewer than three evaluations after the best.
  const short = evaluations([...FALL, 0.6, 0.7, 0.45, 0.44])
  assert.deepEqual(stream(new OverfittingDetector('val_loss', 'loss'), short, FALLING_TRAIN), [])
})
