/** Plateaus that have not ended: a loss stuck early, or flat to the end of the run, is noted (info) while it lasts. */

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { rng } from '../helpers/rng.js'
import { JumpDetector, type JumpEvent } from '../../server/enrich/jumps.js'

function detect (values: number[]): JumpEvent[] {
  const steps = Float64Array.from(values, (_, i) => i)
  const det = new JumpDetector({ direction: 1 })
  det.update({ steps, wallTimes: steps, values: Float64Array.from(values) }, values.length)
  return det.events
}

function noise (seed: number, sigma: number): () => number {
  const u = rng(seed)
  return () => Math.exp(sigma * Math.sqrt(-2 * Math.log(Math.max(1e-12, u()))) * Math.cos(2 * Math.PI * u()))
}

test('a loss stuck after a short early drop is an open plateau from about where it stopped, to the end', () => {
  const e = noise(81, 0.3)
  const n = 6000
  // Falls ×1.5 over the first 100 steps, then stays flat to the end of the run.
  const loss = Array.from({ length: n }, (_, i) => (i < 100 ? 1.5 - 0.5 * i / 100 : 1) * e())
  const plateaus = detect(loss).filter(ev => ev.kind === 'plateau')
  assert.equal(plateaus.length, 1, plateaus.map(p => `${p.startStep}-${p.endStep}`).join(', '))
  const p = plateaus[0]!
  assert.equal(p.severity, 'info')
  // Located to the rolling level of 6 blocks of 16 points: within about 100 steps of where it stopped.
  assert.ok(p.startStep >= 0 && p.startStep <= 250, `starts near 100: ${p.startStep}`)
  assert.ok(p.endStep >= n - 32, `still open at the end: ends at ${p.endStep}`)
  assert.ok(p.open, 'open while the band holds')
  assert.match(p.causes[0]!.cause, /no progress/)
})

test('a loss that keeps improving slowly, or never improved at all, has no plateau', () => {
  const n = 6000
  const e1 = noise(82, 0.2)
  const slow = Array.from({ length: n }, (_, i) => (0.05 + Math.exp(-i / (n / 5))) * e1())
  assert.deepEqual(detect(slow).filter(ev => ev.kind === 'plateau').map(p => p.startStep), [])
  const e2 = noise(83, 0.2)
  const flat = Array.from({ length: n }, () => e2())
  assert.deepEqual(detect(flat).filter(ev => ev.kind === 'plateau').map(p => p.startStep), [])
})

test('a stuck stretch that ends when progress resumes is closed there', () => {
  const e = noise(84, 0.2)
  const n = 6000
  const loss = Array.from({ length: n }, (_, i) => (i < 100 ? 1.5 - 0.5 * i / 100 : i < 3000 ? 1 : Math.exp(-(i - 3000) / 800)) * e())
  const plateaus = detect(loss).filter(ev => ev.kind === 'plateau')
  assert.equal(plateaus.length, 1, plateaus.map(p => `${p.startStep}-${p.endStep}`).join(', '))
  const p = plateaus[0]!
  assert.ok(!p.open && p.endStep >= 2900 && p.endStep <= 3600, `closed soon after 3000: ${p.startStep}-${p.endStep}`)
})
