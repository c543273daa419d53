/** /api/v1/openapi.json validates against the OpenAPI 3.1 schema and lists every route; /api/v1/docs renders it; responses match their schemas. */

import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { Validator } from '@seriousme/openapi-schema-validator'
import { Ajv } from 'ajv'
import { GENERATED } from '../helpers/paths.js'
import { startServer, get, qs, type Server } from './helpers.js'
import { routeTable } from '../../server/http/hygiene.js'
import { RunsResponse, TagsResponse, ScalarsResponse } from '../../server/http/schemas.js'

/** A Fastify route URL in OpenAPI's spelling: `:eid` → `{eid}`, `*` → `{*}`. */
function openapiPath (url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\*$/, '{*}')
}

describe('OpenAPI document', () => {
  let srv: Server
  let doc: any
  before(async () => {
    srv = await startServer(GENERATED)
    doc = (await get(`${srv.origin}/api/v1/openapi.json`)).json()
  })
  after(async () => { await srv.close() })

  it('validates against the OpenAPI 3.1 JSON schema', async () => {
    const v = new Validator()
    const res = await v.validate(doc)
    assert.equal(v.version, '3.1')
    assert.deepEqual(res.errors ?? [], [])
    assert.equal(res.valid, true)
  })

  it('lists every route the server has, with its method', () => {
    const routes = routeTable(srv.app).filter(r => r.method !== 'HEAD' && r.method !== 'OPTIONS')
    assert.ok(routes.length >= 20, `only ${routes.length} routes recorded`)
    const missing: string[] = []
    for (const r of routes) {
      if (r.hidden) continue
      const op = doc.paths[openapiPath(r.url)]?.[r.method.toLowerCase()]
      if (op === undefined) missing.push(`${r.method} ${r.url}`)
    }
    assert.deepEqual(missing, [])
    // Only catch-all wildcards (the JSON 404 of /api/v1, the dashboard's static files) stay out of the document.
    assert.deepEqual(routes.filter(r => r.hidden && !r.url.endsWith('*')).map(r => r.url), [])
    for (const p of ['/api/v1/runs', '/api/v1/tags', '/api/v1/scalars', '/api/v1/export', '/api/v1/stream', '/api/v1/openapi.json', '/api/v1/docs', '/healthz']) {
      assert.ok(doc.paths[p]?.get !== undefined, p)
    }
  })

  it('documents every query parameter of the native routes, with a description', () => {
    const params = (p: string): string[] => doc.paths[p].get.parameters.map((x: any) => x.name)
    assert.deepEqual(params('/api/v1/scalars').sort(), ['batchSize', 'datasetSize', 'desmooth', 'endStep', 'endTime', 'format', 'method', 'nonFinite', 'points', 'run', 'runRe', 'series', 'smoothing', 'startStep', 'startTime', 'tag', 'tagRe'])
    assert.deepEqual(params('/api/v1/export').sort(), ['batchSize', 'datasetSize', 'desmooth', 'endStep', 'endTime', 'format', 'nonFinite', 'pivot', 'run', 'runColumn', 'runRe', 'series', 'smoothing', 'startStep', 'startTime', 'tag', 'tagRe'])
    assert.deepEqual(params('/api/v1/stream').sort(), ['lastEventId', 'run', 'runRe', 'tag', 'tagRe'])
    for (const p of ['/api/v1/scalars', '/api/v1/export', '/api/v1/stream', '/api/v1/tags', '/api/v1/runs']) {
      for (const x of doc.paths[p].get.parameters) assert.ok((x.description ?? '').length > 10, `${p} ${x.name}`)
      assert.ok(doc.paths[p].get.responses['400'], `${p} documents its 400`)
    }
    assert.deepEqual(Object.keys(doc.paths['/api/v1/scalars'].get.responses['200'].content).sort(), ['application/json', 'application/x-ndjson', 'text/csv'])
  })

  it('describes real responses: /runs, /tags and /scalars bodies validate against their response schemas', async () => {
    const ajv = new Ajv({ strict: false })
    const runs = (await get(`${srv.origin}/api/v1/runs`)).json()
    assert.ok(ajv.validate(RunsResponse, runs), ajv.errorsText())
    const tags = (await get(`${srv.origin}/api/v1/tags`)).json()
    assert.ok(ajv.validate(TagsResponse, tags), ajv.errorsText())
    for (const q of [
      qs([['run', 'pytorch/nan_mid'], ['tag', 'loss']]),
      qs([['run', 'pytorch/nan_mid'], ['tag', 'loss'], ['nonFinite', 'null'], ['series', 'raw,smoothed,desmoothed']]),
      qs([['runRe', 'keras_style/normal'], ['tagRe', 'loss'], ['points', 20]])
    ]) {
      const body = (await get(`${srv.origin}/api/v1/scalars?${q}`)).json()
      assert.ok(ajv.validate(ScalarsResponse, body), `${q}: ${ajv.errorsText()}`)
    }
  })

  it('renders a docs page that names every documented path and parameter', async () => {
    const r = await get(`${srv.origin}/api/v1/docs`)
    assert.equal(r.status, 200)
    assert.match(String(r.headers['content-type']), /^text\/html/)
    const html = r.text()
    for (const p of Object.keys(doc.paths)) assert.ok(html.includes(p.replace(/&/g, '&amp;')), p)
    for (const x of doc.paths['/api/v1/scalars'].get.parameters) assert.ok(html.includes(`<code>${x.name}</code>`), x.name)
    assert.ok(html.includes('href="openapi.json"'), 'relative link to the machine-readable document')
  })
})
