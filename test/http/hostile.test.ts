/**
 * Requests that used to freeze the server, replayed against a real one on 127.0.0.1: a ReDoS
 * pattern (API and stream), a quadratic form body, a 2 M-point /data series, slow bodies, floods
 * of connections and streams. Each asserts the answer and that /healthz kept answering within 1 s.
 */

import { test } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import net from 'node:net'
import { buildApp } from '../../server/app.js'
import { ScalarStore } from '../../server/store/scalar-store.js'
import { scalarsJson, scalarsCsv } from '../../server/provider/tb-compat.js'
import type { LoaderTotals } from '../../server/logdir/logdir-loader.js'
import type { AppDeps } from '../../server/app.js'
import { scalarTag, fill } from '../helpers/store-fill.js'

const TOTALS: LoaderTotals = { bytes: 0, records: 0, points: 0, files: 0, runs: 0, skippedRecords: 0, skippedBytes: 0, initialLoadDone: true, initialLoadSeconds: 0 }

async function serve (store: ScalarStore, extra: Partial<AppDeps> = {}): Promise<{ origin: string, port: number, close: () => Promise<void> }> {
  const app = await buildApp({ store, logdir: '/nonexistent', totals: () => TOTALS, ...extra })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const port = (app.server.address() as { port: number }).port
  return { origin: `http://127.0.0.1:${port}`, port, close: async () => { await app.close() } }
}

interface Res { status: number, body: Buffer, ms: number }

async function request (url: string, opts: { method?: string, headers?: Record<string, string>, body?: string, agent?: http.Agent } = {}): Promise<Res> {
  const t0 = performance.now()
  return await new Promise((resolve, reject) => {
    const r = http.request(url, { method: opts.method ?? 'GET', headers: opts.headers, agent: opts.agent }, res => {
      const parts: Buffer[] = []
      res.on('data', (c: Buffer) => parts.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts), ms: performance.now() - t0 }))
      res.on('error', reject)
    })
    r.on('error', reject)
    r.end(opts.body)
  })
}

/**
 * Polls /healthz every 50 ms on its own connection until stopped; resolves with the slowest
 * answer in ms. An event loop blocked for a second shows here.
 */
function watchHealth (origin: string): { stop: () => Promise<number> } {
  const state = { running: true }
  let worst = 0
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  const loop = (async () => {
    while (state.running) {
      const r = await request(origin + '/healthz', { agent })
      assert.equal(r.status, 200)
      worst = Math.max(worst, r.ms)
      await new Promise(resolve => setTimeout(resolve, 50))
    }
  })()
  return {
    stop: async () => {
      state.running = false
      await loop
      agent.destroy()
      return worst
    }
  }
}

test('ReDoS: ^(.+)+X$ against a 29-character run name is answered at once, on /runs, /tags, /scalars and /stream; lookaround is a clear 400', async () => {
  const store = new ScalarStore()
  const name = 'a'.repeat(29)
  const run = store.getOrCreateRun(name)
  fill(run, scalarTag(run, 'loss'), 0, 10)
  // a second run whose long name makes a backtracking engine explode even more
  const run2 = store.getOrCreateRun('b'.repeat(4000))
  fill(run2, scalarTag(run2, 'loss'), 0, 10)
  const srv = await serve(store)
  const health = watchHealth(srv.origin)
  try {
    const evil = encodeURIComponent('^(.+)+X$')
    for (const p of [`/api/v1/runs?runRe=${evil}`, `/api/v1/tags?runRe=${evil}&tagRe=${evil}`, `/api/v1/scalars?runRe=${evil}&tagRe=${evil}`]) {
      const r = await request(srv.origin + p)
      assert.equal(r.status, 200, p)
      assert.ok(r.ms < 1000, `${p} took ${r.ms.toFixed(0)} ms`)
    }
    assert.deepEqual(JSON.parse((await request(`${srv.origin}/api/v1/runs?runRe=${evil}`)).body.toString()).runs, [])
    // a pattern that matches still matches (RE2 syntax, searched)
    assert.deepEqual(JSON.parse((await request(`${srv.origin}/api/v1/runs?runRe=${encodeURIComponent('^a+$')}`)).body.toString()).runs.map((r: { run: string }) => r.run), [name])
    // the stream: every later event is matched against the pattern
    const stream = await new Promise<http.IncomingMessage>((resolve, reject) => http.get(`${srv.origin}/api/v1/stream?runRe=${evil}`, resolve).on('error', reject))
    assert.equal(stream.statusCode, 200)
    for (let k = 0; k < 20; k++) {
      fill(run, run.tags.get('loss')!, 10 + k, 1)
      store.notifyPoints(name, ['loss'])
      store.notifyPoints('b'.repeat(4000), ['loss'])
    }
    const r = await request(srv.origin + '/healthz')
    assert.ok(r.ms < 1000)
    stream.destroy()
    for (const bad of ['(?=a)', '(a)\\1', '(?<!x)y']) {
      const b = await request(`${srv.origin}/api/v1/runs?runRe=${encodeURIComponent(bad)}`)
      assert.equal(b.status, 400, bad)
      const e = JSON.parse(b.body.toString()).error
      assert.equal(e.param, 'runRe')
      assert.match(e.message, /RE2/)
    }
    assert.equal((await request(`${srv.origin}/api/v1/runs?runRe=${'a'.repeat(2000)}`)).status, 400, 'overlong pattern')
  } finally {
    const worst = await health.stop()
    await srv.close()
    assert.ok(worst < 1000, `/healthz took ${worst.toFixed(0)} ms during the attack`)
  }
})

