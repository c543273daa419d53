/**
 * Annotations while the analyses run (issue 12, start-up at scale): readiness does not wait for
 * them, /api/v1/annotations answers 202 {status: "computing"} with a partial list until they are
 * done, and the final answer equals a provider that analysed everything synchronously.
 */

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { tempDir } from '../helpers/paths.js'
import { loadLogdir } from '../helpers/load.js'
import { startLossboard } from '../helpers/cli-server.js'
import { startServer, get } from './helpers.js'
import { EventFileBuilder, eventFileName } from '../../server/records/event-writer.js'
import { createEnrichmentProvider, REQUEST_ANALYSIS_BUDGET_POINTS, type Annotation } from '../../server/provider/enrichment.js'

const RUNS = 25
const TAGS = 10
const POINTS = 1000

/**
 * RUNS runs × TAGS tags × POINTS points (more unread points than one request may analyse): a
 * decaying noisy loss with a NaN late in every third run, so that the list is not empty.
 */
function writeLogdir (dir: string): void {
  for (let r = 0; r < RUNS; r++) {
    const b = new EventFileBuilder().fileVersion(1.7e9)
    let seed = r + 1
    const noise = (): number => { seed = (seed * 16807) % 2147483647; return seed / 2147483647 - 0.5 }
    for (let i = 0; i < POINTS; i++) {
      for (let t = 0; t < TAGS; t++) {
        const v = r % 3 === 0 && t === 0 && i === 900 ? NaN : (0.1 + Math.exp(-i / 300)) * (1 + 0.1 * noise()) + t
        b.scalar(t === 0 ? 'loss' : `metric_${t}`, i, 1.7e9 + i, v)
      }
    }
    mkdirSync(path.join(dir, `run${String(r).padStart(2, '0')}`))
    writeFileSync(path.join(dir, `run${String(r).padStart(2, '0')}`, eventFileName(1.7e9, 'host')), b.bytes())
  }
}

async function reference (dir: string): Promise<Annotation[]> {
  const { store } = await loadLogdir(dir)
  return createEnrichmentProvider(store).annotations({})
}

test('the CLI server is ready before the analyses are done; annotations say computing, then equal a synchronous provider', async (t) => {
  const { dir, cleanup } = tempDir()
  t.after(cleanup)
  writeLogdir(dir)
  assert.ok(RUNS * TAGS * POINTS > REQUEST_ANALYSIS_BUDGET_POINTS, 'the logdir must be larger than one request may analyse')
  const expected = await reference(dir)
  assert.ok(expected.length >= Math.ceil(RUNS / 3), `${expected.length}`)
  const srv = await startLossboard(['--logdir', dir, '--once', '--host', '127.0.0.1'])
  t.after(() => srv.stop())
  // Health from the spawn until the analyses are done: ready must come while they still run.
  let readyWhileComputing = false
  let done = false
  for (let k = 0; k < 6000 && !done; k++) {
    const h = await (await fetch(`${srv.url}healthz`)).json() as { loading: boolean, enrichment: { status: string, queuedSeries: number } }
    if (!h.loading && h.enrichment.status === 'computing') {
      assert.ok(h.enrichment.queuedSeries > 0)
      assert.equal((await fetch(`${srv.url}readyz`)).status, 200, 'ready does not wait for the analyses')
      readyWhileComputing = true
    }
    done = !h.loading && h.enrichment.status === 'done'
    if (!done) await new Promise(resolve => setTimeout(resolve, 5))
  }
  assert.ok(done, 'the background pass ends')
  assert.ok(readyWhileComputing, 'ready was reached while the analyses were still queued')
  const res = await fetch(`${srv.url}api/v1/annotations`)
  assert.equal(res.status, 200)
  assert.equal(await res.text(), JSON.stringify(expected))
})

test('while the background pass is held: 202 computing with a partial list, one series answered in full, tags marked incomplete; then the full list', async (t) => {
  const { dir, cleanup } = tempDir()
  t.after(cleanup)
  writeLogdir(dir)
  const expected = await reference(dir)
  let release = (): void => {}
  const srv = await startServer(dir, store => {
    const enrichment = createEnrichmentProvider(store)
    // What the server does during its initial load: the background pass waits.
    release = enrichment.holdEager()
    return { enrichment }
  })
  t.after(() => srv.close())
  const base = `${srv.origin}/api/v1/annotations`
  // Every series is unread, more points than the budget: nothing is analysed by the request.
  const first = await get(base)
  assert.equal(first.status, 202)
  assert.equal(first.headers['retry-after'], '1')
  const body = first.json() as { status: string, progress: { status: string, series: number, pendingSeries: number, pendingPoints: number }, annotations: Annotation[] }
  assert.equal(body.status, 'computing')
  assert.deepEqual(body.progress, { status: 'computing', series: RUNS * TAGS, pendingSeries: RUNS * TAGS, pendingPoints: RUNS * TAGS * (POINTS + 1) })
  assert.deepEqual(body.annotations, [])
  const csv = await get(`${base}?format=csv`)
  assert.equal(csv.status, 202)
  assert.equal(csv.text().trim().split('\n').length, 1, 'the CSV header only: nothing computed yet')
  // One series is within the budget: analysed by the request itself, complete.
  const one = await get(`${base}?run=run00&tag=loss`)
  assert.equal(one.status, 200)
  assert.deepEqual(one.json(), expected.filter(a => a.run === 'run00' && a.tag === 'loss'))
  // The partial list now holds that series' annotations, still marked computing.
  const partial = await get(base)
  assert.equal(partial.status, 202)
  assert.deepEqual(partial.json().annotations, expected.filter(a => a.run === 'run00' && a.tag === 'loss'))
  const tags = (await get(`${srv.origin}/api/v1/tags`)).json() as { tags: Array<{ run: string, tag: string, annotationsComplete: boolean, annotations: Record<string, number> }>, enrichment: { status: string, pendingSeries: number } }
  assert.equal(tags.enrichment.status, 'computing')
  assert.equal(tags.enrichment.pendingSeries, RUNS * TAGS - 1)
  for (const x of tags.tags) assert.equal(x.annotationsComplete, x.run === 'run00' && x.tag === 'loss', `${x.run} ${x.tag}`)
  // Released: the pass catches up (the series asked about first) and the answer is the full list.
  release()
  let res = await get(base)
  for (let k = 0; k < 3000 && res.status === 202; k++) {
    await new Promise(resolve => setTimeout(resolve, 10))
    res = await get(base)
  }
  assert.equal(res.status, 200)
  assert.equal(res.text(), JSON.stringify(expected))
  const after = (await get(`${srv.origin}/api/v1/tags`)).json() as { tags: Array<{ annotationsComplete: boolean }>, enrichment: { status: string } }
  assert.equal(after.enrichment.status, 'done')
  assert.ok(after.tags.every(x => x.annotationsComplete))
})
