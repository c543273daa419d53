/** Target 4: from an append to an event file to the point being served by /api/v1/scalars (and announced on /api/v1/stream). */

import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { mkdtempSync, rmSync } from 'node:fs'
import { EventFileBuilder, eventFileName } from '../server/records/event-writer.js'
import { rng } from '../test/helpers/rng.js'
import { QUICK, report, progress, quantile } from './lib.js'
import { startServer } from './server.js'

/*
 * A real server (the CLI, watching the logdir with chokidar, rescans off) in a child process on
 * 127.0.0.1. This process is the training job and the client: it appends one scalar event to the
 * run's event file, then polls /api/v1/scalars?startStep=<step> every millisecond until the point
 * is there (served latency), while an open /api/v1/stream connection timestamps the `points` event
 * that announces it (announced latency). The next append follows after a seeded random pause of
 * 0–20 ms, so appends sometimes land inside chokidar's 50 ms per-file throttle, as a fast training
 * loop's would. TensorBoard, for comparison, reloads every 5 s.
 */

const APPENDS = QUICK ? 200 : 1000
const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))
const now = (): number => performance.now()

async function main (): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lossboard-live-'))
  const runDir = path.join(dir, 'live')
  mkdirSync(runDir)
  const file = path.join(runDir, eventFileName(1_700_000_000))
  writeFileSync(file, new EventFileBuilder().fileVersion(1_700_000_000).scalar('loss', 0, 1_700_000_000, 1).bytes())
  const server = await startServer(dir, ['--rescan-interval', '0'])
  const announced = new Map<number, number>()
  const stream = new AbortController()
  try {
    // wait for the initial load
    for (;;) {
      const h = await (await fetch(`${server.url}/healthz`)).json() as { initialLoadDone: boolean }
      if (h.initialLoadDone) break
      await sleep(5)
    }
    const sse = await fetch(`${server.url}/api/v1/stream?run=live`, { signal: stream.signal })
    const sseOk = sse.ok && sse.body !== null
    if (sseOk) {
      void (async () => {
        const dec = new TextDecoder()
        let buf = ''
        try {
          for await (const chunk of sse.body!) {
            buf += dec.decode(chunk as Uint8Array, { stream: true })
            let sep
            while ((sep = buf.indexOf('\n\n')) >= 0) {
              const msg = buf.slice(0, sep)
              buf = buf.slice(sep + 1 + 1)
              if (!/^event: points$/m.test(msg)) continue
              const data = /^data: (.*)$/m.exec(msg)
              if (data) {
                const ev = JSON.parse(data[1]!) as { lastStep?: number }
                if (typeof ev.lastStep === 'number' && !announced.has(ev.lastStep)) announced.set(ev.lastStep, now())
              }
            }
          }
        } catch {}
      })()
    }
    const rand = rng(0)
    const served: number[] = []
    const announcedMs: number[] = []
    const appendedAt = new Map<number, number>()
    for (let step = 1; step <= APPENDS; step++) {
      const bytes = new EventFileBuilder().scalar('loss', step, 1_700_000_000 + step, Math.sin(step)).bytes()
      const t0 = now()
      appendFileSync(file, bytes)
      appendedAt.set(step, t0)
      for (;;) {
        const r = await fetch(`${server.url}/api/v1/scalars?run=live&tag=loss&startStep=${step}`)
        const body = await r.json() as { points?: number }
        if ((body.points ?? 0) > 0) break
        if (now() - t0 > 10_000) throw new Error(`step ${step} not served after 10 s`)
        await sleep(1)
      }
      served.push(now() - t0)
      if (step % 100 === 0) progress(`${step}/${APPENDS} appends, served p50 ${quantile(served, 0.5).toFixed(1)} ms`)
      await sleep(rand() * 20)
    }
    await sleep(200)
    for (const [step, t] of appendedAt) {
      const a = announced.get(step)
      if (a !== undefined) announcedMs.push(a - t)
    }
    const p99 = quantile(served, 0.99)
    report({
      scenario: 'live/append-to-served',
      metrics: {
        appends: APPENDS,
        servedP50Ms: quantile(served, 0.5),
        servedP90Ms: quantile(served, 0.9),
        servedP99Ms: p99,
        servedMaxMs: Math.max(...served),
        ...(announcedMs.length > 0
          ? { announcedCount: announcedMs.length, announcedP50Ms: quantile(announcedMs, 0.5), announcedP99Ms: quantile(announcedMs, 0.99), announcedMaxMs: Math.max(...announcedMs) }
          : {})
      },
      targets: [{ what: 'append → served p99 < 100 ms (TensorBoard: reload every 5 s)', met: p99 < 100 }],
      notes: [
        'real server child process, chokidar native events, rescans off; client polls every 1 ms; 0–20 ms seeded pause between appends',
        sseOk ? `announced = the /api/v1/stream "points" event naming the step (${announcedMs.length} of ${APPENDS} steps were named as lastStep of an event)` : '/api/v1/stream not available: announced latency not measured'
      ]
    })
  } finally {
    stream.abort()
    await server.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

main().catch((err) => { process.stderr.write(`${(err as Error).stack ?? String(err)}\n`); process.exitCode = 1 })
