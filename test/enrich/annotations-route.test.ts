/** GET /api/v1/annotations through the real app: filters, the JSON shape, 400 naming the parameter, 404 for unknown names. */

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { GENERATED } from '../helpers/paths.js'
import { loadLogdir } from '../helpers/load.js'
import { buildApp } from '../../server/app.js'
import type { FastifyInstance } from 'fastify'
import type { Annotation } from '../../server/provider/enrichment.js'

async function app (t: { after: (fn: () => Promise<void>) => void }): Promise<FastifyInstance> {
  const { store, loader } = await loadLogdir(GENERATED)
  const a = await buildApp({ store, logdir: GENERATED, totals: () => loader.totals() })
  t.after(() => a.close())
  return a
}

test('lists annotations with every documented field, ordered by run, tag and step', async (t) => {
  const a = await app(t)
  const res = await a.inject({ url: '/api/v1/annotations?run=pytorch/nan_mid' })
  assert.equal(res.statusCode, 200)
  assert.match(res.headers['content-type'] as string, /^application\/json/)
  const list = res.json() as Annotation[]
  assert.ok(Array.isArray(list) && list.length >= 4)
  for (const x of list) {
    assert.deepEqual(Object.keys(x).slice(0, 14), ['id', 'run', 'tag', 'kind', 'severity', 'startStep', 'endStep', 'wallTime', 'magnitude', 'baseline', 'peak', 'causes', 'explanation', 'series'])
    assert.deepEqual(Object.keys(x.magnitude), ['ratio', 'robustZ'])
    assert.ok(x.causes.length >= 1 && x.causes.every(c => typeof c.cause === 'string' && typeof c.evidence === 'string'))
    assert.ok(x.explanation.length > 100)
  }
  const keys = list.map(x => `${x.tag}\0${String(x.startStep).padStart(6, '0')}`)
  assert.deepEqual(keys, [...keys].sort())
})

test('filters by tag, kind, severity and minStep', async (t) => {
  const a = await app(t)
  const get = async (q: string): Promise<Annotation[]> => (await a.inject({ url: `/api/v1/annotations?${q}` })).json()
  const nf = await get('run=pytorch/nan_mid&tag=loss&kind=non-finite')
  assert.deepEqual(nf.map(x => [x.kind, x.startStep]), [['non-finite', 120]])
  const critical = await get('severity=critical')
  assert.ok(critical.length > 0 && critical.every(x => x.severity === 'critical'))
  // minStep keeps annotations that end at or after it: the divergence ends at 119, the NaN at 199.
  const late = await get('run=pytorch/nan_mid&tag=loss&minStep=150')
  assert.deepEqual(late.map(x => x.kind), ['non-finite'])
  // A tag without a run looks in every run.
  // (lr_jump's loss jumps after the LR change and recovers within ~34 steps: a transient, so a spike.)
  const batch = await get('tag=batch_loss&kind=spike')
  assert.deepEqual(batch.map(x => x.run), ['keras_style/lr_jump/train'])
})

test('bad parameters get a 400 naming them; unknown runs and tags a 404', async (t) => {
  const a = await app(t)
  const cases: Array<[string, number, string, string]> = [
    ['kind=bogus', 400, 'LB_ERR_BAD_PARAM', 'kind'],
    ['severity=fatal', 400, 'LB_ERR_BAD_PARAM', 'severity'],
    ['minStep=abc', 400, 'LB_ERR_BAD_PARAM', 'minStep'],
    ['runs=x', 400, 'LB_ERR_BAD_PARAM', 'runs'],
    ['run=a&run=b', 400, 'LB_ERR_BAD_PARAM', 'run'],
    ['run=no/such/run', 404, 'LB_ERR_NOT_FOUND_RUN', ''],
    ['run=pytorch/nan_mid&tag=nope', 404, 'LB_ERR_NOT_FOUND_TAG', ''],
    ['tag=nope', 404, 'LB_ERR_NOT_FOUND_TAG', '']
  ]
  for (const [q, status, code, param] of cases) {
    const res = await a.inject({ url: `/api/v1/annotations?${q}` })
    assert.equal(res.statusCode, status, q)
    const body = res.json() as { error: { code: string, param?: string, message: string } }
    assert.equal(body.error.code, code, q)
    if (param !== '') assert.equal(body.error.param, param, q)
  }
  const r = await a.inject({ url: '/api/v1/annotations?run=no/such/run' })
  assert.equal((r.json() as { error: { message: string } }).error.message, "run not found: 'no/such/run'")
})

