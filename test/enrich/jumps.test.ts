/** Jump annotations: recall on labelled events, false annotations on clean runs, the corpus events, incremental stability. */

import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { GENERATED, tempDir } from '../helpers/paths.js'
import { loadLogdir } from '../helpers/load.js'
import { writeScenarios, Rng, type ScenarioLabel } from '../helpers/scenarios.js'
import { createEnrichmentProvider, type Annotation } from '../../server/provider/enrichment.js'
import { JumpDetector, type JumpEvent } from '../../server/enrich/jumps.js'

/** Steps of slack around a label's span when matching an annotation to it. */
const TOL = 5

function matches (a: Annotation, l: ScenarioLabel): boolean {
  return a.run === l.run && a.tag === l.tag && a.kind === l.kind && a.endStep >= l.startStep - TOL && a.startStep <= l.endStep + TOL
}

test('labelled scenarios: every event found with the right kind; clean runs ≤ 1 false annotation per 10,000 points', async (t) => {
  const { dir, cleanup } = tempDir()
  t.after(cleanup)
  const set = writeScenarios(dir)
  const { store } = await loadLogdir(dir)
  const all = createEnrichmentProvider(store).annotations({})

  // 1. Recall per kind: a label is found when an annotation of its kind overlaps its span (±5 steps)
  //    and, where the label asks for it, names the learning-rate change among its causes.
  const kinds = [...new Set(set.labels.map(l => l.kind))]
  const rows: Array<{ kind: string, labels: number, found: number, falses: number, annotations: number }> = []
  const missed: string[] = []
  for (const kind of kinds) {
    const labels = set.labels.filter(l => l.kind === kind)
    let found = 0
    for (const l of labels) {
      const hit = all.find(a => matches(a, l) && (l.cause !== 'learning-rate' || a.causes.some(c => c.cause.startsWith('learning-rate change'))))
      if (hit !== undefined) found++
      else missed.push(`${l.scenario} ${l.run} ${l.kind} ${l.startStep}–${l.endStep}: ${all.filter(a => a.run === l.run).map(a => `${a.kind}@${a.startStep}`).join(' ') || 'nothing'}`)
    }
    // 2. Precision on the labelled series: an annotation of this kind that matches no label is false.
    //    (Staircase artefacts and restarts of Keras runs are expected everywhere and only counted where labelled.)
    const annotations = all.filter(a => a.kind === kind && set.labelledSeries.some(s => s.run === a.run && s.tag === a.tag))
    const falses = annotations.filter(a => !set.labels.some(l => matches(a, l)) && kind !== 'staircase-artifact').length
    rows.push({ kind, labels: labels.length, found, falses, annotations: annotations.length })
  }
  // 3. Clean runs: every annotation is a false one.
  const cleanPoints = set.clean.reduce((n, c) => n + c.points, 0)
  const cleanFalse = all.filter(a => set.clean.some(c => c.run === a.run))

  console.log('  kind                labels  found  recall  annotations  false  precision')
  for (const r of rows) {
    console.log(`  ${r.kind.padEnd(18)} ${String(r.labels).padStart(7)} ${String(r.found).padStart(6)} ${(r.found / r.labels).toFixed(2).padStart(7)} ${String(r.annotations).padStart(12)} ${String(r.falses).padStart(6)} ${(r.annotations ? 1 - r.falses / r.annotations : 1).toFixed(2).padStart(10)}`)
  }
  console.log(`  clean runs: ${cleanFalse.length} annotation(s) in ${cleanPoints} points = ${(cleanFalse.length / cleanPoints * 1e4).toFixed(2)} per 10,000 (${cleanFalse.map(a => `${a.run} ${a.kind}@${a.startStep}`).join(', ') || 'none'})`)

  assert.deepEqual(missed, [], 'every labelled event is found')
  assert.ok(cleanFalse.length <= cleanPoints / 10_000, `${cleanFalse.length} false annotations in ${cleanPoints} clean points`)
  for (const r of rows) assert.equal(r.falses, 0, `no false ${r.kind} annotation on the labelled series`)
})

test('corpus lr_jump: the jump is flagged at 181–183 on the de-smoothed loss and attributed to the learning-rate change', async () => {
  const { store } = await loadLogdir(path.join(GENERATED, 'keras_style'))
  const anns = createEnrichmentProvider(store).annotations({ run: 'lr_jump/train', tag: 'batch_loss' })
  const jump = anns.find(a => a.kind === 'level-shift' || a.kind === 'spike')
  assert.ok(jump !== undefined, anns.map(a => a.kind).join())
  // Ground truth: LR ×9 from step 178; the raw loss first exceeds 3× its median at 181 and peaks at 183 (2.11).
  assert.ok(jump.startStep >= 179 && jump.startStep <= 183, `starts at ${jump.startStep}`)
  assert.ok(jump.endStep >= 183)
  assert.ok(Math.abs(jump.peak - 2.1135) < 1e-3, `peak ${jump.peak}`)
  assert.equal(jump.series, 'desmoothed')
  const lr = jump.causes.find(c => c.cause.startsWith('learning-rate change'))
  assert.ok(lr !== undefined, JSON.stringify(jump.causes))
  assert.match(lr.cause, /raised from 0\.02 to 0\.18/)
  assert.match(lr.evidence, /epoch_learning_rate was 0\.02 at epoch 6 and 0\.18 at epoch 7/)
  assert.match(lr.evidence, /between batch steps 169 and 193/)
  assert.match(jump.explanation, /learning-rate increase/)
})

