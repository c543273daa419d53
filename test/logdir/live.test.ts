/** Live: points appended by another process are served within 500 ms; new run directories appear. */

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import pino from 'pino'
import { tempDir, REPO } from '../helpers/paths.js'
import { EventFileBuilder, eventFileName } from '../../server/records/event-writer.js'
import { ScalarStore } from '../../server/store/scalar-store.js'
import { LogdirLoader } from '../../server/logdir/logdir-loader.js'
import { watchLogdir } from '../../server/logdir/watch.js'
import { buildApp } from '../../server/app.js'

/** Starts a real server on 127.0.0.1 over `logdir`, watching it. */
async function startServer (logdir: string, poll = false): Promise<{ url: string, close: () => Promise<void> }> {
  const log = pino({ level: 'silent' })
  const store = new ScalarStore()
  const loader = new LogdirLoader(logdir, store, log)
  const app = await buildApp({ store, logdir, totals: () => loader.totals() })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const stop = await watchLogdir(loader, log, { poll, pollIntervalMs: 50, rescanIntervalMs: 0 })
  await loader.reload()
  const { port } = app.server.address() as { port: number }
  return { url: `http://127.0.0.1:${port}`, close: async () => { await stop(); await app.close() } }
}

async function lastStep (url: string, run: string, tag: string): Promise<number | null> {
  const r = await fetch(`${url}/api/v1/scalars?run=${encodeURIComponent(run)}&tag=${encodeURIComponent(tag)}`)
  if (r.status !== 200) return null
  const body = await r.json() as { step: number[] }
  return body.step.at(-1) ?? null
}

for (const poll of [false, true]) {
  test(`each point appended by a child process is served within 500 ms (${poll ? 'polling' : 'native events'})`, async () => {
    const { dir, cleanup } = tempDir()
    mkdirSync(path.join(dir, 'train'))
    const file = path.join(dir, 'train', eventFileName(Date.now() / 1000))
    writeFileSync(file, new EventFileBuilder().fileVersion(Date.now() / 1000).scalar('loss', 0, Date.now() / 1000, 1).bytes())
    const server = await startServer(dir, poll)
    try {
      assert.equal(await lastStep(server.url, 'train', 'loss'), 0)
      const writes = new Map<number, number>()
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'test/helpers/append-writer.ts'), file, 'loss', '1', '20', '60'], { cwd: REPO })
      child.stdout.setEncoding('utf8')
      let buf = ''
      child.stdout.on('data', (d: string) => {
        buf += d
        let nl
        while ((nl = buf.indexOf('\n')) >= 0) {
          const [, step, t] = buf.slice(0, nl).split(' ')
          writes.set(Number(step), Number(t))
          buf = buf.slice(nl + 1)
        }
      })
      const latencies: number[] = []
      const deadline = Date.now() + 20_000
      let seen = 0
      while (seen < 20 && Date.now() < deadline) {
        const s = await lastStep(server.url, 'train', 'loss') ?? 0
        const now = Date.now()
        for (let k = seen + 1; k <= s; k++) {
          const wrote = writes.get(k)
          // a point can be served before its "wrote" line reaches us: latency ≤ 0 then
          latencies.push(wrote === undefined ? 0 : now - wrote)
        }
        seen = Math.max(seen, s)
        await new Promise(resolve => setTimeout(resolve, 5))
      }
      child.kill()
      assert.equal(seen, 20, 'all 20 appended points served')
      const worst = Math.max(...latencies)
      console.log(`live (${poll ? 'poll' : 'native'}): 20 appends, worst append→served ${worst} ms, median ${latencies.sort((a, b) => a - b)[10]} ms`)
      assert.ok(worst <= 500, `worst latency ${worst} ms`)
    } finally {
      await server.close()
      cleanup()
    }
  })
}

test('a run directory created while the server runs appears in /data/runs', async () => {
  const { dir, cleanup } = tempDir()
  const server = await startServer(dir)
  try {
    assert.equal(await (await fetch(`${server.url}/data/runs`)).text(), '[]')
    mkdirSync(path.join(dir, 'late', 'run'), { recursive: true })
    writeFileSync(path.join(dir, 'late', 'run', eventFileName(1700000000)), new EventFileBuilder().fileVersion(1700000000).scalar('acc', 3, 1700000001, 0.5).bytes())
    const deadline = Date.now() + 5000
    let runs = ''
    while (Date.now() < deadline) {
      runs = await (await fetch(`${server.url}/data/runs`)).text()
      if (runs.includes('late/run') && await lastStep(server.url, 'late/run', 'acc') === 3) break
      await new Promise(resolve => setTimeout(resolve, 20))
    }
    assert.equal(runs, '["late/run"]')
    assert.equal(await lastStep(server.url, 'late/run', 'acc'), 3)
  } finally {
    await server.close()
    cleanup()
  }
})
