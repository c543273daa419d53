/** Causes on their own: learning-rate changes found in an LR series and named on a jump, gradient-norm bursts named, the jump's start moved to an LR raise. */

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { LrStepTracker, lrChangesFromEpochs, attachLrCause, attachLrCauseAtEnd, attachGradientCause, snapToLrChange, type LrChange } from '../../server/enrich/causes.js'
import { makeEvent, type AnnotationKind, type JumpEvent } from '../../server/enrich/events.js'

/** Steps 0, 10, 20, … (one point every `every` steps), wall time 5000 + step. */
function columns (n: number, every = 10): { steps: number[], wallTimes: number[] } {
  const steps = Array.from({ length: n }, (_, i) => i * every)
  return { steps, wallTimes: steps.map(s => 5_000 + s) }
}

/** A loss event of `kind` over points [start, end] of a 400-point series logged every 10 steps. */
function lossEvent (kind: AnnotationKind, start: number, end = start, ratio = 4): JumpEvent {
  return makeEvent(columns(400), { kind, severity: 'warning', start, end, ratio, robustZ: 12, baseline: 0.5, peak: 0.5 * ratio })
}

/** The changes an LR tracker finds in `lr(step)` logged at the same steps as the loss. */
function lrChanges (lr: (step: number) => number, n = 400, every = 10, tag = 'learning_rate'): LrChange[] {
  const c = columns(n, every)
  const tracker = new LrStepTracker(tag)
  tracker.update(c.steps, c.steps.map(lr), n)
  return tracker.changes
}

test('LR step tracker: a step from x to y is one change located between the two points, named with both values', () => {
  const changes = lrChanges(s => s < 2000 ? 1e-3 : 1e-2)
  assert.equal(changes.length, 1)
  const ch = changes[0]!
  assert.equal(ch.from, 1e-3)
  assert.equal(ch.to, 1e-2)
  assert.equal(ch.stepLo, 1991, 'after the last point at the old rate (step 1990)')
  assert.equal(ch.stepHi, 2000, 'by the first point at the new rate')
  assert.equal(ch.where, 'learning_rate went from 0.001 at step 1990 to 0.01 at step 2000')
})

test('LR step tracker: a smooth decay is a drift (one change per 20 %), noise of a few per cent none, and chunks equal one pass', () => {
  const decay = lrChanges(s => 0.1 * Math.exp(-s / 1000))
  assert.ok(decay.length >= 10, `${decay.length} drift changes over a ×50 decay`)
  for (const ch of decay) {
    assert.match(ch.where, /drifted from/)
    assert.ok(ch.from / ch.to >= 1.2 && ch.from / ch.to < 1.3, `each drift change ×${(ch.from / ch.to).toFixed(3)} just past the 1.2 threshold`)
  }
  assert.deepEqual(lrChanges(s => 1e-3 * (1 + 0.05 * Math.sin(s))), [])
  const c = columns(400)
  const values = c.steps.map(s => s % 1000 < 500 ? 0.01 : 0.001)
  const chunked = new LrStepTracker('lr')
  for (const n of [1, 37, 38, 200, 399, 400]) chunked.update(c.steps, values, n)
  const whole = new LrStepTracker('lr')
  whole.update(c.steps, values, 400)
  assert.deepEqual(chunked.changes, whole.changes)
  assert.equal(whole.changes.length, 7, 'one change at each of the 7 switches')
})

test('an LR raise from x to y shortly before a level shift is its first cause, naming x, y and the ratio; re-running replaces it', () => {
  const changes = lrChanges(s => s < 2000 ? 1e-3 : 1e-2)
  const ev = lossEvent('level-shift', 203) // step 2030, three points after the raise
  assert.equal(attachLrCause(ev, changes, 100), true)
  assert.equal(ev.causes.length, 1)
  assert.equal(ev.causes[0]!.cause, 'learning-rate change: raised from 0.001 to 0.01 (×10)')
  assert.equal(ev.causes[0]!.evidence, 'learning_rate went from 0.001 at step 1990 to 0.01 at step 2000; the level-shift starts at step 2030')
  ev.causes.push({ cause: 'other', evidence: '' })
  assert.equal(attachLrCause(ev, changes, 100), true)
  assert.equal(ev.causes.filter(c => c.cause.startsWith('learning-rate change')).length, 1, 'replaced, not added twice')
  assert.equal(ev.causes[0]!.cause, 'learning-rate change: raised from 0.001 to 0.01 (×10)')
})

