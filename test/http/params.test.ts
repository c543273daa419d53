/** Bad input gets a 400 that names the parameter (never a 500); unknown runs, tags and routes get a JSON 404. */

import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { GENERATED } from '../helpers/paths.js'
import { startServer, get, type Server } from './helpers.js'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { REPO } from '../helpers/paths.js'
import { ERROR_CODES } from '../../server/http/errors.js'

/** [route, query string, the parameter the 400 must name, a fragment of the message]. */
const BAD: Array<[string, string, string, string]> = [
  ['runs', 'runRe=(', 'runRe', 'not a valid regular expression'],
  ['runs', 'tag=loss', 'tag', 'unknown parameter'],
  ['tags', 'tagRe=[', 'tagRe', 'not a valid regular expression'],
  ['tags', 'runs=a', 'runs', 'unknown parameter'],
  ['scalars', '', 'run', 'name a run'],
  ['scalars', 'runRe=(&tag=loss', 'runRe', 'not a valid regular expression'],
  ['scalars', 'runRe=.&tagRe=(', 'tagRe', 'not a valid regular expression'],
  ['scalars', 'runRe=.&tags=loss', 'tags', 'unknown parameter'],
  ['scalars', 'runRe=.&points=abc', 'points', 'must be integer'],
  ['scalars', 'runRe=.&points=1.5', 'points', 'must be integer'],
  ['scalars', 'runRe=.&points=-1', 'points', 'must be >= 0'],
  ['scalars', 'runRe=.&points=1', 'points', 'must be 0 (every point) or ≥ 2'],
  ['scalars', 'runRe=.&points=5&points=6', 'points', 'must be integer'],
  ['scalars', 'runRe=.&points=', 'points', 'must be integer'],
  ['scalars', 'runRe=.&method=max', 'method', 'allowed values: minmax, lttb'],
  ['scalars', 'runRe=.&nonFinite=nan', 'nonFinite', 'allowed values: string, null, literal'],
  ['scalars', 'runRe=.&format=xml', 'format', 'allowed values: json, csv, ndjson'],
  ['scalars', 'runRe=.&smoothing=1', 'smoothing', 'must be < 1'],
  ['scalars', 'runRe=.&smoothing=-0.1', 'smoothing', 'must be >= 0'],
  ['scalars', 'runRe=.&smoothing=high', 'smoothing', 'must be number'],
  ['scalars', 'runRe=.&desmooth=maybe', 'desmooth', 'allowed values: auto, running-mean, none'],
  ['scalars', 'runRe=.&datasetSize=0', 'datasetSize', 'must be >= 1'],
  ['scalars', 'runRe=.&batchSize=x', 'batchSize', 'must be integer'],
  ['scalars', 'runRe=.&startStep=ten', 'startStep', 'must be number'],
  ['scalars', 'runRe=.&endStep=x', 'endStep', 'must be number'],
  ['scalars', 'runRe=.&startStep=10&endStep=5', 'endStep', 'must be ≥ startStep (10)'],
  ['scalars', 'runRe=.&startTime=x', 'startTime', 'must be number'],
  ['scalars', 'runRe=.&endTime=x', 'endTime', 'must be number'],
  ['scalars', 'runRe=.&startTime=10&endTime=5', 'endTime', 'must be ≥ startTime (10)'],
  ['scalars', 'runRe=.&series=raw,bogus', 'series', "unknown series 'bogus'"],
  ['scalars', 'runRe=.&series=', 'series', 'must name at least one'],
  ['export', 'pivot=yes', 'pivot', 'must be boolean'],
  ['export', 'runColumn=name', 'runColumn', 'allowed values: run, dir_name'],
  ['export', 'format=parquet', 'format', 'allowed values'],
  ['export', 'points=10', 'points', 'unknown parameter'],
  ['export', 'tagRe=(', 'tagRe', 'not a valid regular expression'],
  ['export', 'series=none', 'series', "unknown series 'none'"],
  ['export', 'startStep=3&endStep=2', 'endStep', 'must be ≥ startStep'],
  ['export', 'nonFinite=0', 'nonFinite', 'allowed values'],
  ['export', 'smoothing=2', 'smoothing', 'must be < 1'],
  ['stream', 'runRe=(', 'runRe', 'not a valid regular expression'],
  ['stream', 'since=3', 'since', 'unknown parameter']
]

