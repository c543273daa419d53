/**
 * TensorBoard's /data scalars route under live appends, on a real server on 127.0.0.1 (issue 9):
 * every answer is exactly one version's body, the gzip of a version is computed once and shared
 * by its clients and follows appends, and br, identity and HEAD still answer as before.
 */

import { test } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import { gunzipSync, brotliDecompressSync } from 'node:zlib'
import { ScalarStore, type RunState, type TagInfo } from '../../server/store/scalar-store.js'
import { scalarsJson } from '../../server/provider/tb-compat.js'
import { buildApp } from '../../server/app.js'
import type { LoaderTotals } from '../../server/logdir/logdir-loader.js'

const TOTALS: LoaderTotals = { bytes: 0, records: 0, points: 0, files: 0, runs: 0, skippedRecords: 0, skippedBytes: 0, initialLoadDone: true, initialLoadSeconds: 0 }

function fill (run: RunState, t: TagInfo, from: number, n: number): void {
  for (let s = from; s < from + n; s++) run.scalarEvent(t, 1700000000 + s * 0.25, s, Math.exp(-s / 1e4) + (s % 7) * 1e-3, 'float')
}

function bigStore (points: number): { store: ScalarStore, run: RunState, t: TagInfo } {
  const store = new ScalarStore()
  const run = store.getOrCreateRun('big')
  const t = run.tag('loss')
  run.metadata(t, 'scalars', '', '', 1)
  fill(run, t, 0, points)
  return { store, run, t }
}

async function get (url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number, headers: http.IncomingHttpHeaders, body: Buffer }> {
  return await new Promise((resolve, reject) => {
    http.request(url, { headers, method }, res => {
      const parts: Buffer[] = []
      res.on('data', (c: Buffer) => parts.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }))
      res.on('error', reject)
    }).on('error', reject).end()
  })
}

test('over HTTP with live appends: every response is exactly one version\'s TB body, gzip is shared per version and follows appends, br and HEAD still work', async () => {
  const { store, run, t } = bigStore(50_000)
  const app = await buildApp({ store, logdir: '/nonexistent', totals: () => TOTALS })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/data/plugin/scalars/scalars?run=big&tag=loss`
  try {
    // identity, gzip and br, all decoding to the reference body
    const plain = await get(url)
    assert.equal(plain.headers['content-type'], 'application/json')
    assert.equal(plain.headers['content-encoding'], undefined)
    assert.ok(plain.body.equals(Buffer.from(scalarsJson(t))))
    const gz = await Promise.all(Array.from({ length: 8 }, async () => await get(url, { 'accept-encoding': 'gzip, deflate, br' })))
    for (const r of gz) {
      assert.equal(r.headers['content-encoding'], 'gzip')
      assert.match(String(r.headers.vary), /accept-encoding/i)
      assert.ok(r.body.equals(gz[0]!.body), 'one compression per version, shared')
    }
    assert.ok(gunzipSync(gz[0]!.body).equals(plain.body))
    const br = await get(url, { 'accept-encoding': 'br' })
    assert.equal(br.headers['content-encoding'], 'br')
    assert.ok(brotliDecompressSync(br.body).equals(plain.body))
    const head = await get(url, {}, 'HEAD')
    assert.equal(head.status, 200)
    assert.equal(head.body.length, 0)

    // a new point: the gzip is of the new body
    fill(run, t, 50_000, 1)
    const gz2 = await get(url, { 'accept-encoding': 'gzip' })
    assert.ok(gunzipSync(gz2.body).equals(Buffer.from(scalarsJson(t))))

    // appends every few ms while 20 clients read: each answer is some version, byte for byte
    let step = 50_001
    const writer = setInterval(() => { fill(run, t, step, 1); step++ }, 3)
    const seen: Buffer[] = []
    const until = performance.now() + 1500
    await Promise.all(Array.from({ length: 20 }, async (_, i) => {
      while (performance.now() < until) {
        const r = await get(url, i % 4 === 0 ? { 'accept-encoding': 'gzip' } : {})
        assert.equal(r.status, 200)
        seen.push(r.headers['content-encoding'] === 'gzip' ? gunzipSync(r.body) : r.body)
      }
    }))
    clearInterval(writer)
    // the body of the first n points, cut from the final reference body
    const full = scalarsJson(t)
    const items = full.slice(2, -2).split('], [').map(x => '[' + x + ']')
    const versions = new Set<number>()
    for (const body of seen) {
      const n = (JSON.parse(body.toString()) as unknown[]).length
      versions.add(n)
      assert.ok(body.equals(Buffer.from('[' + items.slice(0, n).join(', ') + ']')), `an answer of ${n} points is not that version's body`)
    }
    assert.ok(versions.size > 1, 'the appends were not seen')
    const last = await get(url)
    assert.ok(last.body.equals(Buffer.from(scalarsJson(t))), 'the last point written is served')
  } finally {
    await app.close()
  }
})