test('form parsing is linear: a 90 KB scalars_multirun body of repeated keys is answered at once, a body of too many fields is a 400; query strings likewise', async () => {
  const store = new ScalarStore()
  const run = store.getOrCreateRun('train')
  fill(run, scalarTag(run, 'loss'), 0, 5)
  const srv = await serve(store)
  const health = watchHealth(srv.origin)
  try {
    const body = 'tag=loss&runs=train&' + 'a=&'.repeat(9_990) // just under the 10,000-field cap
    const r = await request(srv.origin + '/data/plugin/scalars/scalars_multirun', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body })
    assert.equal(r.status, 200)
    assert.equal(r.body.toString(), '{"train": ' + scalarsJson(run.tags.get('loss')!) + '}')
    assert.ok(r.ms < 1000, `${r.ms.toFixed(0)} ms`)
    const big = 'tag=loss&' + 'a=&'.repeat(30_000) // 90 KB, the body that took 18 s
    const t = await request(srv.origin + '/data/plugin/scalars/scalars_multirun', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: big })
    assert.equal(t.status, 400)
    assert.match(t.body.toString(), /too many parameters/)
    assert.ok(t.ms < 1000, `${t.ms.toFixed(0)} ms`)
    const q = await request(srv.origin + '/api/v1/runs?' + 'a=&'.repeat(1100))
    assert.equal(q.status, 400)
    assert.equal(JSON.parse(q.body.toString()).error.code, 'LB_ERR_BAD_REQUEST')
    const ok = await request(srv.origin + '/api/v1/runs?' + 'run=train&'.repeat(900))
    assert.equal(ok.status, 200, 'repeated keys below the cap still work')
  } finally {
    const worst = await health.stop()
    await srv.close()
    assert.ok(worst < 1000, `/healthz took ${worst.toFixed(0)} ms`)
  }
})

test('/data/plugin/scalars/scalars of a 200 k-point series: built in slices without blocking, shared by concurrent requests, cached, extended on append, byte-identical to TB\'s format', async () => {
  // 2 M points blocked the server 8.9 s before; 200 k shows the same property in a few seconds.
  const store = new ScalarStore()
  const run = store.getOrCreateRun('big')
  const t = scalarTag(run, 'loss')
  fill(run, t, 0, 200_000)
  const expected = Buffer.from(scalarsJson(t)) // the reference formatter, before the clock starts
  const srv = await serve(store)
  const url = srv.origin + '/data/plugin/scalars/scalars?run=big&tag=loss'
  let worst = 0
  try {
    const health = watchHealth(srv.origin)
    const first = await Promise.all(Array.from({ length: 6 }, async () => await request(url)))
    const cached = await request(url)
    worst = await health.stop()
    for (const r of [...first, cached]) {
      assert.equal(r.status, 200)
      assert.ok(r.body.equals(expected))
    }
    // a live append: only the new points are formatted, and the body is again exact
    fill(run, t, 200_000, 1000)
    const again = await request(url)
    assert.ok(again.body.equals(Buffer.from(scalarsJson(t))))
    const csv = await request(url + '&format=csv')
    assert.equal(csv.body.toString(), scalarsCsv(t))
    const multi = await request(srv.origin + '/data/plugin/scalars/scalars_multirun', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'tag=loss&runs=big&runs=nope' })
    assert.equal(multi.body.toString(), '{"big": ' + scalarsJson(t) + '}')
  } finally {
    await srv.close()
  }
  assert.ok(worst < 1000, `/healthz took ${worst.toFixed(0)} ms while the series was served`)
})