describe('/api/v1 input validation', () => {
  let srv: Server
  before(async () => { srv = await startServer(GENERATED) })
  after(async () => { await srv.close() })

  for (const [route, query, param, fragment] of BAD) {
    it(`${route}?${query} → 400 naming '${param}'`, async () => {
      const r = await get(`${srv.origin}/api/v1/${route}?${query}`)
      assert.equal(r.status, 400)
      const e = r.json().error
      assert.equal(e.code, 'LB_ERR_BAD_PARAM')
      assert.equal(e.param, param)
      assert.ok(e.message.startsWith(`invalid parameter '${param}': `), e.message)
      assert.ok(e.message.includes(fragment), `${e.message} should contain ${fragment}`)
    })
  }

  it('quotes the offending value in schema errors', async () => {
    const r = await get(`${srv.origin}/api/v1/scalars?runRe=.&points=abc`)
    assert.equal(r.json().error.message, 'invalid parameter \'points\': must be integer (got "abc")')
  })

  it('ignores the cache-buster _ and a proxy token', async () => {
    const r = await get(`${srv.origin}/api/v1/runs?_=123&token=abc`)
    assert.equal(r.status, 200)
  })

  it('answers unknown paths under /api/v1 with a JSON 404', async () => {
    for (const path of ['/api/v1/nope', '/api/v1/runs/extra', '/api/v1/']) {
      const r = await get(srv.origin + path)
      assert.equal(r.status, 404, path)
      assert.equal(r.json().error.code, 'LB_ERR_NOT_FOUND_ROUTE')
      assert.ok(r.json().error.message.includes(path))
    }
  })

  it('never answers 500 to hostile but well-formed input', async () => {
    const hostile = [
      'runRe=' + encodeURIComponent('(a+)+$') + '&tag=x',
      'run=' + encodeURIComponent('\u0000') + '&tag=' + encodeURIComponent('\u0000'),
      'runRe=.&tagRe=.&startStep=1e308&endStep=1e309',
      'runRe=.&tagRe=.&points=4294967297',
      'runRe=.&tagRe=.&startTime=-1e300',
      'run=' + 'x'.repeat(5000) + '&tag=y'
    ]
    for (const q of hostile) {
      const r = await get(`${srv.origin}/api/v1/scalars?${q}`)
      assert.ok(r.status < 500, `${q.slice(0, 60)} → ${r.status}`)
    }
  })

  it('documents every error code with its status in docs/api.md', () => {
    const doc = readFileSync(path.join(REPO, 'docs', 'api.md'), 'utf8')
    for (const [code, status] of Object.entries(ERROR_CODES)) {
      assert.match(doc, new RegExp(`^\\| \`${code}\` \\| ${status} \\|`, 'm'), code)
    }
  })

  it('uses only codes listed in ERROR_CODES, with their statuses', async () => {
    assert.equal(new Set(Object.keys(ERROR_CODES)).size, Object.keys(ERROR_CODES).length)
    const samples = [
      await get(`${srv.origin}/api/v1/scalars?run=nope&tag=x`),
      await get(`${srv.origin}/api/v1/scalars?run=pytorch/nan_mid&tag=x`),
      await get(`${srv.origin}/api/v1/scalars?runRe=.&points=x`),
      await get(`${srv.origin}/api/v1/x`)
    ]
    for (const r of samples) {
      const code = r.json().error.code as keyof typeof ERROR_CODES
      assert.equal(ERROR_CODES[code], r.status, code)
    }
  })
})
