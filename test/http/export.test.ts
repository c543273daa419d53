/** /api/v1/export: the long (tidy) table and its pivot, in CSV, NDJSON and columnar JSON, against the store. */

import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { EventFileBuilder, eventFileName } from '../../server/records/event-writer.js'
import { GENERATED, tempDir } from '../helpers/paths.js'
import { startServer, get, qs, parseCsv, num, sameNumbers, type Server } from './helpers.js'
import { scalarTagsOf } from '../../server/provider/scalars.js'

/** Long-format rows as [run, tag, step, wall_time, value] from the store, in the export's order. */
function storeRows (srv: Server, keepRun: (r: string) => boolean = () => true): Array<[string, string, number, number, number]> {
  const out: Array<[string, string, number, number, number]> = []
  for (const run of srv.store.runNamesTbOrder().filter(keepRun)) {
    for (const t of scalarTagsOf(srv.store.runs.get(run)!)) {
      const c = t.series!.columns()
      for (let i = 0; i < t.series!.length; i++) out.push([run, t.name, c.steps[i]!, c.wallTimes[i]!, c.values[i]!])
    }
  }
  return out
}

describe('/api/v1/export over corpus/generated', () => {
  let srv: Server
  before(async () => { srv = await startServer(GENERATED) })
  after(async () => { await srv.close() })

  it('exports every point of every series as long CSV with tbparse column names', async () => {
    const r = await get(`${srv.origin}/api/v1/export?format=csv`)
    assert.equal(r.status, 200)
    assert.match(String(r.headers['content-type']), /^text\/csv/)
    assert.equal(r.headers['content-disposition'], 'attachment; filename="lossboard-export.csv"')
    const rows = parseCsv(r.text())
    assert.deepEqual(rows[0], ['run', 'tag', 'step', 'wall_time', 'value'])
    const want = storeRows(srv)
    assert.equal(rows.length - 1, want.length)
    for (let i = 0; i < want.length; i++) {
      const [run, tag, step, wall, value] = want[i]!
      const row = rows[i + 1]!
      assert.equal(row[0], run)
      assert.equal(row[1], tag)
      assert.ok(Object.is(num(row[2]!), step) && Object.is(num(row[3]!), wall) && Object.is(num(row[4]!), value), `row ${i}: ${row.join(',')}`)
    }
  })

  it('gives the same table as NDJSON and as columnar JSON (pandas.DataFrame-ready), non-finite values included', async () => {
    const q = qs([['runRe', '^pytorch/'], ['format', 'csv']])
    const csv = parseCsv((await get(`${srv.origin}/api/v1/export?${q}`)).text()).slice(1)
    const nd = (await get(`${srv.origin}/api/v1/export?${q.replace('csv', 'ndjson')}`)).text().trim().split('\n').map(l => JSON.parse(l))
    const js = (await get(`${srv.origin}/api/v1/export?${q.replace('csv', 'json')}`)).json()
    assert.deepEqual(Object.keys(js), ['run', 'tag', 'step', 'wall_time', 'value'])
    assert.deepEqual(Object.keys(nd[0]), ['run', 'tag', 'step', 'wall_time', 'value'])
    assert.equal(nd.length, csv.length)
    for (const col of Object.keys(js)) assert.equal(js[col].length, csv.length, col)
    assert.deepEqual(js.run, csv.map(r => r[0]))
    assert.deepEqual(nd.map((o: any) => o.tag), csv.map(r => r[1]))
    for (const [j, col] of ['step', 'wall_time', 'value'].entries()) {
      const fromCsv = csv.map(r => num(r[j + 2]!))
      assert.equal(sameNumbers(js[col].map(num), fromCsv), null, `json ${col}`)
      assert.equal(sameNumbers(nd.map((o: any) => num(o[col])), fromCsv), null, `ndjson ${col}`)
    }
    assert.ok(js.value.includes('NaN') && js.value.includes('Infinity'), 'pytorch/nan_mid is in the export')
    const lit = (await get(`${srv.origin}/api/v1/export?${q.replace('csv', 'ndjson')}&nonFinite=literal`)).text()
    assert.match(lit, /"value":NaN\}\n/)
    assert.match(lit, /"value":Infinity\}\n/)
    const nul = (await get(`${srv.origin}/api/v1/export?${q.replace('csv', 'json')}&nonFinite=null`)).json()
    const back = nul.value.slice()
    for (const [row, spelling] of nul.nonFinite.value) { assert.equal(back[row], null); back[row] = spelling }
    assert.deepEqual(back, js.value)
  })

  it('selects with run/runRe/tag/tagRe and step ranges', async () => {
    const r = (await get(`${srv.origin}/api/v1/export?${qs([['run', 'pytorch/raw_loss'], ['tag', 'lr'], ['startStep', 10], ['endStep', 14], ['format', 'json']])}`)).json()
    assert.deepEqual(r.step, [10, 11, 12, 13, 14])
    assert.ok(r.run.every((x: string) => x === 'pytorch/raw_loss'))
    const none = await get(`${srv.origin}/api/v1/export?${qs([['run', 'nope']])}`)
    assert.equal(none.status, 404)
    const noTag = await get(`${srv.origin}/api/v1/export?${qs([['runRe', 'pytorch'], ['tag', 'nope']])}`)
    assert.equal(noTag.status, 404)
    assert.equal(noTag.json().error.message, "tag 'nope' not found in any selected run")
  })

  it('adds the enrichment columns asked for, under snake_case names, with one cell per row', async () => {
    const r = await get(`${srv.origin}/api/v1/export?${qs([['run', 'keras_style/normal/train'], ['series', 'raw,desmoothed,smoothed'], ['format', 'csv']])}`)
    const rows = parseCsv(r.text())
    assert.deepEqual(rows[0], ['run', 'tag', 'step', 'wall_time', 'value', 'desmoothed', 'desmoothed_bound', 'epoch', 'smoothed'])
    assert.ok(rows.slice(1).every(row => row.length === 9))
    const js = (await get(`${srv.origin}/api/v1/export?${qs([['run', 'keras_style/normal/train'], ['series', 'desmoothed'], ['format', 'json']])}`)).json()
    assert.deepEqual(Object.keys(js), ['run', 'tag', 'step', 'wall_time', 'desmoothed', 'desmoothed_bound', 'epoch'])
    for (const k of Object.keys(js)) assert.equal(js[k].length, js.step.length, k)
  })

  it('pivots to one row per (run, step) with one column per tag, sorted, the last arrival winning on repeated steps', async () => {
    const q = qs([['runRe', '^pytorch/(raw_loss|restart_nopurge)$'], ['pivot', 'true'], ['format', 'csv']])
    const rows = parseCsv((await get(`${srv.origin}/api/v1/export?${q}`)).text())
    assert.deepEqual(rows[0], ['run', 'step', 'wall_time', 'Loss/train', 'Loss/val', 'loss', 'lr'])
    const raw = rows.filter(r => r[0] === 'pytorch/raw_loss')
    assert.equal(raw.length, 300)
    const lossTrain = srv.store.runs.get('pytorch/raw_loss')!.tags.get('Loss/train')!.series!.columns()
    const val = srv.store.runs.get('pytorch/raw_loss')!.tags.get('Loss/val')!.series!.columns()
    for (let i = 0; i < 300; i++) {
      assert.equal(num(raw[i]![1]!), i)
      assert.equal(num(raw[i]![3]!), lossTrain.values[i])
      const v = Array.from(val.steps).indexOf(i)
      assert.equal(raw[i]![4], v < 0 ? '' : String(val.values[v]), `Loss/val at ${i}`)
      assert.equal(raw[i]![5], '', 'no loss tag in raw_loss')
    }
    // restart_nopurge: steps 0..199 then 120..299; in the pivot, steps 120..199 take the resumed values.
    const resumed = rows.filter(r => r[0] === 'pytorch/restart_nopurge')
    assert.equal(resumed.length, 300)
    const s = srv.store.runs.get('pytorch/restart_nopurge')!.tags.get('loss')!.series!.columns()
    for (const step of [0, 119, 120, 150, 199, 200, 299]) {
      let last = -1
      for (let i = 0; i < s.steps.length; i++) if (s.steps[i] === step) last = i
      const row = resumed.find(r => num(r[1]!) === step)!
      assert.equal(num(row[5]!), s.values[last], `step ${step}`)
      assert.equal(num(row[2]!), s.wallTimes[last], `wall time at ${step}`)
    }
  })

  it('pivots the same in NDJSON and columnar JSON', async () => {
    const q = qs([['runRe', '^keras_style/normal/(train|validation)$'], ['tagRe', '^epoch_'], ['pivot', 'true']])
    const csv = parseCsv((await get(`${srv.origin}/api/v1/export?${q}&format=csv`)).text())
    const js = (await get(`${srv.origin}/api/v1/export?${q}&format=json`)).json()
    const nd = (await get(`${srv.origin}/api/v1/export?${q}&format=ndjson`)).text().trim().split('\n').map(l => JSON.parse(l))
    const header = csv[0]!
    assert.deepEqual(Object.keys(js), header)
    assert.deepEqual(Object.keys(nd[0]), header)
    assert.equal(nd.length, csv.length - 1)
    for (const [j, name] of header.entries()) {
      const fromCsv = csv.slice(1).map(r => j === 0 ? r[0] : r[j] === '' ? null : num(r[j]!))
      assert.deepEqual(js[name], fromCsv, name)
      assert.deepEqual(nd.map((o: any) => o[name]), fromCsv, name)
    }
  })
})

