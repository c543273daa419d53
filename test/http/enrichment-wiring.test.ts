/**
 * The API's side of the enrichment contract (server/provider/enrichment.ts), checked with a
 * provider whose columns are known formulas of the stored points, so that alignment, formats,
 * thinning, tag summaries and annotation events can be asserted exactly whatever the real
 * provider infers. The real provider is exercised by api.test.ts and export.test.ts.
 */

import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { EventFileBuilder, eventFileName } from '../../server/records/event-writer.js'
import type { ScalarStore } from '../../server/store/scalar-store.js'
import type { Annotation, EnrichmentProvider, EnrichOptions } from '../../server/provider/enrichment.js'
import { tempDir } from '../helpers/paths.js'
import { startServer, get, qs, parseCsv, num, type Server } from './helpers.js'

/**
 * Columns derived from the stored points: desmoothed = 2·value, desmoothedBound = step/1000,
 * epoch = ⌊step/10⌋, smoothed = value + w (NaN at step 7, to carry a non-finite value).
 * Tag 'short' gets columns one entry too short, which the API must refuse.
 */
function formulaProvider (store: ScalarStore): EnrichmentProvider & { calls: EnrichOptions[], emit: (a: Annotation) => void } {
  const listeners = new Set<(a: Annotation) => void>()
  const calls: EnrichOptions[] = []
  return {
    calls,
    emit: (a) => { for (const l of listeners) l(a) },
    columns (run, tag, opts) {
      calls.push(opts)
      const s = store.runs.get(run)!.tags.get(tag)!.series!
      const { steps, values } = s.columns()
      const n = tag === 'short' ? s.length - 1 : s.length
      const desmoothed = new Float64Array(n); const bound = new Float64Array(n); const epoch = new Int32Array(n); const smoothed = new Float64Array(n)
      for (let i = 0; i < n; i++) {
        desmoothed[i] = 2 * values[i]!
        bound[i] = steps[i]! / 1000
        epoch[i] = Math.floor(steps[i]! / 10)
        smoothed[i] = steps[i] === 7 ? NaN : values[i]! + opts.smoothing
      }
      return {
        family: 'keras-running-mean',
        notes: ['formula provider'],
        ...(opts.desmoothed ? { desmoothed, desmoothedBound: bound, epoch } : {}),
        ...(opts.smoothed ? { smoothed } : {})
      }
    },
    annotations: () => [],
    tagSummary: (_run, tag) => ({ family: tag === 'loss' ? 'keras-running-mean' : 'raw', annotations: { info: 1, warning: 2, critical: tag === 'loss' ? 3 : 0 }, complete: true }),
    prepare: (series) => ({ status: 'done', series: [...series].length, pendingSeries: 0, pendingPoints: 0 }),
    progress: () => ({ status: 'done', queuedSeries: 0 }),
    onAnnotation (l) { listeners.add(l); return () => { listeners.delete(l) } }
  }
}

