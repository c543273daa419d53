/** HTTP hygiene of /api/v1 on real sockets: ETag and 304, gzip/br, CORS, --base-path. */

import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { EventFileBuilder, eventFileName } from '../../server/records/event-writer.js'
import { GENERATED, tempDir } from '../helpers/paths.js'
import { startServer, get, qs, type Server } from './helpers.js'

/** A preflight (OPTIONS) request with the headers a browser sends. */
async function options (url: string, headers: Record<string, string>): Promise<{ status: number, headers: http.IncomingHttpHeaders }> {
  return await new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'OPTIONS', headers }, res => { res.resume(); res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers })) })
    req.on('error', reject)
    req.end()
  })
}

describe('ETag and If-None-Match', () => {
  const tmp = tempDir()
  let srv: Server
  let file: string
  before(async () => {
    mkdirSync(path.join(tmp.dir, 'train'))
    file = path.join(tmp.dir, 'train', eventFileName(1700000000))
    const b = new EventFileBuilder().fileVersion(1700000000)
    for (let s = 0; s < 50; s++) b.scalar('loss', s, 1700000000 + s, 1 / (s + 1))
    writeFileSync(file, b.bytes())
    srv = await startServer(tmp.dir)
  })
  after(async () => { await srv.close(); tmp.cleanup() })

  it('answers 304 with no body while nothing changed, and 200 with a new tag after an append', async () => {
    const url = `${srv.origin}/api/v1/scalars?${qs([['run', 'train'], ['tag', 'loss']])}`
    const first = await get(url)
    const etag = first.headers.etag!
    assert.match(etag, /^W\/"[A-Za-z0-9_-]+"$/)
    assert.equal(first.headers['cache-control'], 'no-cache')
    const again = await get(url, { 'if-none-match': etag })
    assert.equal(again.status, 304)
    assert.equal(again.body.length, 0)
    assert.equal(again.headers.etag, etag)
    // 1. The notebook re-runs its cell after training wrote more: the run's version moved on.
    appendFileSync(file, new EventFileBuilder().scalar('loss', 50, 1700000050, 0.02).bytes())
    await srv.loader.reload()
    const changed = await get(url, { 'if-none-match': etag })
    assert.equal(changed.status, 200)
    assert.notEqual(changed.headers.etag, etag)
    assert.equal(changed.json().points, 51)
    // 2. Each format and each parameter set has its own validator.
    const csv = await get(url + '&format=csv')
    assert.notEqual(csv.headers.etag, changed.headers.etag)
    assert.equal((await get(url + '&format=csv', { 'if-none-match': csv.headers.etag! })).status, 304)
    assert.equal((await get(url + '&points=10', { 'if-none-match': changed.headers.etag! })).status, 200)
    // 3. Lists of validators and the wildcard match too.
    assert.equal((await get(url, { 'if-none-match': `"x", ${changed.headers.etag!}` })).status, 304)
    assert.equal((await get(url, { 'if-none-match': '*' })).status, 304)
  })

  it('tags export responses the same way', async () => {
    const url = `${srv.origin}/api/v1/export?format=csv`
    const first = await get(url)
    assert.equal(first.status, 200)
    assert.equal((await get(url, { 'if-none-match': first.headers.etag! })).status, 304)
  })
})

