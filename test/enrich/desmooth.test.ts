/** De-smoothing: recovered batch values within their exposed bound of the truth, epoch boundaries exact. */

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { GENERATED, GROUND_TRUTH, PUBLIC, tempDir } from '../helpers/paths.js'
import { loadLogdir } from '../helpers/load.js'
import { writeScenarios, type KerasPointTruth } from '../helpers/scenarios.js'
import type { ScalarStore } from '../../server/store/scalar-store.js'
import { createEnrichmentProvider, type EnrichedColumns } from '../../server/provider/enrichment.js'
import { RunningMeanInverter, invertRunningMean, POINT_APPROX_LAST, POINT_EXACT, POINT_GAP_MEAN, type SeriesData } from '../../server/enrich/desmooth.js'

const KERAS_CORPUS = path.join(GENERATED, 'keras_style')

function data (store: ScalarStore, run: string, tag: string): SeriesData {
  const s = store.runs.get(run)!.tags.get(tag)!.series!
  const c = s.columns()
  return { length: s.length, steps: c.steps, wallTimes: c.wallTimes, values: c.values, restarts: s.restarts }
}

/**
 * Checks every logged point against its truth: within the bound where the bound is finite, and
 * approximate (infinite bound) exactly at the epochs' last batches when the sizes are unknown.
 * Returns the worst |error| / bound.
 */
function checkAgainstTruth (cols: EnrichedColumns, truth: KerasPointTruth[], sizesGiven: boolean, label: string): number {
  const d = cols.desmoothed!; const b = cols.desmoothedBound!; const ep = cols.epoch!; const kind = cols.desmoothedKind!
  assert.equal(d.length, truth.length, `${label}: one value per logged point`)
  let worst = 0
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i]!
    assert.equal(ep[i], t.epoch, `${label}: epoch of point ${i}`)
    if (t.lastOfEpoch && !sizesGiven) {
      assert.equal(kind[i], POINT_APPROX_LAST, `${label}: point ${i} is an epoch's last batch, of unknown size`)
      assert.equal(b[i], Infinity)
      continue
    }
    assert.ok(Number.isFinite(b[i]!), `${label}: point ${i} has a finite bound (kind ${kind[i]})`)
    const err = Math.abs(d[i]! - t.raw)
    assert.ok(err <= b[i]!, `${label}: point ${i}: |${d[i]} − ${t.raw}| = ${err} > bound ${b[i]}`)
    worst = Math.max(worst, err / b[i]!)
  }
  return worst
}

/** Truth of corpus/generated keras_style runs from ../shared/corpus/ground_truth: raw loss, or its batch-size-weighted mean over each logged gap. */
function corpusTruth (name: string): { points: KerasPointTruth[], datasetSize: number, batchSize: number } {
  const gt = JSON.parse(readFileSync(path.join(GROUND_TRUTH, `keras_style__${name}.json`), 'utf8')) as {
    n_train: number,
    batch_size: number,
    batches_per_epoch: number,
    batches: Array<{ step: number, epoch: number, batch_in_epoch: number, batch_size: number, raw_loss: number, logged: boolean }>
  }
  const points: KerasPointTruth[] = []
  let sum = 0; let n = 0
  for (const b of gt.batches) {
    if (b.batch_in_epoch === 0) { sum = 0; n = 0 }
    sum += b.raw_loss * b.batch_size; n += b.batch_size
    if (b.logged) {
      points.push({ raw: sum / n, epoch: b.epoch, lastOfEpoch: b.batch_in_epoch === gt.batches_per_epoch - 1, accRaw: NaN })
      sum = 0; n = 0
    }
  }
  return { points, datasetSize: gt.n_train, batchSize: gt.batch_size }
}

