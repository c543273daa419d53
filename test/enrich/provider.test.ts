/** The enrichment provider over a live store: aligned columns, overrides, incremental appends, announcements. */

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import pino from 'pino'
import { GENERATED, tempDir } from '../helpers/paths.js'
import { loadLogdir } from '../helpers/load.js'
import { Rng } from '../helpers/scenarios.js'
import { ScalarStore } from '../../server/store/scalar-store.js'
import { LogdirLoader } from '../../server/logdir/logdir-loader.js'
import { EventFileBuilder, eventFileName } from '../../server/records/event-writer.js'
import { createEnrichmentProvider, type Annotation, type EnrichOptions } from '../../server/provider/enrichment.js'
import { tbSmooth } from '../../server/enrich/smooth.js'
import { parseConfig, type Config } from '../../server/config.js'

const ALL: EnrichOptions = { desmoothed: true, smoothed: true, smoothing: 0.6, desmooth: 'auto' }

test('columns are aligned with the series; smoothed is TensorBoard\'s EMA of the stored values', async () => {
  const { store } = await loadLogdir(path.join(GENERATED, 'keras_style'))
  const p = createEnrichmentProvider(store)
  for (const [run, tag] of [['lr_jump/train', 'batch_loss'], ['lr_jump/validation', 'epoch_loss']] as const) {
    const s = store.runs.get(run)!.tags.get(tag)!.series!
    const c = p.columns(run, tag, ALL)
    for (const col of [c.desmoothed!, c.desmoothedBound!, c.epoch!, c.smoothed!]) assert.equal(col.length, s.length, `${run} ${tag}`)
    assert.deepEqual(Array.from(c.smoothed!), Array.from(tbSmooth(s.columns().values, 0.6)))
  }
  // A series that is not a running mean: desmoothed repeats the values, with a zero bound.
  const v = p.columns('lr_jump/validation', 'epoch_loss', ALL)
  assert.equal(v.family, 'epoch-aggregate')
  assert.deepEqual(Array.from(v.desmoothed!), Array.from(store.runs.get('lr_jump/validation')!.tags.get('epoch_loss')!.series!.columns().values))
  assert.ok(v.desmoothedBound!.every(b => b === 0))
})

test('per-request overrides: desmooth=none, desmooth=running-mean, dataset and batch size', async () => {
  const { store } = await loadLogdir(path.join(GENERATED, 'keras_style'))
  const p = createEnrichmentProvider(store)
  const values = Array.from(store.runs.get('normal/train')!.tags.get('batch_loss')!.series!.columns().values)
  const none = p.columns('normal/train', 'batch_loss', { ...ALL, desmooth: 'none' })
  assert.deepEqual(Array.from(none.desmoothed!), values)
  assert.ok(none.notes.some(n => n.includes('desmooth=none')))
  const auto = p.columns('normal/train', 'batch_loss', ALL)
  assert.equal(auto.desmoothedBound!.filter(b => b === Infinity).length, 8, 'the last batch of each of the 8 epochs is approximate')
  const sized = p.columns('normal/train', 'batch_loss', { ...ALL, datasetSize: 3000, batchSize: 128 })
  assert.equal(sized.desmoothedBound!.filter(b => b === Infinity).length, 0)
  // Forcing the inversion on a series that is not recognised as a running mean is allowed, and said.
  const forced = p.columns('normal/truth', 'raw_batch_loss_truth', { ...ALL, desmooth: 'running-mean' })
  assert.ok(forced.notes.some(n => n.includes('desmooth=running-mean')), forced.notes.join('\n'))
  // The default answers are unchanged by the one-off ones.
  assert.deepEqual(Array.from(p.columns('normal/train', 'batch_loss', ALL).desmoothedBound!), Array.from(auto.desmoothedBound!))
})

test('command-line rules: --desmooth PATTERN=MODE and --dataset-size/--batch-size reach the provider', async () => {
  const cfg = parseConfig(['--desmooth', '^normal/=none', '--dataset-size', 'lr_jump=3000', '--batch-size', 'lr_jump=128']) as Config
  assert.equal(cfg.desmoothRules.length, 1)
  const { store } = await loadLogdir(path.join(GENERATED, 'keras_style'))
  const p = createEnrichmentProvider(store, { desmoothRules: cfg.desmoothRules, sizes: cfg.batchSizes })
  const normal = p.columns('normal/train', 'batch_loss', ALL)
  assert.deepEqual(Array.from(normal.desmoothed!), Array.from(store.runs.get('normal/train')!.tags.get('batch_loss')!.series!.columns().values))
  const jump = p.columns('lr_jump/train', 'batch_loss', ALL)
  assert.equal(jump.desmoothedBound!.filter(b => b === Infinity).length, 0, 'sizes given for lr_jump: no approximate point')
  assert.throws(() => parseConfig(['--dataset-size', '3000']), /needs a --batch-size/)
  assert.throws(() => parseConfig(['--desmooth', 'x=sometimes']), /must be auto, running-mean or none/)
})

