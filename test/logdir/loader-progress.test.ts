/** The loader announces exactly the tags that got points, and keeps the event loop turning while many small runs load. */

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import pino from 'pino'
import { tempDir } from '../helpers/paths.js'
import { EventFileBuilder, eventFileName } from '../../server/records/event-writer.js'
import { ScalarStore, type StoreChange } from '../../server/store/scalar-store.js'
import { LogdirLoader } from '../../server/logdir/logdir-loader.js'

test('each read announces the tags that got points, once each, and no others', async (t) => {
  const { dir, cleanup } = tempDir()
  t.after(cleanup)
  mkdirSync(path.join(dir, 'a'))
  const file = path.join(dir, 'a', eventFileName(1_700_000_000))
  // 1. first read: loss and acc get points; a histogram tag gets none
  const first = new EventFileBuilder().fileVersion(1_700_000_000)
  for (let s = 0; s < 50; s++) first.scalar('loss', s, 1_700_000_000 + s, 1 / (s + 1)).scalar('acc', s, 1_700_000_000 + s, s / 50)
  first.event({ wallTime: 1_700_000_100, step: 50, summary: { value: [{ tag: 'w', histo: { min: 0, max: 1, num: 1, bucketLimit: [1], bucket: [1] } }] } })
  writeFileSync(file, first.bytes())
  const store = new ScalarStore()
  const changes: StoreChange[] = []
  store.subscribe(c => changes.push(c))
  const loader = new LogdirLoader(dir, store, pino({ level: 'silent' }))
  await loader.reload()
  const points = (): Array<{ run: string, tags: string[] }> => changes.filter(c => c.kind === 'points').map(c => ({ run: c.run, tags: [...(c as { tags: string[] }).tags].sort() }))
  assert.deepEqual(points(), [{ run: 'a', tags: ['acc', 'loss'] }])
  // 2. an append touching only acc announces only acc
  changes.length = 0
  appendFileSync(file, new EventFileBuilder().scalar('acc', 51, 1_700_000_200, 0.99).bytes())
  await loader.reload()
  assert.deepEqual(points(), [{ run: 'a', tags: ['acc'] }])
  // 3. a read that finds nothing new announces nothing
  changes.length = 0
  await loader.reload()
  assert.deepEqual(points(), [])
})

test('a full pass over many small runs lets the event loop run between runs', async (t) => {
  const { dir, cleanup } = tempDir()
  t.after(cleanup)
  // 200 runs of 5,000 events each: far more than 10 ms of work in all, and no run fills a 4 MiB chunk
  for (let r = 0; r < 200; r++) {
    const run = path.join(dir, `run_${String(r).padStart(3, '0')}`)
    mkdirSync(run)
    const b = new EventFileBuilder().fileVersion(1_700_000_000)
    for (let s = 0; s < 1000; s++) for (const tag of ['a', 'b', 'c', 'd', 'e']) b.scalar(tag, s, 1_700_000_000 + s, s)
    writeFileSync(path.join(run, eventFileName(1_700_000_000 + r)), b.bytes())
  }
  const store = new ScalarStore()
  const loader = new LogdirLoader(dir, store, pino({ level: 'silent' }))
  let turns = 0
  const sizesSeen: number[] = []
  const tick = setInterval(() => { turns++; sizesSeen.push(store.runs.size) }, 0)
  const t0 = performance.now()
  await loader.reload()
  const ms = performance.now() - t0
  clearInterval(tick)
  assert.equal(store.runs.size, 200)
  assert.equal(loader.totals().points, 200 * 5000)
  // the load took many 10 ms slices, and timers ran inside it, seeing a partly loaded store
  assert.ok(ms > 30, `load took ${ms} ms`)
  assert.ok(turns >= 2, `${turns} timer turns during a ${ms.toFixed(0)} ms load`)
  assert.ok(sizesSeen.some(n => n > 0 && n < 200), `timers saw ${sizesSeen.slice(0, 20).join(', ')}… runs`)
})
