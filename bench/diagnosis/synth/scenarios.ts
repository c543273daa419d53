/**
 * Labelled synthetic runs: raw losses from the fitted noise models (noise.ts) with injected events,
 * written as event files in each framework's layout (layouts.ts), with truth in the corpus format
 * (truth.ts), so that the same scorer measures them.
 *
 * Seeds: the development seeds are 1000 + k; the held-out seeds for the reported numbers are
 * 9000 + k (HELD_OUT_SEEDS). Nothing was tuned on the held-out seeds.
 */

import path from 'node:path'
import { rng } from '../../../test/helpers/rng.js'
import { NOISE_MODELS, residual, trendLevel, type NoiseLevel } from './noise.js'
import { writeTorch, writeLightning, writeHF, writeKeras, writeSB3, type RawRun, type Written } from './layouts.js'
import type { Truth, TruthEvent, TruthKind } from '../truth.js'

export const DEV_SEEDS = [1001, 1002]
export const HELD_OUT_SEEDS = [9001, 9002, 9003]

export interface SynthRun {
  truth: Truth
  /** Framework label for the table. */
  framework: string
  /** Bad batches: ratio to the local median, for recall per ratio class. */
  badBatches: Array<{ ratio: number, step: number, tbRun: string, tag: string }>
}

class Gen {
  readonly u: () => number
  constructor (seed: number) { this.u = rng(seed) }
  gauss (): number {
    const a = Math.max(1e-12, this.u()); const b = this.u()
    return Math.sqrt(-2 * Math.log(a)) * Math.cos(2 * Math.PI * b)
  }

  int (lo: number, hi: number): number { return lo + Math.floor(this.u() * (hi - lo + 1)) }
}

/** Base raw run: fitted trend × fitted residuals, warm-up + cosine LR (or constant), epochs of `spe` steps. */
function baseRun (g: Gen, n: number, level: NoiseLevel, o: { spe: number, batch: number, lastBatch?: number, lr0: number, schedule: 'cosine' | 'constant', reshuffle?: boolean }): RawRun {
  const q = NOISE_MODELS[level].quantiles
  const r: RawRun = { loss: [], lr: [], gradNorm: [], batchSize: [], epoch: [] }
  const warm = Math.floor(n * 0.02)
  let epochFactor = 1
  for (let i = 0; i < n; i++) {
    const e = Math.floor(i / o.spe)
    if (i % o.spe === 0 && o.reshuffle === true) epochFactor = Math.exp(0.02 * g.gauss())
    const lr = o.schedule === 'constant' ? o.lr0 : i < warm ? o.lr0 * (i + 1) / warm : o.lr0 * 0.5 * (1 + Math.cos(Math.PI * (i - warm) / (n - warm)))
    const res = residual(g.u(), q)
    r.loss.push(trendLevel(i, n, level) * epochFactor * Math.exp(res))
    r.lr.push(lr)
    r.gradNorm.push(1.2 * Math.exp(0.35 * g.gauss() + 0.5 * res))
    r.batchSize.push(o.lastBatch !== undefined && i % o.spe === o.spe - 1 ? o.lastBatch : o.batch)
    r.epoch.push(e)
  }
  return r
}

/** Local median of the raw losses in the 50 steps before i. */
function localMedian (loss: number[], i: number): number {
  const w = loss.slice(Math.max(0, i - 50), i).filter(Number.isFinite).sort((a, b) => a - b)
  return w[w.length >> 1] ?? loss[i]!
}

function ev (w: Written, kind: TruthKind, i0: number, i1: number, cause: string, extra: Record<string, unknown> = {}, on = w.loss): TruthEvent {
  return { kind, startStep: w.axis(i0), endStep: w.axis(i1), cause, tb_run: on.tbRun, tag: on.tag, ...extra }
}

function truthOf (name: string, family: string, w: Written, r: RawRun, events: TruthEvent[], clean: Record<string, Record<string, boolean>>): Truth {
  return {
    run: `synthetic/${name}`,
    family,
    tb_runs: w.tbRuns,
    events,
    expect_clean: clean,
    steps: { raw_loss: r.loss, batch_size: r.batchSize, lr: r.lr, grad_norm: r.gradNorm, epoch: r.epoch, ...(w.columns ?? {}) },
    logged: w.logged
  }
}

const RATIOS = [5, 10, 30, 100]

