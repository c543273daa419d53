/**
 * The /api/v1/scalars response cache on real servers on 127.0.0.1: two apps serve one store, one
 * with the cache and one with it off, and every answer of the first must be byte for byte the
 * second's, through repeats (cache hits), appends, new runs, enrichment columns, other parameters,
 * gzip and evictions.
 */

import { test } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import { gunzipSync, brotliDecompressSync } from 'node:zlib'
import type { FastifyInstance } from 'fastify'
import { ScalarStore, type RunState, type TagInfo } from '../../server/store/scalar-store.js'
import { buildApp } from '../../server/app.js'
import { ResponseCache } from '../../server/http/response-cache.js'
import type { LoaderTotals } from '../../server/logdir/logdir-loader.js'

const TOTALS: LoaderTotals = { bytes: 0, records: 0, points: 0, files: 0, runs: 0, skippedRecords: 0, skippedBytes: 0, initialLoadDone: true, initialLoadSeconds: 0 }

function fill (run: RunState, t: TagInfo, from: number, n: number): void {
  for (let s = from; s < from + n; s++) run.scalarEvent(t, 1700000000 + s * 0.25, s, Math.exp(-s / 1e4) + (s % 7) * 1e-3, 'float')
}

function addRun (store: ScalarStore, name: string, points: number): { run: RunState, t: TagInfo } {
  const run = store.getOrCreateRun(name)
  const t = run.tag('loss')
  run.metadata(t, 'scalars', '', '', 1)
  fill(run, t, 0, points)
  store.notifyPoints(name, ['loss'])
  return { run, t }
}

interface Reply { status: number, headers: http.IncomingHttpHeaders, body: Buffer }

async function get (url: string, headers: Record<string, string> = {}): Promise<Reply> {
  return await new Promise((resolve, reject) => {
    http.get(url, { headers }, res => {
      const parts: Buffer[] = []
      res.on('data', (c: Buffer) => parts.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }))
      res.on('error', reject)
    }).on('error', reject)
  })
}

async function serve (store: ScalarStore, cache: ResponseCache): Promise<{ app: FastifyInstance, api: string }> {
  const app = await buildApp({ store, logdir: '/nonexistent', totals: () => TOTALS, responseCache: cache })
  await app.listen({ host: '127.0.0.1', port: 0 })
  return { app, api: `http://127.0.0.1:${(app.server.address() as { port: number }).port}/api/v1/scalars?` }
}

/** A cached and an uncached server over one store. */
async function pair (store: ScalarStore, cacheBytes?: number): Promise<{ cache: ResponseCache, cached: string, plain: string, close: () => Promise<void> }> {
  const cache = new ResponseCache(cacheBytes)
  const a = await serve(store, cache)
  const b = await serve(store, new ResponseCache(0))
  return { cache, cached: a.api, plain: b.api, close: async () => { await a.app.close(); await b.app.close() } }
}

/** GETs `query` from both servers (the uncached one without Accept-Encoding): same status, same decoded body bytes; returns the cached server's reply, decoded. */
async function same (p: { cached: string, plain: string }, query: string, headers: Record<string, string> = {}): Promise<Reply> {
  const a = await get(p.cached + query, headers)
  const { 'accept-encoding': _enc, ...rest } = headers
  const b = await get(p.plain + query, rest)
  assert.equal(a.status, 200, `${query}: ${a.body.toString()}`)
  const body = a.headers['content-encoding'] === 'gzip' ? gunzipSync(a.body) : a.headers['content-encoding'] === 'br' ? brotliDecompressSync(a.body) : a.body
  assert.ok(body.equals(b.body), `${query}: cached body differs from a fresh build`)
  return { ...a, body }
}