test('tagSummary: the family and the annotation counts per severity', async () => {
  const { store } = await loadLogdir(path.join(GENERATED, 'pytorch'))
  const p = createEnrichmentProvider(store)
  // computedOnly: nothing analysed yet, so no counts and not complete (and nothing is run here).
  assert.deepEqual(p.tagSummary('nan_mid', 'loss', { computedOnly: true }), { family: 'raw', annotations: { info: 0, warning: 0, critical: 0 }, complete: false })
  // nan_mid/loss: divergence (critical) and first non-finite value (critical).
  assert.deepEqual(p.tagSummary('nan_mid', 'loss'), { family: 'raw', annotations: { info: 0, warning: 0, critical: 2 }, complete: true })
  assert.deepEqual(p.tagSummary('nan_mid', 'loss', { computedOnly: true }), { family: 'raw', annotations: { info: 0, warning: 0, critical: 2 }, complete: true })
  assert.deepEqual(p.tagSummary('nan_mid', 'nope'), { family: 'unknown', annotations: { info: 0, warning: 0, critical: 0 }, complete: true })
})

test('prepare: analyses the series now within the budget, else queues them for the background pass and says computing', async () => {
  const { store } = await loadLogdir(path.join(GENERATED, 'pytorch'))
  const refs = [...store.runs.values()].flatMap(r => [...r.tags.values()].filter(t => t.series != null && t.series.length > 0).map(t => ({ run: r.name, tag: t.name })))
  const points = refs.reduce((n, x) => n + store.runs.get(x.run)!.tags.get(x.tag)!.series!.length, 0)
  const reference = createEnrichmentProvider(store).annotations({})
  assert.ok(reference.length > 0)
  // Over budget: nothing is analysed by the call, the partial list is empty, the progress says why.
  const p = createEnrichmentProvider(store)
  const busy = p.prepare(refs, points - 1)
  assert.equal(busy.status, 'computing')
  assert.equal(busy.series, refs.length)
  assert.equal(busy.pendingSeries, refs.length)
  assert.equal(busy.pendingPoints, points + refs.length)
  assert.deepEqual(p.annotations({}, { computedOnly: true }), [])
  assert.deepEqual(p.progress(), { status: 'computing', queuedSeries: refs.length })
  // The background pass then brings everything up to date, with the same answer as a synchronous provider.
  for (let k = 0; k < 200 && p.progress().status === 'computing'; k++) await new Promise(resolve => setImmediate(resolve))
  assert.deepEqual(p.progress(), { status: 'done', queuedSeries: 0 })
  assert.deepEqual(p.prepare(refs, 0), { status: 'done', series: refs.length, pendingSeries: 0, pendingPoints: 0 })
  assert.deepEqual(p.annotations({}, { computedOnly: true }), reference)
  // Within the budget: analysed by the call itself.
  const q = createEnrichmentProvider(store)
  assert.deepEqual(q.prepare(refs, points + refs.length), { status: 'done', series: refs.length, pendingSeries: 0, pendingPoints: 0 })
  assert.deepEqual(q.annotations({}, { computedOnly: true }), reference)
})

/** A growing event file: `write(points)` appends records to it, as a training process does. */
function growingRun (dir: string, run: string): (points: Array<[number, number]>, tag?: string) => void {
  const runDir = path.join(dir, run)
  mkdirSync(runDir, { recursive: true })
  const file = path.join(runDir, eventFileName(1.7e9, 'growing'))
  writeFileSync(file, new EventFileBuilder().fileVersion(1.7e9).bytes())
  return (points, tag = 'loss') => {
    const b = new EventFileBuilder()
    for (const [step, value] of points) b.scalar(tag, step, 1.7e9 + step, value)
    appendFileSync(file, b.bytes())
  }
}

