/** Issue 12: points=1000 windows on tags of 1 M, 10 M and 100 M points under 16 concurrent clients (p50, p99), optionally against another checkout. */

import { spawn, type ChildProcess } from 'node:child_process'
// @ts-expect-error autocannon ships no type declarations
import autocannon from 'autocannon'
import { QUICK, REPO, report, progress, machine } from './lib.js'
import { rng } from '../test/helpers/rng.js'

/*
 * Usage: tsx bench/query.bench.ts [--quick] [--sizes 1000000,5000000] [--ref DIR] [--seconds S]
 * For each size, a child process (bench/query-server.ts) fills a store with one tag of that many
 * points in memory (no event file: 100 M points would be a 5 GB file) and serves it on 127.0.0.1.
 * autocannon, in this process, keeps 16 connections busy for S seconds, cycling through 64 fixed
 * window requests (seeded): the whole series, step windows of 0.1%–100% of the series and
 * wall-time windows, every one with points=1000 (min/max thinning, what the dashboard asks for).
 * With --ref DIR the same is measured with the server modules of the checkout in DIR, in the same
 * run (ref first, then this checkout, per size), and the ratio is reported. The server's CPU time
 * per request (its process.cpuUsage() over the measurement, by IPC) is reported too: on a shared
 * machine it moves far less than the latencies do.
 */

const CONNECTIONS = 16
const arg = (name: string): string | undefined => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined }
const SIZES = (arg('--sizes') ?? (QUICK ? '1000000,5000000' : '1000000,10000000,100000000')).split(',').map(Number)
const REF = arg('--ref')
const SECONDS = Number(arg('--seconds') ?? (QUICK ? 3 : 8))

interface Child { url: string, fillMs: number, rssBytes: number, child: ChildProcess }

function serve (n: number, root: string): Promise<Child> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--max-old-space-size=8192', '--import', 'tsx', 'bench/query-server.ts', String(n), root], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] })
    let out = ''; let err = ''
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { err += d })
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d
      const nl = out.indexOf('\n')
      if (nl >= 0) resolve({ ...JSON.parse(out.slice(0, nl)), child })
    })
    child.on('exit', (code) => reject(new Error(`query-server exited with ${code}: ${err.slice(-2000)}`)))
  })
}

function windows (n: number): string[] {
  const r = rng(12)
  const out: string[] = []
  for (let k = 0; k < 64; k++) {
    if (k % 8 === 0) { out.push('/api/v1/scalars?run=run&tag=loss&points=1000'); continue }
    const width = Math.max(2000, Math.floor(n * 10 ** (-3 * r())))
    const a = Math.floor(r() * (n - width))
    out.push(k % 4 === 3
      ? `/api/v1/scalars?run=run&tag=loss&points=1000&startTime=${1_700_000_000 + a * 0.05}&endTime=${1_700_000_000 + (a + width) * 0.05}`
      : `/api/v1/scalars?run=run&tag=loss&points=1000&startStep=${a}&endStep=${a + width}`)
  }
  return out
}

/** The child's CPU time so far, in ms. */
function cpuMs (child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.once('message', (u: { user: number, system: number }) => resolve((u.user + u.system) / 1000))
    child.send('cpu')
  })
}

async function measure (n: number, root: string): Promise<{ p50: number, p99: number, rps: number, total: number, errors: number, fillMs: number, rssBytes: number, cpuMsPerRequest: number }> {
  const srv = await serve(n, root)
  try {
    const paths = windows(n)
    // One request of each window first: checks them, and measures the first (cold) answer.
    for (const p of paths.slice(0, 8)) {
      const res = await fetch(srv.url + p)
      if (res.status !== 200) throw new Error(`${p}: ${res.status} ${await res.text()}`)
      await res.arrayBuffer()
    }
    let k = 0
    const cpu0 = await cpuMs(srv.child)
    const r = await new Promise<any>((resolve, reject) => {
      autocannon({
        url: srv.url,
        connections: CONNECTIONS,
        duration: SECONDS,
        timeout: 120,
        requests: [{ setupRequest: (req: { path: string }) => { req.path = paths[k++ % paths.length]!; return req } }]
      }, (e: Error | null, res: unknown) => e ? reject(e) : resolve(res))
    })
    const cpu1 = await cpuMs(srv.child)
    return { p50: r.latency.p50, p99: r.latency.p99, rps: r.requests.average, total: r.requests.total, errors: r.errors + r.timeouts + r.non2xx, fillMs: srv.fillMs, rssBytes: srv.rssBytes, cpuMsPerRequest: (cpu1 - cpu0) / Math.max(1, r.requests.total) }
  } finally {
    srv.child.kill('SIGTERM')
    await new Promise(resolve => srv.child.once('exit', resolve))
  }
}

async function main (): Promise<void> {
  for (const n of SIZES) {
    const ref = REF !== undefined ? await measure(n, REF) : null
    progress(`query ${n}: this checkout`)
    const cur = await measure(n, REPO)
    const m: Record<string, number> = { points: n, p50Ms: cur.p50, p99Ms: cur.p99, requestsPerSecond: cur.rps, requests: cur.total, errors: cur.errors, serverCpuMsPerRequest: cur.cpuMsPerRequest, rssBytesPerPoint: cur.rssBytes / n }
    if (ref !== null) Object.assign(m, { refP50Ms: ref.p50, refP99Ms: ref.p99, refRequestsPerSecond: ref.rps, refRequests: ref.total, refErrors: ref.errors, refServerCpuMsPerRequest: ref.cpuMsPerRequest, cpuPerRequestRatio: ref.cpuMsPerRequest / cur.cpuMsPerRequest, refRssBytesPerPoint: ref.rssBytes / n, p50Speedup: ref.p50 / Math.max(cur.p50, 0.5), rpsRatio: cur.rps / Math.max(ref.rps, 1e-9) })
    report({
      scenario: `query-points1000-${n}`,
      metrics: m,
      targets: [{ what: `points=1000 p50 < 5 ms on ${n.toLocaleString('en-US')} points, ${CONNECTIONS} clients`, met: cur.p50 < 5 }],
      notes: [`${CONNECTIONS} connections, ${SECONDS} s, 64 windows${REF !== undefined ? `, ref ${REF}` : ''}; machine: ${JSON.stringify(machine())}`]
    })
  }
}

main().catch((err) => { process.stderr.write(String(err?.stack ?? err) + '\n'); process.exitCode = 1 })
