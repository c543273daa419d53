/**
 * De-smoothing on Keras-layout runs written as real event files (test/helpers/scenarios.ts writeKeras,
 * which gates epoch_* by update_freq like Keras 3): epoch labels exact, every point claimed exact
 * within its bound of the truth, no impossible value.
 */

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { tempDir } from '../helpers/paths.js'
import { loadLogdir } from '../helpers/load.js'
import { Rng, writeKeras, type KerasSpec, type KerasScenario } from '../helpers/scenarios.js'
import { scoreDesmoothed, type DesmoothScore } from '../helpers/desmooth-check.js'
import { createEnrichmentProvider, type EnrichmentProvider } from '../../server/provider/enrichment.js'
import { RunningMeanInverter, type SeriesData } from '../../server/enrich/desmooth.js'
import { valueDomain } from '../../server/enrich/value-domain.js'
import type { ScalarStore } from '../../server/store/scalar-store.js'

const rng = new Rng(8031)
/** A falling, noisy loss (some batches near zero, so a wrong segmentation shows as a negative value). */
const loss = (scale: number) => (t: number): number => scale * (0.02 + Math.exp(-t / 25)) * Math.exp(0.5 * rng.gauss())
/** Accuracy rising from 0.3 to 0.95. */
const acc = (t: number): number => 0.95 - 0.65 * Math.exp(-t / 30) + 0.04 * rng.gauss()

function check (p: EnrichmentProvider, k: KerasScenario, tag: 'batch_loss' | 'batch_accuracy', minExactShare: number, opts: { datasetSize?: number, batchSize?: number } = {}): DesmoothScore {
  const cols = p.columns(k.run, tag, { desmoothed: true, smoothed: false, smoothing: 0, desmooth: 'auto', ...opts })
  assert.equal(cols.family, 'keras-running-mean', `${k.scenario} ${tag}`)
  const truth = k.points.map(pt => ({ raw: tag === 'batch_loss' ? pt.raw : pt.accRaw, epoch: pt.epoch }))
  const sc = scoreDesmoothed(cols, truth, tag === 'batch_loss' ? [0, Infinity] : [0, 1])
  const label = `${k.scenario} ${tag}: ${sc.problems.join('; ')} | ${cols.notes.join(' | ')}`
  console.log(`  ${k.scenario} ${tag}: ${sc.points} points, ${sc.exact} exact, max |err|/bound ${sc.maxErrorOverBound.toFixed(3)}, wrong epochs ${sc.wrongEpoch}, impossible ${sc.impossible}`)
  assert.equal(sc.wrongEpoch, 0, label)
  assert.equal(sc.outOfBound, 0, label)
  assert.equal(sc.impossible, 0, label)
  assert.ok(sc.exact >= minExactShare * sc.points, `${label}: only ${sc.exact} of ${sc.points} exact`)
  return sc
}

async function run (specs: KerasSpec[]): Promise<{ p: EnrichmentProvider, ks: KerasScenario[], cleanup: () => void, store: ScalarStore }> {
  const { dir, cleanup } = tempDir()
  const ks = specs.map(s => writeKeras(dir, s))
  const { store } = await loadLogdir(dir)
  return { p: createEnrichmentProvider(store), ks, cleanup, store }
}

const base = { lr: () => 0.01, encoding: 'tensor_content' as const }

test('update_freq 4 with 13 batches per epoch (epoch ends between logged points): exact from evaluation_*_vs_iterations', async (t) => {
  // 404 samples in batches of 32: 12 × 32 + 20 ⇒ 13 batches; ends 13, 26, 39, 52 (only 52 is logged, so only epoch 3 has epoch_*).
  const { p, ks, cleanup } = await run([{ name: 'f4', epochs: 5, datasetSize: 404, batchSize: 32, updateFreq: 4, loss: loss(1), accuracy: acc, ...base }])
  t.after(cleanup)
  check(p, ks[0]!, 'batch_loss', 0.9)
  check(p, ks[0]!, 'batch_accuracy', 0.9)
})

