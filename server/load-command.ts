/** `lossboard load DIR [--json]`: ingest a logdir once, print statistics, exit. */

import { parseArgs } from 'node:util'
import { readFileSync } from 'node:fs'
import pino from 'pino'
import { ScalarStore } from './store/scalar-store.js'
import { LogdirLoader } from './logdir/logdir-loader.js'
import { NATIVE_CRC } from './records/masked-crc.js'
import { setPipelineMinBytes } from './logdir/pipelined-read.js'

/** Runs the command; returns the process exit code. */
export async function runLoadCommand (argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' }, 'no-crc': { type: 'boolean' }, 'one-thread': { type: 'boolean' }, 'crc-worker': { type: 'boolean' } } })
  if (positionals.length !== 1) {
    process.stderr.write('usage: lossboard load DIR [--json] [--no-crc] [--one-thread] [--crc-worker]\n')
    return 2
  }
  const log = pino({ level: values.json ? 'silent' : 'warn' })
  // --crc-worker: files of 32 MiB or more have their data CRCs verified in a worker thread (off by
  // default: measured slower, BENCHMARKS.md "Issue 12").
  if (values['crc-worker']) setPipelineMinBytes(32 * 1024 * 1024)
  const store = new ScalarStore()
  const loader = new LogdirLoader(positionals[0]!, store, log, { verifyDataCrc: !values['no-crc'], parallel: !values['one-thread'] })
  const rss0 = process.memoryUsage().rss
  const cpu0 = process.cpuUsage()
  const main0 = mainThreadCpuSeconds()
  const t0 = process.hrtime.bigint()
  await loader.reload()
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  const cpu = process.cpuUsage(cpu0)
  const main1 = mainThreadCpuSeconds()
  const t = loader.totals()
  const mem = process.memoryUsage()
  const out = {
    logdir: loader.logdir,
    runs: t.runs,
    files: t.files,
    bytes: t.bytes,
    records: t.records,
    scalarPoints: t.points,
    skippedRecords: t.skippedRecords,
    skippedBytes: t.skippedBytes,
    seconds,
    /** User + system CPU time of the load: on a busy machine it moves less than `seconds`. */
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    /** The main thread's share of it (Linux; null elsewhere): what the worker threads take off it. */
    mainThreadCpuSeconds: main0 === null || main1 === null ? null : main1 - main0,
    eventsPerSecond: t.records / seconds,
    mbPerSecond: t.bytes / 1e6 / seconds,
    rssBytes: mem.rss,
    rssGrowthBytes: mem.rss - rss0,
    heapUsedBytes: mem.heapUsed,
    /** Whether records of 1 KiB and more were CRC'd by the native addon (else all in JS). */
    nativeCrc: NATIVE_CRC,
    /** Runs read by the worker thread of the parallel initial load (0: one thread). */
    runsReadInWorker: loader.runsReadInWorker
  }
  if (values.json) process.stdout.write(JSON.stringify(out) + '\n')
  else {
    for (const [k, v] of Object.entries(out)) process.stdout.write(`${k.padEnd(16)} ${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(3) : v}\n`)
  }
  return 0
}

/** User + system CPU seconds of this process's main thread, from /proc (Linux), or null. */
function mainThreadCpuSeconds (): number | null {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(f[11]) + Number(f[12])) / 100 // utime, stime in clock ticks (USER_HZ = 100 on Linux)
  } catch {
    return null
  }
}
