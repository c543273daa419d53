/** Access control on a real server: the token on every route (bearer and login cookie, also in headless Chromium), --allowed-hosts, security headers. */

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { chromium } from 'playwright-core'
import { startServer, type Server } from './helpers.js'
import { tempDir } from '../helpers/paths.js'
import { buildWeb } from '../web/fixtures.js'
import { EventFileBuilder, eventFileName } from '../../server/records/event-writer.js'
import { SESSION_COOKIE } from '../../server/http/access.js'

const TOKEN = 's3cret-token-for-tests'
let srv: Server
let webRoot: string
const tmp = tempDir('lossboard-access-')

interface Res { status: number, headers: http.IncomingHttpHeaders, body: string }

/** One request over a real socket (no automatic redirects, any Host header). */
async function req (url: string, opts: { method?: string, headers?: Record<string, string>, body?: string } = {}): Promise<Res> {
  return await new Promise((resolve, reject) => {
    const r = http.request(url, { method: opts.method ?? 'GET', headers: opts.headers }, res => {
      const parts: Buffer[] = []
      // SSE never ends: the status and headers are enough
      if ((res.headers['content-type'] ?? '').startsWith('text/event-stream')) { res.destroy(); resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' }); return }
      res.on('data', (c: Buffer) => parts.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString('utf8') }))
    })
    r.on('error', reject)
    r.end(opts.body)
  })
}

before(async () => {
  webRoot = path.join(tmp.dir, 'web')
  buildWeb(webRoot)
  const logdir = path.join(tmp.dir, 'logs')
  mkdirSync(path.join(logdir, 'train'), { recursive: true })
  const b = new EventFileBuilder().fileVersion(1700000000)
  for (let s = 0; s < 20; s++) b.scalar('loss', s, 1700000000 + s, 1 / (s + 1))
  writeFileSync(path.join(logdir, 'train', eventFileName(1700000000)), b.bytes())
  srv = await startServer(logdir, { authToken: TOKEN, allowedHosts: ['lb.example.com'], webRoot })
})

after(async () => {
  await srv.close()
  tmp.cleanup()
})

/** Every kind of route: API, TB /data (GET and POST), static files, stream, docs, OpenAPI, metrics. */
const ROUTES: Array<{ path: string, method?: string, body?: string, type?: string }> = [
  { path: '/api/v1/runs' },
  { path: '/api/v1/tags' },
  { path: '/api/v1/scalars?run=train&tag=loss' },
  { path: '/api/v1/export' },
  { path: '/api/v1/annotations' },
  { path: '/api/v1/stream' },
  { path: '/api/v1/docs' },
  { path: '/api/v1/openapi.json' },
  { path: '/api/v1/nope' },
  { path: '/metrics' },
  { path: '/data/runs' },
  { path: '/data/environment' },
  { path: '/data/plugin/scalars/tags' },
  { path: '/data/plugin/scalars/scalars?run=train&tag=loss' },
  { path: '/data/plugin/scalars/scalars_multirun', method: 'POST', body: 'tag=loss&runs=train', type: 'application/x-www-form-urlencoded' },
  { path: '/experiment/x/data/runs' },
  { path: '/' },
  { path: '/index.html' },
  { path: '/main.js' },
  { path: '/style.css' }
]

test('every route refuses a request without the token, or with a wrong one, and serves it with the token', async () => {
  for (const r of ROUTES) {
    const headers: Record<string, string> = r.type !== undefined ? { 'content-type': r.type } : {}
    const none = await req(srv.origin + r.path, { method: r.method, headers, body: r.body })
    assert.equal(none.status, 401, `${r.path} without token`)
    assert.equal(JSON.parse(none.body).error.code, 'LB_ERR_UNAUTHORIZED')
    assert.ok(!none.body.includes(TOKEN))
    const wrong = await req(srv.origin + r.path, { method: r.method, headers: { ...headers, authorization: 'Bearer ' + TOKEN.slice(0, -1) + 'X' }, body: r.body })
    assert.equal(wrong.status, 401, `${r.path} with a wrong token`)
    const ok = await req(srv.origin + r.path, { method: r.method, headers: { ...headers, authorization: 'Bearer ' + TOKEN }, body: r.body })
    assert.equal(ok.status, r.path === '/api/v1/nope' ? 404 : 200, `${r.path} with the token`)
  }
  // probes stay open (they reveal counts only)
  assert.equal((await req(srv.origin + '/healthz')).status, 200)
  assert.equal((await req(srv.origin + '/readyz')).status, 200)
})

