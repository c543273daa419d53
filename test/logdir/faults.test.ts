/**
 * File-system faults on real files: a file truncated and rewritten, replaced by rename, a FIFO
 * renamed over an event file, a run deleted and recreated (new ETag), the logdir removed and
 * recreated, a huge sparse file beside a live run, a huge record. After each, what is served
 * equals what is on disk.
 */

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { appendFileSync, closeSync, mkdirSync, openSync, renameSync, rmSync, truncateSync, writeFileSync, ftruncateSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import path from 'node:path'
import pino from 'pino'
import { ScalarStore } from '../../server/store/scalar-store.js'
import { LogdirLoader } from '../../server/logdir/logdir-loader.js'
import { watchLogdir } from '../../server/logdir/watch.js'
import { CHUNK_BYTES, readBufferBytes } from '../../server/logdir/run-loader.js'
import { EventFileBuilder, eventFileName } from '../../server/records/event-writer.js'
import { buildApp } from '../../server/app.js'
import { tempDir } from '../helpers/paths.js'
import { until } from '../helpers/child-server.js'

const silent = pino({ level: 'silent' })
const T0 = 1700000000

function events (values: number[], firstStep = 0): Uint8Array {
  const b = new EventFileBuilder().fileVersion(T0)
  values.forEach((v, i) => b.scalar('loss', firstStep + i, T0 + firstStep + i, v))
  return b.bytes()
}

function served (store: ScalarStore, run: string): number[] {
  const s = store.runs.get(run)?.tags.get('loss')?.series
  if (s === null || s === undefined) return []
  return Array.from(s.columns().values.subarray(0, s.length))
}

const range = (n: number, f: (i: number) => number): number[] => Array.from({ length: n }, (_, i) => Math.fround(f(i)))

test('a file truncated and rewritten by a restarted writer is re-read from the start: its old points are replaced, not mixed', async () => {
  const { dir, cleanup } = tempDir()
  try {
    mkdirSync(path.join(dir, 'run'))
    const file = path.join(dir, 'run', eventFileName(T0))
    const old = range(100, i => 1 + i / 1000)
    writeFileSync(file, events(old))
    const store = new ScalarStore()
    const loader = new LogdirLoader(dir, store, silent)
    await loader.reload()
    assert.deepEqual(served(store, 'run'), old)
    // the writer restarts into the same name and writes more than was there before we look
    const fresh = range(230, i => 2 + i / 1000)
    writeFileSync(file, events(fresh))
    await loader.reload()
    assert.deepEqual(served(store, 'run'), fresh, 'all 230 new points, none of the old ones')
    assert.ok(store.runs.get('run')!.issues.some(i => i.kind === 'rewritten'), 'the rewrite is reported')
    // shorter than before: truncation
    const shorter = range(40, i => 3 + i / 1000)
    writeFileSync(file, events(shorter))
    await loader.reload()
    assert.deepEqual(served(store, 'run'), shorter)
    // then plain appends go on incrementally
    const b = new EventFileBuilder()
    for (let i = 40; i < 50; i++) b.scalar('loss', i, T0 + i, 4)
    appendFileSync(file, b.bytes())
    await loader.reload()
    assert.deepEqual(served(store, 'run'), [...shorter, ...range(10, () => 4)])
    // truncated to nothing
    truncateSync(file, 0)
    await loader.reload()
    assert.deepEqual(served(store, 'run'), [])
  } finally { cleanup() }
})

test('a file replaced by rename (atomic rewrite) is read anew: 50 of 50 points', async () => {
  const { dir, cleanup } = tempDir()
  try {
    mkdirSync(path.join(dir, 'run'))
    const file = path.join(dir, 'run', eventFileName(T0))
    writeFileSync(file, events(range(80, i => i)))
    const store = new ScalarStore()
    const loader = new LogdirLoader(dir, store, silent)
    await loader.reload()
    const next = range(50, i => 100 + i)
    writeFileSync(file + '.tmp', events(next))
    renameSync(file + '.tmp', file)
    await loader.reload()
    assert.deepEqual(served(store, 'run'), next)
  } finally { cleanup() }
})

test('a FIFO renamed over a known event file is never opened (no hang); the run serves what is on disk', async () => {
  const { dir, cleanup } = tempDir()
  try {
    mkdirSync(path.join(dir, 'run'))
    mkdirSync(path.join(dir, 'other'))
    const file = path.join(dir, 'run', eventFileName(T0))
    const keep = path.join(dir, 'run', eventFileName(T0 + 5, 'h2'))
    writeFileSync(file, events(range(30, i => i)))
    writeFileSync(keep, events(range(7, i => 50 + i), 100))
    writeFileSync(path.join(dir, 'other', eventFileName(T0)), events(range(5, i => i)))
    const store = new ScalarStore()
    const loader = new LogdirLoader(dir, store, silent)
    await loader.reload()
    assert.equal(served(store, 'run').length, 37)
    const fifo = path.join(dir, 'fifo')
    execFileSync('mkfifo', [fifo])
    renameSync(fifo, file)
    // the watcher's path: "this file changed" reads the run at once
    loader.fileChanged(file)
    const t0 = Date.now()
    await loader.idle()
    await loader.reload()
    assert.ok(Date.now() - t0 < 5000, 'no blocking open')
    assert.deepEqual(served(store, 'run'), range(7, i => 50 + i), 'only the regular file that is still there')
    assert.equal(served(store, 'other').length, 5)
  } finally { cleanup() }
})

test('a run deleted and recreated with the same number of events gets a new ETag (If-None-Match no longer matches)', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const runDir = path.join(dir, 'run')
    mkdirSync(runDir)
    writeFileSync(path.join(runDir, eventFileName(T0)), events(range(20, i => i)))
    const store = new ScalarStore()
    const loader = new LogdirLoader(dir, store, silent)
    await loader.reload()
    const app = await buildApp({ store, logdir: dir, totals: () => loader.totals() })
    try {
      const url = '/api/v1/scalars?run=run&tag=loss'
      const first = await app.inject(url)
      const etag = first.headers.etag as string
      assert.equal((await app.inject({ url, headers: { 'if-none-match': etag } })).statusCode, 304)
      for (const between of [false, true]) {
        const before = (await app.inject(url)).headers.etag as string
        rmSync(runDir, { recursive: true })
        if (between) await loader.reload() // the deletion seen, or not, before the recreation
        mkdirSync(runDir)
        const values = range(20, i => (between ? 300 : 200) + i)
        writeFileSync(path.join(runDir, eventFileName(T0)), events(values))
        await loader.reload()
        const r = await app.inject({ url, headers: { 'if-none-match': before } })
        assert.equal(r.statusCode, 200, `recreated (deletion seen: ${between}) must not be 304`)
        assert.notEqual(r.headers.etag, before)
        assert.deepEqual(r.json().value, values)
      }
    } finally { await app.close() }
  } finally { cleanup() }
})

