/** ScalarSeries past the in-place threshold: columns grow without copying, views stay valid, nothing is lost. */

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ScalarSeries } from '../../server/store/scalar-series.js'

const N = 300_000 // well past the capacity (2^15) from which columns grow in place

test('a long series keeps every point, and views taken earlier still read their points after growth', () => {
  const s = new ScalarSeries()
  const early: Array<{ at: number, cols: ReturnType<ScalarSeries['columns']> }> = []
  for (let i = 0; i < N; i++) {
    s.append(i, 1_700_000_000 + i / 8, Math.fround(i / 7), 'float32')
    if (i === 10 || i === 40_000 || i === 200_000) early.push({ at: i + 1, cols: s.columns() })
  }
  const c = s.columns()
  assert.equal(c.steps.length, N)
  for (const i of [0, 32_767, 32_768, 65_536, N - 1]) {
    assert.equal(c.steps[i], i)
    assert.equal(c.wallTimes[i], 1_700_000_000 + i / 8)
    assert.equal(c.values[i], Math.fround(i / 7))
  }
  for (const { at, cols } of early) {
    assert.equal(cols.steps.length, at)
    assert.equal(cols.steps[at - 1], at - 1)
    assert.equal(cols.wallTimes[at - 1], 1_700_000_000 + (at - 1) / 8)
  }
})

test('capacity grows geometrically, so appends never copy quadratically', () => {
  const s = new ScalarSeries()
  let changes = 0
  let cap = s.byteLength()
  for (let i = 0; i < N; i++) {
    s.append(i, i, i, 'float32')
    if (s.byteLength() !== cap) { changes++; cap = s.byteLength() }
  }
  // ×1.5 from 16 to 2^15 is ~19 steps, then ×2 to 300,000 is ~4 more
  assert.ok(changes <= 26, `${changes} capacity changes`)
  assert.ok(cap <= 2 * N * 16 + 1024, `capacity ${cap} bytes for ${N} points`)
})

test('widening a grown column (large step, float64 value) keeps all earlier points', () => {
  const s = new ScalarSeries()
  for (let i = 0; i < 50_000; i++) s.append(i, i, 0.5, 'float32')
  s.append(2 ** 40, 1, 0.1, 'float64')
  for (let i = 0; i < 50_000; i++) s.append(2 ** 40 + i + 1, i, i, 'float32')
  const c = s.columns()
  assert.ok(c.steps instanceof Float64Array)
  assert.ok(c.values instanceof Float64Array)
  assert.equal(c.steps[49_999], 49_999)
  assert.equal(c.steps[50_000], 2 ** 40)
  assert.equal(c.values[50_000], 0.1)
  assert.equal(c.values[49_999], 0.5)
  assert.equal(c.steps[100_000], 2 ** 40 + 50_000)
  assert.equal(s.length, 100_001)
})

test('shrinkToFit after a load keeps the data and later appends still work', () => {
  for (const n of [100, 40_000]) {
    const s = new ScalarSeries()
    for (let i = 0; i < n; i++) s.append(i, i, i, 'float32')
    s.shrinkToFit()
    for (let i = n; i < n + 1000; i++) s.append(i, i, i, 'float32')
    const c = s.columns()
    assert.equal(c.steps.length, n + 1000)
    for (let i = 0; i < n + 1000; i += 97) assert.equal(c.steps[i], i)
  }
})
