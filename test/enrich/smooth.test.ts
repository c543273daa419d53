/** TensorBoard's debiased EMA, reproduced server-side (TENSORBOARD_HTTP_API.md §5). */

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { tbSmooth, TbSmoother } from '../../server/enrich/smooth.js'

const close = (a: ArrayLike<number>, b: number[], tol = 1e-12): void => {
  assert.equal(a.length, b.length)
  for (let i = 0; i < b.length; i++) {
    if (Number.isNaN(b[i]!)) assert.ok(Number.isNaN(a[i]!), `index ${i}: expected NaN, got ${a[i]}`)
    else if (!Number.isFinite(b[i]!)) assert.equal(a[i], b[i], `index ${i}`)
    else assert.ok(Math.abs(a[i]! - b[i]!) <= tol, `index ${i}: ${a[i]} vs ${b[i]}`)
  }
}

test('smooths with the debiased EMA, the first point unchanged', () => {
  // w = 0.5, y = 1, 2, 3:
  //   k=1: last = 0·0.5 + 0.5·1 = 0.5,    debias 1 − 0.5   = 0.5   → 1
  //   k=2: last = 0.25 + 0.5·2 = 1.25,    debias 1 − 0.25  = 0.75  → 1.666…
  //   k=3: last = 0.625 + 0.5·3 = 2.125,  debias 1 − 0.125 = 0.875 → 2.428571…
  close(tbSmooth([1, 2, 3], 0.5), [1, 5 / 3, 2.125 / 0.875])
})

test('passes NaN and ±Inf through without touching the average', () => {
  // The NaN keeps its value; the 3 is the second finite point (k = 2): (0.25 + 1.5) / 0.75.
  close(tbSmooth([1, NaN, 3, Infinity], 0.5), [1, NaN, 1.75 / 0.75, Infinity])
})

test('returns a constant series unchanged, even with weight 1', () => {
  close(tbSmooth([2, 2, 2], 1), [2, 2, 2])
  close(tbSmooth([2, 2, 2], 0.6), [2, 2, 2])
})

test('weight 1 on a non-constant series gives 0 (TensorBoard issue #5370)', () => {
  close(tbSmooth([1, 2], 1), [0, 0])
})

test('a series that starts with NaN is never constant', () => {
  close(tbSmooth([NaN, NaN], 0.6), [NaN, NaN])
})

test('weight 0, a negative weight and NaN weight all mean no smoothing', () => {
  close(tbSmooth([1, 5, 2], 0), [1, 5, 2])
  close(tbSmooth([1, 5, 2], -3), [1, 5, 2])
  close(tbSmooth([1, 5, 2], NaN), [1, 5, 2])
})

test('incremental extension equals one pass over the whole series', () => {
  const ys = Array.from({ length: 1000 }, (_, i) => Math.sin(i / 7) + (i % 13 === 0 ? NaN : 0))
  const whole = tbSmooth(ys, 0.9)
  const s = new TbSmoother(0.9)
  const out = new Float64Array(ys.length)
  for (let n = 0; n < ys.length;) {
    const next = Math.min(ys.length, n + 1 + (n % 37))
    const view = ys.slice(0, next)
    s.extend(view, out, n)
    s.finish(view, out)
    n = next
  }
  assert.deepEqual(Array.from(out), Array.from(whole))
})

test('a series constant so far, then not, is smoothed once it changes', () => {
  const s = new TbSmoother(0.5)
  const out = new Float64Array(3)
  s.extend([4, 4], out, 0)
  s.finish([4, 4], out)
  assert.deepEqual(Array.from(out.subarray(0, 2)), [4, 4])
  s.extend([4, 4, 8], out, 2)
  s.finish([4, 4, 8], out)
  // k=1: last = 0.5·4 = 2; k=2: last = 2·0.5 + 0.5·4 = 3; k=3: last = 3·0.5 + 0.5·8 = 5.5,
  // debias 1 − 0.5³ = 0.875 → 6.2857…
  close(out, [4, 4, 5.5 / 0.875])
})
