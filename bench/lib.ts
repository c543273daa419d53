/** Shared plumbing of the benchmarks: machine description, statistics, child processes, output. */

import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import os from 'node:os'
import { fileURLToPath } from 'node:url'

/** Repository root (the checkout these benchmarks belong to). */
export const REPO = fileURLToPath(new URL('../', import.meta.url))

/** True with `--quick` on the command line or BENCH_QUICK=1: smaller inputs, fewer rounds. */
export const QUICK = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1'
/** True with BENCH_JSON=1: each result is printed as one JSON line instead of a text line. */
export const JSON_OUT = process.env.BENCH_JSON === '1'

/** What the figures were measured on (pino's runbench prints the same). */
export function machine (): Record<string, string | number> {
  let cpu = os.cpus()[0]?.model ?? 'unknown'
  try {
    const m = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))
    if (m) cpu = m[1]!.trim()
  } catch {}
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.platform()} ${os.release()}`,
    cpu,
    cores: os.availableParallelism(),
    memoryGB: +(os.totalmem() / 2 ** 30).toFixed(1),
    loadavg1m: +os.loadavg()[0]!.toFixed(2)
  }
}

/** Linear-interpolated quantile of an unsorted sample, q in [0, 1]. */
export function quantile (xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  const pos = (s.length - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo)
}

export const median = (xs: readonly number[]): number => quantile(xs, 0.5)

/**
 * One benchmark result. `metrics` hold numbers in natural units, named with their unit
 * (`eventsPerSecond`, `p99Ms`); `targets` say, for each issue target, what was required and
 * whether this run met it.
 */
export interface BenchResult {
  scenario: string
  metrics: Record<string, number>
  targets?: Array<{ what: string, met: boolean }>
  notes?: string[]
}

/** Prints a result: one JSON line under BENCH_JSON=1 (what bench/run.ts collects), else text. */
export function report (r: BenchResult): void {
  if (JSON_OUT) {
    process.stdout.write(JSON.stringify(r) + '\n')
    return
  }
  const fmt = (v: number): string => Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en-US') : String(+v.toPrecision(4))
  process.stdout.write(`${r.scenario}: ${Object.entries(r.metrics).map(([k, v]) => `${k}=${fmt(v)}`).join(' ')}\n`)
  for (const t of r.targets ?? []) process.stdout.write(`  target ${t.met ? 'MET   ' : 'MISSED'} ${t.what}\n`)
  for (const n of r.notes ?? []) process.stdout.write(`  note: ${n}\n`)
}

/** Text progress on stderr (never mixed into the JSON on stdout). */
export function progress (msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`)
}

/**
 * Runs `node [nodeArgs] --import tsx script ...args` in `cwd` (default: this checkout) and
 * resolves with its stdout; rejects on a non-zero exit. A fresh process per measurement keeps
 * JIT state, heap and page cache warmth comparable between variants.
 */
export function runTs (script: string, args: string[], opts: { cwd?: string, nodeArgs?: string[], env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), '--import', 'tsx', script, ...args], {
      cwd: opts.cwd ?? REPO,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let out = ''
    let err = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d })
    child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d })
    child.on('error', reject)
    child.on('close', (code) => {
      if (code === 0) resolve(out)
      else reject(new Error(`${script} ${args.join(' ')} exited with ${code}: ${err.slice(-2000)}`))
    })
  })
}

/** The JSON object printed by `lossboard load DIR --json`. */
export interface LoadJson {
  files: number
  bytes: number
  records: number
  scalarPoints: number
  skippedRecords: number
  seconds: number
  cpuSeconds?: number
  eventsPerSecond: number
  mbPerSecond: number
  rssBytes: number
  heapUsedBytes: number
}

/** Runs `lossboard load DIR --json` from the checkout at `cwd` in a fresh process. */
export async function lossboardLoad (dir: string, extra: string[] = [], cwd = REPO): Promise<LoadJson> {
  const out = await runTs('server/main.ts', ['load', dir, '--json', ...extra], { cwd })
  return JSON.parse(out.trim().split('\n').pop()!) as LoadJson
}

/** Milliseconds since `t0` (a process.hrtime.bigint() value). */
export function msSince (t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e6
}

/** Result of bench/limit.ts: reading the bytes and CRC32C-ing them, nothing else. */
export interface LimitJson { crc: 'js' | 'native', bytes: number, seconds: number, mbPerSecond: number }

/** Runs bench/limit.ts on `dir` in a fresh process; null when the native addon is asked for but missing. */
export async function limit (dir: string, crc: 'js' | 'native', cwd = REPO): Promise<LimitJson | null> {
  try {
    return JSON.parse((await runTs('bench/limit.ts', [dir, '--crc', crc], { cwd })).trim()) as LimitJson
  } catch (err) {
    if (crc === 'native' && /exited with 3/.test(String(err))) return null
    throw err
  }
}