test('the same query twice is one build: identical bytes and headers, and If-None-Match still gives 304', async () => {
  const store = new ScalarStore()
  addRun(store, 'run', 20_000)
  const p = await pair(store)
  try {
    const q = 'run=run&tag=loss&points=1000'
    const first = await same(p, q)
    assert.equal(p.cache.misses, 1)
    assert.equal(p.cache.size, 1)
    const second = await same(p, q)
    assert.equal(p.cache.hits, 1)
    assert.ok(second.body.equals(first.body))
    assert.equal(second.headers.etag, first.headers.etag)
    assert.equal(second.headers['content-type'], first.headers['content-type'])
    assert.equal(second.headers['x-lossboard-format'], 'json')
    assert.equal(JSON.parse(second.body.toString()).points, 1000)
    // Parameter order, a cache buster and defaults spelt out do not make another entry.
    await same(p, 'points=1000&tag=loss&run=run&_=123&method=minmax')
    assert.equal(p.cache.size, 1)
    assert.equal(p.cache.hits, 2)
    const nm = await get(p.cached + q, { 'if-none-match': String(first.headers.etag) })
    assert.equal(nm.status, 304)
  } finally { await p.close() }
})

test('an append between two identical queries changes the answer: the new point is in the next one', async () => {
  const store = new ScalarStore()
  const { run, t } = addRun(store, 'run', 20_000)
  const p = await pair(store)
  try {
    const queries = ['run=run&tag=loss&points=1000', 'run=run&tag=loss&points=1000&startStep=15000', 'run=run&tag=loss&points=0&startStep=19990', 'run=run&tag=loss&points=1000&format=csv']
    for (const q of queries) await same(p, q)
    for (const q of queries) await same(p, q)
    assert.equal(p.cache.hits, queries.length)
    // One point, far above every other value: min/max thinning must keep it.
    run.scalarEvent(t, 1700000000 + 20_000 * 0.25, 20_000, 1234.5, 'float')
    for (const q of queries) {
      const r = await same(p, q)
      const text = r.body.toString()
      if (q.includes('format=csv')) assert.match(text, /\nrun,loss,20000,1700005000,1234\.5\n/)
      else {
        const body = JSON.parse(text)
        assert.equal(body.totalPoints, 20_001)
        assert.equal(body.step.at(-1), 20_000)
        assert.equal(body.value.at(-1), 1234.5)
      }
    }
    assert.equal(p.cache.hits, queries.length, 'no stale hit after the append')
    assert.equal(p.cache.size, queries.length, 'one entry per query: the old versions were dropped')
  } finally { await p.close() }
})

test('different parameters never share an entry, each answer equals a fresh build, and gzip is cached per body', async () => {
  const store = new ScalarStore()
  addRun(store, 'run', 30_000)
  addRun(store, 'other', 5_000)
  const p = await pair(store)
  try {
    const queries = [
      'run=run&tag=loss&points=1000',
      'run=run&tag=loss&points=500',
      'run=run&tag=loss&points=1000&method=lttb',
      'run=run&tag=loss&points=1000&startStep=100&endStep=20000',
      'run=run&tag=loss&points=1000&startStep=100&endStep=20001',
      'run=run&tag=loss&points=1000&startTime=1700001000&endTime=1700005000',
      'run=run&tag=loss&points=1000&format=csv',
      'run=run&tag=loss&points=1000&format=ndjson',
      'run=run&tag=loss&points=1000&series=raw,smoothed',
      'run=run&tag=loss&points=1000&series=raw,smoothed&smoothing=0.9',
      'run=run&tag=loss&points=1000&series=raw,desmoothed',
      'run=run&tag=loss&points=1000&nonFinite=null',
      'run=other&tag=loss&points=1000',
      'run=run&run=other&tag=loss&points=1000',
      'runRe=.&tag=loss&points=1000'
    ]
    const bodies = new Set<string>()
    for (const q of queries) bodies.add((await same(p, q)).body.toString())
    assert.equal(p.cache.size, queries.length)
    for (const q of queries) await same(p, q)
    assert.equal(p.cache.hits, queries.length)
    assert.ok(bodies.size >= queries.length - 1, 'the queries give different bodies') // nonFinite=null only adds an empty record
    // Accept chooses the format, and so the entry.
    const csv = await same(p, 'run=run&tag=loss&points=1000', { accept: 'text/csv' })
    assert.equal(csv.headers['x-lossboard-format'], 'csv')
    assert.ok(csv.body.toString().startsWith('run,tag,step,'))
    // gzip: made once per entry and counted in the bound; br still goes through @fastify/compress.
    const before = p.cache.bytes
    const gz1 = await get(p.cached + queries[0]!, { 'accept-encoding': 'gzip, br' })
    const gz2 = await get(p.cached + queries[0]!, { 'accept-encoding': 'gzip' })
    assert.equal(gz1.headers['content-encoding'], 'gzip')
    assert.match(String(gz1.headers.vary), /accept-encoding/i)
    assert.ok(gz1.body.equals(gz2.body))
    assert.equal(p.cache.bytes, before + gz1.body.length)
    await same(p, queries[0]!, { 'accept-encoding': 'gzip' })
    const br = await same(p, queries[0]!, { 'accept-encoding': 'br' })
    assert.equal(br.headers['content-encoding'], 'br')
  } finally { await p.close() }
})

