/** The dashboard's static files: served at / and under --base-path, beside /data and /api, with relative URLs only. */

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import pino from 'pino'
import { buildApp } from '../../server/app.js'
import { ScalarStore } from '../../server/store/scalar-store.js'
import { LogdirLoader } from '../../server/logdir/logdir-loader.js'
import { REPO, tempDir } from '../helpers/paths.js'

/** A stand-in build: the routing is under test here, not the bundle (dashboard.test.ts runs the real build). */
function fakeWebRoot (dir: string): string {
  const root = path.join(dir, 'web')
  mkdirSync(root, { recursive: true })
  writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>lossboard</title><script type="module" src="./main.js"></script>')
  writeFileSync(path.join(root, 'main.js'), 'export {}\n')
  writeFileSync(path.join(root, 'style.css'), 'body{}\n')
  return root
}

async function app (t: { after: (fn: () => Promise<void>) => void }, opts: { basePath?: string, webRoot: string }): Promise<Awaited<ReturnType<typeof buildApp>>> {
  const { dir, cleanup } = tempDir()
  const store = new ScalarStore()
  const loader = new LogdirLoader(dir, store, pino({ level: 'silent' }))
  await loader.reload()
  const a = await buildApp({ store, logdir: dir, totals: () => loader.totals(), logger: false, basePath: opts.basePath ?? '', webRoot: opts.webRoot })
  t.after(async () => { await a.close(); cleanup() })
  return a
}

test('/ serves index.html and its assets while /api, /data and /healthz still answer', async (t) => {
  const { dir, cleanup } = tempDir()
  t.after(cleanup)
  const a = await app(t, { webRoot: fakeWebRoot(dir) })
  const index = await a.inject('/')
  assert.equal(index.statusCode, 200)
  assert.match(String(index.headers['content-type']), /^text\/html/)
  assert.match(index.body, /<title>lossboard<\/title>/)
  const js = await a.inject('/main.js')
  assert.equal(js.statusCode, 200)
  assert.match(String(js.headers['content-type']), /javascript/)
  assert.equal((await a.inject('/style.css')).statusCode, 200)
  assert.equal((await a.inject('/nope.js')).statusCode, 404)
  const runs = await a.inject('/api/v1/runs')
  assert.equal(runs.statusCode, 200)
  assert.deepEqual(runs.json().runs, [])
  assert.equal((await a.inject('/data/runs')).body, '[]')
  assert.equal((await a.inject('/healthz')).statusCode, 200)
})

test('under --base-path the dashboard lives at <base>/, <base> redirects there relatively, and / is not served', async (t) => {
  const { dir, cleanup } = tempDir()
  t.after(cleanup)
  const a = await app(t, { basePath: '/proxy/lb', webRoot: fakeWebRoot(dir) })
  const index = await a.inject('/proxy/lb/')
  assert.equal(index.statusCode, 200)
  assert.match(index.body, /lossboard/)
  const bare = await a.inject('/proxy/lb?x=1')
  assert.equal(bare.statusCode, 301)
  // Relative, so that a further proxy prefix in front of us is kept: /proxy/lb + "lb/" → /proxy/lb/.
  assert.equal(bare.headers.location, 'lb/?x=1')
  assert.equal((await a.inject('/proxy/lb/main.js')).statusCode, 200)
  assert.equal((await a.inject('/proxy/lb/api/v1/runs')).statusCode, 200)
  assert.equal((await a.inject('/proxy/lb/data/runs')).statusCode, 200)
  assert.equal((await a.inject('/')).statusCode, 404)
})

test('without a build, / explains how to make one instead of failing', async (t) => {
  const { dir, cleanup } = tempDir()
  t.after(cleanup)
  const a = await app(t, { webRoot: path.join(dir, 'missing') })
  const res = await a.inject('/')
  assert.equal(res.statusCode, 200)
  assert.match(res.body, /npm run build:web/)
  assert.equal((await a.inject('/api/v1/runs')).statusCode, 200)
})

test('web/index.html refers to its assets with relative URLs only (so any base path works)', () => {
  const html = readFileSync(path.join(REPO, 'web', 'index.html'), 'utf8')
  const urls = [...html.matchAll(/\b(?:src|href)="([^"]*)"/g)].map(m => m[1]!)
  assert.ok(urls.includes('./main.js') && urls.includes('./style.css'), `assets referenced: ${urls.join(', ')}`)
  for (const u of urls) assert.ok(!u.startsWith('/') && !/^[a-z]+:\/\//i.test(u), `absolute URL in index.html: ${u}`)
})
