/** `npm run bench`: runs every bench/*.bench.ts in a fresh process, prints one table, writes bench/results.json. */

import { readdirSync, writeFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { QUICK, machine, runTs, progress, type BenchResult } from './lib.js'

/*
 * Usage: tsx bench/run.ts [--quick] [scenario …]   (scenario = a file name without .bench.ts)
 * Each benchmark runs with BENCH_JSON=1 and prints its results as JSON lines; this collects
 * them, prints a table (every metric, then every target met or missed) and writes
 * bench/results.json with the machine, the git revision and the command. A benchmark that fails
 * is reported as failed and the others still run.
 */

const HERE = fileURLToPath(new URL('.', import.meta.url))
/** Cheap, self-contained benchmarks first; the ones that compare against other programs last. */
const ORDER = ['crc', 'ingest', 'mixed', 'memory', 'live', 'startup', 'api', 'enrich', 'tensorboard']

function gitRevision (): string {
  try {
    const rev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: HERE, encoding: 'utf8' }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: HERE, encoding: 'utf8' }).trim() !== ''
    return dirty ? `${rev}+dirty` : rev
  } catch {
    return 'unknown'
  }
}

function fmt (v: number): string {
  if (!Number.isFinite(v)) return String(v)
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en-US')
  return String(+v.toPrecision(4))
}

async function main (): Promise<void> {
  const wanted = process.argv.slice(2).filter(a => !a.startsWith('--'))
  const available = readdirSync(HERE).filter(f => f.endsWith('.bench.ts')).map(f => f.slice(0, -'.bench.ts'.length))
  const names = [...ORDER.filter(n => available.includes(n)), ...available.filter(n => !ORDER.includes(n)).sort()]
    .filter(n => wanted.length === 0 || wanted.includes(n))
  for (const w of wanted) if (!available.includes(w)) progress(`no bench/${w}.bench.ts`)
  const m = machine()
  progress(`machine: ${JSON.stringify(m)}`)
  const results: BenchResult[] = []
  const failures: Array<{ scenario: string, error: string }> = []
  const started = Date.now()
  for (const name of names) {
    progress(`── ${name}${QUICK ? ' (quick)' : ''}`)
    const t0 = Date.now()
    try {
      const out = await runTs(path.join('bench', `${name}.bench.ts`), QUICK ? ['--quick'] : [], { env: { BENCH_JSON: '1', BENCH_QUICK: QUICK ? '1' : '0' } })
      for (const line of out.split('\n')) {
        if (!line.startsWith('{')) continue
        results.push(JSON.parse(line) as BenchResult)
      }
    } catch (err) {
      failures.push({ scenario: name, error: String((err as Error).message).slice(0, 2000) })
      progress(`${name} FAILED: ${String((err as Error).message).slice(0, 500)}`)
    }
    progress(`${name} took ${((Date.now() - t0) / 1000).toFixed(0)} s`)
  }
  const lines: string[] = []
  lines.push(`lossboard benchmarks — ${new Date().toISOString()} — git ${gitRevision()}${QUICK ? ' — QUICK' : ''}`)
  lines.push(`node ${m.node}, ${m.cores} cores (${m.cpu}), ${m.memoryGB} GB, ${m.platform}, load average at start ${m.loadavg1m}`)
  const w = Math.max(...results.flatMap(r => Object.keys(r.metrics).map(k => r.scenario.length + k.length + 3)), 20)
  for (const r of results) {
    lines.push('')
    for (const [k, v] of Object.entries(r.metrics)) lines.push(`${`${r.scenario} · ${k}`.padEnd(w)} ${fmt(v).padStart(16)}`)
  }
  lines.push('', 'targets:')
  for (const r of results) for (const t of r.targets ?? []) lines.push(`  ${t.met ? 'MET   ' : 'MISSED'}  ${r.scenario}: ${t.what}`)
  for (const f of failures) lines.push(`  FAILED  ${f.scenario}: ${f.error.split('\n')[0]}`)
  const missingOwned = ['api', 'enrich'].filter(n => !available.includes(n))
  if (missingOwned.length > 0) lines.push('', `not measured (no bench file yet): ${missingOwned.map(n => `bench/${n}.bench.ts`).join(', ')}`)
  process.stdout.write(lines.join('\n') + '\n')
  const file = path.join(HERE, 'results.json')
  writeFileSync(file, JSON.stringify({
    date: new Date().toISOString(),
    git: gitRevision(),
    command: `tsx bench/run.ts ${process.argv.slice(2).join(' ')}`.trim(),
    quick: QUICK,
    seconds: (Date.now() - started) / 1000,
    machine: m,
    results,
    failures
  }, null, 2) + '\n')
  progress(`wrote ${path.relative(process.cwd(), file)} (${((Date.now() - started) / 1000).toFixed(0)} s in all)`)
  if (failures.length > 0) process.exitCode = 1
}

main().catch((err) => { process.stderr.write(`${(err as Error).stack ?? String(err)}\n`); process.exitCode = 1 })
