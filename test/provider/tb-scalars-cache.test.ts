/**
 * The cached TensorBoard /data scalars bodies under live appends (issue 9): a body handed to a
 * request never changes while it is held, a new point always gives a new body, the next version
 * reuses memory instead of allocating (in place when nothing holds the old one), and every body
 * is byte-identical to TB's format. Over HTTP: test/http/tb-scalars-live.test.ts.
 */

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ScalarStore, type RunState, type TagInfo } from '../../server/store/scalar-store.js'
import { scalarsJson, scalarsCsv } from '../../server/provider/tb-compat.js'
import { createTbScalarsCache } from '../../server/provider/tb-scalars-cache.js'
import { scalarTag, fill } from '../helpers/store-fill.js'

function bigStore (points: number): { store: ScalarStore, run: RunState, t: TagInfo } {
  const store = new ScalarStore()
  const run = store.getOrCreateRun('big')
  const t = scalarTag(run, 'loss')
  fill(run, t, 0, points, 1e4)
  return { store, run, t }
}

test('a leased body never changes on append; the next version goes to a recycled buffer while the old one is held, in place once nothing holds it', async () => {
  const { store, run, t } = bigStore(50_000)
  const cache = createTbScalarsCache(store)
  const l1 = await cache.json(t)
  const snap1 = Buffer.from(l1.data)
  assert.ok(l1.data.equals(Buffer.from(scalarsJson(t))))

  fill(run, t, 50_000, 1, 1e4)
  const l2 = await cache.json(t)
  assert.ok(l1.data.equals(snap1), 'a held body was changed by an append')
  assert.ok(l2.data.equals(Buffer.from(scalarsJson(t))), 'the new point is served')
  assert.notEqual(l2.data.buffer, l1.data.buffer)

  // l1's buffer is idle once released: the next version is copied into it, not into new memory
  const slab1 = l1.data.buffer
  l1.release()
  l1.release() // idempotent
  const snap2 = Buffer.from(l2.data)
  fill(run, t, 50_001, 3, 1e4)
  const l3 = await cache.json(t)
  assert.ok(l2.data.equals(snap2))
  assert.ok(l3.data.equals(Buffer.from(scalarsJson(t))))
  assert.equal(l3.data.buffer, slab1, 'the idle buffer was not reused')

  // nothing held: the next version is written in place
  l2.release()
  l3.release()
  fill(run, t, 50_004, 2, 1e4)
  const l4 = await cache.json(t)
  assert.ok(l4.data.equals(Buffer.from(scalarsJson(t))))
  assert.equal(l4.data.buffer, slab1)
  l4.release()

  // CSV and multirun are exact too, and multirun holds nothing once built
  const csv = await cache.csv(t)
  const csvSnap = Buffer.from(csv.data)
  assert.equal(csv.data.toString(), scalarsCsv(t))
  // a CSV append overwrites nothing: written in place past the held body, which is unchanged
  fill(run, t, 50_006, 2, 1e4)
  const csv2 = await cache.csv(t)
  assert.equal(csv2.data.toString(), scalarsCsv(t))
  assert.ok(csv.data.equals(csvSnap))
  assert.equal(csv2.data.buffer, csv.data.buffer)
  csv.release()
  csv2.release()
  const multi = await cache.multirun('loss', ['nope', 'big'])
  assert.equal(multi.data.toString(), '{"big": ' + scalarsJson(t) + '}')
  multi.release()
  fill(run, t, 50_008, 1, 1e4)
  const l5 = await cache.json(t)
  assert.equal(l5.data.buffer, slab1, 'multirun kept a lease')
  l5.release()
})

test('requests that wait for one build all hold its body: a later append does not overwrite it', async () => {
  // 100 k points take more than one 10 ms slice to format: the first request builds, yielding,
  // and the other 19 wait for its body
  const { store, run, t } = bigStore(100_000)
  const cache = createTbScalarsCache(store)
  const leases = await Promise.all(Array.from({ length: 20 }, async () => await cache.json(t)))
  const expected = Buffer.from(scalarsJson(t))
  for (const l of leases) assert.ok(l.data.equals(expected))
  fill(run, t, 100_000, 5, 1e4)
  const next = await cache.json(t)
  assert.ok(next.data.equals(Buffer.from(scalarsJson(t))))
  for (const l of leases) assert.ok(l.data.equals(expected), 'a waiting request\'s body was overwritten')
  for (const l of [...leases, next]) l.release()
})