test('corpus keras_style runs: every de-smoothed point within its bound of the truth, epochs exact', async () => {
  const { store } = await loadLogdir(KERAS_CORPUS)
  for (const name of ['normal', 'lr_jump', 'update_freq5']) {
    const truth = corpusTruth(name)
    const p = createEnrichmentProvider(store)
    const base = { desmoothed: true, smoothed: false, smoothing: 0.6, desmooth: 'auto' as const }
    const without = p.columns(`${name}/train`, 'batch_loss', base)
    assert.equal(without.family, 'keras-running-mean')
    const w1 = checkAgainstTruth(without, truth.points, false, `${name} without sizes`)
    const withSizes = p.columns(`${name}/train`, 'batch_loss', { ...base, datasetSize: truth.datasetSize, batchSize: truth.batchSize })
    const w2 = checkAgainstTruth(withSizes, truth.points, true, `${name} with sizes`)
    // The cross-check: every epoch value equals the last running mean of its epoch bit for bit.
    assert.ok(without.crossCheck!.epochs >= 1 && without.crossCheck!.matched === without.crossCheck!.epochs, `${name}: ${JSON.stringify(without.crossCheck)}`)
    console.log(`  ${name}: worst |error|/bound ${w1.toFixed(3)} without sizes, ${w2.toFixed(3)} with sizes`)
  }
})

test('update_freq 5: values are means over each logged gap, and a note says so', async () => {
  const { store } = await loadLogdir(KERAS_CORPUS)
  const p = createEnrichmentProvider(store)
  const cols = p.columns('update_freq5/train', 'batch_loss', { desmoothed: true, smoothed: false, smoothing: 0, desmooth: 'auto' })
  assert.ok(cols.notes.some(n => n.startsWith('gap form:')), cols.notes.join('\n'))
  // Step 5 is the epoch's first logged point (mean of batches 1–5); step 10 covers 6–10.
  assert.equal(cols.desmoothedKind![1], POINT_GAP_MEAN)
  // Epochs are 24 batches: inferred from the logged steps alone (5, 10, … bracket every boundary).
  assert.ok(cols.notes.includes('epoch length: 24 batches'), cols.notes.join('\n'))
})

test('generated Keras runs (update_freq 1 and 7, partial last batch, in progress, resumed, step 0): within bound, epochs exact', async (t) => {
  const { dir, cleanup } = tempDir()
  t.after(cleanup)
  const set = writeScenarios(dir, { groups: ['keras'] })
  const { store } = await loadLogdir(dir)
  const p = createEnrichmentProvider(store)
  for (const k of set.keras) {
    const base = { desmoothed: true, smoothed: false, smoothing: 0.6, desmooth: 'auto' as const }
    const cols = p.columns(k.run, 'batch_loss', base)
    assert.equal(cols.family, 'keras-running-mean', k.scenario)
    const w1 = checkAgainstTruth(cols, k.points, false, k.scenario)
    const sized = p.columns(k.run, 'batch_loss', { ...base, datasetSize: k.datasetSize, batchSize: k.batchSize })
    const w2 = checkAgainstTruth(sized, k.points, true, `${k.scenario} with sizes`)
    console.log(`  ${k.scenario}: ${k.points.length} points, worst |error|/bound ${w1.toFixed(3)} / ${w2.toFixed(3)} with sizes`)
  }
})

test('the worked example of KERAS_LOGGING.md §3.2: sizes (32, 32, 16) make the short last batch exact', () => {
  // L = (2.0, 1.0, 0.5), n = (32, 32, 16) ⇒ m = (2.0, 1.5, 1.3). Equal sizes would give
  // L̃₃ = 3·1.3 − 2·1.5 = 0.9; with 80 samples in batches of 32 the last weight is 16:
  // L₃ = (80·1.3 − 64·1.5) / 16 = 0.5.
  const batch = { length: 3, steps: [1, 2, 3], wallTimes: [1, 2, 3], values: [2.0, 1.5, 1.3], restarts: [] }
  const epochs = { length: 1, steps: [0], wallTimes: [3.5], values: [1.3], restarts: [] }
  const equal = invertRunningMean(batch, epochs)
  assert.deepEqual(Array.from(equal.columns.kind), [POINT_EXACT, POINT_EXACT, POINT_APPROX_LAST])
  assert.ok(Math.abs(equal.columns.desmoothed[2]! - 0.9) < 1e-12)
  assert.equal(equal.columns.bound[2], Infinity)
  const sized = invertRunningMean(batch, epochs, { datasetSize: 80, batchSize: 32 })
  const d = sized.columns.desmoothed
  assert.ok(Math.abs(d[0]! - 2) < 1e-12 && Math.abs(d[1]! - 1) < 1e-12 && Math.abs(d[2]! - 0.5) < 1e-12, Array.from(d).join())
  assert.equal(sized.columns.kind[2], POINT_EXACT)
})

