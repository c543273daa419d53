/**
 * Object storage, live: appends (a writer re-uploads the grown object) are served within the poll
 * interval + 1 s at one GET each, and faults injected in the S3 server are survived with nothing
 * lost that still exists: 503 SlowDown, a connection dropped in the middle of a ranged GET, a
 * deleted object, an object replaced by a shorter one, a record cut at the end of an upload.
 */

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import pino from 'pino'
import type { FastifyInstance } from 'fastify'
import { startS3, S3_TEST_CLIENT, type S3TestServer } from '../helpers/s3.js'
import { ScalarStore } from '../../server/store/scalar-store.js'
import { LogdirLoader } from '../../server/logdir/logdir-loader.js'
import { S3Source } from '../../server/logdir/s3-source.js'
import { pollLogdir } from '../../server/logdir/poll.js'
import { buildApp } from '../../server/app.js'
import { EventFileBuilder, eventFileName } from '../../server/records/event-writer.js'

const POLL_MS = 250

let s3: S3TestServer
let source: S3Source
let app: FastifyInstance
let stopPolling: () => Promise<void>
let loader: LogdirLoader
const log = pino({ level: 'silent' })

/** A growing event file: `upto(n)` is its content with points 0..n-1 of `tag`. */
function content (n: number, base = 1, tag = 'loss'): Buffer {
  const b = new EventFileBuilder().fileVersion(1_700_000_000)
  for (let i = 0; i < n; i++) b.scalar(tag, i, 1_700_000_000 + i, base + i / 1000)
  return Buffer.from(b.bytes())
}

async function points (run: string, tag = 'loss'): Promise<Array<[number, number, number]> | null> {
  const r = await app.inject(`/data/plugin/scalars/scalars?run=${encodeURIComponent(run)}&tag=${tag}`)
  return r.statusCode === 200 ? JSON.parse(r.body) : null
}