/**
 * PyTorch SummaryWriter, 20,000 raw steps: bad batches at 5, 10, 30 and 100 × the local median
 * (4 of each, ≥ 600 steps apart), warm-up + cosine LR logged every 50 steps; with `lrJump`, the LR
 * is multiplied by k ∈ [4, 10] at a random step in the second half and the loss level by k^0.6.
 */
export function torchBadBatches (root: string, seed: number, level: NoiseLevel, lrJump: boolean, n = 20_000): SynthRun {
  const g = new Gen(seed)
  const name = `torch_${level}_${lrJump ? 'lrjump' : 'badbatch'}_${seed}`
  const r = baseRun(g, n, level, { spe: 625, batch: 32, lr0: 0.003, schedule: 'cosine' })
  const jumpAt = lrJump ? g.int(Math.floor(n * 0.55), Math.floor(n * 0.7)) : -1
  const k = lrJump ? 4 + g.int(0, 6) : 1
  if (lrJump) for (let i = jumpAt; i < n; i++) { r.lr[i]! *= k; r.loss[i]! *= k ** 0.6; r.gradNorm[i]! *= k ** 0.3 }
  const bad: Array<{ ratio: number, i: number }> = []
  const slots = RATIOS.flatMap(x => [x, x, x, x])
  for (let s = slots.length - 1; s > 0; s--) { const j = g.int(0, s); [slots[s], slots[j]] = [slots[j]!, slots[s]!] }
  let at = Math.floor(n * 0.06)
  for (const ratio of slots) {
    at += g.int(600, 1000)
    if (at >= n - 50) break
    if (lrJump && Math.abs(at - jumpAt) < 300) at += 600
    bad.push({ ratio, i: at })
  }
  for (const b of bad) { r.loss[b.i] = ratio(r.loss, b.i, b.ratio); r.gradNorm[b.i]! *= b.ratio ** 0.8 }
  const w = writeTorch(root, name, r, { lrEvery: 50, gradNorm: false })
  const events = bad.map(b => ev(w, 'spike', b.i, b.i, `bad batch (corrupted data): ${b.ratio}x the local median; LR unchanged`, { ratio: b.ratio }))
  if (lrJump) events.push(ev(w, 'level-shift', jumpAt, n - 1, `learning rate raised x${k} at step ${jumpAt} (train/lr ${r.lr[jumpAt - 1]!.toPrecision(3)} -> ${r.lr[jumpAt]!.toPrecision(3)}); the loss level rises x${(k ** 0.6).toFixed(1)} and stays`, { lrFactor: k }))
  events.sort((a, b) => a.startStep - b.startStep)
  return {
    truth: truthOf(name, 'torch', w, r, events, { [name]: { 'train/loss': false } }),
    framework: 'PyTorch SummaryWriter',
    badBatches: bad.map(b => ({ ratio: b.ratio, step: w.axis(b.i), tbRun: name, tag: 'train/loss' }))
  }
}

function ratio (loss: number[], i: number, x: number): number { return x * localMedian(loss, i) }

/** A clean run: warm-up + cosine only (expect_clean), in the torch layout. */
export function torchClean (root: string, seed: number, level: NoiseLevel, n = 20_000): SynthRun {
  const g = new Gen(seed)
  const name = `torch_${level}_clean_${seed}`
  const r = baseRun(g, n, level, { spe: 625, batch: 32, lr0: 0.003, schedule: 'cosine' })
  const w = writeTorch(root, name, r, { lrEvery: 50, gradNorm: true })
  return { truth: truthOf(name, 'torch', w, r, [], { [name]: { 'train/loss': true, 'train/grad_norm': true } }), framework: 'PyTorch SummaryWriter', badBatches: [] }
}

/** Divergence (LR too high: the loss grows ×e every T steps from a point on) ending in NaN; torch layout. */
export function torchDiverge (root: string, seed: number, level: NoiseLevel, n = 4000): SynthRun {
  const g = new Gen(seed)
  const name = `torch_${level}_diverge_${seed}`
  const r = baseRun(g, n, level, { spe: 400, batch: 32, lr0: 0.05, schedule: 'constant' })
  const s = g.int(Math.floor(n * 0.5), Math.floor(n * 0.6))
  const T = g.int(60, 150)
  let nan = n
  for (let i = s; i < n; i++) {
    const f = Math.exp((i - s) / T)
    r.loss[i]! *= f; r.gradNorm[i]! *= f
    if (r.loss[i]! > 1e6 && nan === n) nan = i
    if (i >= nan) { r.loss[i] = NaN; r.gradNorm[i] = NaN }
  }
  const w = writeTorch(root, name, r, { lrEvery: 100 })
  const events = [ev(w, 'divergence', s, nan - 1, 'learning rate too high: the loss grows exponentially (constant LR, no clipping)')]
  if (nan < n) events.push(ev(w, 'non-finite', nan, n - 1, 'overflow after the divergence: the loss is NaN from here on'))
  return { truth: truthOf(name, 'torch', w, r, events, { [name]: { 'train/loss': false } }), framework: 'PyTorch SummaryWriter', badBatches: [] }
}