test('real Keras logs: epoch values equal the last running means, epoch lengths found', async () => {
  const cases: Array<[string, string, number, number]> = [
    // [source dir, run, epochs closed, batches per epoch]
    ['keras-tf24-batch-cs1430', 'code/logs/vgg_model/041821-014654/train', 50, 476],
    ['keras-tf212-batch-resumed', 'code/logs/your_model/041423-222916/train', 63, 150]
  ]
  for (const [src, run, epochs, k] of cases) {
    const { store } = await loadLogdir(path.join(PUBLIC, src))
    const r = invertRunningMean(data(store, run, 'batch_loss'), data(store, run, 'epoch_loss'))
    assert.deepEqual(r.crossCheck, { epochs, matched: epochs, maxRelError: 0 }, src)
    const lengths = new Set(r.epochs.filter(e => e.closed && e.last >= e.first).map(e => e.last - e.first + 1))
    assert.deepEqual([...lengths], [k], src)
  }
})

test('a resumed fit (steps restart at 1, initial_epoch 37) is segmented as its own fit', async () => {
  const { store } = await loadLogdir(path.join(PUBLIC, 'keras-tf212-batch-resumed'))
  const run = 'code/logs/your_model/041423-222916/train'
  const r = invertRunningMean(data(store, run, 'batch_loss'), data(store, run, 'epoch_loss'))
  const second = r.epochs.filter(e => e.fit === 1 && e.closed)
  assert.deepEqual(second.map(e => e.label), [37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49])
  // The first batch of the resumed fit is 7500 in arrival order and is a batch 1 again.
  assert.equal(second[0]!.first, 7500)
  assert.equal(r.columns.desmoothed[7500], store.runs.get(run)!.tags.get('batch_loss')!.series!.columns().values[7500])
})

test('a Keras 3 build that logs every batch at step 0 is read in record order as one epoch in progress', async () => {
  const { store } = await loadLogdir(path.join(PUBLIC, 'keras3-batch-step0'))
  const run = 'VGG-16/code/logs/vgg_model/051024-023149/train'
  const p = createEnrichmentProvider(store)
  const cols = p.columns(run, 'batch_loss', { desmoothed: true, smoothed: false, smoothing: 0, desmooth: 'auto' })
  assert.equal(cols.family, 'keras-running-mean')
  const v = store.runs.get(run)!.tags.get('batch_loss')!.series!.columns().values
  // Ordinal batch counter: L_2 = 2·m_2 − 1·m_1, L_3 = 3·m_3 − 2·m_2 (float64 arithmetic on the float32 values).
  assert.equal(cols.desmoothed![1], 2 * v[1]! - v[0]!)
  assert.equal(cols.desmoothed![2], 3 * v[2]! - 2 * v[1]!)
  // The newest point may be the epoch's last batch: approximate until the epoch closes.
  assert.equal(cols.desmoothedKind![181], POINT_APPROX_LAST)
  assert.ok(cols.desmoothedKind!.subarray(0, 181).every(k => k === POINT_EXACT))
})