test('a purge (TF1-style step regression) after caching rebuilds the body rather than extending it', async () => {
  const store = new ScalarStore()
  const run = store.getOrCreateRun('tf1')
  const t = scalarTag(run, 'loss') // no file_version: TB purges on a step going back
  fill(run, t, 0, 100)
  const srv = await serve(store)
  try {
    const url = srv.origin + '/data/plugin/scalars/scalars?run=tf1&tag=loss'
    assert.equal((await request(url)).body.toString(), scalarsJson(t))
    fill(run, t, 50, 10)
    const after = (await request(url)).body.toString()
    assert.equal(after, scalarsJson(t))
    assert.equal(JSON.parse(after).length, 60)
  } finally { await srv.close() }
})

test('a slow request body is cut off by the request timeout, and headers that trickle by the headers timeout', async () => {
  const store = new ScalarStore()
  const srv = await serve(store, { timeouts: { requestMs: 1000, headersMs: 1000 } })
  try {
    const started = performance.now()
    const answer = await new Promise<string>((resolve) => {
      const sock = net.connect(srv.port, '127.0.0.1', () => {
        sock.write('POST /data/plugin/scalars/scalars_multirun HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\ntag=')
        // then nothing more: the body never completes
      })
      let got = ''
      sock.on('data', d => { got += String(d) })
      sock.on('close', () => resolve(got))
      sock.on('error', () => resolve(got))
    })
    const took = performance.now() - started
    assert.match(answer, /^HTTP\/1\.1 408/)
    assert.ok(took < 5000, `cut after ${took.toFixed(0)} ms`)
    const trickle = await new Promise<number>((resolve) => {
      const t0 = performance.now()
      const sock = net.connect(srv.port, '127.0.0.1', () => { sock.write('GET /healthz HTTP/1.1\r\nHost: x\r\n') })
      const timer = setInterval(() => { if (!sock.destroyed) sock.write('X-Slow: 1\r\n') }, 200)
      sock.on('close', () => { clearInterval(timer); resolve(performance.now() - t0) })
      sock.on('error', () => {})
    })
    assert.ok(trickle < 5000, `trickled headers cut after ${trickle.toFixed(0)} ms`)
  } finally { await srv.close() }
})

test('caps: connections over --max-connections get a 503 and are closed; streams over the per-client and total caps get 429 and 503', async () => {
  const store = new ScalarStore()
  const srv = await serve(store, { limits: { maxConnections: 20, maxStreams: 6, maxStreamsPerClient: 4 } })
  const socks: net.Socket[] = []
  try {
    const answers: string[] = []
    await Promise.all(Array.from({ length: 30 }, async () => await new Promise<void>((resolve) => {
      const s = net.connect(srv.port, '127.0.0.1')
      socks.push(s)
      let got = ''
      s.on('data', d => { got += String(d) })
      s.on('connect', () => setTimeout(resolve, 300))
      s.on('close', () => { answers.push(got); resolve() })
      s.on('error', () => resolve())
    })))
    const refused = answers.filter(a => a.startsWith('HTTP/1.1 503'))
    assert.ok(refused.length >= 10, `${refused.length} of 30 refused`)
    assert.match(refused[0]!, /LB_ERR_TOO_MANY_CONNECTIONS/)
    for (const s of socks) s.destroy()
    await new Promise(resolve => setTimeout(resolve, 200))
    assert.equal((await request(srv.origin + '/healthz')).status, 200, 'served again once connections closed')
    // streams: 4 per client address; the 5th from 127.0.0.1 is 429
    const open: http.IncomingMessage[] = []
    const openStream = async (localAddress = '127.0.0.1'): Promise<http.IncomingMessage> => await new Promise((resolve, reject) => {
      http.get(srv.origin + '/api/v1/stream', { agent: false, localAddress }, resolve).on('error', reject)
    })
    for (let k = 0; k < 4; k++) open.push(await openStream())
    assert.deepEqual(open.map(r => r.statusCode), [200, 200, 200, 200])
    const fifth = await openStream()
    assert.equal(fifth.statusCode, 429)
    fifth.resume()
    open[0]!.destroy()
    await new Promise(resolve => setTimeout(resolve, 200))
    const reopened = await openStream()
    assert.equal(reopened.statusCode, 200, 'a closed stream frees its slot')
    open[0] = reopened
    // other client addresses fill the total of 6; the 7th stream is 503 whoever asks
    open.push(await openStream('127.0.0.2'), await openStream('127.0.0.2'))
    assert.deepEqual(open.slice(4).map(r => r.statusCode), [200, 200])
    const full = await openStream('127.0.0.3')
    assert.equal(full.statusCode, 503)
    full.setEncoding('utf8')
    let text = ''
    for await (const c of full) text += c
    assert.equal(JSON.parse(text).error.code, 'LB_ERR_STREAMS_FULL')
    for (const r of open) r.destroy()
  } finally {
    for (const s of socks) s.destroy()
    await srv.close()
  }
})