/** A plateau: the loss stays at its initial level for a stretch (or to the end of the run), then falls. */
export function torchPlateau (root: string, seed: number, level: NoiseLevel, toEnd: boolean, n = 6000): SynthRun {
  const g = new Gen(seed)
  const name = `torch_${level}_plateau${toEnd ? '_end' : ''}_${seed}`
  const r = baseRun(g, n, level, { spe: 500, batch: 32, lr0: 0.001, schedule: 'constant' })
  // The loss stops improving early (1–2 % into the run, still well above its floor) and stays flat
  // for about half the run (or to its end), then resumes its fitted decay.
  const s = g.int(Math.floor(n * 0.01), Math.floor(n * 0.02))
  const e = toEnd ? n - 1 : g.int(Math.floor(n * 0.45), Math.floor(n * 0.55))
  for (let i = s; i < n; i++) r.loss[i] = r.loss[i]! / trendLevel(i, n, level) * trendLevel(i <= e ? s : s + (i - e), n, level)
  const w = writeTorch(root, name, r, { lrEvery: 100 })
  const events = [ev(w, 'plateau', s, e, 'the loss stops improving (stuck at its initial level: learning rate too small / saddle)')]
  return { truth: truthOf(name, 'torch', w, r, events, { [name]: { 'train/loss': false } }), framework: 'PyTorch SummaryWriter', badBatches: [] }
}

/** Clean LR schedule steps down (StepLR ×0.1 twice): the loss level drops a little after each (expect_clean; lr-schedule events). */
export function torchStepDown (root: string, seed: number, level: NoiseLevel, n = 6000): SynthRun {
  const g = new Gen(seed)
  const name = `torch_${level}_steplr_down_${seed}`
  const r = baseRun(g, n, level, { spe: 300, batch: 32, lr0: 0.1, schedule: 'constant' })
  const steps = [300 * g.int(7, 9), 300 * g.int(13, 16)]
  for (const at of steps) for (let i = at; i < n; i++) { r.lr[i]! *= 0.1; r.loss[i]! *= 0.85 }
  const w = writeTorch(root, name, r, { lrEvery: 10 })
  const events = steps.map(at => ev(w, 'lr-schedule', at, at, `StepLR step: LR ${r.lr[at - 1]!.toPrecision(2)} -> ${r.lr[at]!.toPrecision(2)} (x0.1) at an epoch boundary; the loss falls a little`))
  return { truth: truthOf(name, 'torch', w, r, events, { [name]: { 'train/loss': true } }), framework: 'PyTorch SummaryWriter', badBatches: [] }
}

/** Lightning, sparse: train_loss_step every N steps (26–30 points); StepLR ×k (4..10) at an epoch boundary, loss ×k^0.6 after. */
export function lightningSparseLr (root: string, seed: number, level: NoiseLevel): SynthRun {
  const g = new Gen(seed)
  const every = g.u() < 0.5 ? 5 : 10
  const points = g.int(26, 30)
  const n = every * points
  const spe = Math.floor(n / g.int(5, 7))
  const name = `lightning_${level}_steplr_${seed}`
  const r = baseRun(g, n, level, { spe, batch: 25, lastBatch: 10, lr0: 0.035, schedule: 'constant' })
  const k = 4 + g.int(0, 6)
  const eJump = g.int(2, Math.floor((n - 1) / spe) - 1)
  const jumpAt = eJump * spe
  for (let i = jumpAt; i < n; i++) { r.lr[i]! *= k; r.loss[i]! *= Math.max(3, k ** 0.8) }
  r.valLoss = Array.from({ length: Math.ceil(n / spe) }, (_, e) => trendLevel(e * spe, n, level) * (e >= eJump ? Math.max(3, k ** 0.8) : 1) * 1.05)
  const w = writeLightning(root, name, r, { every })
  const events = [ev(w, 'level-shift', jumpAt, n - 1, `learning rate raised x${k} by StepLR at the epoch-${eJump} boundary (lr-SGD ${r.lr[jumpAt - 1]!.toPrecision(3)} -> ${r.lr[jumpAt]!.toPrecision(3)}); sustained`, { lrFactor: k })]
  return { truth: truthOf(name, 'lightning', w, r, events, { [`${name}/version_0`]: { train_loss_step: false } }), framework: 'Lightning', badBatches: [] }
}