test('a browser navigation without the cookie is sent to the login page; the login sets an HttpOnly SameSite=Strict cookie that is not the token', async () => {
  const nav = await req(srv.origin + '/data/runs', { headers: { accept: 'text/html' } })
  assert.equal(nav.status, 303)
  assert.equal(nav.headers.location, '../login')
  const page = await req(srv.origin + '/login')
  assert.equal(page.status, 200)
  assert.match(page.body, /<form method="post" action="login">/)
  assert.ok(!/<script/i.test(page.body), 'no script on the login page')
  const bad = await req(srv.origin + '/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'token=nope' })
  assert.equal(bad.status, 401)
  assert.equal(bad.headers['set-cookie'], undefined)
  const good = await req(srv.origin + '/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'token=' + encodeURIComponent(TOKEN) })
  assert.equal(good.status, 303)
  assert.equal(good.headers.location, './')
  const cookie = good.headers['set-cookie']![0]!
  assert.match(cookie, new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]+; Path=/; HttpOnly; SameSite=Strict$`))
  assert.ok(!cookie.includes(TOKEN))
  const pair = cookie.split(';')[0]!
  for (const p of ['/api/v1/runs', '/data/runs', '/', '/metrics']) {
    assert.equal((await req(srv.origin + p, { headers: { cookie: pair } })).status, 200, p)
  }
  assert.equal((await req(srv.origin + '/api/v1/runs', { headers: { cookie: pair.slice(0, -2) + 'xx' } })).status, 401)
})

test('the cookie flow works in headless Chromium: login page, token, dashboard with its runs and live stream', async () => {
  const CHROMIUM = '/usr/bin/chromium'
  assert.ok(existsSync(CHROMIUM), `needs Chromium at ${CHROMIUM} (apt-get install -y chromium)`)
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] })
  try {
    const page = await browser.newPage()
    const errors: string[] = []
    page.on('pageerror', e => errors.push(e.message))
    await page.goto(srv.origin + '/')
    assert.match(page.url(), /\/login$/)
    await page.fill('#token', TOKEN)
    await Promise.all([page.waitForURL(srv.origin + '/'), page.click('button[type=submit]')])
    assert.ok(!page.url().includes(TOKEN), 'the token never appears in a URL')
    await page.waitForSelector('article.card[data-tag="loss"]', { timeout: 15_000 })
    await page.waitForFunction(() => document.getElementById('live')?.textContent === 'live', undefined, { timeout: 15_000 })
    const cookies = await page.context().cookies()
    const c = cookies.find(x => x.name === SESSION_COOKIE)!
    assert.equal(c.httpOnly, true)
    assert.equal(c.sameSite, 'Strict')
    assert.equal(await page.evaluate(() => document.cookie), '', 'the session cookie is invisible to scripts')
    assert.deepEqual(errors, [])
  } finally {
    await browser.close()
  }
})

test('--allowed-hosts refuses other Host headers; loopback names always pass', async () => {
  const auth = { authorization: 'Bearer ' + TOKEN }
  const evil = await req(srv.origin + '/api/v1/runs', { headers: { ...auth, host: 'evil.example.net' } })
  assert.equal(evil.status, 403)
  assert.equal(JSON.parse(evil.body).error.code, 'LB_ERR_HOST_NOT_ALLOWED')
  assert.equal((await req(srv.origin + '/healthz', { headers: { host: 'rebind.attacker.test:6006' } })).status, 403, 'even the open probes')
  for (const host of ['lb.example.com', 'lb.example.com:6006', 'localhost:1234', '127.0.0.1', '[::1]:80']) {
    assert.equal((await req(srv.origin + '/api/v1/runs', { headers: { ...auth, host } })).status, 200, host)
  }
})

test('security headers on pages, API answers and errors: CSP without inline script or foreign origin, nosniff, no framing, no referrer', async () => {
  const auth = { authorization: 'Bearer ' + TOKEN }
  for (const p of ['/', '/api/v1/runs', '/api/v1/nope', '/data/runs', '/login', '/healthz']) {
    const r = await req(srv.origin + p, { headers: auth })
    const csp = String(r.headers['content-security-policy'])
    assert.match(csp, /script-src 'self'(;|$)/, p)
    assert.match(csp, /frame-ancestors 'none'/)
    assert.ok(!/https?:/.test(csp), 'no foreign origin')
    assert.ok(!/script-src[^;]*unsafe-inline/.test(csp))
    assert.equal(r.headers['x-content-type-options'], 'nosniff')
    assert.equal(r.headers['referrer-policy'], 'no-referrer')
    assert.equal(r.headers['x-frame-options'], 'DENY')
  }
  const unauth = await req(srv.origin + '/api/v1/runs')
  assert.equal(unauth.headers['x-content-type-options'], 'nosniff', 'refusals carry them too')
})

test('request ids: a fresh one per response, a client\'s plausible one echoed', async () => {
  const a = await req(srv.origin + '/healthz')
  const b = await req(srv.origin + '/healthz')
  assert.match(String(a.headers['x-request-id']), /^[0-9a-f-]{36}$/)
  assert.notEqual(a.headers['x-request-id'], b.headers['x-request-id'])
  assert.equal((await req(srv.origin + '/healthz', { headers: { 'x-request-id': 'proxy-42' } })).headers['x-request-id'], 'proxy-42')
  assert.notEqual((await req(srv.origin + '/healthz', { headers: { 'x-request-id': 'bad id\twith spaces' } })).headers['x-request-id'], 'bad id\twith spaces')
})