async function waitFor (what: string, ms: number, cond: () => Promise<boolean>): Promise<number> {
  const t0 = performance.now()
  while (!(await cond())) {
    if (performance.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
  return performance.now() - t0
}

const gets = (key: string): number => s3.requests.filter(r => r.method === 'GET' && r.url.includes(key) && r.range !== undefined).length

before(async () => {
  s3 = await startS3()
  source = new S3Source(`s3://${s3.bucket}/live`, { endpoint: s3.endpoint, forcePathStyle: true, maxAttempts: 4, clientConfig: S3_TEST_CLIENT })
  const store = new ScalarStore()
  loader = new LogdirLoader(source, store, log)
  app = await buildApp({ store, logdir: source.location, totals: () => loader.totals() })
  await s3.put('live/a/' + eventFileName(1_700_000_000), content(10))
  await s3.put('live/b/' + eventFileName(1_700_000_000), content(10, 5))
  await loader.reload()
  stopPolling = pollLogdir(loader, log, { intervalMs: POLL_MS, maxBackoffMs: 1000 })
})
after(async () => {
  await stopPolling()
  source.close()
  await app.close()
  await s3.close()
})

test('the initial load serves both runs', async () => {
  assert.equal((await points('a'))!.length, 10)
  assert.equal((await points('b'))!.length, 10)
})

test('an append (re-upload of the grown object) is served within poll interval + 1 s, with one GET', async () => {
  const key = 'live/a/' + eventFileName(1_700_000_000)
  const t0 = performance.now()
  await s3.put(key, content(25))
  await waitFor('25 points', POLL_MS + 1000, async () => (await points('a'))!.length === 25)
  assert.ok(performance.now() - t0 <= POLL_MS + 1000)
  const p = (await points('a'))!
  assert.deepEqual(p.map(x => x[1]), Array.from({ length: 25 }, (_, i) => i))
  // let a few more cycles pass: an unchanged object costs no GET
  await new Promise(resolve => setTimeout(resolve, POLL_MS * 3))
  // s3rver's PUT is not atomic (a listing during it can see the new size with the old ETag), so
  // the request count is taken with the poller stopped: put, then exactly one cycle
  await stopPolling()
  const requestsBefore = s3.requests.length
  const getsBefore = gets(key)
  await s3.put(key, content(27))
  await loader.reload()
  assert.equal((await points('a'))!.length, 27)
  assert.equal(gets(key) - getsBefore, 1, 'one ranged GET for the appended bytes')
  assert.equal(s3.requests.length - requestsBefore, 2, 'one listing and one GET (the test client PUTs to s3rver directly)')
  stopPolling = pollLogdir(loader, log, { intervalMs: POLL_MS, maxBackoffMs: 1000 })
})

test('503 SlowDown on GETs and on listings: retried with backoff, nothing lost', async () => {
  const key = 'live/a/' + eventFileName(1_700_000_000)
  s3.fail503(2, m => m === 'GET')
  await s3.put(key, content(30))
  await waitFor('30 points after 503s', 10_000, async () => (await points('a'))!.length === 30)
  // more 503s than the client's attempts: the cycle fails, the runs stay, a later cycle recovers
  s3.fail503(5)
  await s3.put(key, content(35))
  await new Promise(resolve => setTimeout(resolve, POLL_MS * 2))
  assert.ok((await points('a'))!.length >= 30, 'nothing already served is lost while the store answers 503')
  assert.equal((await points('b'))!.length, 10)
  await waitFor('35 points after the 503 storm', 15_000, async () => (await points('a'))!.length === 35)
  assert.deepEqual((await points('a'))!.map(x => x[1]), Array.from({ length: 35 }, (_, i) => i))
  assert.equal(s3.requests.filter(r => r.status === 503).length, 7, 'every injected 503 was answered')
})

test('a connection dropped in the middle of a ranged GET: the bytes are fetched again, nothing lost', async () => {
  const key = 'live/b/' + eventFileName(1_700_000_000)
  const requestsBefore = s3.requests.length
  s3.cutNextRangedGet()
  await s3.put(key, content(400, 5))
  await waitFor('400 points after a cut GET', 10_000, async () => (await points('b'))!.length === 400)
  const p = (await points('b'))!
  assert.deepEqual(p.map(x => x[1]), Array.from({ length: 400 }, (_, i) => i))
  assert.deepEqual(p.map(x => x[2]), Array.from({ length: 400 }, (_, i) => Math.fround(5 + i / 1000)))
  // the SDK retries a body cut short itself: the same range is asked for twice
  const ranges = s3.requests.slice(requestsBefore).filter(r => r.url.includes('live/b/') && r.range !== undefined).map(r => r.range)
  assert.equal(ranges.length, 2, 'the cut GET and its retry')
  assert.equal(ranges[0], ranges[1])
})

test('a record cut at the end of an upload waits for its bytes', async () => {
  const key = 'live/c/' + eventFileName(1_700_000_000)
  const full = content(20, 7)
  await s3.put(key, full.subarray(0, full.length - 10))
  await waitFor('19 points', 5_000, async () => (await points('c'))?.length === 19)
  await s3.put(key, full)
  await waitFor('20 points', 5_000, async () => (await points('c'))?.length === 20)
})

test('an object replaced by a shorter one: its run is read again from the new bytes', async () => {
  const key = 'live/c/' + eventFileName(1_700_000_000)
  await s3.put(key, content(5, 100))
  await waitFor('the 5 new points', 5_000, async () => {
    const p = await points('c')
    return p !== null && p.length === 5 && p[0]![2] === 100
  })
  assert.ok(source.counters.rewrites >= 1)
  // an object rewritten with other bytes but longer is caught too (the bytes before the old end differ)
  await s3.put(key, content(8, 200))
  await waitFor('the 8 rewritten points', 5_000, async () => {
    const p = await points('c')
    return p !== null && p.length === 8 && p[0]![2] === 200
  })
})

test('a deleted object: its run goes, the others keep every point', async () => {
  await s3.remove('live/c/' + eventFileName(1_700_000_000))
  await waitFor('run c removed', 5_000, async () => (await points('c')) === null)
  assert.equal((await points('a'))!.length, 35)
  assert.equal((await points('b'))!.length, 400)
})