/** HF Trainer: linear warm-up/decay, window means every 5 steps; optionally the LR ×k (4..10) mid-run (loss level ×k^0.6 after). */
export function hfRun (root: string, seed: number, level: NoiseLevel, lrJump: boolean, n = 600): SynthRun {
  const g = new Gen(seed)
  const name = `hf_${level}_${lrJump ? 'lrjump' : 'clean'}_${seed}`
  const r = baseRun(g, n, level, { spe: 200, batch: 16, lr0: 0.002, schedule: 'cosine' })
  const k = 4 + g.int(0, 6)
  const jumpAt = lrJump ? 5 * g.int(Math.floor(n * 0.5 / 5), Math.floor(n * 0.65 / 5)) : -1
  if (lrJump) for (let i = jumpAt; i < n; i++) { r.lr[i]! *= k; r.loss[i]! *= k ** 0.6 }
  r.valLoss = Array.from({ length: Math.ceil(n / 100) + 1 }, (_, e) => trendLevel(e * 100, n, level) * (lrJump && e * 100 >= jumpAt ? k ** 0.6 : 1) * 1.05)
  const w = writeHF(root, name, r, { loggingSteps: 5, evalSteps: 100, stepsPerEpoch: 200 })
  const events = lrJump ? [ev(w, 'level-shift', jumpAt, n - 1, `learning rate multiplied x${k} at step ${jumpAt + 1} (train/learning_rate ${r.lr[jumpAt - 1]!.toPrecision(3)} -> ${r.lr[jumpAt]!.toPrecision(3)}); sustained`, { lrFactor: k })] : []
  return { truth: truthOf(name, 'hf', w, r, events, { [name]: { 'train/loss': !lrJump } }), framework: 'HF Trainer', badBatches: [] }
}

/** Raw per-batch accuracy for a loss: Binomial(n, p) / n with p = exp(−loss) (a CE-like link). */
function accuracies (g: Gen, r: RawRun): number[] {
  return r.loss.map((l, i) => {
    const p = Math.exp(-Math.max(0, l))
    let c = 0
    for (let j = 0; j < r.batchSize[i]!; j++) if (g.u() < p) c++
    return c / r.batchSize[i]!
  })
}

/**
 * Keras 3: running means with a partial last batch; update_freq (1, 4 or 5) gating batch_* and
 * epoch_* tags. Variants: 'clean', 'bad' (bad batches ×10/×30 at random steps), 'lr' (LR ×k mid-epoch),
 * 'restart' (a second fit() continuing training), 'overfit' (validation loss rises from an epoch on).
 */
