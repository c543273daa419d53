/** Sample counts from a float32 running accuracy (server/enrich/sample-counts.ts). */

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { countAt, countFits, inferBatchSize } from '../../server/enrich/sample-counts.js'

const f32 = Math.fround

test('a count that may end an epoch must be the only one that fits', () => {
  // 237 correct of 948 = 29 × 32 + 20 samples is 0.25, which fits every multiple of 4 up to 960 = 30 × 32.
  const m = f32(237 / 948)
  assert.ok(countFits(m, 948) && countFits(m, 960))
  assert.equal(countAt(m, 960, 32), 960, 'mid-epoch: a full batch is assumed when it fits')
  assert.ok(Number.isNaN(countAt(m, 960, 32, true)), 'a possible last batch: ambiguous, so unknown')
  // 611 of 948 reduces to nothing smaller: only 948 fits.
  assert.equal(countAt(f32(611 / 948), 960, 32, true), 948)
  assert.equal(countAt(f32(611 / 960), 960, 32, true), 960)
  // 0 and 1 fit any count.
  assert.ok(Number.isNaN(countAt(1, 960, 32, true)))
})

test('the batch size is the smallest that fits every full-batch pair, and a short batch taken as full inflates it', () => {
  const ks = [5, 10, 15, 20, 30, 35, 40, 45]
  const correct = [55, 95, 185, 239, 600, 700, 810, 1000]
  const ms = ks.map((k, i) => f32(correct[i]! / (k * 32)))
  assert.equal(inferBatchSize(ms, ks), 32)
  // One pair at k = 25 whose epoch really had 24 × 32 + 27 = 795 samples.
  const bad = [...ms.slice(0, 7), f32(412 / 795)]
  const badK = [...ks.slice(0, 7), 25]
  assert.notEqual(inferBatchSize(bad, badK), 32)
})
