/** ScalarSeries: amortised growth, lossless widening of columns, TensorBoard's purge view. */

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ScalarSeries, tbVisibleIndices } from '../../server/store/scalar-series.js'

test('appends keep every point; capacity grows geometrically (few reallocations), not per append', () => {
  const s = new ScalarSeries()
  let reallocations = 0
  let cap = s.byteLength()
  for (let i = 0; i < 100_000; i++) {
    s.append(i, 1000 + i, i / 3, 'float32')
    if (s.byteLength() !== cap) { reallocations++; cap = s.byteLength() }
  }
  assert.equal(s.length, 100_000)
  // ×1.5 growth from 16 reaches 100,000 in about log1.5(6250) ≈ 22 steps
  assert.ok(reallocations <= 25, `${reallocations} reallocations`)
  const c = s.columns()
  assert.equal(c.steps[99_999], 99_999)
  assert.equal(c.values[3], Math.fround(1))
})

test('steps widen to float64 beyond int32, values to float64 when not exactly float32: nothing is lost', () => {
  const s = new ScalarSeries()
  s.append(1, 1, 0.5, 'float32')
  s.append(2 ** 40, 2, 0.1, 'float64') // 0.1 is not a float32
  s.append(3, 3.000001, NaN, 'float32')
  const c = s.columns()
  assert.ok(c.steps instanceof Float64Array)
  assert.ok(c.values instanceof Float64Array)
  assert.deepEqual(Array.from(c.steps), [1, 2 ** 40, 3])
  assert.equal(c.values[1], 0.1)
  assert.ok(Number.isNaN(c.values[2]!))
  assert.equal(c.wallTimes[2], 3.000001)
  assert.equal(s.nonFinite, 1)
  assert.deepEqual(s.dtypes, ['float32', 'float64'])
})

test('shrinkToFit releases the slack and keeps the points', () => {
  const s = new ScalarSeries()
  for (let i = 0; i < 1000; i++) s.append(i, i, i, 'int')
  s.shrinkToFit()
  assert.equal(s.byteLength(), 1000 * (4 + 8 + 4))
  assert.equal(s.columns().values[999], 999)
  s.append(1000, 1000, 1000, 'int')
  assert.equal(s.length, 1001)
})

test('the TB view hides points purged by later purges, in arrival order', () => {
  const s = new ScalarSeries()
  for (let i = 0; i < 10; i++) s.append(i, i, i, 'float32') // steps 0..9
  s.addPurge(5) // a restart at step 5 hides 5..9 that arrived before it
  for (let i = 5; i < 8; i++) s.append(i, 100 + i, -i, 'float32')
  const vis = tbVisibleIndices(s)!
  assert.deepEqual(Array.from(vis, i => s.columns().steps[i]), [0, 1, 2, 3, 4, 5, 6, 7])
  assert.deepEqual(Array.from(vis, i => s.columns().values[i]), [0, 1, 2, 3, 4, -5, -6, -7])
  assert.equal(tbVisibleIndices(new ScalarSeries()), null)
})
