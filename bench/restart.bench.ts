/** Issue 11: time from spawn to a fully loaded server (/healthz loading:false) with and without --cache-dir. */

import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { multiRunLogdir } from './make-logdir.js'
import { QUICK, report, progress, msSince } from './lib.js'
import { startServer } from './server.js'

/*
 * A logdir of RUNS runs × one big simple_value file (≈1 GB full, ≈100 MB quick). Three starts of
 * the real server with --once: without a cache; with an empty cache (the first start, which also
 * writes it); with the cache written by that start (the restart). Each is timed from just before
 * the spawn to the first /healthz answer that says the initial load is done ("ready").
 */

const RUNS = 4
const EVENTS_PER_RUN = QUICK ? 500_000 : 5_000_000

async function timeToReady (logdir: string, extra: string[]): Promise<{ ms: number, bytes: number, points: number }> {
  const t0 = process.hrtime.bigint()
  const server = await startServer(logdir, ['--once', ...extra], t0)
  try {
    for (;;) {
      const h = await (await fetch(`${server.url}/healthz`)).json() as { initialLoadDone: boolean, bytes: number, points: number }
      if (h.initialLoadDone) return { ms: msSince(t0), bytes: h.bytes, points: h.points }
      await new Promise(resolve => setTimeout(resolve, 5))
    }
  } finally {
    await server.stop()
  }
}

async function main (): Promise<void> {
  progress(`generating ${RUNS} runs × ${EVENTS_PER_RUN} events (cached under bench/.data) …`)
  const logdir = multiRunLogdir(RUNS, EVENTS_PER_RUN)
  const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'lossboard-bench-cache-'))
  try {
    const plain = await timeToReady(logdir, [])
    progress(`no cache: ${plain.ms.toFixed(0)} ms`)
    const first = await timeToReady(logdir, ['--cache-dir', cacheDir])
    progress(`first start with an empty cache: ${first.ms.toFixed(0)} ms`)
    const restart = await timeToReady(logdir, ['--cache-dir', cacheDir])
    progress(`restart from the cache: ${restart.ms.toFixed(0)} ms`)
    report({
      scenario: 'restart/cache',
      metrics: {
        logdirBytes: plain.bytes,
        points: plain.points,
        noCacheReadyMs: plain.ms,
        firstStartWritingCacheReadyMs: first.ms,
        restartFromCacheReadyMs: restart.ms,
        speedup: plain.ms / restart.ms
      },
      targets: [{ what: 'a restart with the cache is ≥ 10× faster to ready than a start without it', met: plain.ms / restart.ms >= 10 }]
    })
  } finally {
    rmSync(cacheDir, { recursive: true, force: true })
  }
}

await main()
