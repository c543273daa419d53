/** The min/max pyramid answers exactly what a brute-force scan answers, on random series, windows and point budgets. */

import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ScalarSeries } from '../../server/store/scalar-series.js'
import { NONE, emptyExtremes } from '../../server/store/minmax-pyramid.js'
import { downsample, downsampleMinMaxPyramid } from '../../server/provider/downsample.js'
import { rangeCandidates } from '../../server/provider/series-slice.js'
import { rng } from '../helpers/rng.js'

/** A random series: runs of ties (small integers), float noise, spikes, NaN and ±Inf, sometimes a float64 value. */
function randomSeries (seed: number, n: number): ScalarSeries {
  const r = rng(seed)
  const s = new ScalarSeries()
  const mode = seed % 4
  for (let i = 0; i < n; i++) {
    let v: number
    const u = r()
    if (u < 0.01) v = NaN
    else if (u < 0.015) v = Infinity
    else if (u < 0.02) v = -Infinity
    else if (mode === 0) v = Math.floor(r() * 5)
    else if (mode === 1) v = Math.fround(r() * 100 - 50)
    else if (mode === 2) v = i === Math.floor(n / 3) ? 0.1 : Math.fround(Math.sin(i / 50))
    else v = r() < 0.5 ? 1 : 2
    if (seed % 7 === 3 && i === Math.floor(n / 2)) v = 0.1 // not a float32: the column widens to float64
    s.append(i * 2, 1_700_000_000 + i, v, 'float32')
  }
  return s
}

function scan (v: ArrayLike<number>, lo: number, hi: number): [number, number, number] {
  let minP = NONE; let maxP = NONE; let badP = NONE; let minV = Infinity; let maxV = -Infinity
  for (let i = lo; i < hi; i++) {
    const x = v[i]!
    if (!Number.isFinite(x)) { if (badP === NONE) badP = i; continue }
    if (minP === NONE || x < minV) { minV = x; minP = i }
    if (maxP === NONE || x > maxV) { maxV = x; maxP = i }
  }
  return [minP, maxP, badP]
}

describe('MinMaxPyramid', () => {
  it('extremes of random ranges equal a left-to-right scan (earliest on ties)', () => {
    const r = rng(99)
    for (let seed = 0; seed < 12; seed++) {
      const n = [1, 63, 64, 65, 511, 512, 4097, 40_000][seed % 8]! + Math.floor(r() * 300)
      const s = randomSeries(seed, n)
      const { values } = s.columns()
      const e = emptyExtremes()
      for (let q = 0; q < 400; q++) {
        const lo = Math.floor(r() * n)
        const hi = q % 5 === 0 ? n : lo + 1 + Math.floor(r() * (n - lo))
        s.pyramid.extremes(values, lo, hi, e)
        assert.deepEqual([e.minP, e.maxP, e.badP], scan(values, lo, hi), `seed ${seed} n ${n} [${lo}, ${hi})`)
      }
    }
  })

  it('points=N over any step window equals the brute-force min/max downsample', () => {
    const r = rng(7)
    for (let seed = 0; seed < 16; seed++) {
      const n = 1000 + Math.floor(r() * 60_000)
      const s = randomSeries(seed, n)
      const { steps, wallTimes, values } = s.columns()
      for (let q = 0; q < 40; q++) {
        const a = Math.floor(r() * 2 * n); const b = Math.floor(r() * 2 * n)
        const range = q % 4 === 0 ? {} : q % 4 === 1 ? { startStep: Math.min(a, b), endStep: Math.max(a, b) } : q % 4 === 2 ? { startTime: 1_700_000_000 + Math.min(a, b) / 2 } : { endStep: a, startTime: 1_700_000_000 + b / 4 }
        const cand = rangeCandidates(steps, wallTimes, n, range, { steps: s.stepsNonDecreasing, wallTimes: s.wallTimesNonDecreasing })
        assert.equal(cand.list, null, 'monotonic columns give a contiguous window')
        const points = [2, 3, 4, 10, 100, 1000, 1001][q % 7]!
        const fast = downsampleMinMaxPyramid(cand, points, values, s.pyramid)
        const slow = downsample(rangeCandidates(steps, wallTimes, n, range), points, 'minmax', steps, [values])
        assert.deepEqual(Array.from(fast), Array.from(slow), `seed ${seed} n ${n} ${JSON.stringify(range)} points ${points}`)
      }
    }
  })

  it('survives a snapshot round trip and keeps growing', () => {
    const s = randomSeries(5, 10_000)
    const t = ScalarSeries.fromSnapshot(structuredClone(s.snapshot()))
    for (let i = 0; i < 5000; i++) t.append(20_000 + i, 1_800_000_000 + i, (i * 7919) % 1013, 'float32')
    const { values } = t.columns()
    const e = emptyExtremes()
    for (const [lo, hi] of [[0, 15_000], [9_000, 12_345], [64, 14_999]] as const) {
      t.pyramid.extremes(values, lo, hi, e)
      assert.deepEqual([e.minP, e.maxP, e.badP], scan(values, lo, hi))
    }
  })

  it('costs under 5% of the raw columns (10% allowed)', () => {
    const s = randomSeries(1, 200_000)
    assert.ok(s.pyramid.byteLength() < 0.05 * s.byteLength(), `${s.pyramid.byteLength()} vs ${s.byteLength()}`)
  })
})