test('update_freq 4 × 13 without a validation run: the gated epoch event and a constant epoch length place the ends', async (t) => {
  const { p, ks, cleanup } = await run([{ name: 'f4nv', epochs: 9, datasetSize: 404, batchSize: 32, updateFreq: 4, loss: loss(1), accuracy: acc, noValidation: true, ...base }])
  t.after(cleanup)
  check(p, ks[0]!, 'batch_loss', 0.8)
  check(p, ks[0]!, 'batch_accuracy', 0.8)
})

test('update_freq 5 with 22 batches per epoch (like freq5_clean): exact block means', async (t) => {
  const { p, ks, cleanup } = await run([{ name: 'f5', epochs: 8, datasetSize: 1390, batchSize: 64, updateFreq: 5, loss: loss(2), accuracy: acc, ...base }])
  t.after(cleanup)
  check(p, ks[0]!, 'batch_loss', 0.9)
  check(p, ks[0]!, 'batch_accuracy', 0.9)
})

test('steps_per_execution 4: tf-keras (counter advances by 4) and Keras 3 (counter per execution)', async (t) => {
  const { p, ks, cleanup } = await run([
    { name: 'spe-tf', epochs: 5, datasetSize: 800, batchSize: 32, updateFreq: 1, stepsPerExecution: { k: 4, style: 'tf-keras' }, loss: loss(1), ...base },
    { name: 'spe-k3', epochs: 5, datasetSize: 800, batchSize: 32, updateFreq: 1, stepsPerExecution: { k: 4, style: 'keras3' }, loss: loss(1), ...base }
  ])
  t.after(cleanup)
  check(p, ks[0]!, 'batch_loss', 0.7)
  check(p, ks[1]!, 'batch_loss', 0.7)
})

test('a resumed fit (batch counter restarts, optimizer.iterations does not) with update_freq 3', async (t) => {
  const { p, ks, cleanup } = await run([{ name: 'resumed', epochs: 6, fits: [3, 3], datasetSize: 500, batchSize: 50, updateFreq: 3, loss: loss(1), ...base }])
  t.after(cleanup)
  check(p, ks[0]!, 'batch_loss', 0.8)
})

test('the running accuracy\'s whole-number counts make a short last batch exact (no --dataset-size needed)', async (t) => {
  // 1130 samples in batches of 40: 28 × 40 + 10 (like bad_batch_partial).
  const { p, ks, cleanup } = await run([{ name: 'partial', epochs: 4, datasetSize: 1130, batchSize: 40, updateFreq: 1, loss: loss(1), accuracy: acc, ...base }])
  t.after(cleanup)
  const sc = check(p, ks[0]!, 'batch_loss', 0.99)
  // Every point, the epochs' last batches included, is exact.
  assert.equal(sc.exact, sc.points)
  check(p, ks[0]!, 'batch_accuracy', 0.99)
})

test('a short batch in the middle of an epoch (steps_per_epoch over a repeated dataset): located by the accuracy counts', async (t) => {
  // 700 samples in batches of 32: passes of 21 × 32 + 28; epochs of 20 batches ⇒ the 28 falls mid-epoch.
  const { p, ks, cleanup } = await run([{ name: 'midshort', epochs: 6, datasetSize: 700, batchSize: 32, updateFreq: 1, repeatStepsPerEpoch: 20, loss: loss(1), accuracy: acc, ...base }])
  t.after(cleanup)
  check(p, ks[0]!, 'batch_loss', 0.95)
  check(p, ks[0]!, 'batch_accuracy', 0.95)
})