export function kerasRun (root: string, seed: number, level: NoiseLevel, variant: 'clean' | 'bad' | 'lr' | 'restart' | 'overfit', updateFreq: number, tfKeras2 = false): SynthRun {
  const g = new Gen(seed)
  const name = `${tfKeras2 ? 'tfkeras' : 'keras'}_${level}_${variant}_f${updateFreq}_${seed}`
  const spe = updateFreq === 4 ? 13 : g.int(22, 40)
  const epochs = variant === 'overfit' ? 30 : g.int(8, 14)
  const n = spe * epochs
  const r = baseRun(g, n, level, { spe, batch: 32, lastBatch: g.int(5, 31), lr0: 0.01, schedule: 'constant', reshuffle: true })
  const events: TruthEvent[] = []
  const bad: Array<{ ratio: number, i: number }> = []
  const clean: Record<string, Record<string, boolean>> = {}
  const tr = `${name}/train`; const va = `${name}/validation`
  r.valLoss = Array.from({ length: epochs }, (_, e) => trendLevel((e + 1) * spe, n, level) * 1.08 * Math.exp(0.02 * g.gauss()))
  if (variant === 'bad') {
    for (const x of [10, 30]) bad.push({ ratio: x, i: g.int(Math.floor(n * (x === 10 ? 0.3 : 0.6)), Math.floor(n * (x === 10 ? 0.45 : 0.8))) })
    for (const b of bad) r.loss[b.i] = ratio(r.loss, b.i, b.ratio)
    // With update_freq > 1 a bad batch after its epoch's last logged batch is in no logged value:
    // the running mean resets before the next logged point, and Keras writes epoch_* only when the
    // last batch counter is a multiple of update_freq (then that batch is logged). It cannot be
    // found, so it is not labelled (it still corrupts the data, as it would in a real run).
    if (updateFreq > 1) {
      const hidden = (i: number): boolean => {
        const next = Math.ceil((i + 1) / updateFreq) * updateFreq - 1
        return next >= n || r.epoch[next] !== r.epoch[i]
      }
      for (let k = bad.length - 1; k >= 0; k--) if (hidden(bad[k]!.i)) bad.splice(k, 1)
    }
  }
  let jumpAt = -1; let k = 1
  if (variant === 'lr') {
    k = 4 + g.int(0, 6)
    jumpAt = g.int(Math.floor(n * 0.4), Math.floor(n * 0.6))
    for (let i = jumpAt; i < n; i++) { r.lr[i]! *= k; r.loss[i]! *= k ** 0.6 }
    for (let e = 0; e < epochs; e++) if ((e + 1) * spe > jumpAt) r.valLoss[e]! *= k ** 0.6
  }
  let overfitFrom = -1
  if (variant === 'overfit') {
    overfitFrom = g.int(8, 12)
    for (let e = overfitFrom + 1; e < epochs; e++) r.valLoss[e] = r.valLoss[overfitFrom]! * (1 + 0.025 * (e - overfitFrom))
  }
  if (variant === 'restart') {
    const fit1 = Math.floor(epochs / 2) * spe
    r.fit = r.loss.map((_, i) => i < fit1 ? 0 : 1)
  }
  r.accuracy = accuracies(g, r)
  const w = writeKeras(root, name, r, { updateFreq, encoding: tfKeras2 ? 'simple_value' : 'tensor_content' })
  for (const b of bad) events.push(ev(w, 'spike', b.i, b.i, `bad batch (corrupted data): ${b.ratio}x the local median; LR unchanged`, { ratio: b.ratio }))
  if (variant === 'lr') events.push(ev(w, 'level-shift', jumpAt, n - 1, `learning rate raised x${k} mid-epoch (${r.lr[jumpAt - 1]!.toPrecision(3)} -> ${r.lr[jumpAt]!.toPrecision(3)}); sustained`, { lrFactor: k }))
  if (variant === 'overfit') events.push({ kind: 'overfitting', startStep: overfitFrom, endStep: epochs - 1, cause: 'overfitting: validation loss rises while training loss falls', tb_run: va, tag: 'epoch_loss' })
  if (variant === 'restart') {
    const first = r.fit!.indexOf(1)
    events.push({ kind: 'restart', startStep: 1, endStep: w.axis(n - 1), cause: 'second fit() into the same log_dir: the batch counter restarts at 1', tb_run: tr, tag: 'batch_loss' })
    events.push({ kind: 'restart', startStep: 0, endStep: r.epoch[n - 1]! - r.epoch[first]!, cause: 'second fit(): epoch_* steps restart at 0', tb_run: tr, tag: 'epoch_loss' })
  }
  if (updateFreq > 1 && variant === 'bad') {
    // A bad batch between logged points is only seen inside a gap mean: label it at the next logged point.
    for (const e of events) if (e.kind === 'spike') e.startStep = e.endStep = Math.ceil(e.startStep / updateFreq) * updateFreq
  }
  // Which series a correct annotator leaves without warning/critical.
  clean[tr] = { batch_loss: variant !== 'bad' && variant !== 'lr', epoch_loss: variant !== 'bad' && variant !== 'lr' }
  clean[va] = { epoch_loss: variant !== 'lr' && variant !== 'overfit', evaluation_loss_vs_iterations: variant !== 'lr' && variant !== 'overfit' }
  return { truth: truthOf(name, 'keras', w, r, events, clean), framework: tfKeras2 ? 'tf.keras 2.x' : 'Keras 3', badBatches: bad.map(b => ({ ratio: b.ratio, step: w.axis(b.i), tbRun: tr, tag: 'batch_loss' })) }
}

