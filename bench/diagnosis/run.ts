/**
 * `npm run bench:diagnosis`: the diagnosis benchmark of issue 8. Prints markdown tables (the
 * "Diagnosis" section of BENCHMARKS.md is pasted from them):
 *   1. per framework × kind: events found / labelled (recall), on the genuine framework corpus
 *      (../shared/corpus/frameworks, with truth) and on synthetic runs (bench/diagnosis/synth,
 *      held-out seeds), each row labelled with its source;
 *   2. per framework: precision of warning/critical annotations, false warnings per 10,000 clean
 *      points, how often the right cause ranks first, de-smoothing max relative error on points
 *      claimed exact, points outside their bound, impossible values, wrong epoch labels;
 *   3. synthetic bad-batch recall per ratio (5×, 10×, 30×, 100×) and noise level;
 *   4. the public corpus (no truth): warning/critical annotations per 10,000 points, per source;
 *   5. enrichment cost per 1 M points and per appended point (bench/enrich.bench.ts, run as is).
 * Matching rules: bench/diagnosis/score.ts. Options: --quick (one held-out seed, 200 k-point
 * enrichment cost), --dev (development seeds instead of the held-out ones), --misses (list every
 * missed event and false alarm), --no-cost (skip part 5), --seeds a,b,c (these synthetic seeds).
 */

import path from 'node:path'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { scoreFrameworkCorpus, loadStore } from './frameworks.js'
import { scoreTruth, emptyAggregate, addScore, type Aggregate } from './score.js'
import { synthSuite, HELD_OUT_SEEDS, DEV_SEEDS } from './synth/scenarios.js'
import { scorePublic } from './public.js'
import { TRUTH_KINDS } from './truth.js'

const HERE = fileURLToPath(new URL('.', import.meta.url))
const REPO = path.resolve(HERE, '..', '..')
const SHARED = path.resolve(REPO, '..', 'shared')
const QUICK = process.argv.includes('--quick')
const DEV = process.argv.includes('--dev')
const MISSES = process.argv.includes('--misses')
/** Skip the enrichment-cost benchmark (a minute): for iterating on the detector's decisions. */
const NO_COST = process.argv.includes('--no-cost')
/** `--seeds a,b,c`: other synthetic seeds (fresh ones: data nothing was tuned on). */
const SEEDS_ARG = process.argv.indexOf('--seeds')
const SEEDS = SEEDS_ARG > 0 ? (process.argv[SEEDS_ARG + 1] ?? '').split(',').map(Number).filter(Number.isInteger) : null
const ORDER = ['Keras 3', 'tf.keras 2.x', 'PyTorch SummaryWriter', 'Lightning', 'HF Trainer', 'tensorboardX', 'SB3']

function progress (s: string): void { process.stderr.write(`[diagnosis] ${s}\n`) }
const pct = (a: number, b: number): string => b === 0 ? '–' : `${(100 * a / b).toFixed(0)} %`
const num = (x: number): string => x === 0 ? '0' : Math.abs(x) >= 0.01 && Math.abs(x) < 1e4 ? String(+x.toPrecision(3)) : x.toExponential(1)

interface Row { framework: string, source: 'corpus' | 'synthetic', agg: Aggregate, impossibleAll: number }