test('an LR change is not named when it came after the jump, too long before it, or was too small to matter', () => {
  const raise = lrChanges(s => s < 2000 ? 1e-3 : 1e-2)
  const before = lossEvent('level-shift', 150) // step 1500: before the raise
  assert.equal(attachLrCause(before, raise, 100), false)
  assert.deepEqual(before.causes, [])
  const longAfter = lossEvent('level-shift', 350) // step 3500: 1500 steps after it
  assert.equal(attachLrCause(longAfter, raise, 100), false)
  assert.equal(attachLrCause(longAfter, raise, 2000), true, 'within a longer look-back it is named')
  const small = lrChanges(s => s < 2000 ? 1e-3 : 1.3e-3) // ×1.3: schedule noise, not a cause
  assert.equal(small.length, 1, 'the tracker records the ×1.3 change')
  assert.equal(attachLrCause(lossEvent('spike', 203), small, 100), false)
})

test('a lowered LR supports a spike (it cannot cause one) but is the first cause of a plateau\'s end', () => {
  const lowered = lrChanges(s => s < 2000 ? 1e-2 : 1e-3)
  const spike = makeEvent(columns(400), { kind: 'spike', severity: 'warning', start: 201, end: 201, ratio: 5, robustZ: 20, baseline: 0.5, peak: 2.5, cause: { cause: 'a bad batch', evidence: 'one point' } })
  assert.equal(attachLrCause(spike, lowered, 100), true)
  assert.deepEqual(spike.causes.map(c => c.cause), ['a bad batch', 'learning-rate change: lowered from 0.01 to 0.001 (×0.1)'])
  const plateau = lossEvent('plateau', 100, 198) // flat from step 1000 to 1980
  assert.equal(attachLrCauseAtEnd(plateau, lowered, 50), true)
  assert.equal(plateau.causes[0]!.cause, 'learning-rate change: lowered from 0.01 to 0.001 (×0.1) when progress resumed')
  assert.match(plateau.causes[0]!.evidence, /the plateau ends at step 1980$/)
  assert.equal(attachLrCauseAtEnd(lossEvent('plateau', 100, 150), lowered, 50), false, 'a change 500 steps after the plateau ended is not its cause')
})