/** tensorboardX: an oscillation phase (cyclic LR to 30–60× the base, period 60–100) and one NaN from bad data. */
export function tbxOscNan (root: string, seed: number, level: NoiseLevel, n = 3000): SynthRun {
  const g = new Gen(seed)
  const name = `tbx_${level}_osc_nan_${seed}`
  const r = baseRun(g, n, level, { spe: 300, batch: 128, lr0: 0.01, schedule: 'constant' })
  const period = g.int(60, 100)
  const s = g.int(Math.floor(n * 0.3), Math.floor(n * 0.4))
  const e = s + period * g.int(6, 8) - 1
  const peak = g.int(30, 60)
  for (let i = s; i <= e; i++) {
    const ph = ((i - s) % period) / period
    const tri = ph < 0.5 ? ph * 2 : 2 - ph * 2
    r.lr[i] = 0.01 * (1 + (peak - 1) * tri)
    r.loss[i]! *= Math.exp(2.5 * tri * tri)
  }
  const nanAt = g.int(e + 300, n - 100)
  r.loss[nanAt] = NaN
  const w = writeTorch(root, name, r, { lrEvery: 1, lossTag: 'loss/train', lrTag: 'lr', tbx: true })
  const events = [ev(w, 'oscillation', s, e, `learning rate too high for a while: cyclic LR up to ${peak}x the base (period ${period})`), ev(w, 'non-finite', nanAt, nanAt, 'bad data: a NaN feature in one batch; the update is skipped and training continues')]
  return { truth: truthOf(name, 'tbx', w, r, events, { [name]: { 'loss/train': false } }), framework: 'tensorboardX', badBatches: [] }
}

/** SB3 PPO-style clean run: ep_rew_mean rising (rolling mean of 100 episodes), train/loss noisy, explained variance. */
export function sb3Clean (root: string, seed: number, rollouts = 400): SynthRun {
  const g = new Gen(seed)
  const name = `sb3_ppo_clean_${seed}`
  const q = NOISE_MODELS.heavy.quantiles
  const eps: number[] = []
  const r: RawRun & { epRew: number[], explVar: number[] } = { loss: [], lr: [], gradNorm: [], batchSize: [], epoch: [], epRew: [], explVar: [] }
  for (let i = 0; i < rollouts; i++) {
    const skill = 200 / (1 + Math.exp(-(i - rollouts * 0.4) / (rollouts * 0.1)))
    for (let k = 0; k < 4; k++) eps.push(skill + 40 * g.gauss())
    const last = eps.slice(-100)
    r.epRew.push(last.reduce((a, b) => a + b, 0) / last.length)
    r.loss.push((5 + 40 * Math.exp(-i / (rollouts * 0.3))) * Math.exp(residual(g.u(), q)))
    r.explVar.push(Math.min(0.99, 1 - Math.exp(-i / 60) + 0.05 * g.gauss()))
    r.lr.push(3e-4); r.gradNorm.push(1); r.batchSize.push(64); r.epoch.push(i)
  }
  const w = writeSB3(root, name, r, { nSteps: 2048 })
  return { truth: truthOf(name, 'sb3', w, r, [], { [name]: { 'rollout/ep_rew_mean': true, 'train/loss': true } }), framework: 'SB3', badBatches: [] }
}

/** The whole synthetic suite for one seed list, written under `root` (one logdir, run names = tb_runs). */
export function synthSuite (root: string, seeds: number[], opts: { long?: boolean } = {}): SynthRun[] {
  const out: SynthRun[] = []
  const levels: NoiseLevel[] = ['light', 'medium', 'heavy']
  const n = opts.long === false ? 5000 : 20_000
  for (const seed of seeds) {
    for (const [li, level] of levels.entries()) {
      const s = seed * 10 + li
      out.push(torchBadBatches(root, s, level, false, n))
      out.push(torchBadBatches(root, s + 100_000, level, true, n))
      out.push(torchClean(root, s + 200_000, level, n))
      out.push(torchDiverge(root, s + 300_000, level))
      out.push(torchPlateau(root, s + 400_000, level, li === 2))
      out.push(torchStepDown(root, s + 450_000, level))
      out.push(lightningSparseLr(root, s + 500_000, level))
      out.push(hfRun(root, s + 600_000, level, false))
      out.push(hfRun(root, s + 700_000, level, true))
      out.push(kerasRun(root, s + 800_000, level, 'clean', 4))
      out.push(kerasRun(root, s + 810_000, level, 'bad', 1))
      out.push(kerasRun(root, s + 820_000, level, 'lr', 1))
      out.push(kerasRun(root, s + 830_000, level, li === 0 ? 'restart' : 'overfit', 1))
      out.push(kerasRun(root, s + 840_000, level, 'bad', 5, true))
      out.push(kerasRun(root, s + 850_000, level, 'clean', 1, true))
      out.push(tbxOscNan(root, s + 900_000, level))
    }
    out.push(sb3Clean(root, seed * 10 + 950_000))
  }
  return out
}

export function synthDir (root: string, name: string): string { return path.join(root, name) }