test('corpus nan_mid: divergence from ~102, the first non-finite value at 120, both critical', async () => {
  const { store } = await loadLogdir(path.join(GENERATED, 'pytorch'))
  const anns = createEnrichmentProvider(store).annotations({ run: 'nan_mid', tag: 'loss' })
  const div = anns.find(a => a.kind === 'divergence')
  const nf = anns.find(a => a.kind === 'non-finite')
  assert.ok(div !== undefined && nf !== undefined, anns.map(a => a.kind).join())
  // Ground truth: LR ×40 from 100; first loss > 3× the pre-100 median at 102; +Inf at 120–122; NaN from 123.
  assert.ok(div.startStep >= 100 && div.startStep <= 103, `divergence starts at ${div.startStep}`)
  assert.equal(div.endStep, 119)
  assert.equal(nf.startStep, 120)
  assert.equal(nf.endStep, 199)
  assert.equal(div.severity, 'critical')
  assert.equal(nf.severity, 'critical')
  assert.match(nf.causes[0]!.evidence, /first non-finite value \(\+Infinity\) at step 120/)
  // The gradient-norm series of the same run diverged at the same time.
  assert.ok(div.causes.some(c => c.cause.includes('gradient norm')), JSON.stringify(div.causes))
})

test('corpus keras_style: epoch-boundary steps of the logged running mean are staircase artefacts, not problems', async () => {
  const { store } = await loadLogdir(path.join(GENERATED, 'keras_style'))
  const anns = createEnrichmentProvider(store).annotations({ run: 'normal/train', tag: 'batch_loss' })
  assert.ok(anns.length > 0)
  for (const a of anns) {
    assert.equal(a.kind, 'staircase-artifact')
    assert.equal(a.severity, 'info')
    assert.equal(a.series, 'logged')
    // A boundary of the 24-batch epochs: from the last batch of one epoch to the first of the next.
    assert.equal(a.startStep % 24, 0)
    assert.equal(a.endStep, a.startStep + 1)
    assert.match(a.explanation, /not a training problem/)
  }
})

/** A detector fed in random chunks yields exactly the events of one pass (ids stay stable as points arrive). */
test('incremental detection gives the same events, keys and spans as one pass', () => {
  const rng = new Rng(7)
  const n = 6000
  const steps = new Float64Array(n); const walls = new Float64Array(n); const values = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    steps[i] = i; walls[i] = i
    let v = (0.05 + Math.exp(-i / 900)) * Math.exp(0.15 * rng.gauss())
    if (i === 1500) v *= 12
    if (i >= 2500 && i < 2900) v *= i % 2 ? 1.8 : 0.6
    if (i >= 4000) v *= 3
    if (i >= 5800) v = NaN
    values[i] = v
  }
  const view = { steps, wallTimes: walls, values }
  const once = new JumpDetector({ direction: 1 })
  once.update(view, n)
  const inc = new JumpDetector({ direction: 1 })
  for (let k = 0; k < n;) { k = Math.min(n, k + 1 + Math.floor(rng.next() * 200)); inc.update(view, k) }
  const sig = (evs: JumpEvent[]): string[] => evs.map(e => `${e.key} ${e.startStep}-${e.endStep} ${e.kind}`)
  assert.deepEqual(sig(inc.events), sig(once.events))
  assert.deepEqual(once.events.map(e => e.kind), ['spike', 'oscillation', 'level-shift', 'non-finite'])
})

test('scale-free: the same series at 1e-4, 1 and 1e4 gets the same annotations', () => {
  const make = (scale: number): JumpEvent[] => {
    const rng = new Rng(11)
    const n = 4000
    const steps = new Float64Array(n); const values = new Float64Array(n)
    for (let i = 0; i < n; i++) {
      steps[i] = i
      values[i] = scale * (0.1 + Math.exp(-i / 700)) * Math.exp(0.2 * rng.gauss()) * (i === 2000 ? 8 : 1) * (i >= 3000 ? 2.5 : 1)
    }
    const d = new JumpDetector({ direction: 1 })
    d.update({ steps, wallTimes: steps, values }, n)
    return d.events
  }
  const sig = (evs: JumpEvent[]): string[] => evs.map(e => `${e.key} ${e.endStep} ${e.ratio.toFixed(6)} ${e.robustZ.toFixed(6)}`)
  const base = sig(make(1))
  assert.deepEqual(base.map(s => s.split('@')[0]), ['spike', 'level-shift'])
  assert.deepEqual(sig(make(1e-4)), base)
  assert.deepEqual(sig(make(1e4)), base)
})

test('higher-is-better metrics: a drop of accuracy is the jump, a rise is not', () => {
  const rng = new Rng(3)
  const n = 2000
  const steps = new Float64Array(n); const values = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    steps[i] = i
    values[i] = Math.min(0.99, 0.5 + 0.4 * (1 - Math.exp(-i / 300)) + 0.01 * rng.gauss()) * (i >= 1200 && i < 1210 ? 0.3 : 1)
  }
  const down = new JumpDetector({ direction: -1 })
  down.update({ steps, wallTimes: steps, values }, n)
  assert.deepEqual(down.events.map(e => [e.kind, e.startStep]), [['spike', 1200]])
})
