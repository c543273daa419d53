/** The detector's robust statistics on their own: the rolling baseline, the tail model, and the median/MAD ring. */

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { rng } from '../helpers/rng.js'
import { Ring, median, MAD_TO_SIGMA } from '../../server/enrich/robust.js'
import { Baseline } from '../../server/enrich/detect/baseline.js'
import { Space } from '../../server/enrich/detect/space.js'
import { TailModel } from '../../server/enrich/detect/tail.js'

function gaussian (u: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(Math.max(1e-12, u()))) * Math.cos(2 * Math.PI * u())
}

function studentT (u: () => number, df: number): () => number {
  const g = gaussian(u)
  return () => { let c = 0; for (let k = 0; k < df; k++) c += g() ** 2; return g() / Math.sqrt(c / df) }
}

test('ring: median and MAD of the held values, the newest ones only once it wraps', () => {
  const r = new Ring(5)
  for (const x of [9, 1, 5, 3, 7]) r.push(x)
  assert.equal(r.median(), 5)
  assert.equal(r.mad(5), 2)
  r.push(100) // drops 9
  assert.equal(r.median(), 5)
  assert.equal(r.medianRecent(2), 53.5)
  assert.equal(r.recent(0), 100)
  assert.ok(Number.isNaN(new Ring(3).median()))
  assert.equal(median([4, 1, 3, 2]), 2.5)
})

test('baseline: one huge outlier in the window moves neither the level nor σ much (they are medians)', () => {
  const g = gaussian(rng(11))
  const make = (outlier: boolean): Baseline => {
    const b = new Baseline(64, new Space(1))
    for (let i = 0; i < 2000; i++) b.accept(i, 0.2 * g() + (outlier && i === 1990 ? 50 : 0))
    return b
  }
  const clean = make(false); const dirty = make(true)
  assert.ok(Math.abs(clean.sigma - 0.2) < 0.03, `σ ${clean.sigma} estimates the noise 0.2`)
  assert.ok(Math.abs(dirty.sigma - clean.sigma) < 0.02 * clean.sigma + 0.01, `σ with the outlier ${dirty.sigma} vs ${clean.sigma}`)
  assert.ok(Math.abs(dirty.base - clean.base) < 0.1, `level with the outlier ${dirty.base} vs ${clean.base}`)
})

test('baseline: σ never drops far below the noise (a long memory), yet follows noise that has clearly grown', () => {
  const g = gaussian(rng(12))
  const b = new Baseline(64, new Space(1))
  const sigmas: number[] = []
  for (let i = 0; i < 20_000; i++) {
    b.accept(i, 0.3 * g())
    if (i > 2000 && i % 64 === 0) sigmas.push(b.sigma)
  }
  const lo = Math.min(...sigmas)
  // A 64-point MAD alone scatters by ±20 % and more, and a low draw turns noise into "spikes"; the
  // long memory holds σ up (a high short-window draw may still win: that only errs toward silence).
  assert.ok(lo > 0.3 * 0.87, `σ never fell below 0.26: lowest ${lo.toFixed(3)}`)
  assert.ok(Math.abs(median(sigmas) - 0.3) < 0.3 * 0.04, `typical σ ${median(sigmas).toFixed(3)} ≈ 0.3`)
  for (let i = 20_000; i < 20_400; i++) b.accept(i, 1.2 * g())
  assert.ok(b.sigma > 0.3 * 2, `σ ${b.sigma.toFixed(3)} followed noise grown ×4 within 400 points`)
})

test('baseline: the level follows a falling loss (no lag of a whole window)', () => {
  const b = new Baseline(64, new Space(1))
  const g = gaussian(rng(13))
  // log loss falling by 1 per 1000 steps, noise 0.05
  for (let i = 0; i < 3000; i++) b.accept(i, -i / 1000 + 0.05 * g())
  assert.ok(Math.abs(b.base - (-3)) < 0.06, `level ${b.base.toFixed(3)} ≈ −3 at the end`)
})

test('tail model: light (Gaussian) noise gives a threshold near its real extreme, a power law a much higher one', () => {
  const fit = (draw: () => number, n: number): TailModel => {
    const t = new TailModel(4, 8.5, 1 / 20000)
    for (let i = 0; i < n; i++) t.add(draw())
    return t
  }
  const gauss = fit(gaussian(rng(21)), 20_000)
  // The Gaussian 1 − 1/20,000 quantile is 3.9; the floor is 4 and ξ is kept ≥ 0 (exponential extrapolation: conservative).
  assert.ok(gauss.threshold >= 4 && gauss.threshold < 5.5, `Gaussian threshold ${gauss.threshold}`)
  const t3 = fit(studentT(rng(22), 3), 20_000)
  assert.ok(t3.shape > 0.15, `t₃ shape ${t3.shape}`)
  assert.ok(t3.threshold > 2 * gauss.threshold, `t₃ threshold ${t3.threshold} vs Gaussian ${gauss.threshold}`)
})

test('tail model: bad batches in the data (0.1 % of points, z 20–200) do not raise the threshold for the next one', () => {
  const g = gaussian(rng(31)); const u = rng(32)
  const clean = new TailModel(4, 8.5, 1 / 20000)
  const dirty = new TailModel(4, 8.5, 1 / 20000)
  for (let i = 0; i < 20_000; i++) {
    const z = g()
    clean.add(z)
    dirty.add(u() < 0.001 ? 20 + 180 * u() : z)
  }
  assert.ok(dirty.threshold < clean.threshold * 1.25, `threshold with bad batches ${dirty.threshold} vs ${clean.threshold} without`)
})

test('tail model: until enough points are seen, the initial (conservative) threshold holds', () => {
  const t = new TailModel(4, 8.5, 1 / 20000)
  const g = gaussian(rng(41))
  for (let i = 0; i < 500; i++) t.add(g())
  assert.equal(t.threshold, 8.5)
})

test('MAD_TO_SIGMA turns the MAD of Gaussian data into its σ', () => {
  const g = gaussian(rng(51))
  const r = new Ring(20_000)
  for (let i = 0; i < 20_000; i++) r.push(2 * g())
  assert.ok(Math.abs(MAD_TO_SIGMA * r.mad(r.median()) - 2) < 0.05)
})