test('appending points, epoch, evaluation and accuracy events in wall-time order gives the same columns as one pass', async (t) => {
  const { store, cleanup } = await run([
    { name: 'inc-f4', epochs: 6, datasetSize: 404, batchSize: 32, updateFreq: 4, loss: loss(1), accuracy: acc, ...base },
    { name: 'inc-mid', epochs: 4, datasetSize: 700, batchSize: 32, updateFreq: 1, repeatStepsPerEpoch: 20, loss: loss(1), accuracy: acc, ...base },
    { name: 'inc-nv', epochs: 9, datasetSize: 404, batchSize: 32, updateFreq: 4, loss: loss(1), noValidation: true, ...base }
  ])
  t.after(cleanup)
  const data = (run: string, tag: string): SeriesData | null => {
    const s = store.runs.get(run)?.tags.get(tag)?.series
    if (s == null) return null
    const c = s.columns()
    return { length: s.length, steps: c.steps, wallTimes: c.wallTimes, values: c.values, restarts: s.restarts }
  }
  const prefix = (s: SeriesData | null, w: number): SeriesData | null => {
    if (s === null) return null
    let n = 0
    while (n < s.length && s.wallTimes[n]! <= w) n++
    return { ...s, length: n, restarts: s.restarts.filter(r => r.index < n) }
  }
  for (const name of ['inc-f4', 'inc-mid', 'inc-nv']) {
    const b = data(`${name}/train`, 'batch_loss')!
    const e = data(`${name}/train`, 'epoch_loss')
    const v = data(`${name}/validation`, 'evaluation_loss_vs_iterations')
    const a = data(`${name}/train`, 'batch_accuracy')
    const whole = new RunningMeanInverter(null, valueDomain('batch_loss'))
    whole.update(b, e, v, a)
    const inc = new RunningMeanInverter(null, valueDomain('batch_loss'))
    for (let i = 0; i < b.length; i += 1 + (i % 3)) {
      const w = b.wallTimes[i]!
      inc.update(prefix(b, w)!, prefix(e, w), prefix(v, w), prefix(a, w))
    }
    inc.update(b, e, v, a)
    const x = whole.columns(); const y = inc.columns()
    assert.deepEqual(Array.from(y.epoch), Array.from(x.epoch), name)
    assert.deepEqual(Array.from(y.kind), Array.from(x.kind), name)
    assert.deepEqual(Array.from(y.desmoothed), Array.from(x.desmoothed), name)
    assert.deepEqual(Array.from(y.bound), Array.from(x.bound), name)
  }
})

test('update_freq 5 with 25 batches per epoch ending in a short batch (every epoch end logged): the batch size is inferred from full batches only', async (t) => {
  // 795 samples in batches of 32: 24 × 32 + 27. Each epoch's last logged point is its short batch;
  // taken as a full one while its epoch is still open, it made 5088 (= 32 · 159) the smallest size that fit.
  const { p, ks, cleanup } = await run([{ name: 'f5short', epochs: 6, datasetSize: 795, batchSize: 32, updateFreq: 5, loss: loss(1), accuracy: acc, ...base }])
  t.after(cleanup)
  const cols = p.columns(ks[0]!.run, 'batch_loss', { desmoothed: true, smoothed: false, smoothing: 0, desmooth: 'auto' })
  assert.ok(cols.notes.some(n => n.includes('whole-number counts: 32;')), cols.notes.join('\n'))
  check(p, ks[0]!, 'batch_loss', 0.9)
  check(p, ks[0]!, 'batch_accuracy', 0.9)
})

test('short batches in the middle of epochs, many draws: a count lost to an ambiguous short batch is recovered from the later points, never guessed', async (t) => {
  // Passes of 21 × 32 + r samples, epochs of 20 batches: the short batch wanders through the epochs.
  const specs = [700, 690, 681, 702, 676, 695].map((datasetSize, j) => ({ name: `midshort${j}`, epochs: 6, datasetSize, batchSize: 32, updateFreq: 1, repeatStepsPerEpoch: 20, loss: loss(1), accuracy: acc, ...base }))
  const { p, ks, cleanup } = await run(specs)
  t.after(cleanup)
  for (const k of ks) {
    check(p, k, 'batch_loss', 0.9)
    check(p, k, 'batch_accuracy', 0.9)
  }
})
