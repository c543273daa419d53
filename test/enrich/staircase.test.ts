/** Staircase artefacts on their own: the reset of a Keras running mean at each epoch boundary is an artefact; a jump of the batch values is not. */

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { rng } from '../helpers/rng.js'
import { RunningMeanInverter, type SeriesData } from '../../server/enrich/desmooth.js'
import { valueDomain } from '../../server/enrich/value-domain.js'
import { StaircaseDetector } from '../../server/enrich/staircase.js'
import type { JumpEvent } from '../../server/enrich/events.js'

const EPOCHS = 6
const BATCHES = 50

/**
 * A Keras fit as it is logged: `batch_loss` at batch steps 1, 2, … is the running mean of the raw
 * batch losses since the epoch start (float32), and `epoch_loss` at step e is epoch e's final mean.
 */
function kerasFit (raw: (g: number) => number): { batch: SeriesData, epochs: SeriesData } {
  const steps: number[] = []; const wallTimes: number[] = []; const values: number[] = []
  const eSteps: number[] = []; const eWall: number[] = []; const eValues: number[] = []
  let g = 0
  for (let e = 0; e < EPOCHS; e++) {
    let sum = 0
    for (let b = 1; b <= BATCHES; b++) {
      g++
      sum += raw(g)
      steps.push(g); wallTimes.push(1_000 + g); values.push(Math.fround(sum / b))
    }
    eSteps.push(e); eWall.push(1_000 + g + 0.5); eValues.push(values.at(-1)!)
  }
  return {
    batch: { length: steps.length, steps, wallTimes, values, restarts: [] },
    epochs: { length: EPOCHS, steps: eSteps, wallTimes: eWall, values: eValues, restarts: [] }
  }
}

/** Inverts the running mean and runs the staircase check on it, fed `chunks` points at a time (the whole fit by default). */
function staircases (fit: { batch: SeriesData, epochs: SeriesData }, chunk = fit.batch.length): JumpEvent[] {
  const inv = new RunningMeanInverter(null, valueDomain('batch_loss'))
  const det = new StaircaseDetector('batch_loss', 1)
  const out: JumpEvent[] = []
  for (let n = Math.min(chunk, fit.batch.length); ; n = Math.min(n + chunk, fit.batch.length)) {
    const batch = { ...fit.batch, length: n }
    // An epoch value is written after its epoch's last batch.
    const doneEpochs = Math.floor(n / BATCHES)
    inv.update(batch, { ...fit.epochs, length: doneEpochs })
    const ic = inv.columns()
    out.push(...det.update(inv.epochs, { steps: fit.batch.steps, wallTimes: fit.batch.wallTimes, logged: fit.batch.values, desmoothed: ic.desmoothed, bounds: ic.bound }, inv.stableLength()))
    if (n === fit.batch.length) break
  }
  return out
}

function noisy (seed: number, level: (g: number) => number): (g: number) => number {
  const u = rng(seed)
  return g => level(g) * (1 + 0.02 * (u() - 0.5))
}

const decaying = (g: number): number => 1.5 * Math.exp(-g / 150) + 0.1

test('a falling loss logged as a running mean drops at every epoch boundary: each drop is a staircase artefact between the epochs', () => {
  const fit = kerasFit(noisy(1, decaying))
  const evs = staircases(fit)
  assert.equal(evs.length, EPOCHS - 1, evs.map(e => e.key).join(', '))
  for (const [k, ev] of evs.entries()) {
    const last = (k + 1) * BATCHES - 1 // index of epoch k's last batch
    assert.equal(ev.kind, 'staircase-artifact')
    assert.equal(ev.severity, 'info')
    assert.equal(ev.startStep, fit.batch.steps[last], `boundary ${k}: from epoch ${k}'s last batch`)
    assert.equal(ev.endStep, fit.batch.steps[last + 1], `boundary ${k}: to epoch ${k + 1}'s first batch`)
    assert.equal(ev.baseline, fit.batch.values[last])
    assert.equal(ev.peak, fit.batch.values[last + 1])
    assert.ok(ev.peak < ev.baseline * 0.95, `the logged mean drops by more than 5 %: ${ev.baseline} → ${ev.peak}`)
    assert.equal(ev.open, false)
    assert.match(ev.causes[0]!.cause, /running-mean reset at the epoch boundary/)
    assert.match(ev.causes[0]!.evidence, new RegExp(`epoch ${k}, ${BATCHES} logged points\\) to .* \\(epoch ${k + 1} restarts the mean\\)`))
  }
})

test('appended batch by batch, the same artefacts are found', () => {
  const fit = kerasFit(noisy(2, decaying))
  assert.deepEqual(staircases(fit, 7), staircases(fit))
})

test('a genuine jump of the batch losses at an epoch boundary is not an artefact; the other boundaries still are', () => {
  // The raw loss doubles from the first batch of epoch 3 on (index 150).
  const fit = kerasFit(noisy(3, g => decaying(g) * (g > 3 * BATCHES ? 2 : 1)))
  const evs = staircases(fit)
  const boundary = (k: number): number => fit.batch.steps[(k + 1) * BATCHES - 1]!
  assert.ok(!evs.some(e => e.startStep === boundary(2)), `nothing at the 2→3 boundary: ${evs.map(e => e.startStep).join(', ')}`)
  for (const k of [0, 1, 3, 4]) assert.ok(evs.some(e => e.startStep === boundary(k)), `the ${k}→${k + 1} boundary is still an artefact`)
})

test('a genuine jump inside an epoch is never a staircase: artefacts sit only on epoch boundaries', () => {
  // The raw loss jumps ×3 in the middle of epoch 2 (batch step 126) and stays there.
  const fit = kerasFit(noisy(4, g => decaying(g) * (g >= 126 ? 3 : 1)))
  const evs = staircases(fit)
  for (const ev of evs) {
    assert.equal(ev.endStep - ev.startStep, 1, `${ev.key} spans one boundary`)
    assert.equal(ev.startStep % BATCHES, 0, `${ev.key} starts at an epoch's last batch`)
  }
  assert.ok(!evs.some(e => e.startStep > 100 && e.startStep < 150), 'nothing inside epoch 2')
})

test('a flat loss has no staircase: the running mean barely moves at the boundaries', () => {
  const fit = kerasFit(noisy(5, () => 0.7))
  assert.deepEqual(staircases(fit), [])
})