test('appends: only new points are processed, existing ids stay, new annotations are announced once', async (t) => {
  const { dir, cleanup } = tempDir()
  t.after(cleanup)
  const write = growingRun(dir, 'live')
  const rng = new Rng(5)
  const point = (i: number): [number, number] => [i, (0.1 + Math.exp(-i / 400)) * Math.exp(0.1 * rng.gauss()) * (i === 900 ? 15 : 1) * (i >= 1500 ? 4 : 1)]
  const store = new ScalarStore()
  const loader = new LogdirLoader(dir, store, pino({ level: 'silent' }))
  const p = createEnrichmentProvider(store)
  const heard: Annotation[] = []
  const off = p.onAnnotation(a => heard.push(a))
  const settle = (): Promise<void> => new Promise(resolve => setImmediate(() => setImmediate(resolve)))

  // 1. 910 points with one bad batch at 900: listed as a tentative spike, not announced yet (16
  //    quiet points and an oscillation check past it must first rule out a burst or a periodic pattern).
  write(Array.from({ length: 910 }, (_, i) => point(i)))
  await loader.reload(); await settle()
  assert.equal(heard.length, 0, 'nothing announced yet')
  assert.deepEqual(p.annotations({ run: 'live' }).map(a => [a.kind, a.startStep, a.tentative]), [['spike', 900, true]])
  write(Array.from({ length: 190 }, (_, i) => point(910 + i)))
  await loader.reload(); await settle()
  assert.deepEqual(heard.map(a => [a.kind, a.startStep, a.tentative]), [['spike', 900, false]])
  const spikeId = heard[0]!.id
  // 2. Point by point up to a level shift at 1,500 and beyond: the shift is announced, the spike keeps its id.
  for (let i = 1100; i < 1600; i += 25) {
    write(Array.from({ length: 25 }, (_, k) => point(i + k)))
    await loader.reload(); await settle()
  }
  assert.deepEqual(heard.map(a => [a.kind, a.startStep]), [['spike', 900], ['level-shift', 1500]])
  const now = p.annotations({ run: 'live' })
  assert.deepEqual(now.map(a => a.id), [spikeId, heard[1]!.id])
  assert.equal(now[1]!.open, true, 'the shift is still going on')
  // 3. A NaN: announced at once (critical).
  write([[1600, NaN]])
  await loader.reload(); await settle()
  assert.deepEqual(heard.map(a => a.kind), ['spike', 'level-shift', 'non-finite'])
  off()
  write([[1601, NaN]])
  await loader.reload(); await settle()
  assert.equal(heard.length, 3, 'no announcement after unsubscribing')
  // The whole series again from scratch gives the same annotations (ids included).
  const fresh = createEnrichmentProvider(store).annotations({ run: 'live' })
  assert.deepEqual(fresh.map(a => [a.id, a.startStep, a.endStep]), p.annotations({ run: 'live' }).map(a => [a.id, a.startStep, a.endStep]))
})

test('a Keras epoch that closes after the batch points arrived turns its last batch approximate', async (t) => {
  const { dir, cleanup } = tempDir()
  t.after(cleanup)
  mkdirSync(path.join(dir, 'k', 'train'), { recursive: true })
  const file = path.join(dir, 'k', 'train', eventFileName(1.7e9, 'k', 1, 0, '.v2'))
  // Epoch 0: batches of 32, 32, 16 with losses 2.0, 1.0, 0.5 ⇒ running means 2.0, 1.5, 1.3.
  writeFileSync(file, new EventFileBuilder().fileVersion(1.7e9)
    .scalar('batch_loss', 1, 1.7e9 + 1, 2.0, 'tensor_content')
    .scalar('batch_loss', 2, 1.7e9 + 2, 1.5, 'tensor_content')
    .scalar('batch_loss', 3, 1.7e9 + 3, 1.3, 'tensor_content').bytes())
  const store = new ScalarStore()
  const loader = new LogdirLoader(dir, store, pino({ level: 'silent' }))
  await loader.reload()
  const p = createEnrichmentProvider(store)
  const before = p.columns('k/train', 'batch_loss', ALL)
  // The newest point could be the epoch's last batch: approximate until the epoch is known.
  assert.deepEqual(Array.from(before.desmoothedKind!), [0, 0, 2])
  assert.deepEqual(Array.from(before.epoch!), [-1, -1, -1])
  appendFileSync(file, new EventFileBuilder().scalar('epoch_loss', 0, 1.7e9 + 3.5, 1.3, 'tensor_content')
    .scalar('batch_loss', 4, 1.7e9 + 4, 0.7, 'tensor_content').bytes())
  await loader.reload()
  const after = p.columns('k/train', 'batch_loss', ALL)
  // Epoch 0 closed by its event: its last batch stays approximate (size unknown). Batch 4 opens
  // epoch 1; with epochs of 3 batches it is not a last batch, so it is exact.
  assert.deepEqual(Array.from(after.desmoothedKind!), [0, 0, 2, 0])
  assert.deepEqual(Array.from(after.epoch!), [0, 0, 0, 1])
  assert.equal(after.desmoothed![3], 0.699999988079071, 'L₁ of epoch 1 is its running mean (float32 0.7)')
  const sized = p.columns('k/train', 'batch_loss', { ...ALL, datasetSize: 80, batchSize: 32 })
  assert.ok(Math.abs(sized.desmoothed![2]! - 0.5) < 1e-6, `${sized.desmoothed![2]}`)
})