test('appending points in any chunking gives the same de-smoothed columns as one pass', async () => {
  const { store } = await loadLogdir(KERAS_CORPUS)
  for (const run of ['lr_jump/train', 'update_freq5/train']) {
    const b = data(store, run, 'batch_loss')
    const e = data(store, run, 'epoch_loss')
    const whole = invertRunningMean(b, e).columns
    const inv = new RunningMeanInverter()
    const prefix = (s: SeriesData, n: number): SeriesData => ({ ...s, length: n, restarts: s.restarts.filter(r => r.index < n) })
    // Grow both series together in wall-time order, a few points at a time.
    let bn = 0; let en = 0
    while (bn < b.length || en < e.length) {
      bn = Math.min(b.length, bn + 1 + (bn % 5))
      const w = bn < b.length ? b.wallTimes[bn]! : Infinity
      while (en < e.length && e.wallTimes[en]! < w) en++
      inv.update(prefix(b, bn), prefix(e, en))
    }
    const inc = inv.columns()
    assert.deepEqual(Array.from(inc.desmoothed), Array.from(whole.desmoothed), run)
    assert.deepEqual(Array.from(inc.bound), Array.from(whole.bound), run)
    assert.deepEqual(Array.from(inc.epoch), Array.from(whole.epoch), run)
    assert.deepEqual(Array.from(inc.kind), Array.from(whole.kind), run)
  }
})

test('the bound grows with the batch index (float32 running means)', async () => {
  const { store } = await loadLogdir(KERAS_CORPUS)
  const r = invertRunningMean(data(store, 'normal/train', 'batch_loss'), data(store, 'normal/train', 'epoch_loss'))
  // Within the first epoch, bound / |value| at batch 20 is well above that at batch 2.
  const rel = (i: number): number => r.columns.bound[i]! / Math.abs(r.columns.desmoothed[i]!)
  assert.ok(rel(19) > 5 * rel(1), `${rel(19)} vs ${rel(1)}`)
})

/** Three epochs of 4 batches (running means of raw losses 4,3,2,1 / 3,2,1,1 / 2,1,1,0.5), as a writer with odd wall times would log them. */
function threeEpochs (wall: (t: number) => number, epochWall: (e: number) => number): { batch: SeriesData, epochs: SeriesData } {
  const raw = [[4, 3, 2, 1], [3, 2, 1, 1], [2, 1, 1, 0.5]]
  const steps: number[] = []; const walls: number[] = []; const values: number[] = []
  const es: number[] = []; const ew: number[] = []; const ev: number[] = []
  let t = 0
  raw.forEach((epoch, e) => {
    let sum = 0
    epoch.forEach((l, k) => {
      sum += l
      steps.push(t + 1); walls.push(wall(t)); values.push(Math.fround(sum / (k + 1))); t++
    })
    es.push(e); ew.push(epochWall(e)); ev.push(values[values.length - 1]!)
  })
  return { batch: { length: steps.length, steps, wallTimes: walls, values, restarts: [] }, epochs: { length: es.length, steps: es, wallTimes: ew, values: ev, restarts: [] } }
}

test('epoch ends come from the value match when wall times do not separate them', () => {
  // 1. Every event carries the same wall time (a writer that stamps nothing useful).
  const flat = threeEpochs(() => 1000, () => 1000)
  assert.deepEqual(Array.from(invertRunningMean(flat.batch, flat.epochs).columns.epoch), [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2])
  // 2. Each epoch event stamped a millisecond before its last batch.
  const early = threeEpochs(t => 1000 + t, e => 1000 + 4 * e + 3 - 0.001)
  const r = invertRunningMean(early.batch, early.epochs)
  assert.deepEqual(Array.from(r.columns.epoch), [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2])
  assert.deepEqual(r.crossCheck, { epochs: 3, matched: 3, maxRelError: 0 })
  // Raw values recovered (epoch-local: L_k = k·m_k − (k−1)·m_{k−1}); the last batch of each epoch is approximate.
  assert.deepEqual(Array.from(r.columns.desmoothed.subarray(0, 3)).map(x => Math.round(x * 1e6) / 1e6), [4, 3, 2])
})
