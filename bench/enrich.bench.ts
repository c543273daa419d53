/** Target 7: enrichment (de-smoothing + annotations) of a 1,000,000-point series, and the cost of appends. */

import { ScalarStore, type RunState, type TagInfo } from '../server/store/scalar-store.js'
import { createEnrichmentProvider } from '../server/provider/enrichment.js'
import { Rng } from '../test/helpers/scenarios.js'
import { QUICK, report, progress, median, quantile } from './lib.js'

/*
 * The series are put into a ScalarStore through the same RunState calls the loader makes (no
 * files: the ingest benchmark measures reading), then a fresh provider enriches them the way
 * /api/v1/scalars?series=desmoothed,smoothed and /api/v1/annotations do. Three cases:
 *   keras  — a Keras batch_loss running mean, 1,000 batches per epoch with epoch_loss events, a bad
 *            batch and a learning-rate jump: inversion + staircase + jump detection + TB smoothing;
 *   raw    — a PyTorch-style per-step loss with a spike, a level shift and an oscillation;
 *   append — after the keras series is enriched, 1 and 100 points appended at a time (an epoch
 *            event every 1,000 batches) and the annotations re-read: the cost per append, which
 *            must not grow with the 1 M points already there.
 * CPU time (process.cpuUsage, user + system) is reported beside wall time: the machine is shared.
 */

const N = QUICK ? 200_000 : 1_000_000
const ROUNDS = QUICK ? 3 : 5
const K = 1000
const WALL = 1.7e9

interface Writer { append: (n: number) => void, done: number }

/** A Keras train run whose batch_loss (running mean) and epoch_loss grow by `append(n)`. */
function kerasRun (store: ScalarStore, name: string, total: number): Writer {
  const run = store.getOrCreateRun(name)
  run.fileVersionRecord('brain.Event:2')
  const batch = tagOf(run, 'batch_loss')
  const epoch = tagOf(run, 'epoch_loss')
  const rng = new Rng(1)
  let t = 0; let sum = 0; let k = 0
  const w: Writer = {
    done: 0,
    append (n: number): void {
      for (let j = 0; j < n && t < total; j++, t++) {
        const raw = (0.1 + Math.exp(-t / 50_000)) * Math.exp(0.2 * rng.gauss()) * (t === 123_456 ? 20 : 1) * (t >= 600_000 && t < 650_000 ? 4 : 1)
        k++
        sum = Math.fround(sum + Math.fround(raw))
        const m = Math.fround(sum / k)
        scalar(run, batch, t + 1, WALL + t * 0.01, m)
        if (k === K) {
          scalar(run, epoch, Math.floor(t / K), WALL + t * 0.01 + 0.005, m)
          sum = 0; k = 0
        }
      }
      w.done = t
      store.notifyPoints(name, ['batch_loss', 'epoch_loss'])
    }
  }
  return w
}

function tagOf (run: RunState, name: string): TagInfo {
  const t = run.tag(name)
  run.metadata(t, 'scalars', '', '', 1)
  return t
}

function scalar (run: RunState, t: TagInfo, step: number, wall: number, value: number): void {
  run.beginEvent(wall, step)
  run.scalar(t, value, 'float32')
  run.endEvent(true)
}

function rawRun (store: ScalarStore, name: string, total: number): void {
  const run = store.getOrCreateRun(name)
  run.fileVersionRecord('brain.Event:2')
  const loss = tagOf(run, 'loss')
  const rng = new Rng(2)
  for (let i = 0; i < total; i++) {
    let v = (0.05 + Math.exp(-i / 100_000)) * Math.exp(0.15 * rng.gauss())
    if (i === 250_000) v *= 15
    if (i >= 500_000 && i < 500_400) v *= i % 2 ? 1.8 : 0.6
    if (i >= 800_000) v *= 3
    scalar(run, loss, i, WALL + i * 0.01, v)
  }
}

function cpuMs (f: () => void): { wallMs: number, cpuMs: number } {
  const c0 = process.cpuUsage(); const t0 = performance.now()
  f()
  const c = process.cpuUsage(c0)
  return { wallMs: performance.now() - t0, cpuMs: (c.user + c.system) / 1000 }
}

const opts = { desmoothed: true, smoothed: true, smoothing: 0.6, desmooth: 'auto' as const }

