/** The parallel initial load (worker thread per run) leaves the store exactly as a one-thread load does, and later reads go on identically. */

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { appendFileSync, cpSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import pino from 'pino'
import { GENERATED, PUBLIC, tempDir } from '../helpers/paths.js'
import { EventFileBuilder } from '../../server/records/event-writer.js'
import { ScalarStore } from '../../server/store/scalar-store.js'
import { LogdirLoader } from '../../server/logdir/logdir-loader.js'
import { SnapshotCache } from '../../server/cache/snapshot-cache.js'
import { decodeEntry } from '../../server/cache/layout.js'

/** Everything a store holds that a reader can see, except version counters (they only need to grow). */
function contents (store: ScalarStore): unknown {
  return [...store.runs.values()].map(r => ({
    name: r.name,
    startTime: r.startTime,
    fileVersion: r.fileVersion,
    hasGraph: r.hasGraph,
    plugins: [...r.plugins].sort(),
    issues: r.issues,
    files: r.files,
    points: r.points,
    tags: [...r.tags.values()].map(t => ({
      name: t.name,
      pluginName: t.pluginName,
      displayName: t.displayName,
      description: t.description,
      dataClass: t.dataClass,
      hasMetadata: t.hasMetadata,
      nonScalarValues: t.nonScalarValues,
      series: t.series === null
        ? null
        : {
            length: t.series.length,
            allInt: t.series.allInt,
            dtypes: t.series.dtypes,
            restarts: t.series.restarts,
            purges: t.series.purges,
            nonFinite: t.series.nonFinite,
            steps: Array.from(t.series.columns().steps),
            wallTimes: Array.from(t.series.columns().wallTimes),
            values: Array.from(t.series.columns().values, v => Number.isNaN(v) ? 'NaN' : v)
          }
    }))
  }))
}

async function load (dir: string, parallel: boolean, cacheDir?: string): Promise<{ store: ScalarStore, loader: LogdirLoader, cache?: SnapshotCache }> {
  const store = new ScalarStore()
  const cache = cacheDir === undefined ? undefined : new SnapshotCache(cacheDir, pino({ level: 'silent' }))
  const loader = new LogdirLoader(dir, store, pino({ level: 'silent' }), { parallel, parallelMinBytes: 0, parallelMainReads: false, cache })
  await loader.reload()
  cache?.endPrefetch()
  return { store, loader, cache }
}

/** The cache's entries by run: each file's reading state, identity and last bytes, and the run's contents. */
function cacheEntries (cacheDir: string): Map<string, unknown> {
  const out = new Map<string, unknown>()
  for (const f of readdirSync(cacheDir).filter(f => f.endsWith('.run'))) {
    const e = decodeEntry(readFileSync(path.join(cacheDir, f)))
    assert.ok(typeof e !== 'string', e as string)
    const { version: _v, ...snap } = e.snap as typeof e.snap & { version?: number }
    out.set(e.run, { files: e.files, snap: JSON.stringify(snap, (_k, v: unknown) => ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v) })
  }
  return out
}

function totals (loader: LogdirLoader): unknown {
  const { initialLoadSeconds: _s, ...t } = loader.totals()
  return t
}

for (const [name, dir] of [['generated corpus (edge cases, restarts, corruption)', GENERATED], ['public corpus (real writers)', PUBLIC]] as const) {
  test(`${name}: the same store with and without the worker`, async () => {
    const one = await load(dir, false)
    const two = await load(dir, true)
    assert.equal(one.loader.runsReadInWorker, 0)
    assert.equal(two.loader.runsReadInWorker, two.store.runs.size, 'the worker read every run')
    assert.deepEqual(contents(two.store), contents(one.store))
    assert.deepEqual(totals(two.loader), totals(one.loader))
  })
}

test('runs read by the worker go on reading appended events exactly as one-thread runs do', async (t) => {
  const { dir, cleanup } = tempDir()
  t.after(cleanup)
  cpSync(path.join(GENERATED, 'keras_style'), path.join(dir, 'keras_style'), { recursive: true })
  cpSync(path.join(GENERATED, 'pytorch'), path.join(dir, 'pytorch'), { recursive: true })
  const one = await load(dir, false)
  const two = await load(dir, true)
  assert.ok(two.loader.runsReadInWorker > 0)
  // append to every event file: a new point, a step that goes back (restart + purge rules), a new tag
  const files: string[] = []
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name))
      else if (e.name.includes('tfevents')) files.push(path.join(d, e.name))
    }
  }
  walk(dir)
  for (const f of files) {
    appendFileSync(f, new EventFileBuilder()
      .scalar('appended', 1_000_000, 1_800_000_000, 1.5)
      .scalar('appended', 3, 1_800_000_001, 2.5)
      .scalar('appended/new', 7, 1_800_000_002, 3.5, 'tensor_content')
      .bytes())
  }
  await one.loader.reload()
  await two.loader.reload()
  assert.deepEqual(contents(two.store), contents(one.store))
  assert.deepEqual(totals(two.loader), totals(one.loader))
})

test('with --cache-dir, runs not in the cache are read by the worker too, and the cache it writes is the one-thread one', async (t) => {
  const { dir, cleanup } = tempDir()
  t.after(cleanup)
  const oneCache = path.join(dir, 'one')
  const twoCache = path.join(dir, 'two')
  const plain = await load(GENERATED, false)
  const one = await load(GENERATED, false, oneCache)
  const two = await load(GENERATED, true, twoCache)
  assert.equal(one.loader.runsReadInWorker, 0)
  assert.equal(two.loader.runsReadInWorker, two.store.runs.size, 'the worker read every run although a cache is given')
  assert.deepEqual(contents(two.store), contents(plain.store))
  assert.deepEqual(totals(two.loader), totals(plain.loader))
  // Same entries (reading state, identity, the last bytes of each file, columns), so a restart restores every run.
  assert.deepEqual(cacheEntries(twoCache), cacheEntries(oneCache))
  const restart = await load(GENERATED, true, twoCache)
  assert.equal(restart.cache!.counters.restoredRuns, restart.store.runs.size)
  assert.equal(restart.loader.runsReadInWorker, 0, 'nothing left to parse')
  assert.deepEqual(contents(restart.store), contents(plain.store))
})
