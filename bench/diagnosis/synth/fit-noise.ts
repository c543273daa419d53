/**
 * Fits the synthetic noise models to the real runs of ../shared/corpus/frameworks (truth raw
 * losses). Prints the parameters that synth/noise.ts hard-codes: run it again after the corpus
 * changes and paste the output there.
 *
 *   npx tsx bench/diagnosis/synth/fit-noise.ts
 *
 * Method, per run: r_t = ln(raw_t) − ln(median of raw over a centred window of 101 steps), on
 * finite positive raw losses outside every labelled event (± 30 steps) and after the first 200
 * steps (warm-up). Reported: the quantile table of r (the sampler draws by inverse CDF from it),
 * the lag-1 autocorrelation of r, the trend of the rolling median (initial level, floor, and the
 * step at which it has fallen 90 % of the way), and, where the run has epochs, the spread of the
 * per-epoch median around the trend (epoch reshuffles).
 */

import path from 'node:path'
import { readTruthDir } from '../truth.js'

const DIR = path.resolve(process.argv[2] ?? path.join(import.meta.dirname, '../../../../shared/corpus/frameworks'))
export const QS = [0, 0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 0.999, 1]

function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? NaN : s[s.length >> 1]!
}

function quantile (sorted: number[], q: number): number {
  const x = q * (sorted.length - 1)
  const i = Math.floor(x)
  return i + 1 < sorted.length ? sorted[i]! + (x - i) * (sorted[i + 1]! - sorted[i]!) : sorted[i]!
}

for (const t of readTruthDir(DIR)) {
  const raw = t.steps.raw_loss
  if (raw === undefined || raw.length < 1000) continue
  const n = raw.length
  const excluded = new Uint8Array(n)
  const stepCol = t.steps.step ?? t.steps.tb_step ?? raw.map((_, i) => i)
  for (const e of t.events) {
    if (e.kind === 'lr-schedule') continue
    for (let i = 0; i < n; i++) if (stepCol[i]! >= e.startStep - 30 && stepCol[i]! <= e.endStep + 30) excluded[i] = 1
  }
  const W = 50
  const med: number[] = new Array(n).fill(NaN)
  for (let i = 0; i < n; i++) {
    const w: number[] = []
    for (let k = Math.max(0, i - W); k <= Math.min(n - 1, i + W); k++) if (raw[k]! > 0 && Number.isFinite(raw[k]!)) w.push(raw[k]!)
    med[i] = median(w)
  }
  const r: number[] = []
  const rIdx: number[] = []
  for (let i = 200; i < n; i++) {
    if (excluded[i] || !(raw[i]! > 0) || !Number.isFinite(raw[i]!)) continue
    r.push(Math.log(raw[i]! / med[i]!)); rIdx.push(i)
  }
  const sorted = [...r].sort((a, b) => a - b)
  const mean = r.reduce((a, b) => a + b, 0) / r.length
  let c0 = 0; let c1 = 0
  for (let k = 0; k < r.length; k++) {
    c0 += (r[k]! - mean) ** 2
    if (k > 0 && rIdx[k] === rIdx[k - 1]! + 1) c1 += (r[k]! - mean) * (r[k - 1]! - mean)
  }
  const init = median(raw.slice(0, 20).filter(x => x > 0))
  const floor = median(raw.slice(Math.floor(n * 0.8)).filter(x => x > 0 && Number.isFinite(x)))
  let t90 = n
  for (let i = 0; i < n; i++) if (med[i]! - floor <= 0.1 * (init - floor)) { t90 = i; break }
  console.log(JSON.stringify({
    run: t.run,
    points: r.length,
    quantiles: QS.map(q => +quantile(sorted, q).toFixed(4)),
    ratioP99: +Math.exp(quantile(sorted, 0.99)).toFixed(2),
    ratioMax: +Math.exp(sorted.at(-1)!).toFixed(2),
    lag1: +(c1 / c0).toFixed(3),
    trend: { init: +init.toPrecision(3), floor: +floor.toPrecision(3), t90 }
  }))
}