test('non-finite magnitudes become null in JSON, and the route is in the OpenAPI document', async (t) => {
  const a = await app(t)
  // Every annotation of the corpus parses as JSON; numbers that are not finite come out as null.
  const all = (await a.inject({ url: '/api/v1/annotations' })).json() as Annotation[]
  assert.ok(all.length > 20)
  for (const x of all) {
    for (const v of [x.magnitude.ratio, x.magnitude.robustZ, x.baseline, x.peak]) assert.ok(v === null || Number.isFinite(v), `${x.id}: ${v}`)
  }
  const doc = (await a.inject({ url: '/api/v1/openapi.json' })).json() as { paths: Record<string, unknown> }
  assert.ok('/api/v1/annotations' in doc.paths, Object.keys(doc.paths).join(' '))
  // The tags listing carries the family and the counts.
  const tags = (await a.inject({ url: '/api/v1/tags?run=pytorch/nan_mid' })).json() as { tags: Array<{ tag: string, family: string, annotations: Record<string, number> }> }
  const loss = tags.tags.find(x => x.tag === 'loss')!
  assert.equal(loss.family, 'raw')
  assert.deepEqual(loss.annotations, { info: 0, warning: 0, critical: 2 })
})

test('runRe/tagRe, several kinds, minSeverity and format=csv filter and render the same list', async (t) => {
  const a = await app(t)
  const get = async (q: string): Promise<Annotation[]> => (await a.inject({ url: `/api/v1/annotations?${q}` })).json()
  const all = await get('')
  const byRe = await get('runRe=^pytorch/&tagRe=^loss$')
  assert.ok(byRe.length > 0)
  assert.deepEqual(byRe, all.filter(x => /^pytorch\//.test(x.run) && /^loss$/.test(x.tag)))
  const two = await get('kind=spike,non-finite&kind=divergence')
  assert.deepEqual(two, all.filter(x => ['spike', 'non-finite', 'divergence'].includes(x.kind)))
  const triage = await get('minSeverity=warning')
  assert.ok(triage.length > 0 && triage.length < all.length)
  assert.deepEqual(triage, all.filter(x => x.severity !== 'info'))
  const res = await a.inject({ url: '/api/v1/annotations?minSeverity=critical&format=csv' })
  assert.equal(res.statusCode, 200)
  assert.match(res.headers['content-type'] as string, /^text\/csv/)
  const lines = res.body.trimEnd().split('\n')
  assert.equal(lines[0], 'id,run,tag,kind,severity,startStep,endStep,wallTime,ratio,robustZ,baseline,peak,series,open,tentative,causes,explanation')
  const critical = all.filter(x => x.severity === 'critical')
  assert.equal(lines.length - 1, critical.length)
  assert.ok(lines[1]!.startsWith(critical[0]!.id.includes(',') ? '"' : critical[0]!.id))
  // Accept: text/csv selects CSV too.
  const acc = await a.inject({ url: '/api/v1/annotations?minSeverity=critical', headers: { accept: 'text/csv' } })
  assert.equal(acc.body, res.body)
})

test('errors name the nearest known run, tag or kind, and come as text/plain when CSV was asked for', async (t) => {
  const a = await app(t)
  const run = await a.inject({ url: '/api/v1/annotations?run=pytorch/nan_mdi' })
  assert.equal(run.statusCode, 404)
  assert.deepEqual(run.json(), { error: { code: 'LB_ERR_NOT_FOUND_RUN', message: "run not found: 'pytorch/nan_mdi'; did you mean 'pytorch/nan_mid'?", run: 'pytorch/nan_mdi', suggestion: 'pytorch/nan_mid' } })
  const tag = await a.inject({ url: '/api/v1/annotations?run=pytorch/nan_mid&tag=Loss&format=csv' })
  assert.equal(tag.statusCode, 404)
  assert.match(tag.headers['content-type'] as string, /^text\/plain/)
  assert.equal(tag.body, "LB_ERR_NOT_FOUND_TAG: tag 'Loss' not found in run 'pytorch/nan_mid'; did you mean 'loss'?\n")
  const kind = await a.inject({ url: '/api/v1/annotations?kind=spikes&format=csv' })
  assert.equal(kind.statusCode, 400)
  assert.match(kind.body, /^LB_ERR_BAD_PARAM: invalid parameter 'kind': unknown kind 'spikes' \(did you mean 'spike'\?\)/)
  const re = await a.inject({ url: '/api/v1/annotations?runRe=(' })
  assert.equal(re.statusCode, 400)
  assert.equal(re.json().error.param, 'runRe')
  // The data routes share the suggestion and the text/plain form.
  const sc = await a.inject({ url: '/api/v1/scalars?run=pytorch/nan_mdi&tag=loss&format=csv' })
  assert.equal(sc.statusCode, 404)
  assert.equal(sc.body, "LB_ERR_NOT_FOUND_RUN: run not found: 'pytorch/nan_mdi'; did you mean 'pytorch/nan_mid'?\n")
})
