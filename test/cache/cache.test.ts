/**
 * --cache-dir: a restart restores each run whose event files are unchanged from the cache instead
 * of re-reading them, reads only appended bytes, and answers exactly as a cold load does. A truncated,
 * bit-flipped or older-format entry is detected, ignored and rebuilt.
 */

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, writeFileSync, mkdirSync, appendFileSync, rmSync, renameSync } from 'node:fs'
import path from 'node:path'
import pino from 'pino'
import { GENERATED, tempDir } from '../helpers/paths.js'
import { goldenSuite } from '../helpers/golden.js'
import { ScalarStore } from '../../server/store/scalar-store.js'
import { LogdirLoader } from '../../server/logdir/logdir-loader.js'
import { SnapshotCache } from '../../server/cache/snapshot-cache.js'
import { FORMAT_VERSION } from '../../server/cache/layout.js'
import { NATIVE_CRC } from '../../server/records/masked-crc.js'
import { buildApp } from '../../server/app.js'
import { EventFileBuilder, eventFileName } from '../../server/records/event-writer.js'

const silent = pino({ level: 'silent' })

async function load (logdir: string, cacheDir: string | null, prefetch = true): Promise<{ store: ScalarStore, loader: LogdirLoader, cache: SnapshotCache | null }> {
  const cache = cacheDir === null ? null : new SnapshotCache(cacheDir, silent, { prefetch })
  const store = new ScalarStore()
  const loader = new LogdirLoader(logdir, store, silent, cache === null ? {} : { cache })
  await loader.reload()
  return { store, loader, cache }
}

/** Every answer a user sees for the store: TB routes and lossboard's own, for every run and tag. */
async function answers (store: ScalarStore): Promise<string[]> {
  const app = await buildApp({ store, logdir: '<LOGDIR>', totals: () => ({ files: 0, runs: 0, bytes: 0, records: 0, points: 0, skippedRecords: 0, skippedBytes: 0, initialLoadDone: true, initialLoadSeconds: 0 }) })
  const out: string[] = []
  try {
    for (const u of ['/data/runs', '/data/plugin/scalars/tags', '/api/v1/runs', '/api/v1/tags']) out.push(u, (await app.inject(u)).body)
    for (const [run, r] of store.runs) {
      for (const tag of r.tags.keys()) {
        const q = `run=${encodeURIComponent(run)}&tag=${encodeURIComponent(tag)}`
        out.push(q, (await app.inject(`/data/plugin/scalars/scalars?${q}`)).body, (await app.inject(`/api/v1/scalars?${q}`)).body)
      }
    }
  } finally { await app.close() }
  return out
}

const cacheOf = tempDir('lossboard-cache-golden-')
goldenSuite('generated', ' restored from --cache-dir', async () => {
  const first = await load(GENERATED, cacheOf.dir)
  assert.equal(first.cache!.counters.restoredFiles, 0)
  const second = await load(GENERATED, cacheOf.dir)
  assert.equal(second.cache!.counters.restoredFiles, second.loader.totals().files, 'every file comes from the cache')
  assert.equal(second.cache!.counters.restoredRuns, second.loader.totals().runs)
  // With the native CRC, every entry was read ahead and checked in a worker thread (prefetch.ts).
  if (NATIVE_CRC) assert.equal(second.cache!.counters.prefetched, second.loader.totals().runs)
  cacheOf.cleanup()
  return { store: second.store, totals: () => second.loader.totals() }
})

test('a restart answers exactly as a cold load, reading nothing but what was appended', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const logdir = path.join(dir, 'logs')
    const cacheDir = path.join(dir, 'cache')
    mkdirSync(path.join(logdir, 'run'), { recursive: true })
    const file = path.join(logdir, 'run', eventFileName(1_700_000_000))
    const b = new EventFileBuilder().fileVersion(1_700_000_000)
    for (let i = 0; i < 500; i++) b.scalar('loss', i, 1_700_000_000 + i, Math.exp(-i / 100))
    b.event({ wallTime: 1_700_000_600, step: 500, summary: { value: [{ tag: 'img', image: { height: 1, width: 1, encodedImageString: new Uint8Array([1, 2]) } }] } })
    writeFileSync(file, b.bytes())
    const cold1 = await load(logdir, cacheDir)
    const warm1 = await load(logdir, cacheDir)
    assert.equal(warm1.cache!.counters.restoredRuns, 1)
    assert.deepEqual(await answers(warm1.store), await answers(cold1.store))
    // append: only the new bytes are read
    const more = new EventFileBuilder()
    for (let i = 500; i < 700; i++) more.scalar('loss', i, 1_700_000_000 + i, 7 + i)
    const oldSize = b.length
    appendFileSync(file, more.bytes())
    const warm2 = await load(logdir, cacheDir)
    assert.equal(warm2.cache!.counters.restoredBytes, oldSize)
    assert.equal(warm2.loader.totals().bytes, oldSize + more.length, 'restored + appended bytes')
    assert.deepEqual(await answers(warm2.store), await answers((await load(logdir, null)).store))
    assert.equal(warm2.store.runs.get('run')!.tags.get('loss')!.series!.length, 700)
    // a replaced file (another inode, other content) is read again from the start
    const other = new EventFileBuilder().fileVersion(1_700_000_000)
    for (let i = 0; i < 900; i++) other.scalar('loss', i, 1_700_000_000 + i, -i)
    writeFileSync(file + '.tmp', other.bytes())
    renameSync(file + '.tmp', file)
    const warm3 = await load(logdir, cacheDir)
    assert.equal(warm3.cache!.counters.restoredRuns, 0)
    assert.deepEqual(await answers(warm3.store), await answers((await load(logdir, null)).store))
  } finally { cleanup() }
})

test('a cache entry truncated, bit-flipped, of an older format version or deleted is detected, ignored and rebuilt', async () => {
  const expected = await answers((await load(GENERATED, null)).store)
  // Read ahead and checked in worker threads, and read on the main thread.
  for (const prefetch of [true, false]) {
    for (const damage of ['truncated', 'bit-flipped in its columns', 'bit-flipped in its JSON', 'older format version', 'deleted'] as const) {
      const { dir, cleanup } = tempDir()
      try {
        const cacheDir = path.join(dir, 'cache')
        await load(GENERATED, cacheDir)
        const entries = readdirSync(cacheDir).filter(f => f.endsWith('.run')).map(f => path.join(cacheDir, f))
        assert.ok(entries.length > 10)
        for (const e of entries) {
          const b = readFileSync(e)
          switch (damage) {
            case 'truncated': writeFileSync(e, b.subarray(0, b.length - 5)); break
            case 'bit-flipped in its columns': b[b.length - 9]! ^= 0x04; writeFileSync(e, b); break
            case 'bit-flipped in its JSON': b[20]! ^= 0x01; writeFileSync(e, b); break
            case 'older format version': b.writeUInt32LE(FORMAT_VERSION - 1, 4); writeFileSync(e, b); break
            case 'deleted': rmSync(e); break
          }
        }
        const warm = await load(GENERATED, cacheDir, prefetch)
        assert.equal(warm.cache!.counters.restoredRuns, 0, `${damage}: no damaged entry was used`)
        if (damage !== 'deleted') assert.equal(warm.cache!.counters.rejected, entries.length, damage)
        assert.deepEqual(await answers(warm.store), expected, damage)
        // rebuilt: the next start restores every run again
        const again = await load(GENERATED, cacheDir, prefetch)
        assert.equal(again.cache!.counters.restoredRuns, again.loader.totals().runs, damage)
      } finally { cleanup() }
    }
  }
})
