/** Target 6: latency and requests/s of /api/v1/scalars on a 1,000,000-point tag, downsampled (points=1000) and at full resolution. */

import path from 'node:path'
import { mkdirSync } from 'node:fs'
// @ts-expect-error autocannon ships no type declarations
import autocannon from 'autocannon'
import { eventFileName } from '../server/records/event-writer.js'
import { cachedLogdir, writeScalarFile } from './make-logdir.js'
import { QUICK, report, progress, machine } from './lib.js'
import { startServer } from './server.js'

/*
 * A real server (the CLI in a child process, --once) over one run with one tag of 1,000,000
 * points; autocannon in this process drives it on 127.0.0.1 with a bounded load, without
 * compression (autocannon sends no Accept-Encoding). Cases: points=1000 min/max thinning (what
 * the dashboard asks for) and points=1000 LTTB, each with 10 connections for 5 s (2 s with
 * --quick); the full-resolution JSON (~42 MB per response) with 4 connections for a fixed 24
 * requests (8 with --quick), since a time window shorter than one response would count none.
 * The first full-resolution request is also timed alone: it formats every number, later ones
 * reuse the column text cache.
 */

const POINTS = 1_000_000
const CONNECTIONS = 10
const DURATION_S = QUICK ? 2 : 5

interface CannonResult {
  latency: { p50: number, p99: number, average: number, max: number }
  requests: { average: number, total: number }
  throughput: { average: number }
  errors: number
  timeouts: number
  non2xx: number
}

/** Either `duration` seconds or exactly `amount` requests, over `connections`. */
function cannon (url: string, connections: number, load: { duration: number } | { amount: number }): Promise<CannonResult> {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections, ...load, timeout: 120 }, (err: Error | null, res: CannonResult) => err ? reject(err) : resolve(res))
  })
}

async function main (): Promise<void> {
  const dir = cachedLogdir(`api-1tag-${POINTS}`, { kind: 'api', points: POINTS, tags: 1, seed: 0, v: 1 }, (d) => {
    mkdirSync(path.join(d, 'run'))
    writeScalarFile(path.join(d, 'run', eventFileName(1_700_000_000, 'bench', 1)), { steps: POINTS, tags: 1, encoding: 'simple_value', seed: 0 })
  })
  const server = await startServer(dir, ['--once'])
  try {
    for (;;) {
      const h = await (await fetch(`${server.url}/healthz`)).json() as { initialLoadDone: boolean, points: number }
      if (h.initialLoadDone) { progress(`api: ${h.points} points loaded`); break }
      await new Promise(resolve => setTimeout(resolve, 20))
    }
    const base = `${server.url}/api/v1/scalars?run=run&tag=metric_00`
    const t0 = performance.now()
    const cold = await fetch(base)
    const coldBytes = (await cold.arrayBuffer()).byteLength
    const coldMs = performance.now() - t0
    const cases: Array<[string, string, number, { duration: number } | { amount: number }]> = [
      ['api-points1000-minmax', `${base}&points=1000`, CONNECTIONS, { duration: DURATION_S }],
      ['api-points1000-lttb', `${base}&points=1000&method=lttb`, CONNECTIONS, { duration: DURATION_S }],
      ['api-full-json', base, 4, { amount: QUICK ? 8 : 24 }]
    ]
    const results: Record<string, CannonResult> = {}
    for (const [name, url, connections, load] of cases) {
      progress(`${name}: ${connections} connections, ${JSON.stringify(load)}`)
      const t = performance.now()
      const r = await cannon(url, connections, load)
      const secs = (performance.now() - t) / 1000
      if ('amount' in load) r.requests.average = r.requests.total / secs
      results[name] = r
      report({
        scenario: name,
        metrics: {
          p50Ms: r.latency.p50,
          p99Ms: r.latency.p99,
          requestsPerSecond: r.requests.average,
          MBPerSecond: r.throughput.average / 1e6,
          requests: r.requests.total,
          errors: r.errors + r.timeouts + r.non2xx
        },
        notes: name === 'api-full-json'
          ? [`${(coldBytes / 1e6).toFixed(1)} MB per response; first (uncached) request alone: ${coldMs.toFixed(0)} ms`]
          : undefined
      })
    }
    const down = results['api-points1000-minmax']!
    const full = results['api-full-json']!
    report({
      scenario: 'api-summary',
      metrics: {
        points: POINTS,
        fullColdMs: coldMs,
        downsampledVsFullRequestsRatio: down.requests.average / Math.max(full.requests.average, 1e-9)
      },
      notes: [`machine: ${JSON.stringify(machine())}`]
    })
  } finally {
    await server.stop()
  }
}

main().catch((err) => { process.stderr.write(String(err?.stack ?? err) + '\n'); process.exitCode = 1 })
