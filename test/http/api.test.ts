/** /api/v1 runs, tags and scalars against a real server over corpus/generated: every format, every parameter. */

import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { GENERATED } from '../helpers/paths.js'
import { startServer, get, qs, parseCsv, num, sameNumbers, type Server } from './helpers.js'
import { scalarTagsOf } from '../../server/provider/scalars.js'

/** Parses a body written with nonFinite=literal: bare NaN/Infinity tokens become strings first. */
function parseLiteralJson (text: string): any {
  return JSON.parse(text.replace(/(?<=[[,:])(NaN|-?Infinity)(?=[,\]}])/g, '"$1"'))
}

describe('/api/v1 over corpus/generated', () => {
  let srv: Server
  let api: string
  before(async () => {
    srv = await startServer(GENERATED)
    api = srv.origin + '/api/v1'
  })
  after(async () => { await srv.close() })

  /** Every (run, tag) scalar series of the store, in the store's order. */
  function allSeries (): Array<{ run: string, tag: string }> {
    const out: Array<{ run: string, tag: string }> = []
    for (const run of srv.store.runNamesTbOrder()) for (const t of scalarTagsOf(srv.store.runs.get(run)!)) out.push({ run, tag: t.name })
    return out
  }

  describe('GET /runs', () => {
    it('lists every run in TensorBoard order with file statistics', async () => {
      const r = await get(`${api}/runs`)
      assert.equal(r.status, 200)
      assert.match(String(r.headers['content-type']), /^application\/json/)
      const runs = r.json().runs
      assert.deepEqual(runs.map((x: any) => x.run), srv.store.runNamesTbOrder())
      const zoo = runs.find((x: any) => x.run === 'edge/encodings_zoo')
      assert.equal(zoo.tags, 8)
      assert.equal(zoo.points, 8 * 20)
      const corrupt = runs.find((x: any) => x.run === 'edge/corrupt_middle')
      // One record (step 30) has a bad data CRC: it is skipped and counted, the rest is read.
      assert.equal(corrupt.dataLoss, 1)
      assert.equal(corrupt.deadFiles, 0)
    })

    it('filters by exact name (repeatable) and by regular expression', async () => {
      const a = (await get(`${api}/runs?${qs([['run', 'edge/rotation'], ['run', 'pytorch/nan_mid']])}`)).json().runs.map((x: any) => x.run)
      assert.deepEqual(new Set(a), new Set(['edge/rotation', 'pytorch/nan_mid']))
      const b = (await get(`${api}/runs?${qs([['runRe', '^keras_style/normal/']])}`)).json().runs.map((x: any) => x.run)
      assert.deepEqual(new Set(b), new Set(['keras_style/normal/train', 'keras_style/normal/validation', 'keras_style/normal/truth']))
    })

    it('answers 404 naming an unknown run', async () => {
      const r = await get(`${api}/runs?run=nope`)
      assert.equal(r.status, 404)
      assert.deepEqual(r.json(), { error: { code: 'LB_ERR_NOT_FOUND_RUN', message: "run not found: 'nope'", run: 'nope' } })
    })
  })

  describe('GET /tags', () => {
    it('lists every scalar tag with counts, step range, restarts, family and annotation counts', async () => {
      const tags = (await get(`${api}/tags`)).json().tags
      assert.deepEqual(tags.map((t: any) => `${t.run}|${t.tag}`), allSeries().map(s => `${s.run}|${s.tag}`))
      const nan = tags.find((t: any) => t.run === 'pytorch/nan_mid' && t.tag === 'loss')
      // MANIFEST: 200 points, +inf at 120..122 and NaN from 123 to 199: 3 + 77 non-finite values.
      assert.equal(nan.points, 200)
      assert.equal(nan.firstStep, 0)
      assert.equal(nan.lastStep, 199)
      assert.equal(nan.nonFinite, 80)
      assert.equal(typeof nan.family, 'string')
      assert.deepEqual(Object.keys(nan.annotations).sort(), ['critical', 'info', 'warning'])
      const resumed = tags.find((t: any) => t.run === 'pytorch/restart_nopurge')
      // Steps 0..199 then 120..299: one restart at the 200th point, back to step 120.
      assert.equal(resumed.restarts.length, 1)
      assert.equal(resumed.restarts[0].index, 200)
      assert.equal(resumed.restarts[0].step, 120)
      assert.match(resumed.restarts[0].file, /^pytorch\/restart_nopurge\/events\.out\.tfevents\./)
    })

    it('filters tags by run, runRe, tag and tagRe', async () => {
      const a = (await get(`${api}/tags?${qs([['run', 'pytorch/raw_loss']])}`)).json().tags.map((t: any) => t.tag)
      assert.deepEqual(a, ['Loss/train', 'lr', 'Loss/val'])
      const b = (await get(`${api}/tags?${qs([['runRe', '^pytorch/'], ['tag', 'lr']])}`)).json().tags.map((t: any) => t.run)
      assert.deepEqual(new Set(b), new Set(['pytorch/raw_loss', 'pytorch/add_scalars', 'pytorch/long_run']))
      const c = (await get(`${api}/tags?${qs([['run', 'edge/encodings_zoo'], ['tagRe', 'tensor_content']])}`)).json().tags.map((t: any) => t.tag)
      assert.deepEqual(c, ['enc/tensor_content_f32', 'enc/tensor_content_f64'])
    })

    it('answers 404 for a tag named exactly that no selected run has', async () => {
      const r = await get(`${api}/tags?${qs([['runRe', '^edge/'], ['tag', 'nope']])}`)
      assert.equal(r.status, 404)
      assert.equal(r.json().error.code, 'LB_ERR_NOT_FOUND_TAG')
      assert.equal(r.json().error.tag, 'nope')
    })
  })

  describe('GET /scalars', () => {
    it('returns every stored point of each series as columnar JSON, identical to the store', async () => {
      for (const { run, tag } of allSeries()) {
        const r = await get(`${api}/scalars?${qs([['run', run], ['tag', tag]])}`)
        assert.equal(r.status, 200, `${run} ${tag}`)
        const body = r.json()
        const s = srv.store.runs.get(run)!.tags.get(tag)!.series!
        const c = s.columns()
        assert.equal(body.run, run)
        assert.equal(body.tag, tag)
        assert.equal(body.totalPoints, s.length)
        assert.equal(body.points, s.length)
        assert.equal(body.downsampled, null)
        assert.equal(sameNumbers(body.step, c.steps), null, `${run} ${tag} step`)
        assert.equal(sameNumbers(body.wallTime, c.wallTimes), null, `${run} ${tag} wallTime`)
        assert.equal(sameNumbers(body.value.map(num), c.values), null, `${run} ${tag} value`)
        assert.deepEqual(body.restarts, s.restarts)
      }
    })

    it('spells non-finite values as strings by default, as null with flags, or as bare literals', async () => {
      const base = qs([['run', 'pytorch/nan_mid'], ['tag', 'loss']])
      const str = (await get(`${api}/scalars?${base}`)).json()
      // MANIFEST: +inf at steps 120..122, NaN from 123.
      assert.deepEqual(str.value.slice(119, 124).slice(1), ['Infinity', 'Infinity', 'Infinity', 'NaN'])
      const nul = (await get(`${api}/scalars?${base}&nonFinite=null`)).json()
      assert.equal(nul.value[120], null)
      assert.equal(nul.nonFinite.value.length, 80)
      assert.deepEqual(nul.nonFinite.value[0], [120, 'Infinity'])
      assert.deepEqual(nul.nonFinite.value[3], [123, 'NaN'])
      const rebuilt = nul.value.map((v: number | null, i: number) => v)
      for (const [i, spelling] of nul.nonFinite.value) rebuilt[i] = spelling
      assert.deepEqual(rebuilt, str.value)
      const lit = await get(`${api}/scalars?${base}&nonFinite=literal`)
      assert.match(lit.text(), /,Infinity,Infinity,Infinity,NaN,/)
      assert.deepEqual(parseLiteralJson(lit.text()).value, str.value)
    })

    it('gives the same numbers in CSV and NDJSON as in JSON, non-finite values included, for every series', async () => {
      for (const { run, tag } of allSeries()) {
        const base = qs([['run', run], ['tag', tag]])
        const json = (await get(`${api}/scalars?${base}`)).json()
        const csv = parseCsv((await get(`${api}/scalars?${base}&format=csv`)).text())
        assert.deepEqual(csv[0], ['run', 'tag', 'step', 'wallTime', 'value'])
        const rows = csv.slice(1)
        assert.equal(rows.length, json.points)
        assert.ok(rows.every(r => r[0] === run && r[1] === tag), `${run} ${tag} csv names`)
        assert.equal(sameNumbers(rows.map(r => num(r[2]!)), json.step), null)
        assert.equal(sameNumbers(rows.map(r => num(r[3]!)), json.wallTime), null)
        assert.equal(sameNumbers(rows.map(r => num(r[4]!)), json.value.map(num)), null, `${run} ${tag} csv value`)
        const nd = (await get(`${api}/scalars?${base}&format=ndjson`)).text().trim().split('\n').map(l => JSON.parse(l))
        assert.equal(nd.length, json.points)
        assert.deepEqual(Object.keys(nd[0]), ['run', 'tag', 'step', 'wallTime', 'value'])
        assert.equal(sameNumbers(nd.map((o: any) => o.step), json.step), null)
        assert.equal(sameNumbers(nd.map((o: any) => o.wallTime), json.wallTime), null)
        assert.equal(sameNumbers(nd.map((o: any) => num(o.value)), json.value.map(num)), null)
      }
    })

    it('carries non-finite values through CSV (NaN/Infinity, or empty under null) and NDJSON (null + nonFinite)', async () => {
      const base = qs([['run', 'pytorch/nan_mid'], ['tag', 'loss']])
      const csv = parseCsv((await get(`${api}/scalars?${base}&format=csv`)).text())
      assert.deepEqual(csv.slice(121, 125).map(r => r[4]), ['Infinity', 'Infinity', 'Infinity', 'NaN'])
      const csvNull = parseCsv((await get(`${api}/scalars?${base}&format=csv&nonFinite=null`)).text())
      assert.equal(csvNull[121]![4], '')
      const nd = (await get(`${api}/scalars?${base}&format=ndjson&nonFinite=null`)).text().trim().split('\n').map(l => JSON.parse(l))
      assert.equal(nd[120].value, null)
      assert.deepEqual(nd[120].nonFinite, { value: 'Infinity' })
      assert.deepEqual(nd[123].nonFinite, { value: 'NaN' })
      assert.equal(nd[10].nonFinite, undefined)
      const ndLit = (await get(`${api}/scalars?${base}&format=ndjson&nonFinite=literal`)).text().trim().split('\n')
      assert.match(ndLit[123]!, /"value":NaN\}$/)
    })

    it('chooses the format from the Accept header when format= is absent, and format= wins', async () => {
      const base = `${api}/scalars?${qs([['run', 'edge/rotation'], ['tag', 'loss']])}`
      const csv = await get(base, { accept: 'text/csv' })
      assert.match(String(csv.headers['content-type']), /^text\/csv/)
      assert.equal(csv.text().split('\n')[0], 'run,tag,step,wallTime,value')
      const nd = await get(base, { accept: 'application/x-ndjson' })
      assert.match(String(nd.headers['content-type']), /^application\/x-ndjson/)
      const q = await get(base, { accept: 'text/csv;q=0.5, application/x-ndjson;q=0.9' })
      assert.match(String(q.headers['content-type']), /^application\/x-ndjson/)
      const browser = await get(base, { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' })
      assert.match(String(browser.headers['content-type']), /^application\/json/)
      const forced = await get(base + '&format=json', { accept: 'text/csv' })
      assert.match(String(forced.headers['content-type']), /^application\/json/)
      assert.equal(csv.headers.vary, 'Accept, Accept-Encoding')
    })

    it('returns {series: [...]} for several runs × tags (repeated names or regexes), in store order', async () => {
      const r = (await get(`${api}/scalars?${qs([['run', 'keras_style/normal/train'], ['run', 'keras_style/normal/validation'], ['tag', 'epoch_loss']])}`)).json()
      assert.deepEqual(r.series.map((s: any) => s.run), srv.store.runNamesTbOrder().filter(n => n === 'keras_style/normal/train' || n === 'keras_style/normal/validation'))
      assert.ok(r.series.every((s: any) => s.tag === 'epoch_loss' && s.points === 8))
      const re = (await get(`${api}/scalars?${qs([['runRe', '^edge/encodings_zoo$'], ['tagRe', '^enc/tensor_(double|int64)']])}`)).json()
      assert.deepEqual(re.series.map((s: any) => s.tag), ['enc/tensor_double_val', 'enc/tensor_int64_val'])
      // int64 values 10·step come back as JSON integers.
      assert.deepEqual(re.series[1].value.slice(0, 3), [0, 10, 20])
      const none = (await get(`${api}/scalars?${qs([['runRe', 'no-such-run']])}`)).json()
      assert.deepEqual(none, { series: [] })
      const csv = parseCsv((await get(`${api}/scalars?${qs([['runRe', '^keras_style/normal/(train|validation)$'], ['tag', 'epoch_loss'], ['format', 'csv']])}`)).text())
      assert.equal(csv.length, 1 + 16)
    })

    it('keeps only points inside startStep/endStep and startTime/endTime (inclusive)', async () => {
      const base = qs([['run', 'pytorch/raw_loss'], ['tag', 'Loss/train']])
      const full = (await get(`${api}/scalars?${base}`)).json()
      const a = (await get(`${api}/scalars?${base}&startStep=10&endStep=19`)).json()
      assert.deepEqual(a.step, Array.from({ length: 10 }, (_, i) => 10 + i))
      assert.equal(a.pointsInRange, 10)
      assert.equal(a.totalPoints, 300)
      const t0 = full.wallTime[50]; const t1 = full.wallTime[59]
      const b = (await get(`${api}/scalars?${base}&startTime=${t0}&endTime=${t1}`)).json()
      assert.deepEqual(b.step, full.step.filter((_: number, i: number) => full.wallTime[i] >= t0 && full.wallTime[i] <= t1))
      // Steps that go back (a resumed run) are filtered point by point, in stored order: 0..199 then 120..299.
      const resumed = (await get(`${api}/scalars?${qs([['run', 'pytorch/restart_nopurge'], ['tag', 'loss'], ['startStep', 190], ['endStep', 125]])}`))
      assert.equal(resumed.status, 400)
      const r2 = (await get(`${api}/scalars?${qs([['run', 'pytorch/restart_nopurge'], ['tag', 'loss'], ['startStep', 118], ['endStep', 121]])}`)).json()
      assert.deepEqual(r2.step, [118, 119, 120, 121, 120, 121])
    })

    it('thins each series to at most points=N, keeping the first and last point and the extremes (minmax and lttb)', async () => {
      const base = qs([['run', 'pytorch/long_run'], ['tag', 'Loss/train']])
      const full = (await get(`${api}/scalars?${base}`)).json()
      for (const method of ['minmax', 'lttb']) {
        const r = (await get(`${api}/scalars?${base}&points=100&method=${method}`)).json()
        assert.ok(r.points <= 100 && r.points >= 50, `${method}: ${r.points}`)
        assert.deepEqual(r.downsampled, { method, maxPoints: 100 })
        assert.equal(r.totalPoints, 2500)
        assert.equal(r.step[0], full.step[0])
        assert.equal(r.step.at(-1), full.step.at(-1))
        // Every returned point is a stored point (aligned columns, no interpolation).
        for (let k = 0; k < r.points; k++) {
          const i = full.step.indexOf(r.step[k])
          assert.equal(r.value[k], full.value[i])
          assert.equal(r.wallTime[k], full.wallTime[i])
        }
      }
      const mm = (await get(`${api}/scalars?${base}&points=100`)).json()
      assert.ok(mm.value.includes(Math.max(...full.value)), 'the global maximum survives min/max thinning')
      assert.ok(mm.value.includes(Math.min(...full.value)), 'the global minimum survives min/max thinning')
      const all = (await get(`${api}/scalars?${base}&points=5000`)).json()
      assert.equal(all.points, 2500)
      assert.equal(all.downsampled, null)
      const nan = (await get(`${api}/scalars?${qs([['run', 'pytorch/nan_mid'], ['tag', 'loss'], ['points', 10]])}`)).json()
      assert.ok(nan.value.includes('Infinity') && nan.value.includes('NaN'), 'non-finite values survive thinning')
    })

    it('returns requested enrichment columns aligned with step, or names them unavailable', async () => {
      const base = qs([['run', 'keras_style/normal/train'], ['tag', 'batch_loss']])
      const r = (await get(`${api}/scalars?${base}&series=raw,desmoothed,smoothed&smoothing=0.3`)).json()
      assert.equal(typeof r.family, 'string')
      assert.ok(Array.isArray(r.notes))
      for (const col of ['desmoothed', 'desmoothedBound', 'epoch', 'smoothed']) {
        if (r.unavailable.includes(col)) assert.equal(r[col], undefined, col)
        else assert.equal(r[col].length, r.step.length, col)
      }
      const only = (await get(`${api}/scalars?${base}&series=smoothed`)).json()
      assert.equal(only.value, undefined)
      assert.equal(only.step.length, 192)
      const csv = parseCsv((await get(`${api}/scalars?${base}&series=desmoothed&format=csv`)).text())
      assert.deepEqual(csv[0], ['run', 'tag', 'step', 'wallTime', 'desmoothed', 'desmoothedBound', 'epoch'])
      assert.ok(csv.slice(1).every(row => row.length === 7))
    })

    it('accepts the de-smoothing parameters desmooth, datasetSize and batchSize', async () => {
      const base = qs([['run', 'keras_style/normal/train'], ['tag', 'batch_loss'], ['series', 'desmoothed']])
      for (const extra of ['desmooth=auto', 'desmooth=running-mean', 'desmooth=none', 'datasetSize=3000&batchSize=128']) {
        const r = await get(`${api}/scalars?${base}&${extra}`)
        assert.equal(r.status, 200, extra)
        assert.equal(r.json().step.length, 192)
      }
    })

    it('answers 404 naming the unknown run, or the tag and its run', async () => {
      const a = await get(`${api}/scalars?${qs([['run', 'nope'], ['tag', 'loss']])}`)
      assert.equal(a.status, 404)
      assert.deepEqual(a.json().error, { code: 'LB_ERR_NOT_FOUND_RUN', message: "run not found: 'nope'", run: 'nope' })
      const b = await get(`${api}/scalars?${qs([['run', 'pytorch/nan_mid'], ['tag', 'nope']])}`)
      assert.equal(b.status, 404)
      assert.deepEqual(b.json().error, { code: 'LB_ERR_NOT_FOUND_TAG', message: "tag 'nope' not found in run 'pytorch/nan_mid'", run: 'pytorch/nan_mid', tag: 'nope' })
      // A histogram-only tag is not a scalar tag.
      const c = await get(`${api}/scalars?${qs([['run', 'pytorch/mixed_hist_img'], ['tag', 'weights/layer0']])}`)
      assert.equal(c.status, 404)
    })

    it('serves names with spaces, non-ASCII and slashes', async () => {
      const run = 'edge/run with spaces ünïcødé ✓'
      const r = (await get(`${api}/scalars?${qs([['run', run], ['tag', 'métrique/δ loss ✓']])}`)).json()
      assert.equal(r.run, run)
      assert.equal(r.points, 25)
      const csv = (await get(`${api}/scalars?${qs([['run', run], ['tagRe', '.'], ['format', 'csv']])}`)).text()
      assert.equal(parseCsv(csv).length, 1 + 50)
    })
  })
})