describe('/api/v1/export naming options', () => {
  const tmp = tempDir()
  let srv: Server
  before(async () => {
    // A logdir whose root holds events (run '.') beside a sub-run, as tbparse sees dir_name ''.
    writeFileSync(path.join(tmp.dir, eventFileName(1700000000)), new EventFileBuilder().fileVersion(1700000000).scalar('loss', 1, 1700000001, 0.5).scalar('step', 1, 1700000001, 7).bytes())
    mkdirSync(path.join(tmp.dir, 'eval, "quoted"'))
    writeFileSync(path.join(tmp.dir, 'eval, "quoted"', eventFileName(1700000100)), new EventFileBuilder().fileVersion(1700000100).scalar('loss', 2, 1700000102, 0.25).bytes())
    srv = await startServer(tmp.dir)
  })
  after(async () => { await srv.close(); tmp.cleanup() })

  it('names the run column dir_name, with \'\' for the logdir itself, when runColumn=dir_name', async () => {
    const rows = parseCsv((await get(`${srv.origin}/api/v1/export?format=csv&runColumn=dir_name`)).text())
    assert.deepEqual(rows, [
      ['dir_name', 'tag', 'step', 'wall_time', 'value'],
      ['', 'loss', '1', '1700000001', '0.5'],
      ['', 'step', '1', '1700000001', '7'],
      ['eval, "quoted"', 'loss', '2', '1700000102', '0.25']
    ])
    const js = (await get(`${srv.origin}/api/v1/export?format=json`)).json()
    assert.deepEqual(js.run, ['.', '.', 'eval, "quoted"'])
  })

  it('renames a pivot column that would collide with a fixed column', async () => {
    const rows = parseCsv((await get(`${srv.origin}/api/v1/export?format=csv&pivot=true`)).text())
    assert.deepEqual(rows[0], ['run', 'step', 'wall_time', 'loss', 'step (tag)'])
    assert.deepEqual(rows[1], ['.', '1', '1700000001', '0.5', '7'])
    assert.deepEqual(rows[2], ['eval, "quoted"', '2', '1700000102', '0.25', ''])
  })
})
