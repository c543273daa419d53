/** Target 3: bytes of RSS per stored scalar point over a 10 M-point load, and appends that never copy quadratically. */

import pino from 'pino'
import { pointsLogdir } from './make-logdir.js'
import { QUICK, report, progress, runTs, msSince } from './lib.js'
import { ScalarStore } from '../server/store/scalar-store.js'
import { LogdirLoader } from '../server/logdir/logdir-loader.js'
import { ScalarSeries } from '../server/store/scalar-series.js'

/*
 * Two measurements, each in its own fresh process started with --expose-gc:
 *  - load: gc(), RSS; load a logdir of POINTS points (10 tags, events of 10 values); gc(), RSS.
 *    (RSS after − RSS before) / points is the figure of target 3 (≤ 24 bytes a point);
 *  - growth: append POINTS points to one series and time every tenth of them. With geometric
 *    growth every tenth costs about the same; a quadratic copy would make the last half cost
 *    several times the first (which also carries the JIT warm-up).
 */

const POINTS = QUICK ? 2_000_000 : 10_000_000

declare const gc: () => void

async function childLoad (dir: string): Promise<void> {
  gc(); gc()
  const before = process.memoryUsage()
  const store = new ScalarStore()
  const loader = new LogdirLoader(dir, store, pino({ level: 'silent' }))
  const t0 = process.hrtime.bigint()
  await loader.reload()
  const ms = msSince(t0)
  gc(); gc()
  const after = process.memoryUsage()
  const t = loader.totals()
  let pyramidBytes = 0
  for (const r of store.runs.values()) for (const tag of r.tags.values()) pyramidBytes += tag.series?.pyramid.byteLength() ?? 0
  process.stdout.write(JSON.stringify({ points: t.points, records: t.records, bytes: t.bytes, ms, rssBefore: before.rss, rssAfter: after.rss, heapDelta: after.heapUsed - before.heapUsed, pyramidBytes }) + '\n')
  // keep the store alive until after the measurement
  if (store.runs.size === 0) process.exitCode = 1
}

function childGrowth (points: number): void {
  const s = new ScalarSeries()
  const tenth = Math.floor(points / 10)
  const msPerTenth: number[] = []
  for (let k = 0; k < 10; k++) {
    const t0 = process.hrtime.bigint()
    for (let i = k * tenth; i < (k + 1) * tenth; i++) s.append(i, 1_700_000_000 + i * 0.01, i & 1023, 'float32')
    msPerTenth.push(msSince(t0))
  }
  process.stdout.write(JSON.stringify({ points: s.length, msPerTenth, byteLength: s.byteLength() }) + '\n')
}

async function main (): Promise<void> {
  const mode = process.argv[2]
  if (mode === '--child-load') return await childLoad(process.argv[3]!)
  if (mode === '--child-growth') return childGrowth(Number(process.argv[3]))
  progress(`generating ${POINTS.toLocaleString('en-US')} points (cached under bench/.data) …`)
  const dir = pointsLogdir(POINTS)
  const load = JSON.parse(await runTs('bench/memory.bench.ts', ['--child-load', dir], { nodeArgs: ['--expose-gc'] })) as { points: number, ms: number, rssBefore: number, rssAfter: number, heapDelta: number, pyramidBytes: number }
  const growth = JSON.parse(await runTs('bench/memory.bench.ts', ['--child-growth', String(POINTS)])) as { points: number, msPerTenth: number[], byteLength: number }
  const bytesPerPoint = (load.rssAfter - load.rssBefore) / load.points
  const first = growth.msPerTenth[0]!
  const lastHalf = growth.msPerTenth.slice(5)
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length
  // Quadratic copying makes late appends cost more than early ones; the first tenths also carry
  // the JIT warm-up, so late over early can only be pessimistic for a linear store.
  const lateOverEarly = mean(growth.msPerTenth.slice(5)) / mean(growth.msPerTenth.slice(0, 5))
  const growthRatio = Math.max(...growth.msPerTenth) / Math.min(...growth.msPerTenth)
  report({
    scenario: 'memory/points',
    metrics: {
      points: load.points,
      loadSeconds: load.ms / 1000,
      rssGrowthMB: (load.rssAfter - load.rssBefore) / 1e6,
      rssBytesPerPoint: bytesPerPoint,
      heapBytesPerPoint: load.heapDelta / load.points,
      pyramidBytesPerPoint: load.pyramidBytes / load.points,
      pyramidShareOfColumns: load.pyramidBytes / load.points / 16,
      appendMsFirstTenth: first,
      appendMsSlowestOfLastFiveTenths: Math.max(...lastHalf),
      appendSlowestOverFastestTenth: growthRatio,
      appendLateOverEarlyHalf: lateOverEarly
    },
    targets: [
      { what: '≤ 24 bytes of RSS per stored point', met: bytesPerPoint <= 24 },
      { what: 'issue 12: ≤ 10 bytes of RSS per stored point', met: bytesPerPoint <= 10 },
      { what: 'issue 12: min/max pyramid < 10% of the raw columns', met: load.pyramidBytes / load.points < 1.6 },
      { what: 'no quadratic copying: the last half of the appends takes < 1.5× the time of the first half', met: lateOverEarly < 1.5 }
    ],
    notes: [`RSS measured after gc() before and after the load, in a fresh process; the columns hold step (int32), wall time (float64), value (float32) = 16 bytes a point, plus the min/max pyramid (its capacity is counted); appends: ${growth.msPerTenth.map(x => x.toFixed(0)).join(', ')} ms per tenth`]
  })
}

main().catch((err) => { process.stderr.write(`${(err as Error).stack ?? String(err)}\n`); process.exitCode = 1 })
