/**
 * A 10,000,000-point export streams with bounded memory: the body (hundreds of MB) goes out over
 * a real socket while the server's heap grows by a small fraction of it.
 */

import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import v8 from 'node:v8'
import vm from 'node:vm'
import { appendFileSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { EventFileBuilder, eventFileName } from '../../server/records/event-writer.js'
import { tempDir } from '../helpers/paths.js'
import { startServer, type Server } from './helpers.js'

const RUNS = 20
const TAGS = ['loss', 'accuracy', 'lr', 'grad_norm', 'val_loss']
const STEPS = 100_000
const POINTS = RUNS * TAGS.length * STEPS // 20 × 5 × 100,000 = 10,000,000

v8.setFlagsFromString('--expose-gc')
const gc = vm.runInNewContext('gc') as () => void

describe('export of 10,000,000 points', () => {
  const tmp = tempDir('lossboard-10m-')
  let srv: Server
  before(async () => {
    // One run's file (5 tags × 100,000 steps), written in ~4 MB chunks so the test never holds
    // it whole, then copied to 20 run directories: 10 M points in total.
    mkdirSync(path.join(tmp.dir, 'run00'))
    const first = path.join(tmp.dir, 'run00', eventFileName(1700000000))
    writeFileSync(first, new EventFileBuilder().fileVersion(1700000000).bytes())
    let b = new EventFileBuilder()
    for (let s = 0; s < STEPS; s++) {
      for (let t = 0; t < TAGS.length; t++) b.scalar(TAGS[t]!, s, 1700000000 + s * 0.5, Math.fround(1 / (s + t + 1)))
      if (b.length > 4 << 20) { appendFileSync(first, b.bytes()); b = new EventFileBuilder() }
    }
    appendFileSync(first, b.bytes())
    for (let r = 1; r < RUNS; r++) {
      const dir = path.join(tmp.dir, `run${String(r).padStart(2, '0')}`)
      mkdirSync(dir)
      copyFileSync(first, path.join(dir, eventFileName(1700000000)))
    }
    const t0 = Date.now()
    srv = await startServer(tmp.dir)
    const loaded = srv.loader.totals()
    console.log(`# loaded ${loaded.points} points in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
    assert.equal(loaded.points, POINTS)
  })
  after(async () => { await srv?.close(); tmp.cleanup() })

  it('streams the long CSV (every row) while the live heap grows by far less than the body', async () => {
    // heapUsed alone also counts garbage not yet collected (V8 lets the heap grow before a full
    // GC), so the live set is sampled with a forced GC every ~32 MB received, and the peak of the
    // raw heapUsed is reported beside it. Buffers live outside the V8 heap: external memory is
    // counted too.
    const used = (): number => { const m = process.memoryUsage(); return m.heapUsed + m.external }
    // Warm up first (code compiled, lazily built server state in place), so the baseline holds everything but the stream.
    await new Promise<void>((resolve, reject) => { http.get(`${srv.origin}/api/v1/export?format=csv&endStep=10`, res => { res.resume(); res.on('end', resolve) }).on('error', reject) })
    await new Promise(resolve => setTimeout(resolve, 500))
    gc()
    const base = used()
    const baseHeap = process.memoryUsage().heapUsed
    let peakLive = 0
    let peakHeap = 0
    let peakRaw = 0
    let bytes = 0
    let lines = 0
    let nextSample = 32e6
    let tail = Buffer.alloc(0)
    const t0 = Date.now()
    await new Promise<void>((resolve, reject) => {
      http.get(`${srv.origin}/api/v1/export?format=csv`, res => {
        assert.equal(res.statusCode, 200)
        assert.equal(res.headers['content-length'], undefined, 'streamed (chunked), not buffered')
        res.on('data', (c: Buffer) => {
          bytes += c.length
          for (let i = c.indexOf(10); i >= 0; i = c.indexOf(10, i + 1)) lines++
          tail = Buffer.concat([tail, c]).subarray(-200)
          peakRaw = Math.max(peakRaw, used() - base)
          if (bytes >= nextSample) {
            nextSample += 32e6
            gc()
            peakLive = Math.max(peakLive, used() - base)
            peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed - baseHeap)
          }
        })
        res.on('end', resolve)
        res.on('error', reject)
      }).on('error', reject)
    })
    const secs = (Date.now() - t0) / 1000
    const mb = (x: number): string => (x / 1e6).toFixed(1)
    console.log(`# export: ${lines - 1} rows, ${mb(bytes)} MB in ${secs.toFixed(1)} s (${(bytes / 1e6 / secs).toFixed(0)} MB/s); ` +
      `live heap+external growth peak ${mb(peakLive)} MB (${(100 * peakLive / bytes).toFixed(2)} % of the body; V8 heap alone ${mb(peakHeap)} MB), without forced GC ${mb(peakRaw)} MB`)
    assert.equal(lines, POINTS + 1, 'header + one row per point')
    // Last row: run19, the last tag, step 99,999, wall time 1700000000 + 99,999 × 0.5, value fround(1/(99,999 + 4 + 1)).
    assert.ok(tail.toString('latin1').endsWith(`run19,val_loss,99999,1700049999.5,${Math.fround(1 / 100004)}\n`), tail.toString('latin1'))
    // The body is ~550 MB; a buffered response would need at least that much.
    assert.ok(bytes > 400e6, `${bytes} bytes`)
    // Measured on the 2-core dev machine: ~0.7 MB of live heap and 2-13 MB of external (socket and
    // Buffer) memory in flight, about 2.5 % of the body; 5 % leaves room for scheduling noise.
    assert.ok(peakLive < bytes / 20, `live memory grew ${peakLive} bytes for a ${bytes}-byte body`)
  })
})
