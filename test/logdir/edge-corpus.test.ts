/** corpus/generated/edge behaves as its MANIFEST says; /api/v1 keeps every point and marks restarts. */

import { test, before } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { GENERATED } from '../helpers/paths.js'
import { loadLogdir, type Loaded } from '../helpers/load.js'
import { tbVisibleIndices } from '../../server/store/scalar-series.js'
import type { TagInfo } from '../../server/store/scalar-store.js'

let L: Loaded
before(async () => { L = await loadLogdir(GENERATED) })

function tag (run: string, name: string): TagInfo {
  const t = L.store.runs.get(run)?.tags.get(name)
  assert.ok(t, `${run}/${name} exists`)
  return t
}
function steps (run: string, name: string): number[] {
  return Array.from(tag(run, name).series!.columns().steps)
}
/** Steps TensorBoard's Python loader would serve (purges applied). */
function tbSteps (run: string, name: string): number[] {
  const s = tag(run, name).series!
  const all = Array.from(s.columns().steps)
  const vis = tbVisibleIndices(s)
  return vis === null ? all : Array.from(vis, i => all[i]!)
}
function range (a: number, b: number): number[] {
  return Array.from({ length: b - a + 1 }, (_, i) => a + i)
}

test('truncated_tail: every complete record (steps 0..48), the partial one silently held back', () => {
  assert.deepEqual(steps('edge/truncated_tail', 'loss'), range(0, 48))
  assert.equal(L.store.runs.get('edge/truncated_tail')!.issues.length, 0)
})

test('corrupt_middle: the corrupt record (step 30) costs that record only, logged with file and offset', () => {
  assert.deepEqual(steps('edge/corrupt_middle', 'loss'), [...range(0, 29), ...range(31, 59)])
  const log = L.logs.find(l => l.run === 'edge/corrupt_middle' && l.why === 'bad-data-crc')
  assert.ok(log, 'logged')
  assert.match(String(log.file), /^edge\/corrupt_middle\/events\.out\.tfevents\./)
  assert.equal(typeof log.offset, 'number')
})

test('corrupt_then_next_file: 0..19, 21..79 across the two files', () => {
  assert.deepEqual(steps('edge/corrupt_then_next_file', 'loss'), [...range(0, 19), ...range(21, 79)])
})

test('empty_file and header_only are runs with no tags; not_a_run is not a run', () => {
  for (const r of ['edge/empty_file', 'edge/header_only']) {
    assert.ok(L.store.runs.has(r), r)
    assert.equal([...L.store.runs.get(r)!.tags.values()].filter(t => t.series).length, 0)
  }
  assert.equal(L.store.runs.get('edge/empty_file')!.startTime, null)
  assert.ok(!L.store.runs.has('edge/not_a_run'))
})

test('rotation: two files read in name order make one series 0..199', () => {
  assert.deepEqual(steps('edge/rotation', 'loss'), range(0, 199))
})

test('deep and unicode run names are paths relative to the logdir', () => {
  assert.equal(steps('edge/deep/a/b/c/d/e/run1', 'loss').length, 30)
  const uni = 'edge/run with spaces ünïcødé ✓'
  assert.equal(steps(uni, 'loss').length, 25)
  assert.equal(steps(uni, 'métrique/δ loss ✓').length, 25)
})

test('session_start_purge: TB view purges file 1 at the second START (120 points); every point kept for /api/v1 with the restart marked', () => {
  assert.deepEqual(tbSteps('edge/session_start_purge', 'loss'), range(0, 119))
  const s = tag('edge/session_start_purge', 'loss').series!
  assert.equal(s.length, 160) // 100 from file 1 + 60 from file 2
  assert.equal(s.restarts.length, 1)
  const r = s.restarts[0]!
  assert.equal(r.index, 100)
  assert.equal(r.step, 60)
  assert.equal(r.previousStep, 99)
  assert.equal(r.reason, 'session-start')
  assert.match(r.file, /edge\/session_start_purge\/events\.out\.tfevents\.1700001000/)
})

test('legacy_v1_out_of_order: brain.Event:1 purges by tag on a step regression (80 points in TB view)', () => {
  assert.deepEqual(tbSteps('edge/legacy_v1_out_of_order', 'loss'), [...range(0, 49), ...range(50, 79)])
  const s = tag('edge/legacy_v1_out_of_order', 'loss').series!
  assert.equal(s.length, 130)
  assert.deepEqual(s.restarts.map(r => [r.index, r.step, r.reason]), [[100, 50, 'step-regression']])
})

test('pytorch restarts: TB keeps all 380 points (first START ignored); /api/v1 marks the restart at step 120', () => {
  for (const run of ['pytorch/restart_purge', 'pytorch/restart_nopurge']) {
    const s = tag(run, 'loss').series!
    assert.equal(tbSteps(run, 'loss').length, 380, run)
    assert.deepEqual(s.restarts.map(r => [r.index, r.step, r.previousStep]), [[200, 120, 199]], run)
  }
  assert.equal(tag('pytorch/restart_purge', 'loss').series!.restarts[0]!.reason, 'session-start')
})

test('encodings_zoo: all 8 encodings read, int64 kept as integers, half at half precision', () => {
  const run = 'edge/encodings_zoo'
  for (const t of ['enc/simple_value', 'enc/tensor_float_val', 'enc/tensor_double_val', 'enc/tensor_content_f32', 'enc/tensor_content_f64', 'enc/tensor_half_val', 'enc/tensor_int64_val', 'enc/tensor_float_val_md_first_only']) {
    assert.deepEqual(steps(run, t), range(0, 19), t)
  }
  const ints = tag(run, 'enc/tensor_int64_val').series!
  assert.ok(ints.allInt)
  assert.deepEqual(Array.from(ints.columns().values), range(0, 19).map(s => 10 * s))
})

test('mixed_hist_img: only loss is a scalar series; histograms, images and text are listed as plugins', () => {
  const run = L.store.runs.get('pytorch/mixed_hist_img')!
  const scalarTags = [...run.tags.values()].filter(t => t.pluginName === 'scalars' && t.series).map(t => t.name)
  assert.deepEqual(scalarTags, ['loss'])
  for (const p of ['histograms', 'images', 'text']) assert.ok(run.plugins.has(p), p)
})

test('nan_mid: NaN and ±Inf are kept as values', () => {
  const v = Array.from(tag('pytorch/nan_mid', 'loss').series!.columns().values)
  assert.equal(v.length, 200)
  assert.deepEqual(v.slice(120, 123), [Infinity, Infinity, Infinity])
  assert.ok(v.slice(123).every(Number.isNaN))
  assert.equal(tag('pytorch/nan_mid', 'loss').series!.nonFinite, 80)
})

test('every file of the corpus is read to its end', () => {
  for (const r of L.store.runs.values()) {
    for (const f of r.files) assert.notEqual(f.state, 'dead', `${r.name}: ${f.file}`)
  }
  assert.equal(path.basename(GENERATED), 'generated')
})