test('a new run matching a pattern, and a change in a run an enrichment column may read, are in the next answer', async () => {
  const store = new ScalarStore()
  addRun(store, 'exp/train', 8_000)
  const p = await pair(store)
  try {
    const q = 'runRe=^exp/&tag=loss&points=500&series=raw,smoothed,desmoothed'
    await same(p, q)
    await same(p, q)
    assert.equal(p.cache.hits, 1)
    const { run, t } = addRun(store, 'exp/validation', 3_000)
    const r = JSON.parse((await same(p, q)).body.toString())
    assert.deepEqual(r.series.map((s: { run: string }) => s.run).sort(), ['exp/train', 'exp/validation'])
    // Only the validation run grows: an answer about the training run alone that reads enrichment is rebuilt too.
    const trainOnly = 'run=exp/train&tag=loss&points=500&series=raw,desmoothed'
    await same(p, trainOnly)
    fill(run, t, 3_000, 10)
    const hits = p.cache.hits
    await same(p, trainOnly)
    assert.equal(p.cache.hits, hits)
  } finally { await p.close() }
})

test('the byte bound evicts least recently used bodies first, and evicted queries are rebuilt', async () => {
  const store = new ScalarStore()
  addRun(store, 'run', 50_000)
  const probe = await pair(store)
  let one: number
  try {
    await same(probe, 'run=run&tag=loss&points=1000&startStep=0')
    one = probe.cache.bytes
  } finally { await probe.close() }
  // Room for about 5 such bodies (each is under a quarter of the bound, so each is kept).
  const p = await pair(store, Math.floor(one * 5.5))
  try {
    const q = (k: number): string => `run=run&tag=loss&points=1000&startStep=${k}`
    for (let k = 0; k < 12; k++) {
      await same(p, q(k))
      assert.ok(p.cache.bytes <= p.cache.maxBytes, `${p.cache.bytes} > ${p.cache.maxBytes}`)
    }
    assert.ok(p.cache.evictions >= 6, `evictions ${p.cache.evictions}`)
    assert.ok(p.cache.size <= 5)
    const hits = p.cache.hits
    await same(p, q(11)) // most recent: still there
    assert.equal(p.cache.hits, hits + 1)
    await same(p, q(0)) // the oldest: evicted, rebuilt
    assert.equal(p.cache.hits, hits + 1)
    // A body over a quarter of the bound is answered but not kept.
    const tiny = await pair(store, 1000)
    try {
      await same(tiny, q(0))
      assert.equal(tiny.cache.size, 0)
      assert.equal(tiny.cache.bytes, 0)
    } finally { await tiny.close() }
  } finally { await p.close() }
})
