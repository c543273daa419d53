/** Incremental reading: split at every byte, truncated tails completed later, runs and files coming and going. */

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync, appendFileSync, mkdirSync, rmSync, readFileSync, copyFileSync } from 'node:fs'
import path from 'node:path'
import pino from 'pino'
import { tempDir, GENERATED } from '../helpers/paths.js'
import { loadLogdir } from '../helpers/load.js'
import { EventFileBuilder, eventFileName } from '../../server/records/event-writer.js'
import { ScalarStore } from '../../server/store/scalar-store.js'
import { LogdirLoader } from '../../server/logdir/logdir-loader.js'

const silent = pino({ level: 'silent' })

function points (store: ScalarStore, run: string, tag: string): Array<[number, number, number]> {
  const s = store.runs.get(run)?.tags.get(tag)?.series
  if (!s) return []
  const c = s.columns()
  return Array.from(c.steps, (st, i) => [st, c.wallTimes[i]!, c.values[i]!])
}

test('a file split at any byte offset, read in two reloads, gives the same points', async () => {
  const b = new EventFileBuilder().fileVersion(100)
  for (let s = 0; s < 6; s++) b.scalars(s, 100 + s, [{ tag: 'loss', value: 1 / (s + 1) }, { tag: 'acc', value: s / 10, encoding: 'tensor_content' }])
  const file = b.bytes()
  const { dir, cleanup } = tempDir()
  try {
    const wholeStore = new ScalarStore()
    writeFileSync(path.join(dir, eventFileName(100)), file)
    await new LogdirLoader(dir, wholeStore, silent).reload()
    const want = [points(wholeStore, '.', 'loss'), points(wholeStore, '.', 'acc')]
    assert.equal(want[0]!.length, 6)
    for (let k = 0; k <= file.length; k++) {
      const f = path.join(dir, eventFileName(100))
      writeFileSync(f, file.subarray(0, k))
      const store = new ScalarStore()
      const loader = new LogdirLoader(dir, store, silent)
      await loader.reload()
      appendFileSync(f, file.subarray(k))
      await loader.reload()
      assert.deepEqual([points(store, '.', 'loss'), points(store, '.', 'acc')], want, `split at ${k}`)
      assert.equal(loader.totals().skippedRecords, 0)
    }
  } finally { cleanup() }
})

test('the corpus\'s truncated file shows its complete records, then the rest once the bytes arrive', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const src = path.join(GENERATED, 'edge', 'rotation')
    const name = 'events.out.tfevents.1700000000.host.300.0'
    const whole = readFileSync(path.join(src, name))
    mkdirSync(path.join(dir, 'run'))
    const f = path.join(dir, 'run', name)
    writeFileSync(f, whole.subarray(0, whole.length - 7)) // last record's data CRC and 3 payload bytes missing
    const store = new ScalarStore()
    const loader = new LogdirLoader(dir, store, silent)
    await loader.reload()
    assert.equal(points(store, 'run', 'loss').length, 99)
    appendFileSync(f, whole.subarray(whole.length - 7))
    await loader.reload()
    assert.equal(points(store, 'run', 'loss').length, 100)
    assert.equal(loader.totals().skippedRecords, 0)
  } finally { cleanup() }
})