describe('enrichment columns through the API', () => {
  const tmp = tempDir()
  let srv: Server
  let provider: ReturnType<typeof formulaProvider>
  before(async () => {
    mkdirSync(path.join(tmp.dir, 'train'))
    const b = new EventFileBuilder().fileVersion(1700000000)
    // loss: 0.5 everywhere except a spike of 9 at step 40 (which only the desmoothed column doubles to 18).
    for (let s = 0; s < 100; s++) b.scalar('loss', s, 1700000000 + s, s === 40 ? 9 : 0.5)
    for (let s = 0; s < 20; s++) b.scalar('short', s, 1700000000 + s, s)
    writeFileSync(path.join(tmp.dir, 'train', eventFileName(1700000000)), b.bytes())
    srv = await startServer(tmp.dir, store => { provider = formulaProvider(store); return { enrichment: provider } })
  })
  after(async () => { await srv.close(); tmp.cleanup() })

  const base = (): string => `${srv.origin}/api/v1/scalars?${qs([['run', 'train'], ['tag', 'loss']])}`

  it('passes smoothing and the de-smoothing parameters to the provider', async () => {
    provider.calls.length = 0
    await get(`${base()}&series=desmoothed,smoothed&smoothing=0.25&desmooth=running-mean&datasetSize=3000&batchSize=128`)
    assert.deepEqual(provider.calls, [{ desmoothed: true, smoothed: true, smoothing: 0.25, desmooth: 'running-mean', datasetSize: 3000, batchSize: 128 }])
    provider.calls.length = 0
    await get(base())
    assert.deepEqual(provider.calls, [], 'raw-only requests do not run enrichment')
  })

  it('returns every enrichment column aligned with step in JSON, with family and notes', async () => {
    const r = (await get(`${base()}&series=raw,desmoothed,smoothed&smoothing=0.5`)).json()
    assert.equal(r.family, 'keras-running-mean')
    assert.deepEqual(r.notes, ['formula provider'])
    assert.deepEqual(r.unavailable, [])
    for (let i = 0; i < 100; i++) {
      assert.equal(r.desmoothed[i], 2 * r.value[i])
      assert.equal(r.desmoothedBound[i], r.step[i] / 1000)
      assert.equal(r.epoch[i], Math.floor(r.step[i] / 10))
      assert.equal(r.smoothed[i], r.step[i] === 7 ? 'NaN' : r.value[i] + 0.5)
    }
  })

  it('writes the same columns in CSV and NDJSON', async () => {
    const json = (await get(`${base()}&series=raw,desmoothed,smoothed&smoothing=0.5`)).json()
    const csv = parseCsv((await get(`${base()}&series=raw,desmoothed,smoothed&smoothing=0.5&format=csv`)).text())
    assert.deepEqual(csv[0], ['run', 'tag', 'step', 'wallTime', 'value', 'desmoothed', 'desmoothedBound', 'epoch', 'smoothed'])
    const nd = (await get(`${base()}&series=raw,desmoothed,smoothed&smoothing=0.5&format=ndjson`)).text().trim().split('\n').map(l => JSON.parse(l))
    for (const [j, col] of ['step', 'wallTime', 'value', 'desmoothed', 'desmoothedBound', 'epoch', 'smoothed'].entries()) {
      for (let i = 0; i < 100; i++) {
        assert.ok(Object.is(num(csv[i + 1]![j + 2]!), num(json[col][i])), `csv ${col} ${i}`)
        assert.ok(Object.is(num(nd[i][col]), num(json[col][i])), `ndjson ${col} ${i}`)
      }
    }
  })

  it('keeps the spike of every requested column when thinning, with columns still aligned', async () => {
    const r = (await get(`${base()}&series=desmoothed&points=10`)).json()
    assert.ok(r.points <= 10)
    assert.ok(r.step.includes(40), 'the desmoothed spike at step 40 survives')
    for (let k = 0; k < r.points; k++) assert.equal(r.epoch[k], Math.floor(r.step[k] / 10))
    const lttb = (await get(`${base()}&series=desmoothed&points=10&method=lttb`)).json()
    assert.ok(lttb.step.includes(40), 'LTTB on the first requested series (desmoothed) keeps the spike')
  })

  it('names columns the provider cannot align as unavailable (JSON) and leaves their cells empty (CSV)', async () => {
    const url = `${srv.origin}/api/v1/scalars?${qs([['run', 'train'], ['tag', 'short'], ['series', 'raw,desmoothed']])}`
    const r = (await get(url)).json()
    assert.deepEqual(r.unavailable, ['desmoothed', 'desmoothedBound', 'epoch'])
    assert.equal(r.desmoothed, undefined)
    assert.ok(r.notes.some((n: string) => n.includes('19 entries for 20 points')))
    const csv = parseCsv((await get(url + '&format=csv')).text())
    assert.ok(csv.slice(1).every(row => row[5] === '' && row[6] === '' && row[7] === ''))
  })

  it('exports the columns long (snake_case) and pivoted (<tag>:desmoothed)', async () => {
    const long = (await get(`${srv.origin}/api/v1/export?${qs([['tag', 'loss'], ['series', 'raw,desmoothed'], ['format', 'json']])}`)).json()
    assert.deepEqual(Object.keys(long), ['run', 'tag', 'step', 'wall_time', 'value', 'desmoothed', 'desmoothed_bound', 'epoch'])
    assert.deepEqual(long.desmoothed, long.value.map((v: number) => 2 * v))
    const wide = parseCsv((await get(`${srv.origin}/api/v1/export?${qs([['series', 'raw,desmoothed'], ['pivot', 'true'], ['format', 'csv']])}`)).text())
    assert.deepEqual(wide[0], ['run', 'step', 'wall_time', 'loss', 'loss:desmoothed', 'short', 'short:desmoothed'])
    assert.deepEqual(wide[41], ['train', '40', '1700000040', '9', '18', '', ''])
    assert.deepEqual(wide[1], ['train', '0', '1700000000', '0.5', '1', '0', ''])
  })

  it('passes the enrichment parameters of an export to the provider, once per series', async () => {
    provider.calls.length = 0
    const r = (await get(`${srv.origin}/api/v1/export?${qs([['tag', 'loss'], ['series', 'smoothed'], ['smoothing', 0.25], ['desmooth', 'none'], ['datasetSize', 10], ['batchSize', 3], ['format', 'csv']])}`)).text()
    assert.deepEqual(provider.calls, [{ desmoothed: false, smoothed: true, smoothing: 0.25, desmooth: 'none', datasetSize: 10, batchSize: 3 }])
    const rows = parseCsv(r)
    assert.deepEqual(rows[0], ['run', 'tag', 'step', 'wall_time', 'smoothed'])
    assert.equal(rows[1]![4], String(0.5 + 0.25))
    assert.equal(rows[8]![4], 'NaN')
  })

  it('puts each tag\'s family and annotation counts in /tags', async () => {
    const tags = (await get(`${srv.origin}/api/v1/tags`)).json().tags
    assert.deepEqual(tags.map((t: any) => [t.tag, t.family, t.annotations]), [
      ['loss', 'keras-running-mean', { info: 1, warning: 2, critical: 3 }],
      ['short', 'raw', { info: 1, warning: 2, critical: 0 }]
    ])
  })

  it('announces annotations the provider reports on the event stream, filtered by run and tag', async () => {
    const got: string[] = []
    const req = http.get(`${srv.origin}/api/v1/stream?tag=loss`, res => { res.setEncoding('utf8'); res.on('data', (c: string) => got.push(c)) })
    await new Promise(resolve => setTimeout(resolve, 200))
    const a: Annotation = {
      id: 'a1',
      run: 'train',
      tag: 'loss',
      kind: 'spike',
      severity: 'warning',
      startStep: 40,
      endStep: 40,
      wallTime: 1700000040,
      magnitude: { ratio: 18, robustZ: 50 },
      baseline: 0.5,
      peak: 9,
      causes: [{ cause: 'bad batch', evidence: 'one point' }],
      explanation: 'x'
    } as Annotation
    provider.emit({ ...a, id: 'other', tag: 'short' })
    provider.emit(a)
    const deadline = Date.now() + 3000
    while (!got.join('').includes('event: annotation') && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20))
    req.destroy()
    const text = got.join('')
    const events = text.split('\n\n').filter(b => b.includes('event: annotation'))
    assert.equal(events.length, 1, text)
    assert.deepEqual(JSON.parse(events[0]!.split('data: ')[1]!), { type: 'annotation', annotation: a })
  })
})