test('the logdir removed and recreated is watched again within seconds (not at the 30 s rescan)', async () => {
  const { dir, cleanup } = tempDir()
  const logdir = path.join(dir, 'logs')
  try {
    mkdirSync(path.join(logdir, 'run'), { recursive: true })
    writeFileSync(path.join(logdir, 'run', eventFileName(T0)), events([1, 2, 3]))
    const store = new ScalarStore()
    const loader = new LogdirLoader(logdir, store, silent)
    await loader.reload()
    const stop = await watchLogdir(loader, silent, { rescanIntervalMs: 0 })
    try {
      rmSync(logdir, { recursive: true })
      assert.ok(await until(() => !store.runs.has('run'), 5000), 'the removal is seen')
      mkdirSync(path.join(logdir, 'run2'), { recursive: true })
      const file = path.join(logdir, 'run2', eventFileName(T0))
      writeFileSync(file, events(range(10, i => i)))
      assert.ok(await until(() => served(store, 'run2').length === 10, 5000), 'the new logdir is read')
      // and live appends to it arrive through the new watcher
      const b = new EventFileBuilder()
      for (let i = 10; i < 30; i++) b.scalar('loss', i, T0 + i, i)
      appendFileSync(file, b.bytes())
      assert.ok(await until(() => served(store, 'run2').length === 30, 3000), `appends after the recreation: ${served(store, 'run2').length} of 30`)
    } finally { await stop() }
  } finally { cleanup() }
})

test('a 2 GB sparse file is skipped quickly and does not hold up another run\'s appends', async () => {
  const { dir, cleanup } = tempDir()
  try {
    mkdirSync(path.join(dir, 'sparse'))
    mkdirSync(path.join(dir, 'live'))
    const live = path.join(dir, 'live', eventFileName(T0))
    writeFileSync(live, events([0]))
    const store = new ScalarStore()
    const loader = new LogdirLoader(dir, store, silent)
    await loader.reload()
    const stop = await watchLogdir(loader, silent, { rescanIntervalMs: 0 })
    try {
      // a real record, then a 2 GB hole, as a crashed or preallocating writer leaves
      const sparse = path.join(dir, 'sparse', eventFileName(T0))
      writeFileSync(sparse, events([5]))
      const fd = openSync(sparse, 'r+')
      ftruncateSync(fd, 2 * 1024 ** 3)
      closeSync(fd)
      loader.structureChanged()
      // appends to the live run while the sparse file is being read
      const delays: number[] = []
      for (let i = 1; i <= 10; i++) {
        const b = new EventFileBuilder().scalar('loss', i, T0 + i, i)
        const t0 = Date.now()
        appendFileSync(live, b.bytes())
        assert.ok(await until(() => served(store, 'live').length === i + 1, 10_000), `append ${i} seen`)
        delays.push(Date.now() - t0)
        await new Promise(resolve => setTimeout(resolve, 100))
      }
      await loader.idle()
      assert.deepEqual(served(store, 'sparse'), [5])
      const worst = Math.max(...delays)
      assert.ok(worst < 3000, `another run's append waited ${worst} ms (32 s before)`)
      const t = loader.totals()
      assert.ok(t.skippedBytes >= 2 * 1024 ** 3 - 1024, `the hole counts as skipped bytes (${t.skippedBytes})`)
    } finally { await stop() }
  } finally { cleanup() }
})

test('the read buffer shrinks back to one chunk after a record larger than a chunk', async () => {
  const { dir, cleanup } = tempDir()
  try {
    mkdirSync(path.join(dir, 'run'))
    const b = new EventFileBuilder().fileVersion(T0)
    b.event({ wallTime: T0, step: 0, graphDef: new Uint8Array(20 * 1024 * 1024).fill(7) })
    b.scalar('loss', 1, T0 + 1, 0.5)
    writeFileSync(path.join(dir, 'run', eventFileName(T0)), b.bytes())
    const store = new ScalarStore()
    await new LogdirLoader(dir, store, silent).reload()
    assert.deepEqual(served(store, 'run'), [0.5])
    assert.equal(store.runs.get('run')!.hasGraph, true, 'the big record was read')
    assert.equal(readBufferBytes(), CHUNK_BYTES)
  } finally { cleanup() }
})
