/**
 * Faults that need a real process: descriptors exhausted (EMFILE, under prlimit), a run directory
 * the server may not read (EACCES, the server run as an unprivileged user with setpriv), and
 * symlinks to a parent directory (at start-up and while running). After each, what is served
 * equals what is on disk, and /healthz kept answering.
 */

import { test } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import net from 'node:net'
import { appendFileSync, chmodSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { EventFileBuilder, eventFileName } from '../../server/records/event-writer.js'
import { tempDir } from '../helpers/paths.js'
import { startChild, until } from '../helpers/child-server.js'

const T0 = 1700000000

function writeRun (logdir: string, name: string, n: number, first = 0): string {
  mkdirSync(path.join(logdir, name), { recursive: true })
  const file = path.join(logdir, name, eventFileName(T0))
  const b = new EventFileBuilder().fileVersion(T0)
  for (let s = first; s < first + n; s++) b.scalar('loss', s, T0 + s, s / 10)
  writeFileSync(file, b.bytes())
  return file
}

/** GET over a given agent (so a test can keep one connection while descriptors run out). */
async function getJson (url: string, agent?: http.Agent): Promise<{ status: number, body: any, ms: number }> {
  const t0 = performance.now()
  return await new Promise((resolve, reject) => {
    http.get(url, { agent }, res => {
      let s = ''
      res.setEncoding('utf8')
      res.on('data', d => { s += d })
      res.on('end', () => { try { resolve({ status: res.statusCode ?? 0, body: JSON.parse(s), ms: performance.now() - t0 }) } catch (e) { reject(e) } })
    }).on('error', reject)
  })
}

async function pointsByRun (url: string, agent?: http.Agent): Promise<Record<string, number>> {
  const r = await getJson(url + 'api/v1/runs', agent)
  assert.equal(r.status, 200)
  return Object.fromEntries((r.body.runs as Array<{ run: string, points: number }>).map(x => [x.run, x.points]))
}

test('EMFILE: with descriptors exhausted, a rescan keeps every run (no 404s), retries, and serves what is on disk afterwards', async () => {
  const { dir, cleanup } = tempDir()
  // a low descriptor limit and a connection cap above it, so connections can exhaust descriptors
  // (150, not less: module loading at start-up opens files concurrently)
  const child = await startChild(['--logdir', dir, '--rescan-interval', '1', '--max-connections', '1000'], { prefix: ['prlimit', '--nofile=150', '--'] })
  const socks: net.Socket[] = []
  const keep = new http.Agent({ keepAlive: true, maxSockets: 1 })
  try {
    for (let r = 0; r < 5; r++) writeRun(dir, `run${r}`, 20)
    assert.ok(await until(async () => Object.keys(await pointsByRun(child.url, keep)).length === 5, 10_000))
    const before = await pointsByRun(child.url, keep)
    // exhaust descriptors with idle connections, keeping one connection of our own
    for (let k = 0; k < 220; k++) {
      const s = net.connect(Number(new URL(child.url).port), '127.0.0.1')
      s.on('error', () => {})
      socks.push(s)
    }
    await new Promise(resolve => setTimeout(resolve, 500))
    writeRun(dir, 'late', 7) // new work while no descriptor is free
    await new Promise(resolve => setTimeout(resolve, 2500)) // two rescans fail meanwhile
    assert.deepEqual(await pointsByRun(child.url, keep), before, 'all runs still served during EMFILE')
    assert.ok(child.lines.some(l => String(l.msg).startsWith('cannot list directory') && l.code === 'EMFILE'), 'the failure is logged')
    assert.ok(!child.lines.some(l => l.msg === 'run removed (no event files left)'), 'no run was dropped')
    for (const s of socks) s.destroy()
    assert.ok(await until(async () => (await pointsByRun(child.url, keep)).late === 7, 40_000), 'retried and caught up')
    assert.deepEqual(await pointsByRun(child.url, keep), { ...before, late: 7 })
    const logged = child.lines.filter(l => String(l.msg).startsWith('cannot list directory') && l.code === 'EMFILE' && l.dir === dir)
    assert.equal(logged.length, 1, 'logged once per path and error')
  } finally {
    for (const s of socks) s.destroy()
    keep.destroy()
    await child.stop()
    cleanup()
  }
})

test('EMFILE is prevented by the default connection cap: connections past it get 503 and the loader keeps its descriptors', async () => {
  const { dir, cleanup } = tempDir()
  writeRun(dir, 'a', 10)
  const child = await startChild(['--logdir', dir, '--rescan-interval', '1'], { prefix: ['prlimit', '--nofile=150', '--'] })
  const socks: net.Socket[] = []
  try {
    assert.ok(await until(async () => (await pointsByRun(child.url)).a === 10, 10_000))
    const refused: string[] = []
    for (let k = 0; k < 160; k++) { // the cap is min(¾ × 150, 150 − 64) = 86
      const s = net.connect(Number(new URL(child.url).port), '127.0.0.1')
      s.on('error', () => {})
      s.on('data', d => { if (String(d).startsWith('HTTP/1.1 503')) refused.push(String(d)) })
      socks.push(s)
    }
    await until(() => refused.length >= 40, 8000)
    assert.ok(refused.length >= 40, `${refused.length} connections refused with 503`)
    writeRun(dir, 'b', 3)
    await new Promise(resolve => setTimeout(resolve, 2000))
    assert.ok(!child.lines.some(l => l.code === 'EMFILE'), 'no EMFILE anywhere')
    for (const s of socks) s.destroy()
    assert.ok(await until(async () => (await pointsByRun(child.url)).b === 3, 5000))
  } finally {
    for (const s of socks) s.destroy()
    await child.stop()
    cleanup()
  }
})

test('EACCES: a run directory made unreadable keeps its run and points (not "run removed"), and is read again once readable', async () => {
  const { dir, cleanup } = tempDir()
  chmodSync(dir, 0o755)
  const file = writeRun(dir, 'secret', 12)
  writeRun(dir, 'open', 5)
  // the server runs as nobody, so chmod binds it (root ignores permissions)
  const child = await startChild(['--logdir', dir, '--rescan-interval', '1'], { prefix: ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'] })
  try {
    assert.ok(await until(async () => Object.keys(await pointsByRun(child.url)).length === 2, 10_000))
    chmodSync(path.join(dir, 'secret'), 0o000)
    await new Promise(resolve => setTimeout(resolve, 2500))
    assert.deepEqual(await pointsByRun(child.url), { secret: 12, open: 5 })
    assert.ok(child.lines.some(l => String(l.msg).startsWith('cannot list directory') && l.code === 'EACCES'))
    assert.ok(!child.lines.some(l => l.msg === 'run removed (no event files left)'))
    chmodSync(path.join(dir, 'secret'), 0o755)
    const b = new EventFileBuilder()
    for (let s = 12; s < 20; s++) b.scalar('loss', s, T0 + s, s)
    appendFileSync(file, b.bytes())
    assert.ok(await until(async () => (await pointsByRun(child.url)).secret === 20, 10_000))
  } finally {
    if (existsSync(path.join(dir, 'secret'))) chmodSync(path.join(dir, 'secret'), 0o755)
    await child.stop()
    cleanup()
  }
})

test('symlinks to a parent directory (ln -s .. a/x; ln -s .. a/y), at start-up and added while running: the load finishes, memory stays flat, /healthz answers within 1 s', async () => {
  const { dir, cleanup } = tempDir()
  writeRun(dir, 'a', 30)
  writeRun(dir, 'b/c', 10)
  symlinkSync('..', path.join(dir, 'a', 'x'))
  symlinkSync('..', path.join(dir, 'a', 'y'))
  const child = await startChild(['--logdir', dir, '--rescan-interval', '1'])
  try {
    let worst = 0
    const ready = await until(async () => {
      const h = await getJson(child.url + 'healthz')
      worst = Math.max(worst, h.ms)
      return (await getJson(child.url + 'readyz')).status === 200
    }, 15_000)
    assert.ok(ready, 'the initial load finishes')
    assert.deepEqual(await pointsByRun(child.url), { a: 30, 'b/c': 10 }, 'each real directory once')
    for (const [link, target] of [['b/c/up', '../..'], ['b/loop', '.'], ['a/z', '../b']] as const) symlinkSync(target, path.join(dir, link))
    const end = Date.now() + 3000
    while (Date.now() < end) {
      worst = Math.max(worst, (await getJson(child.url + 'healthz')).ms)
      await new Promise(resolve => setTimeout(resolve, 100))
    }
    assert.deepEqual(await pointsByRun(child.url), { a: 30, 'b/c': 10 })
    assert.ok(worst < 1000, `/healthz took ${worst.toFixed(0)} ms`)
    const rss = child.rss()
    assert.ok(rss > 0 && rss < 400 * 1024 * 1024, `RSS ${(rss / 1e6).toFixed(0)} MB (1.65 GB before)`)
  } finally {
    await child.stop()
    cleanup()
  }
})