describe('compression', () => {
  let srv: Server
  before(async () => { srv = await startServer(GENERATED) })
  after(async () => { await srv.close() })

  it('gzips or brotli-compresses big bodies when the client accepts it, identical once decoded', async () => {
    const url = `${srv.origin}/api/v1/export?format=csv`
    const plain = await get(url)
    assert.equal(plain.headers['content-encoding'], undefined)
    const gz = await get(url, { 'accept-encoding': 'gzip' })
    assert.equal(gz.headers['content-encoding'], 'gzip')
    assert.ok(gz.wireBytes < plain.wireBytes / 3, `${gz.wireBytes} vs ${plain.wireBytes}`)
    assert.deepEqual(gz.body, plain.body)
    const br = await get(url, { 'accept-encoding': 'br' })
    assert.equal(br.headers['content-encoding'], 'br')
    assert.deepEqual(br.body, plain.body)
    // gzip is preferred when both are acceptable (cheaper on the server's CPU).
    assert.equal((await get(url, { 'accept-encoding': 'br, gzip' })).headers['content-encoding'], 'gzip')
  })

  it('compresses JSON data and listings too', async () => {
    const r = await get(`${srv.origin}/api/v1/scalars?${qs([['run', 'pytorch/long_run'], ['tag', 'Loss/train']])}`, { 'accept-encoding': 'gzip' })
    assert.equal(r.headers['content-encoding'], 'gzip')
    assert.equal(r.json().points, 2500)
    assert.equal((await get(`${srv.origin}/api/v1/tags`, { 'accept-encoding': 'gzip' })).headers['content-encoding'], 'gzip')
  })
})

describe('CORS', () => {
  it('is off by default: no Access-Control headers', async () => {
    const srv = await startServer(GENERATED)
    try {
      const r = await get(`${srv.origin}/api/v1/runs`, { origin: 'http://localhost:8888' })
      assert.equal(r.headers['access-control-allow-origin'], undefined)
    } finally { await srv.close() }
  })

  it('allows any origin with --cors "*", including preflights and the ETag header', async () => {
    const srv = await startServer(GENERATED, { cors: '*' })
    try {
      const r = await get(`${srv.origin}/api/v1/runs`, { origin: 'http://localhost:8888' })
      assert.equal(r.headers['access-control-allow-origin'], '*')
      const scal = await get(`${srv.origin}/api/v1/scalars?run=edge/rotation&tag=loss`, { origin: 'http://localhost:8888' })
      assert.match(String(scal.headers['access-control-expose-headers']), /ETag/)
      const pre = await options(`${srv.origin}/api/v1/scalars`, { origin: 'http://localhost:8888', 'access-control-request-method': 'GET', 'access-control-request-headers': 'if-none-match' })
      assert.equal(pre.status, 204)
      assert.equal(pre.headers['access-control-allow-origin'], '*')
      assert.match(String(pre.headers['access-control-allow-methods']), /GET/)
    } finally { await srv.close() }
  })

  it('allows only the listed origins with a comma-separated --cors', async () => {
    const srv = await startServer(GENERATED, { cors: 'http://localhost:8888, https://hub.example.org' })
    try {
      const ok = await get(`${srv.origin}/api/v1/runs`, { origin: 'https://hub.example.org' })
      assert.equal(ok.headers['access-control-allow-origin'], 'https://hub.example.org')
      const no = await get(`${srv.origin}/api/v1/runs`, { origin: 'http://evil.example' })
      assert.equal(no.headers['access-control-allow-origin'], undefined)
    } finally { await srv.close() }
  })
})

describe('--base-path', () => {
  let srv: Server
  before(async () => { srv = await startServer(GENERATED, { basePath: '/user/ada/lossboard' }) })
  after(async () => { await srv.close() })

  it('serves every /api/v1 route under the prefix and nothing at the bare path', async () => {
    assert.match(srv.origin, /\/user\/ada\/lossboard$/)
    for (const p of ['/api/v1/runs', '/api/v1/tags', '/api/v1/scalars?run=edge/rotation&tag=loss', '/api/v1/export?runRe=rotation', '/api/v1/openapi.json', '/api/v1/docs', '/healthz']) {
      assert.equal((await get(srv.origin + p)).status, 200, p)
    }
    const bare = new URL(srv.origin).origin
    assert.equal((await get(bare + '/api/v1/runs')).status, 404)
  })

  it('states the prefix as the OpenAPI server URL, with paths relative to it', async () => {
    const doc = (await get(srv.origin + '/api/v1/openapi.json')).json()
    assert.deepEqual(doc.servers.map((s: any) => s.url), ['/user/ada/lossboard'])
    assert.ok('/api/v1/scalars' in doc.paths)
  })
})