test('epoch-level LR: a change between epochs e−1 and e is placed in the range the epoch mapping gives', () => {
  const epochs = [0, 1, 2, 3]
  const values = [0.01, 0.01, 0.001, 0.001]
  // Epoch 2's batches 601–900 and the one after them (the rate logged at an epoch's end is the next batch's).
  const batches = (e: number): [number, number] | null => e === 2 ? [601, 901] : null
  const changes = lrChangesFromEpochs('epoch_learning_rate', epochs, values, 4, batches)
  assert.equal(changes.length, 1)
  assert.deepEqual({ ...changes[0]!, where: undefined }, { tag: 'epoch_learning_rate', from: 0.01, to: 0.001, stepLo: 601, stepHi: 901, where: undefined })
  assert.match(changes[0]!.where, /changed between batch steps 601 and 901 \(epoch 2's batches or the first after them\)/)
  assert.deepEqual(lrChangesFromEpochs('epoch_learning_rate', epochs, values, 4, () => null), [], 'no change without the epoch\'s batches')
})

test('a gradient-norm burst just before a loss jump is named first (exploding gradients); one at the same step supports; a distant one is not named', () => {
  const grad = (start: number, ratio: number): JumpEvent => makeEvent(columns(400), { kind: 'spike', severity: 'critical', start, end: start, ratio, robustZ: 30, baseline: 1.5, peak: 1.5 * ratio })
  const loss = lossEvent('level-shift', 203, 210)
  loss.causes.push({ cause: 'the loss moved to a new level', evidence: '' })
  assert.equal(attachGradientCause(loss, 'grad_norm', [grad(200, 8)], 100), true)
  assert.equal(loss.causes[0]!.cause, 'exploding or accumulating gradients: the gradient norm jumped just before')
  assert.equal(loss.causes[0]!.evidence, 'grad_norm has a spike from step 2000 (peak 12, ×8.0 its baseline 1.5), 30 step(s) before this level-shift began')
  assert.equal(attachGradientCause(loss, 'grad_norm', [grad(200, 8)], 100), false, 'named once')

  const same = lossEvent('spike', 203)
  same.causes.push({ cause: 'a bad batch', evidence: '' })
  assert.equal(attachGradientCause(same, 'grad_norm', [grad(203, 8)], 100), true)
  assert.deepEqual(same.causes.map(c => c.cause), ['a bad batch', 'gradient norm jumped at the same time'])

  const far = lossEvent('spike', 300)
  assert.equal(attachGradientCause(far, 'grad_norm', [grad(200, 8)], 100), false, 'a burst 1000 steps earlier')
  const small = lossEvent('spike', 203)
  small.causes.push({ cause: 'a bad batch', evidence: '' })
  assert.equal(attachGradientCause(small, 'grad_norm', [grad(200, 1.5)], 100), true)
  assert.equal(small.causes[0]!.cause, 'a bad batch', 'a ×1.5 gradient bump before the jump only supports it')
})

test('a level shift a few points after an abrupt LR raise starts at the raise (or where the new rate was first logged); after a lowering, a drift, or with its key taken, it keeps its start', () => {
  // Loss and learning rate logged at every step: the raise is located to one step (2000).
  const c = columns(4000, 1)
  const raise = lrChanges(s => s < 2000 ? 1e-3 : 1e-2, 4000, 1)
  assert.deepEqual([raise[0]!.stepLo, raise[0]!.stepHi], [2000, 2000])
  const shift = (start: number): JumpEvent => makeEvent(c, { kind: 'level-shift', severity: 'warning', start, end: start + 20, ratio: 3, robustZ: 15, baseline: 0.5, peak: 1.5 })
  const shifted = shift(2006)
  snapToLrChange([shifted], raise, c, 4000, 50, () => false)
  assert.equal(shifted.startIndex, 2000)
  assert.equal(shifted.startStep, 2000)
  assert.equal(shifted.wallTime, c.wallTimes[2000])
  assert.equal(shifted.key, 'level-shift@2000')

  const lowered = shift(2006)
  snapToLrChange([lowered], lrChanges(s => s < 2000 ? 1e-2 : 1e-3, 4000, 1), c, 4000, 50, () => false)
  assert.equal(lowered.startStep, 2006)

  const taken = shift(2006)
  snapToLrChange([taken], raise, c, 4000, 50, key => key === 'level-shift@2000')
  assert.equal(taken.startStep, 2006, 'an event already recorded at the raise keeps it')

  const late = shift(2080) // 80 points after the raise: beyond the 50-point look-back
  snapToLrChange([late], raise, c, 4000, 50, () => false)
  assert.equal(late.startStep, 2080)

  // Logged every 10 steps (Lightning's LearningRateMonitor with log_every_n_steps), the raise lies in
  // (1990, 2000]: the start moves to the first point logged at the new rate, step 2000.
  const coarse = lossEvent('level-shift', 204)
  snapToLrChange([coarse], lrChanges(s => s < 2000 ? 1e-3 : 1e-2), columns(400), 400, 50, () => false)
  assert.equal(coarse.startStep, 2000)
  // A rate that drifted up over many points (a warm-up) is no step to snap to.
  const drifted = lossEvent('level-shift', 204)
  const ramp = lrChanges(s => 1e-3 * Math.pow(10, Math.min(1, Math.max(0, (s - 1500) / 500))))
  assert.ok(ramp.length > 0 && ramp.every(ch => ch.abrupt !== true), JSON.stringify(ramp))
  snapToLrChange([drifted], ramp, columns(400), 400, 50, () => false)
  assert.equal(drifted.startStep, 2040)
})
