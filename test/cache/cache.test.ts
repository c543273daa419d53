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

test('entries of runs removed from the logdir while no server ran are deleted at the next start; nothing else is', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const write = (logdir: string, run: string): string => {
      mkdirSync(path.join(logdir, run), { recursive: true })
      const file = path.join(logdir, run, eventFileName(1_700_000_000))
      const b = new EventFileBuilder().fileVersion(1_700_000_000)
      for (let i = 0; i < 50; i++) b.scalar('loss', i, 1_700_000_000 + i, i)
      writeFileSync(file, b.bytes())
      return file
    }
    const logdir = path.join(dir, 'logs')
    const otherLogdir = path.join(dir, 'other')
    const cacheDir = path.join(dir, 'cache')
    for (const run of ['a', 'b', 'c']) write(logdir, run)
    const otherFile = write(otherLogdir, 'x')
    await load(logdir, cacheDir)
    // another server's logdir shares the cache directory; a stray file and an unreadable entry-named one sit there too
    await load(otherLogdir, cacheDir)
    writeFileSync(path.join(cacheDir, 'notes.txt'), 'mine')
    writeFileSync(path.join(cacheDir, `${'f'.repeat(32)}.run`), 'not an entry')
    const entries = (): string[] => readdirSync(cacheDir).sort()
    const before = entries()
    assert.equal(before.filter(f => f.endsWith('.run')).length, 5)

    rmSync(path.join(logdir, 'c'), { recursive: true })
    // A logdir that is not there (an unmounted volume) deletes nothing.
    renameSync(logdir, `${logdir}.away`)
    const missing = await load(logdir, cacheDir)
    assert.equal(missing.cache!.counters.pruned, 0)
    assert.deepEqual(entries(), before)
    renameSync(`${logdir}.away`, logdir)
    // Nor does a listing that fails somewhere (an unreadable run directory; root reads it anyway).
    if (process.getuid?.() !== 0) {
      const { chmodSync } = await import('node:fs')
      chmodSync(path.join(logdir, 'b'), 0o000)
      try {
        const partial = await load(logdir, cacheDir)
        assert.equal(partial.cache!.counters.pruned, 0, 'nothing is pruned below a failed listing')
      } finally { chmodSync(path.join(logdir, 'b'), 0o755) }
    }

    rmSync(path.join(logdir, 'b'), { recursive: true })
    const logdirBefore = readdirSync(logdir).sort()
    const warm = await load(logdir, cacheDir)
    assert.equal(warm.cache!.counters.restoredRuns, 1, 'run a is still restored')
    assert.equal(warm.cache!.counters.pruned, 2, 'the entries of b and c are deleted')
    const after = entries()
    assert.equal(after.length, before.length - 2)
    assert.ok(after.includes('notes.txt') && after.includes(`${'f'.repeat(32)}.run`), 'files that are not this logdir\'s entries stay')
    assert.deepEqual(readdirSync(logdir).sort(), logdirBefore, 'the logdir is untouched')
    // the other logdir's entry is still there and restores
    const other = await load(otherLogdir, cacheDir)
    assert.equal(other.cache!.counters.restoredRuns, 1)
    assert.equal(other.cache!.counters.pruned, 0)
    assert.ok(readFileSync(otherFile).length > 0)
  } finally { cleanup() }
})
