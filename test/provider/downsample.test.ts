/** downsample(): min/max per bucket and LTTB — bounded, deterministic, first and last kept, spikes and non-finite values kept. */

import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { downsample, type Candidates } from '../../server/provider/downsample.js'
import { rangeCandidates } from '../../server/provider/series-slice.js'

/** Seeded LCG (Numerical Recipes constants), so every run sees the same noise. */
function lcg (seed: number): () => number {
  let x = seed >>> 0
  return () => { x = (Math.imul(x, 1664525) + 1013904223) >>> 0; return x / 2 ** 32 }
}

function series (n: number, f: (i: number) => number): { xs: Float64Array, ys: Float64Array } {
  const xs = new Float64Array(n); const ys = new Float64Array(n)
  for (let i = 0; i < n; i++) { xs[i] = i; ys[i] = f(i) }
  return { xs, ys }
}

const all = (n: number): Candidates => ({ start: 0, count: n, list: null })

describe('downsample', () => {
  for (const method of ['minmax', 'lttb'] as const) {
    it(`${method}: at most N positions, ascending, unique, first and last kept, deterministic`, () => {
      const rnd = lcg(0)
      const { xs, ys } = series(10_000, () => rnd())
      for (const n of [2, 3, 7, 100, 999, 1000]) {
        const out = downsample(all(10_000), n, method, xs, [ys])
        assert.ok(out.length <= n, `${n}: ${out.length}`)
        assert.ok(out.length >= Math.min(n, 2))
        assert.equal(out[0], 0)
        assert.equal(out.at(-1), 9999)
        for (let k = 1; k < out.length; k++) assert.ok(out[k]! > out[k - 1]!, `ascending at ${k}`)
        assert.deepEqual(downsample(all(10_000), n, method, xs, [ys]), out)
      }
    })

    it(`${method}: keeps a one-point spike and a one-point dip`, () => {
      // Flat 1.0 with a spike of 50 at 4321 and a dip of -50 at 7777.
      const { xs, ys } = series(10_000, i => i === 4321 ? 50 : i === 7777 ? -50 : 1)
      const out = Array.from(downsample(all(10_000), 100, method, xs, [ys]))
      assert.ok(out.includes(4321), 'spike kept')
      assert.ok(out.includes(7777), 'dip kept')
    })

    it(`${method}: keeps the first non-finite point of each bucket`, () => {
      // Finite until 6000, then +Infinity at 6000..6002 and NaN from 6003 on (a divergence).
      const { xs, ys } = series(10_000, i => i < 6000 ? Math.sin(i) : i < 6003 ? Infinity : NaN)
      const out = Array.from(downsample(all(10_000), 50, method, xs, [ys]))
      assert.ok(out.includes(6000), 'onset of the divergence kept')
      assert.ok(out.some(i => Number.isNaN(ys[i]!)), 'a NaN point kept')
    })

    it(`${method}: returns every candidate when there are no more than N`, () => {
      const { xs, ys } = series(10, i => i)
      assert.deepEqual(Array.from(downsample(all(10), 10, method, xs, [ys])), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
      assert.deepEqual(Array.from(downsample({ start: 3, count: 4, list: null }, 10, method, xs, [ys])), [3, 4, 5, 6])
    })
  }

  it('minmax: keeps the extremes of every column given', () => {
    // Column a spikes at 100, column b at 9000; both survive one budget.
    const { xs, ys: a } = series(10_000, i => i === 100 ? 9 : 0)
    const b = Float64Array.from(a, (_, i) => i === 9000 ? -9 : 0)
    const out = Array.from(downsample(all(10_000), 40, 'minmax', xs, [a, b]))
    assert.ok(out.length <= 40)
    assert.ok(out.includes(100) && out.includes(9000))
  })

  it('minmax: per bucket, exactly the min and max positions (worked example)', () => {
    // 10 points, N = 6: first (0) + last (9) + 2 buckets of the interior 1..8: [1..4] and [5..8].
    // Bucket [1..4] values 5, 2, 8, 3 → min at 2, max at 3. Bucket [5..8] values 4, 4, 0, 9 → min at 7, max at 8.
    const ys = Float64Array.from([1, 5, 2, 8, 3, 4, 4, 0, 9, 6])
    const xs = Float64Array.from(ys, (_, i) => i)
    assert.deepEqual(Array.from(downsample(all(10), 6, 'minmax', xs, [ys])), [0, 2, 3, 7, 8, 9])
  })

  it('lttb: picks the point of largest triangle area (worked example)', () => {
    // 5 points, N = 3: one bucket of interior points 1..3, between point 0 (0,0) and the last (4,0).
    // Areas |(ax−cx)(y−ay) − (ax−x)(cy−ay)| with a=(0,0), c=(4,0): 4·|y| → y = 1, 3, −2 gives 4, 12, 8: pick index 2.
    const ys = Float64Array.from([0, 1, 3, -2, 0])
    const xs = Float64Array.from(ys, (_, i) => i)
    assert.deepEqual(Array.from(downsample(all(5), 3, 'lttb', xs, [ys])), [0, 2, 4])
  })

  it('works on a candidate list (a step range of a series that goes back)', () => {
    // Steps 0..9 then 5..14 (a restart); the range 5..9 selects positions 5..9 and 10..14.
    const steps = Float64Array.from([...Array(10).keys(), ...Array.from({ length: 10 }, (_, i) => 5 + i)])
    const c = rangeCandidates(steps, new Float64Array(20), 20, { startStep: 5, endStep: 9 })
    assert.deepEqual(Array.from(c.list!), [5, 6, 7, 8, 9, 10, 11, 12, 13, 14])
    const ys = Float64Array.from(steps, (_, i) => i === 12 ? 100 : 0)
    const out = Array.from(downsample(c, 4, 'minmax', steps, [ys]))
    assert.deepEqual(out, [5, 6, 12, 14])
  })

  it('rejects a budget below 2', () => {
    assert.throws(() => downsample(all(10), 1, 'minmax', new Float64Array(10), [new Float64Array(10)]), /maxPoints must be >= 2/)
  })
})
