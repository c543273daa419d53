/** Target 1: ingest of 2 M scalar events (every point kept, every CRC verified) against the page-cache + CRC32C limit. */

import os from 'node:os'
import { ingestLogdir, multiRunLogdir, manyRunsLogdir } from './make-logdir.js'
import { QUICK, report, progress, median, lossboardLoad, limit, type LoadJson, type LimitJson } from './lib.js'

/*
 * Each round runs, in fresh processes and in alternating order, `lossboard load DIR --json` (the
 * real CLI) and bench/limit.ts (read the same bytes, CRC32C them, nothing else; with the JS CRC
 * that verifies small records, and with the native addon over whole chunks). Medians over the
 * rounds are reported; ingest MB/s over the JS limit's is "our ingest as a fraction of the limit".
 * The files: 2 M events over 10 tags, simple_value (~49 bytes a record, TB's writer layout) and
 * TF2 tensor_content (~69 bytes a record, scalars metadata on every event, as TF2 writes it).
 */

const EVENTS = QUICK ? 500_000 : 2_000_000
const ROUNDS = QUICK ? 3 : 5

async function measure (name: string, dir: string, events: number): Promise<void> {
  const loads: LoadJson[] = []
  const limits: LimitJson[] = []
  const nativeLimits: LimitJson[] = []
  const loadAverages: number[] = []
  for (let r = 0; r < ROUNDS; r++) {
    loadAverages.push(os.loadavg()[0]!)
    const order = r % 2 === 0 ? ['load', 'limit', 'native'] : ['native', 'limit', 'load']
    for (const what of order) {
      if (what === 'load') loads.push(await lossboardLoad(dir))
      else if (what === 'limit') limits.push((await limit(dir, 'js'))!)
      else {
        const n = await limit(dir, 'native')
        if (n !== null) nativeLimits.push(n)
      }
    }
    progress(`${name} round ${r + 1}/${ROUNDS}: ${(loads.at(-1)!.eventsPerSecond / 1e6).toFixed(2)} M events/s, ${loads.at(-1)!.mbPerSecond.toFixed(0)} MB/s; limit ${limits.at(-1)!.mbPerSecond.toFixed(0)} MB/s`)
  }
  const l = loads[0]!
  const seconds = median(loads.map(x => x.seconds))
  const evps = l.records / seconds
  const mbps = l.bytes / 1e6 / seconds
  const limitMbps = median(limits.map(x => x.mbPerSecond))
  const cpu = median(loads.map(x => x.cpuSeconds ?? NaN))
  const full = events >= 2_000_000
  report({
    scenario: `ingest/${name}`,
    metrics: {
      events: l.records,
      bytes: l.bytes,
      bytesPerRecord: +(l.bytes / l.records).toFixed(1),
      seconds,
      eventsPerSecond: evps,
      mbPerSecond: mbps,
      bestEventsPerSecond: Math.max(...loads.map(x => x.eventsPerSecond)),
      eventsPerCpuSecond: l.records / cpu,
      limitMbPerSecond: limitMbps,
      fractionOfLimit: mbps / limitMbps,
      ...(nativeLimits.length > 0 ? { nativeLimitMbPerSecond: median(nativeLimits.map(x => x.mbPerSecond)), fractionOfNativeLimit: mbps / median(nativeLimits.map(x => x.mbPerSecond)) } : {}),
      rssMB: median(loads.map(x => x.rssBytes)) / 1e6,
      // other processes' load on this 2-core machine moves every wall-clock figure
      loadAverage1m: median(loadAverages)
    },
    targets: [
      { what: `≥ 3,000,000 events/s on one core${full ? '' : ' (quick run: smaller file)'}`, met: evps >= 3e6 },
      { what: '≥ 150 MB/s on one core', met: mbps >= 150 },
      { what: '≥ 50% of the read + CRC32C limit', met: mbps / limitMbps >= 0.5 }
    ],
    notes: [`median of ${ROUNDS} fresh processes; limit = 4 MiB readSync + JS CRC32C over every byte (native limit: the addon over whole chunks), each in a fresh process of the same kind`]
  })
}

/**
 * What the second core gives: the same many-run logdir loaded with the parallel initial load (a
 * worker thread reads runs too) and with `--one-thread`, alternating fresh processes.
 */
async function twoThreads (runs: number): Promise<void> {
  const dir = manyRunsLogdir(runs, 1000)
  const two: LoadJson[] = []
  const one: LoadJson[] = []
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? ['two', 'one'] : ['one', 'two']
    for (const v of order) {
      if (v === 'two') two.push(await lossboardLoad(dir))
      else one.push(await lossboardLoad(dir, ['--one-thread']))
    }
    progress(`${runs} runs round ${r + 1}/${ROUNDS}: two threads ${two.at(-1)!.seconds.toFixed(2)} s, one thread ${one.at(-1)!.seconds.toFixed(2)} s`)
  }
  const t2 = median(two.map(x => x.seconds))
  const t1 = median(one.map(x => x.seconds))
  const l = two[0]!
  report({
    scenario: `ingest/${runs}-runs-two-threads`,
    metrics: {
      events: l.records,
      bytes: l.bytes,
      twoThreadsSeconds: t2,
      oneThreadSeconds: t1,
      twoThreadsEventsPerSecond: l.records / t2,
      oneThreadEventsPerSecond: l.records / t1,
      speedupFromSecondCore: t1 / t2,
      twoThreadsCpuSeconds: median(two.map(x => x.cpuSeconds ?? NaN)),
      oneThreadCpuSeconds: median(one.map(x => x.cpuSeconds ?? NaN)),
      runsReadInWorker: median(two.map(x => (x as LoadJson & { runsReadInWorker?: number }).runsReadInWorker ?? 0))
    },
    notes: [`median of ${ROUNDS} alternating fresh processes; the worker is used for initial loads of 256 MiB or more (${(l.bytes / 2 ** 20).toFixed(0)} MiB here)`]
  })
}

async function main (): Promise<void> {
  progress('generating inputs (cached under bench/.data) …')
  const simple = ingestLogdir('simple_value', EVENTS)
  const tensor = ingestLogdir('tensor_content', EVENTS)
  await measure('simple_value', simple, EVENTS)
  await measure('tensor_content', tensor, EVENTS)
  // Two runs of half the events each: what a second core could be given (one run per core).
  const multi = multiRunLogdir(2, EVENTS / 2)
  await measure('2-runs-simple_value', multi, EVENTS)
  await twoThreads(QUICK ? 100 : 1000)
}

main().catch((err) => { process.stderr.write(`${(err as Error).stack ?? String(err)}\n`); process.exitCode = 1 })
