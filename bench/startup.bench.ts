/** Target 5: a logdir of many small runs fully loaded by the real server; time to first served request and responsiveness while loading. */

import { manyRunsLogdir } from './make-logdir.js'
import { QUICK, report, progress, quantile, msSince } from './lib.js'
import { startServer } from './server.js'

/*
 * RUNS runs × 10 tags × 1,000 points, one event file per run (what a hyper-parameter sweep
 * leaves). The CLI server is spawned on 127.0.0.1; from just before the spawn this process polls
 * /healthz (which reports load progress) every 2 ms, and every 50 ms also asks for the run listing
 * (/api/v1/runs), until the initial load is done. Reported: time to the first answered request,
 * files/s and events/s of the initial load (the server's own initialLoadSeconds), and the latency
 * of the requests answered while it was loading. Then (issue 12 item 4) the analyses behind
 * annotations, which run after the load in the background: the status and latency of a first
 * /api/v1/annotations right after ready (202 "computing" instead of blocking), and the time until
 * /healthz says the background pass is done, with /healthz latency meanwhile.
 */

/** `--runs N` overrides the run count (issue 12 asks for 10,000). */
const runsArg = process.argv.indexOf('--runs')
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : QUICK ? 100 : 1000
const POINTS = 1000
const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

interface Health { loading: boolean, initialLoadDone: boolean, initialLoadSeconds: number | null, files: number, runs: number, records: number, bytes: number, points: number, enrichment?: { status: string, queuedSeries: number } }

async function main (): Promise<void> {
  progress(`generating ${RUNS} runs × 10 tags × ${POINTS} points (cached under bench/.data) …`)
  const dir = manyRunsLogdir(RUNS, POINTS)
  const t0 = process.hrtime.bigint()
  const server = await startServer(dir, ['--once'], t0)
  const healthMs: number[] = []
  const listMs: number[] = []
  let firstAnswerMs = NaN
  let answeredWhileLoading = 0
  let listedWhileLoading = 0
  const progressSeen = new Set<number>()
  let last: Health | null = null
  let lastList = 0
  try {
    for (;;) {
      const q0 = process.hrtime.bigint()
      const h = await (await fetch(`${server.url}/healthz`)).json() as Health
      const ms = msSince(q0)
      if (Number.isNaN(firstAnswerMs)) firstAnswerMs = msSince(t0)
      last = h
      if (h.initialLoadDone) break
      healthMs.push(ms)
      answeredWhileLoading++
      progressSeen.add(h.runs)
      if (msSince(t0) - lastList > 50) {
        lastList = msSince(t0)
        const l0 = process.hrtime.bigint()
        const r = await fetch(`${server.url}/api/v1/runs`)
        await r.arrayBuffer()
        listMs.push(msSince(l0))
        if (r.ok) listedWhileLoading++
      }
      await sleep(2)
    }
    const loadSeconds = last.initialLoadSeconds ?? NaN
    const doneMs = msSince(t0)
    const a0 = process.hrtime.bigint()
    const ann = await fetch(`${server.url}/api/v1/annotations`)
    await ann.arrayBuffer()
    const annotationsMs = msSince(a0)
    const passMs: number[] = []
    let enrichment = last.enrichment
    while (enrichment !== undefined && enrichment.status === 'computing') {
      await sleep(100)
      const q0 = process.hrtime.bigint()
      enrichment = ((await (await fetch(`${server.url}/healthz`)).json()) as Health).enrichment
      passMs.push(msSince(q0))
    }
    const analysedMs = msSince(t0)
    report({
      scenario: 'startup/many-runs',
      metrics: {
        runs: last.runs,
        files: last.files,
        bytes: last.bytes,
        events: last.records,
        points: last.points,
        listenMs: server.listenMs,
        firstAnsweredRequestMs: firstAnswerMs,
        initialLoadSeconds: loadSeconds,
        spawnToLoadedSeconds: doneMs / 1000,
        filesPerSecond: last.files / loadSeconds,
        eventsPerSecond: last.records / loadSeconds,
        healthAnsweredWhileLoading: answeredWhileLoading,
        healthP50MsWhileLoading: quantile(healthMs, 0.5),
        healthP99MsWhileLoading: quantile(healthMs, 0.99),
        healthMaxMsWhileLoading: healthMs.length ? Math.max(...healthMs) : NaN,
        runListingsWhileLoading: listedWhileLoading,
        runListingMaxMsWhileLoading: listMs.length ? Math.max(...listMs) : NaN,
        distinctProgressValues: progressSeen.size,
        firstAnnotationsStatus: ann.status,
        firstAnnotationsMs: annotationsMs,
        spawnToAnalysedSeconds: analysedMs / 1000,
        healthP99MsWhileAnalysing: quantile(passMs, 0.99),
        healthMaxMsWhileAnalysing: passMs.length ? Math.max(...passMs) : NaN
      },
      targets: [
        { what: 'health and run listing answered while loading, with progress', met: answeredWhileLoading > 0 && listedWhileLoading > 0 && progressSeen.size > 1 },
        { what: 'ready in under 10 s (issue 12: at 10,000 runs)', met: doneMs < 10_000 },
        { what: 'a first /api/v1/annotations after ready answers at once (202 computing or the complete list), not after the analyses', met: annotationsMs < 1000 }
      ],
      notes: [`${RUNS} runs × 10 tags × ${POINTS} points, one file per run; server = CLI child with --once; times from just before the spawn (includes Node + tsx start-up)`]
    })
  } finally {
    await server.stop()
  }
}

main().catch((err) => { process.stderr.write(`${(err as Error).stack ?? String(err)}\n`); process.exitCode = 1 })