test('new runs and new files appear; a deleted run disappears; data of a vanished file stays', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const store = new ScalarStore()
    const loader = new LogdirLoader(path.join(dir, 'logs'), store, silent)
    await loader.reload() // logdir does not exist yet: no runs, no error
    assert.equal(store.runs.size, 0)
    mkdirSync(path.join(dir, 'logs', 'a'), { recursive: true })
    writeFileSync(path.join(dir, 'logs', 'a', eventFileName(10, 'h', 1, 0)), new EventFileBuilder().fileVersion(10).scalar('x', 0, 10, 1).bytes())
    await loader.reload()
    assert.deepEqual([...store.runs.keys()], ['a'])
    // a second file in the same run, later name: read after the first
    writeFileSync(path.join(dir, 'logs', 'a', eventFileName(20, 'h', 1, 1)), new EventFileBuilder().fileVersion(20).scalar('x', 1, 20, 2).bytes())
    mkdirSync(path.join(dir, 'logs', 'b', 'c'), { recursive: true })
    writeFileSync(path.join(dir, 'logs', 'b', 'c', eventFileName(30)), new EventFileBuilder().fileVersion(30).scalar('y', 0, 30, 3).bytes())
    writeFileSync(path.join(dir, 'logs', 'b', 'notes.txt'), 'not an event file')
    await loader.reload()
    assert.deepEqual(points(store, 'a', 'x').map(p => p[0]), [0, 1])
    assert.deepEqual(store.runNamesTbOrder(), ['a', 'b/c'])
    rmSync(path.join(dir, 'logs', 'a', eventFileName(10, 'h', 1, 0)))
    await loader.reload()
    assert.deepEqual(points(store, 'a', 'x').map(p => p[0]), [0, 1], 'points of a vanished file are kept while the run lives')
    rmSync(path.join(dir, 'logs', 'b'), { recursive: true })
    await loader.reload()
    assert.deepEqual(store.runNamesTbOrder(), ['a'])
  } finally { cleanup() }
})

test('event files directly in the logdir form the run "."; a symlinked run outside the logdir is followed once with followSymlinks, skipped without', async () => {
  const { dir, cleanup } = tempDir()
  try {
    copyFileSync(path.join(GENERATED, 'edge', 'rotation', 'events.out.tfevents.1700000000.host.300.0'), path.join(dir, 'events.out.tfevents.1700000000.host.300.0'))
    const { symlinkSync } = await import('node:fs')
    symlinkSync(path.join(GENERATED, 'edge', 'deep'), path.join(dir, 'linked'))
    symlinkSync(dir, path.join(dir, 'loop')) // a cycle must not hang discovery
    const store = new ScalarStore()
    await new LogdirLoader(dir, store, silent, { followSymlinks: true }).reload()
    assert.equal(points(store, '.', 'loss').length, 100)
    assert.equal(points(store, 'linked/a/b/c/d/e/run1', 'loss').length, 30)
    const confined = new ScalarStore()
    await new LogdirLoader(dir, confined, silent).reload()
    assert.equal(points(confined, '.', 'loss').length, 100)
    assert.deepEqual(confined.runNamesTbOrder(), ['.'], 'a link leading out of the logdir is not followed by default')
  } finally { cleanup() }
})

test('a file that is not an event file is reported as such and never crashes the loader', async () => {
  const { dir, cleanup } = tempDir()
  try {
    mkdirSync(path.join(dir, 'lfs'))
    writeFileSync(path.join(dir, 'lfs', 'events.out.tfevents.123.host'), 'version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 12345\n')
    const store = new ScalarStore()
    await new LogdirLoader(dir, store, silent).reload()
    const run = store.runs.get('lfs')!
    assert.equal(run.files[0]!.state, 'not-an-event-file')
    assert.deepEqual(run.issues.map(i => i.kind), ['bad-length-crc', 'not-an-event-file'])
  } finally { cleanup() }
})

test('a long initial load logs progress lines (files, MB, events/s) and a summary', async () => {
  const { dir, cleanup } = tempDir()
  try {
    for (let r = 0; r < 8; r++) {
      mkdirSync(path.join(dir, `r${r}`))
      const b = new EventFileBuilder().fileVersion(1)
      for (let s = 0; s < 100_000; s++) b.scalar('loss', s, 1 + s, s)
      writeFileSync(path.join(dir, `r${r}`, eventFileName(1)), b.bytes())
    }
    const { logs } = await loadLogdir(dir, { progressIntervalMs: 1 })
    const progress = logs.filter(l => l.msg === 'loading logdir')
    assert.ok(progress.length >= 1, 'at least one progress line')
    assert.match(String(progress[0]!.files), /^\d+\/8$/)
    assert.equal(typeof progress[0]!.mb, 'number')
    assert.equal(typeof progress[0]!.eventsPerSecond, 'number')
    const done = logs.find(l => l.msg === 'initial load done')!
    assert.equal(done.points, 800_000)
  } finally { cleanup() }
})