/** One uncounted pass over smaller series, so that the measured rounds run JIT-compiled code. */
function warmUp (): void {
  const store = new ScalarStore()
  kerasRun(store, 'warm/train', 100_000).append(100_000)
  rawRun(store, 'warm/raw', 100_000)
  const p = createEnrichmentProvider(store)
  p.columns('warm/train', 'batch_loss', opts); p.annotations({ run: 'warm/train' })
  p.columns('warm/raw', 'loss', opts); p.annotations({ run: 'warm/raw' })
}

function oneShot (): void {
  const store = new ScalarStore()
  kerasRun(store, 'bench/train', N).append(N)
  rawRun(store, 'bench/raw', N)
  const rounds: Record<'keras' | 'raw', Array<{ wallMs: number, cpuMs: number }>> = { keras: [], raw: [] }
  let found: Record<string, string[]> = {}
  for (let r = 0; r < ROUNDS; r++) {
    for (const [kind, run, tag] of [['keras', 'bench/train', 'batch_loss'], ['raw', 'bench/raw', 'loss']] as const) {
      const p = createEnrichmentProvider(store)
      rounds[kind].push(cpuMs(() => {
        p.columns(run, tag, opts)
        found[kind] = p.annotations({ run, tag }).filter(a => a.kind !== 'staircase-artifact').map(a => `${a.kind}@${a.startStep}`)
      }))
    }
    progress(`one-shot round ${r + 1}/${ROUNDS}: keras ${rounds.keras.at(-1)!.cpuMs.toFixed(0)} ms CPU, raw ${rounds.raw.at(-1)!.cpuMs.toFixed(0)} ms CPU`)
  }
  for (const kind of ['keras', 'raw'] as const) {
    const cpu = median(rounds[kind].map(x => x.cpuMs))
    const wall = median(rounds[kind].map(x => x.wallMs))
    const perMillion = cpu * 1e6 / N
    report({
      scenario: `enrich/${kind}`,
      metrics: { points: N, wallMs: wall, cpuMs: cpu, cpuMsPerMillionPoints: perMillion, pointsPerSecond: N / (cpu / 1000) },
      targets: N >= 1_000_000 ? [{ what: `de-smoothing + annotations of 1 M points well under 1 s on one core (${perMillion.toFixed(0)} ms CPU per 1 M)`, met: perMillion < 1000 }] : [],
      notes: [`annotations found: ${found[kind]!.join(', ')}`, ...(N < 1_000_000 ? ['--quick: the 1 M-point target is judged only at full size'] : [])]
    })
  }
  found = {}
}

function appends (): void {
  for (const step of [1, 100]) {
    const store = new ScalarStore()
    const w = kerasRun(store, 'bench/train', N + 20_000)
    w.append(N)
    const p = createEnrichmentProvider(store)
    const full = cpuMs(() => { p.columns('bench/train', 'batch_loss', opts); p.annotations({ run: 'bench/train' }) })
    const times: number[] = []
    const count = step === 1 ? 5000 : 200
    for (let i = 0; i < count; i++) {
      w.append(step)
      const t0 = performance.now()
      p.columns('bench/train', 'batch_loss', opts)
      p.annotations({ run: 'bench/train' })
      times.push(performance.now() - t0)
    }
    const p50 = quantile(times, 0.5); const p99 = quantile(times, 0.99)
    const mean = times.reduce((a, b) => a + b, 0) / times.length
    report({
      scenario: `enrich/append-${step}`,
      metrics: { existingPoints: N, appendedPerCall: step, calls: count, p50Ms: p50, p99Ms: p99, meanMs: mean, meanUsPerNewPoint: mean * 1000 / step, fullRecomputeCpuMs: full.cpuMs, fullOverAppend: full.cpuMs / mean },
      targets: [{ what: `an append costs O(new points), not O(history): mean ${mean.toFixed(3)} ms for ${step} point(s) vs ${full.cpuMs.toFixed(0)} ms for the full series`, met: mean * 50 < full.cpuMs }],
      notes: ['each call: the de-smoothed + smoothed columns and the run\'s annotations re-read after the append (epoch events every 1,000 batches close epochs and recompute that epoch once)']
    })
  }
}

progress(`enrich: ${N} points, ${ROUNDS} rounds`)
warmUp()
oneShot()
appends()