async function main (): Promise<void> {
  const t0 = Date.now()
  const rows: Row[] = []
  // 1. The genuine framework corpus.
  progress('framework corpus')
  for (const f of await scoreFrameworkCorpus(path.join(SHARED, 'corpus', 'frameworks'))) {
    const agg = emptyAggregate()
    for (const s of f.scores) addScore(agg, s)
    rows.push({ framework: f.label, source: 'corpus', agg, impossibleAll: f.impossible.impossible })
  }
  // 2. Synthetic runs, held-out seeds.
  const seeds = SEEDS ?? (DEV ? DEV_SEEDS : QUICK ? HELD_OUT_SEEDS.slice(0, 1) : HELD_OUT_SEEDS)
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'lossboard-diagnosis-'))
  const badByRatio = new Map<string, { n: number, found: number }>()
  try {
    progress(`synthetic runs, seeds ${seeds.join(', ')}${SEEDS !== null ? ' (fresh)' : DEV ? ' (development)' : ' (held out)'}`)
    const runs = synthSuite(tmp, seeds)
    progress(`wrote ${runs.length} runs (${runs.reduce((a, r) => a + r.truth.logged.reduce((b, l) => b + l.step.length, 0), 0)} points); scoring`)
    const { store, provider } = await loadStore(tmp)
    const synth = new Map<string, Row>()
    for (const r of runs) {
      let row = synth.get(r.framework)
      if (row === undefined) synth.set(r.framework, row = { framework: r.framework, source: 'synthetic', agg: emptyAggregate(), impossibleAll: 0 })
      const s = scoreTruth(provider, store, r.truth)
      addScore(row.agg, s)
      for (const d of s.desmooth) row.impossibleAll += d.impossible
      for (const e of s.events) {
        if (e.truth.kind !== 'spike' || typeof e.truth.ratio !== 'number' || r.framework !== 'PyTorch SummaryWriter') continue
        const level = /_(light|medium|heavy)_/.exec(e.run)?.[1] ?? '?'
        for (const key of [`${e.truth.ratio}|${level}`, `${e.truth.ratio}|all`]) {
          const b = badByRatio.get(key) ?? { n: 0, found: 0 }
          badByRatio.set(key, b)
          b.n++; if (e.found) b.found++
        }
      }
    }
    rows.push(...synth.values())
  } finally { rmSync(tmp, { recursive: true, force: true }) }
  rows.sort((a, b) => (ORDER.indexOf(a.framework) - ORDER.indexOf(b.framework)) || (a.source < b.source ? -1 : 1))

  // 3. Public corpus.
  progress('public corpus')
  const pub = await scorePublic(path.join(SHARED, 'corpus', 'public'))

  // 4. Enrichment cost: the existing enrichment benchmark, as is.
  progress(`enrichment cost (bench/enrich.bench.ts${QUICK ? ' --quick' : ''})`)
  const cost: Record<string, Record<string, number>> = {}
  if (!NO_COST) {
    try {
      const out = execFileSync(process.execPath, ['--import', 'tsx', path.join(REPO, 'bench', 'enrich.bench.ts'), ...(QUICK ? ['--quick'] : [])], { cwd: REPO, env: { ...process.env, BENCH_JSON: '1' }, encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'ignore'] })
      for (const line of out.split('\n')) if (line.startsWith('{')) { const r = JSON.parse(line) as { scenario: string, metrics: Record<string, number> }; cost[r.scenario] = r.metrics }
    } catch (err) { progress(`enrichment benchmark failed: ${(err as Error).message.slice(0, 300)}`) }
  }

  // --- print ---
  const out: string[] = []
  const kinds = TRUTH_KINDS
  out.push(`Recall (labelled events found / labelled), per framework × kind. Synthetic: seeds ${seeds.join(', ')}${SEEDS !== null ? ' (fresh)' : DEV ? ' (development)' : ' (held out)'}.`, '')
  out.push(`| framework | source | ${kinds.join(' | ')} |`, `|---|---|${kinds.map(() => '---:').join('|')}|`)
  for (const r of rows) out.push(`| ${r.framework} | ${r.source} | ${kinds.map(k => { const s = r.agg.perKind[k]; return s === undefined || s.events === 0 ? '' : `${s.found}/${s.events}` }).join(' | ')} |`)
  out.push('', 'Per framework: precision of warning/critical annotations, false warnings per 10,000 clean points, right cause ranked first (found events), de-smoothing on Keras batch_* points with a raw truth.', '')
  out.push('| framework | source | precision | false warnings / 10k clean pts (clean pts) | cause first | exact points | max rel. err (exact) | outside bound (exact / gap means) | impossible values | wrong epoch labels |', '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|')
  for (const r of rows) {
    const a = r.agg
    let alarms = 0; let trueAlarms = 0; let cc = 0; let cf = 0
    for (const s of Object.values(a.perKind)) { alarms += s.alarms; trueAlarms += s.trueAlarms; cc += s.causeChecked; cf += s.causeFirst }
    const d = a.desmooth
    const ds = d.exactPoints + d.gapPoints > 0
    out.push(`| ${r.framework} | ${r.source} | ${alarms === 0 ? '–' : `${pct(trueAlarms, alarms)} (${trueAlarms}/${alarms})`} | ${a.cleanPoints === 0 ? '–' : `${num(a.cleanAlarms / a.cleanPoints * 1e4)} (${a.cleanAlarms} on ${a.cleanPoints})`} | ${cc === 0 ? '–' : `${pct(cf, cc)} (${cf}/${cc})`} | ${ds ? d.exactPoints : '–'} | ${ds ? num(d.maxRelErr) : '–'} | ${ds ? `${d.outsideBound} / ${d.gapOutsideBound} of ${d.gapPoints}` : '–'} | ${r.impossibleAll} | ${ds ? d.wrongEpochs : '–'} |`)
  }
  out.push('', 'Synthetic bad batches in 20,000-step PyTorch runs (train/loss every step), found / injected, per ratio to the local median and noise level (light / medium / heavy = residuals of tbx/osc_then_nan, torch/warmup_cosine_clean, torch/heavy_tail_12k).', '')
  out.push('| ratio | light | medium | heavy | all |', '|---:|---:|---:|---:|---:|')
  for (const ratio of [5, 10, 30, 100]) {
    out.push(`| ${ratio}× | ${['light', 'medium', 'heavy', 'all'].map(l => { const b = badByRatio.get(`${ratio}|${l}`); return b === undefined ? '' : `${b.found}/${b.n} (${pct(b.found, b.n)})` }).join(' | ')} |`)
  }
  out.push('', `Public corpus (no truth): ${pub.alarms} warning/critical annotations on ${pub.points} scalar points = ${num(pub.alarms / pub.points * 1e4)} per 10,000.`, '')
  out.push('| source | points | warning/critical | per 10k |', '|---|---:|---:|---:|')
  for (const s of pub.sources) if (s.points > 0) out.push(`| ${s.source} | ${s.points} | ${s.alarms.length} | ${num(s.alarms.length / s.points * 1e4)} |`)
  const k = cost['enrich/keras']; const rw = cost['enrich/raw']; const a1 = cost['enrich/append-1']; const a100 = cost['enrich/append-100']
  out.push('', 'Enrichment cost (bench/enrich.bench.ts; CPU ms, median of rounds):', '')
  if (k !== undefined && rw !== undefined) out.push(`- one pass: Keras running mean ${num(k.cpuMsPerMillionPoints!)} ms per 1 M points, raw series ${num(rw.cpuMsPerMillionPoints!)} ms per 1 M points (${num(k.points!)} points${QUICK ? ', --quick' : ''})`)
  if (a1 !== undefined) out.push(`- append: ${num(a1.meanMs!)} ms mean per 1-point append (p99 ${num(a1.p99Ms!)} ms)${a100 !== undefined ? `, ${num(a100.meanUsPerNewPoint!)} µs per point in 100-point appends` : ''}, on ${num(a1.existingPoints!)} existing points`)
  if (MISSES) {
    for (const r of rows) {
      if (r.agg.misses.length + r.agg.falseAlarms.length === 0) continue
      out.push('', `${r.framework} (${r.source}):`)
      for (const m of r.agg.misses) out.push(`  MISSED ${m}`)
      for (const m of r.agg.falseAlarms) out.push(`  FALSE  ${m}`)
    }
    out.push('', 'Public corpus alarms:')
    for (const s of pub.sources) for (const a of s.alarms) out.push(`  ${a.run}:${a.tag} ${a.kind}/${a.severity}@${a.startStep}-${a.endStep} ${a.causes[0]?.cause ?? ''}`)
  }
  out.push('', `(${((Date.now() - t0) / 1000).toFixed(0)} s)`)
  console.log(out.join('\n'))
}

await main()
