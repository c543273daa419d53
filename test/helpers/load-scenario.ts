/**
 * The load scenario of issue 9, shared by test/http/load.test.ts (a few seconds) and
 * bench/hold.bench.ts (30 s): a real server process on 127.0.0.1, autocannon with 50 connections
 * on TensorBoard's /data/plugin/scalars/scalars of a 50 k-point tag (in its own process), a live
 * writer appending to that tag, /healthz polled throughout, and the stream watched for the appends.
 */

import { spawn } from 'node:child_process'
import http from 'node:http'
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { createRequire } from 'node:module'
import { EventFileBuilder, eventFileName } from '../../server/records/event-writer.js'
import { tempDir } from './paths.js'
import { startChild, until } from './child-server.js'

export interface LoadResult {
  seconds: number
  connections: number
  requests: number
  requestsPerSecond: number
  errors: number
  non2xx: number
  timeouts: number
  healthSamples: number
  healthP50Ms: number
  healthP99Ms: number
  healthMaxMs: number
  appends: number
  announceP50Ms: number
  announceMaxMs: number
  /** Appends not announced on the stream within 1 s. */
  lateAnnouncements: number
  pointsWritten: number
  pointsServed: number
  pointsLost: number
  /** The server's own event-loop delay, maximum over the run (from /metrics), ms. */
  serverLoopLagMaxMs: number
  /** Responses by status code. */
  statusCodes: Record<string, number>
}

const T0 = 1700000000

function quantile (xs: number[], q: number): number {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!
}

async function getTimed (url: string, agent: http.Agent): Promise<{ status: number, ms: number, body: string }> {
  const t0 = performance.now()
  return await new Promise((resolve, reject) => {
    http.get(url, { agent }, res => {
      let s = ''
      res.setEncoding('utf8')
      res.on('data', d => { s += d })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0, body: s }))
    }).on('error', reject)
  })
}

export async function runLoadScenario (opts: { seconds: number, connections?: number, points?: number, appendEveryMs?: number }): Promise<LoadResult> {
  const connections = opts.connections ?? 50
  const initial = opts.points ?? 50_000
  const { dir, cleanup } = tempDir('lossboard-load-')
  mkdirSync(path.join(dir, 'big'))
  const file = path.join(dir, 'big', eventFileName(T0))
  const b = new EventFileBuilder().fileVersion(T0)
  for (let s = 0; s < initial; s++) b.scalar('loss', s, T0 + s / 10, Math.exp(-s / 20_000) + (s % 13) * 1e-3)
  writeFileSync(file, b.bytes())
  const child = await startChild(['--logdir', dir])
  const agent = new http.Agent({ keepAlive: true, maxSockets: 2 })
  const state = { running: true }
  try {
    const base = child.url
    if (!await until(async () => (await getTimed(base + 'readyz', agent)).status === 200, 60_000)) throw new Error('server never ready')
    const url = `${base}data/plugin/scalars/scalars?run=big&tag=loss`
    // the stream: when was each step announced?
    const announced = new Map<number, number>()
    let lastAnnounced = -1
    const sse = http.get(`${base}api/v1/stream?run=big&tag=loss`, { agent: false }, res => {
      res.setEncoding('utf8')
      let buf = ''
      res.on('data', (d: string) => {
        buf += d
        let at
        while ((at = buf.indexOf('\n\n')) >= 0) {
          const msg = buf.slice(0, at)
          buf = buf.slice(at + 2)
          const data = msg.split('\n').find(l => l.startsWith('data: '))
          if (data === undefined) continue
          const e = JSON.parse(data.slice(6)) as { type: string, lastStep?: number }
          if (e.type === 'points' && e.lastStep !== undefined) {
            const now = performance.now()
            for (let s = lastAnnounced + 1; s <= e.lastStep; s++) if (!announced.has(s)) announced.set(s, now)
            lastAnnounced = Math.max(lastAnnounced, e.lastStep)
          }
        }
      })
    })
    sse.on('error', () => {})
    // warm the cache once, so the measurement is the steady state
    await getTimed(url, agent)
    await getTimed(base + 'metrics', agent) // resets the lag window
    const require = createRequire(import.meta.url)
    const cannon = spawn(process.execPath, [require.resolve('autocannon/autocannon.js'), '-c', String(connections), '-d', String(opts.seconds), '-t', '10', '--json', url], { stdio: ['ignore', 'pipe', 'pipe'] })
    let cannonOut = ''
    cannon.stdout.setEncoding('utf8')
    cannon.stdout.on('data', d => { cannonOut += d })
    const cannonDone = new Promise<void>(resolve => cannon.once('exit', () => resolve()))
    // health, every 100 ms, on its own connection
    const health: number[] = []
    const healthLoop = (async () => {
      while (state.running) {
        const r = await getTimed(base + 'healthz', agent)
        if (r.status !== 200) throw new Error(`/healthz ${r.status}`)
        health.push(r.ms)
        await new Promise(resolve => setTimeout(resolve, 100))
      }
    })()
    // the live writer
    const written = new Map<number, number>()
    let step = initial
    const writer = setInterval(() => {
      appendFileSync(file, new EventFileBuilder().scalar('loss', step, T0 + step / 10, 0.5).bytes())
      written.set(step, performance.now())
      step++
    }, opts.appendEveryMs ?? 200)
    await cannonDone
    clearInterval(writer)
    state.running = false
    await healthLoop
    const c = JSON.parse(cannonOut) as { requests: { total: number, average: number }, errors: number, non2xx: number, timeouts: number, duration: number, statusCodeStats?: Record<string, { count: number }> }
    // every written point announced and served at the end
    await until(() => lastAnnounced >= step - 1, 5000)
    sse.destroy()
    const metrics = (await getTimed(base + 'metrics', agent)).body
    const lagMax = Number(/^lossboard_event_loop_lag_max_seconds (\S+)$/m.exec(metrics)?.[1] ?? NaN) * 1000
    const final = JSON.parse((await getTimed(url, agent)).body) as Array<[number, number, number]>
    const delays = [...written].map(([s, t]) => (announced.get(s) ?? Infinity) - t)
    const pointsWritten = step
    return {
      seconds: c.duration,
      connections,
      requests: c.requests.total,
      requestsPerSecond: c.requests.average,
      errors: c.errors,
      non2xx: c.non2xx,
      timeouts: c.timeouts,
      healthSamples: health.length,
      healthP50Ms: quantile(health, 0.5),
      healthP99Ms: quantile(health, 0.99),
      healthMaxMs: Math.max(...health),
      appends: written.size,
      announceP50Ms: quantile(delays, 0.5),
      announceMaxMs: Math.max(...delays),
      lateAnnouncements: delays.filter(d => d > 1000).length,
      pointsWritten,
      pointsServed: final.length,
      pointsLost: pointsWritten - new Set(final.map(p => p[1])).size,
      serverLoopLagMaxMs: lagMax,
      statusCodes: Object.fromEntries(Object.entries(c.statusCodeStats ?? {}).map(([k, v]) => [k, v.count]))
    }
  } finally {
    state.running = false
    agent.destroy()
    await child.stop()
    cleanup()
  }
}