test('holdEager: appends during a hold are not processed for listeners until release, then announced in the background', async (t) => {
  const { dir, cleanup } = tempDir()
  t.after(cleanup)
  const write = growingRun(dir, 'held')
  const rng = new Rng(9)
  write(Array.from({ length: 3000 }, (_, i): [number, number] => [i, i === 2500 ? NaN : (0.1 + Math.exp(-i / 400)) * Math.exp(0.1 * rng.gauss())]))
  const store = new ScalarStore()
  const loader = new LogdirLoader(dir, store, pino({ level: 'silent' }))
  const p = createEnrichmentProvider(store)
  const heard: Annotation[] = []
  p.onAnnotation(a => heard.push(a))
  const settle = (): Promise<void> => new Promise(resolve => setImmediate(() => setImmediate(resolve)))
  const release = p.holdEager()
  await loader.reload(); await settle(); await settle()
  assert.deepEqual(heard, [], 'nothing processed while held')
  release()
  release() // a second call is harmless
  for (let k = 0; k < 20 && heard.length === 0; k++) await settle()
  assert.deepEqual(heard.map(a => [a.kind, a.startStep]), [['non-finite', 2500]])
  // A query in the meantime would have given the same answer: the listing agrees.
  assert.deepEqual(p.annotations({ run: 'held', severity: 'critical' }).map(a => a.id), heard.map(a => a.id))
})

test('a tag created before its metadata and first point still joins its run\'s tag set (the same answers as a fresh provider)', () => {
  // The loader creates a tag when it first meets its name and gives it metadata and a series
  // after; a provider asked in between must not keep the run's tag set without it.
  const store = new ScalarStore()
  const run = store.getOrCreateRun('k/train')
  run.fileVersionRecord('brain.Event:2')
  const batch = run.tag('batch_loss')
  run.metadata(batch, 'scalars', '', '', 1)
  const epochTag = run.tag('epoch_loss')
  const rng = new Rng(5)
  let sum = 0; let k = 0; let epoch = 0
  const epochs: Array<{ epoch: number, mean: number, wall: number }> = []
  for (let step = 1; step <= 90; step++) {
    sum = Math.fround(sum + Math.fround(0.5 + 0.2 * rng.next())); k++
    run.scalarEvent(batch, 1.7e9 + step, step, Math.fround(sum / k), 'float')
    if (k === 30) { epochs.push({ epoch, mean: Math.fround(sum / k), wall: 1.7e9 + step + 0.5 }); epoch++; sum = 0; k = 0 }
  }
  const early = createEnrichmentProvider(store)
  early.columns('k/train', 'batch_loss', ALL)
  run.metadata(epochTag, 'scalars', '', '', 1)
  for (const e of epochs) run.scalarEvent(epochTag, e.wall, e.epoch, e.mean, 'float')
  store.notifyPoints('k/train', ['epoch_loss'])
  const late = early.columns('k/train', 'batch_loss', ALL)
  const fresh = createEnrichmentProvider(store).columns('k/train', 'batch_loss', ALL)
  assert.deepEqual(Array.from(late.epoch!), Array.from(fresh.epoch!))
  assert.deepEqual(Array.from(late.desmoothedKind!), Array.from(fresh.desmoothedKind!))
  assert.deepEqual(Array.from(late.desmoothed!), Array.from(fresh.desmoothed!))
})
