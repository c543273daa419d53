/** Seeded generator of labelled training logs, written as real event files by our own writer (EventFileBuilder). */

import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { EventFileBuilder, eventFileName, type ScalarEncoding } from '../../server/records/event-writer.js'
import type { AnnotationKind } from '../../server/enrich/jumps.js'

/** Small fast PRNG (mulberry32) with Gaussian, Student-t and Laplace draws. Same seed, same numbers. */
export class Rng {
  private s: number
  constructor (seed: number) { this.s = seed >>> 0 }
  next (): number {
    this.s = (this.s + 0x6D2B79F5) | 0
    let t = this.s
    t = Math.imul(t ^ (t >>> 15), 1 | t)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  uniform (a: number, b: number): number { return a + (b - a) * this.next() }
  int (a: number, b: number): number { return Math.floor(this.uniform(a, b + 1)) }
  gauss (): number {
    let u = 0
    while (u === 0) u = this.next()
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next())
  }

  /** Student-t with `df` degrees of freedom, scaled to unit median absolute deviation ≈ Gaussian's. */
  studentT (df: number): number {
    let c = 0
    for (let i = 0; i < df; i++) { const g = this.gauss(); c += g * g }
    return this.gauss() / Math.sqrt(c / df)
  }

  laplace (): number {
    const u = this.next() - 0.5
    return -Math.sign(u) * Math.log(1 - 2 * Math.abs(u)) / Math.SQRT2
  }
}

/** A labelled event: an annotation of `kind` is expected on (run, tag) overlapping [startStep, endStep]. */
export interface ScenarioLabel {
  run: string
  tag: string
  kind: AnnotationKind
  startStep: number
  endStep: number
  /** A cause the annotation must name. */
  cause?: 'learning-rate'
  scenario: string
}

/** Expected de-smoothing of one logged Keras running-mean point (arrival order). */
export interface KerasPointTruth {
  /** Batch-size-weighted mean of the true raw losses since the previous logged point of the epoch (the raw loss itself when every batch is logged). */
  raw: number
  epoch: number
  /** The point is the last batch of its epoch (smaller batch): exact only with sizes given. */
  lastOfEpoch: boolean
  /** Fraction of correct samples over the same batches (NaN without accuracy). */
  accRaw: number
}

/** A Keras-style run (`<run>/train`, `<run>/validation`, `<run>/truth`) with the truth of every logged batch point. */
export interface KerasScenario {
  run: string
  scenario: string
  datasetSize: number
  batchSize: number
  updateFreq: number
  /** Aligned with the logged `train/batch_loss` points, in arrival order. */
  points: KerasPointTruth[]
}

/** A run that has no event to find: any annotation on it (except restarts) is a false one. */
export interface CleanRun {
  run: string
  tag: string
  points: number
  noise: string
}

export interface ScenarioSet {
  keras: KerasScenario[]
  labels: ScenarioLabel[]
  clean: CleanRun[]
  /** Every (run, tag) that carries labels, for precision. */
  labelledSeries: Array<{ run: string, tag: string }>
}

export interface ScenarioOptions {
  seed?: number
  /** Loss scales to replicate the labelled scenarios at. Default [1e-4, 1, 1e4]. */
  scales?: number[]
  /** Points per clean run. Default 12,000 (× 12 runs ≈ 144,000 points). */
  cleanPoints?: number
  /** Which groups to write. Default all. */
  groups?: Array<'keras' | 'labelled' | 'clean'>
}

const BASE_WALL = 1.7e9

/** Writes one event file with `fill` appending events to a builder. */
function writeFile (dir: string, wallTime: number, pid: number, fill: (b: EventFileBuilder) => void, suffix = ''): void {
  mkdirSync(dir, { recursive: true })
  const b = new EventFileBuilder().fileVersion(wallTime)
  fill(b)
  writeFileSync(path.join(dir, eventFileName(wallTime, 'scenario', pid, 0, suffix)), b.bytes())
}

/** A per-step series destined for one tag of a run. */
export interface Series { steps: number[], walls: number[], values: number[] }
export const series = (): Series => ({ steps: [], walls: [], values: [] })
export function push (s: Series, step: number, wall: number, value: number): void { s.steps.push(step); s.walls.push(wall); s.values.push(value) }

/** Writes several tags of one run into one file, events in wall-time order. */
export function writeRun (root: string, run: string, tags: Record<string, Series>, enc: ScalarEncoding = 'simple_value', pid = 1): void {
  const events: Array<{ wall: number, step: number, tag: string, value: number }> = []
  for (const [tag, s] of Object.entries(tags)) for (let i = 0; i < s.steps.length; i++) events.push({ wall: s.walls[i]!, step: s.steps[i]!, tag, value: s.values[i]! })
  events.sort((a, b) => a.wall - b.wall)
  writeFile(path.join(root, run), events.length ? events[0]!.wall - 1 : BASE_WALL, pid, b => {
    for (const e of events) b.scalar(e.tag, e.step, e.wall, e.value, enc)
  }, enc === 'tensor_content' ? '.v2' : '')
}

// ---------------------------------------------------------------------------------------------
// Keras-style running means

export interface KerasSpec {
  name: string
  epochs: number
  datasetSize: number
  batchSize: number
  updateFreq: number
  /** Epoch counts of successive fit() calls in the same run dirs (resumed training). Default one fit. */
  fits?: number[]
  /** Keras 3 builds that log every batch at step 0. */
  step0?: boolean
  /** Stop in the middle of the last epoch, before its epoch event (training in progress). */
  inProgress?: boolean
  /** Raw loss at global batch ordinal t (0-based over the whole run) and epoch. */
  loss: (t: number, epoch: number) => number
  lr: (t: number) => number
  encoding?: ScalarEncoding
  /**
   * Also write a running-mean `batch_accuracy` (and `epoch_accuracy`): the probability that a
   * sample of batch t is predicted right; each batch gets an integer count of correct samples.
   */
  accuracy?: (t: number, epoch: number) => number
  /** Write the `truth/` run (default true). */
  truth?: boolean
  /** First wall time (default 1.7e9 + 1000). */
  wallTime?: number
  /**
   * steps_per_execution k > 1. 'keras3': the callback's batch counter advances by 1 per execution
   * of up to k batches; 'tf-keras': it counts batches, so logged steps advance by k.
   */
  stepsPerExecution?: { k: number, style: 'keras3' | 'tf-keras' }
  /**
   * `steps_per_epoch` with a repeated dataset: every epoch has exactly this many batches, and the
   * short batch that ends each pass over the data falls wherever it falls, often mid-epoch.
   */
  repeatStepsPerEpoch?: number
  /** Write no validation run (validation_data not given): no evaluation_*_vs_iterations. */
  noValidation?: boolean
}

/**
 * Writes a Keras TensorBoard-callback layout as Keras 3 does (frameworks MANIFEST): `train/`
 * (batch_* running means at the fit's batch counter, written when counter % update_freq == 0;
 * epoch_* at the epoch index, epoch_learning_rate), `validation/` (evaluation_loss_vs_iterations
 * at optimizer.iterations after every epoch, epoch_loss) and `truth/` (raw per-batch loss and
 * batch size). Running means are accumulated in float32 exactly as Keras's Mean metric does
 * (total += L·n, count += n, result = total / count), reset at every epoch start. The update_freq
 * gate is still active at epoch end, so epoch_* (train and validation) exist only for epochs whose
 * last batch counter is a multiple of update_freq.
 */
export function writeKeras (root: string, spec: KerasSpec): KerasScenario {
  const perPass = Math.ceil(spec.datasetSize / spec.batchSize)
  const lastOfPass = spec.datasetSize - (perPass - 1) * spec.batchSize
  const K = spec.repeatStepsPerEpoch ?? perPass
  const spe = spec.stepsPerExecution ?? { k: 1, style: 'tf-keras' as const }
  const fits = spec.fits ?? [spec.epochs]
  const points: KerasPointTruth[] = []
  let wall = spec.wallTime ?? BASE_WALL + 1000
  let t = 0
  let epoch = 0
  let optimizerIterations = 0
  /** Position in the (repeated) pass over the data: the size of the next batch. */
  let passPos = 0
  const nextSize = (): number => {
    const n = passPos === perPass - 1 ? lastOfPass : spec.batchSize
    passPos = (passPos + 1) % perPass
    return n
  }
  fits.forEach((fitEpochs, fitIndex) => {
    const train = { batch: series(), epoch: series(), lr: series(), acc: series(), epochAcc: series() }
    const val = { epoch: series(), evalIt: series() }
    const truth = { raw: series(), size: series() }
    let counter = 0
    for (let e = 0; e < fitEpochs; e++, epoch++) {
      let total = 0; let count = 0
      let accTotal = 0
      let gapSum = 0; let gapN = 0; let gapCorrect = 0
      const partial = spec.inProgress === true && fitIndex === fits.length - 1 && e === fitEpochs - 1
      const batches = partial ? Math.floor(K / 2) : K
      // A finite dataset without steps_per_epoch restarts its pass every epoch.
      if (spec.repeatStepsPerEpoch === undefined) passPos = 0
      let lastEnds = false
      for (let k0 = 1; k0 <= batches; k0 += spe.k) {
        const kEnd = Math.min(batches, k0 + spe.k - 1)
        for (let k = k0; k <= kEnd; k++, t++) {
          optimizerIterations++
          const n = nextSize()
          const L = Math.fround(spec.loss(t, epoch))
          total = Math.fround(total + Math.fround(L * n))
          count = Math.fround(count + n)
          if (spec.accuracy !== undefined) {
            const correct = Math.round(Math.min(1, Math.max(0, spec.accuracy(t, epoch))) * n)
            accTotal = Math.fround(accTotal + Math.fround(Math.fround(correct / n) * n))
            gapCorrect += correct
          }
          wall += 0.01 + 0.002 * ((t * 7919) % 13) / 13
          push(truth.raw, optimizerIterations, wall, L)
          push(truth.size, optimizerIterations, wall, n)
          gapSum += L * n; gapN += n
        }
        counter += spe.style === 'keras3' ? 1 : kEnd - k0 + 1
        const m = Math.fround(total / count)
        lastEnds = counter % spec.updateFreq === 0
        if (lastEnds) {
          push(train.batch, spec.step0 === true ? 0 : counter, wall, m)
          if (spec.accuracy !== undefined) push(train.acc, spec.step0 === true ? 0 : counter, wall, Math.fround(accTotal / count))
          points.push({ raw: gapSum / gapN, epoch, lastOfEpoch: kEnd === K, accRaw: spec.accuracy !== undefined ? gapCorrect / gapN : NaN })
          gapSum = 0; gapN = 0; gapCorrect = 0
        }
      }
      if (partial) break
      // Epoch end: validation pass (evaluation_* every epoch), then the train epoch events, then the
      // validation ones, these only when the update_freq gate is open.
      const valLoss = spec.loss(t, epoch) * 0.9
      wall += 0.05
      push(val.evalIt, optimizerIterations, wall, valLoss)
      wall += 0.001
      if (lastEnds) {
        push(train.epoch, epoch, wall, Math.fround(total / count))
        if (spec.accuracy !== undefined) push(train.epochAcc, epoch, wall, Math.fround(accTotal / count))
        push(train.lr, epoch, wall, spec.lr(t))
        wall += 0.001
        push(val.epoch, epoch, wall, valLoss)
      }
      wall += 0.05
    }
    const pid = 100 + fitIndex
    const enc = spec.encoding ?? 'tensor_content'
    const trainTags: Record<string, Series> = { batch_loss: train.batch, epoch_loss: train.epoch, epoch_learning_rate: train.lr }
    if (spec.accuracy !== undefined) { trainTags.batch_accuracy = train.acc; trainTags.epoch_accuracy = train.epochAcc }
    writeRun(root, `${spec.name}/train`, trainTags, enc, pid)
    if (spec.noValidation !== true) writeRun(root, `${spec.name}/validation`, { evaluation_loss_vs_iterations: val.evalIt, epoch_loss: val.epoch }, enc, pid)
    if (spec.truth !== false) writeRun(root, `${spec.name}/truth`, { raw_batch_loss_truth: truth.raw, batch_size_truth: truth.size }, 'simple_value', pid)
    wall += 30
  })
  return { run: `${spec.name}/train`, scenario: spec.name, datasetSize: spec.datasetSize, batchSize: spec.batchSize, updateFreq: spec.updateFreq, points }
}

function kerasScenarios (root: string, rng: Rng, labels: ScenarioLabel[], labelled: Array<{ run: string, tag: string }>): KerasScenario[] {
  const out: KerasScenario[] = []
  const noisy = (scale: number, tau: number, sigma: number) => (t: number) => scale * (0.05 + Math.exp(-t / tau)) * Math.exp(sigma * rng.gauss())
  out.push(writeKeras(root, { name: 'keras/freq1', epochs: 8, datasetSize: 3000, batchSize: 128, updateFreq: 1, loss: noisy(1, 80, 0.2), lr: () => 0.01 }))
  out.push(writeKeras(root, { name: 'keras/freq7', epochs: 6, datasetSize: 1900, batchSize: 64, updateFreq: 7, loss: noisy(3, 60, 0.2), lr: () => 0.01, encoding: 'simple_value' }))
  out.push(writeKeras(root, { name: 'keras/partial-last', epochs: 5, datasetSize: 1000, batchSize: 96, updateFreq: 1, loss: noisy(1e-4, 30, 0.3), lr: () => 0.01, inProgress: true }))
  out.push(writeKeras(root, { name: 'keras/resumed', epochs: 7, datasetSize: 640, batchSize: 50, updateFreq: 1, fits: [4, 3], loss: noisy(1e4, 40, 0.15), lr: () => 0.001, encoding: 'float_val' }))
  out.push(writeKeras(root, { name: 'keras/step0', epochs: 4, datasetSize: 700, batchSize: 32, updateFreq: 1, step0: true, loss: noisy(2, 50, 0.25), lr: () => 0.01 }))
  // A learning-rate jump mid-epoch, visible only after de-smoothing as early as it happens.
  const jumpAt = 24 * 6 + 10
  out.push(writeKeras(root, {
    name: 'keras/lr-jump',
    epochs: 10,
    datasetSize: 3000,
    batchSize: 128,
    updateFreq: 1,
    loss: (t) => (0.08 + Math.exp(-t / 50)) * (t >= jumpAt ? 1 + 9 * Math.exp(-(t - jumpAt) / 60) : 1) * Math.exp(0.2 * rng.gauss()),
    lr: (t) => t >= jumpAt ? 0.2 : 0.02
  }))
  labels.push({ run: 'keras/lr-jump/train', tag: 'batch_loss', kind: 'level-shift', startStep: jumpAt + 1, endStep: jumpAt + 40, cause: 'learning-rate', scenario: 'keras-lr-jump' })
  // The first epoch boundary of a fast-falling loss: a big staircase step in the logged running mean.
  labels.push({ run: 'keras/freq1/train', tag: 'batch_loss', kind: 'staircase-artifact', startStep: 24, endStep: 25, scenario: 'keras-staircase' })
  labelled.push({ run: 'keras/lr-jump/train', tag: 'batch_loss' }, { run: 'keras/freq1/train', tag: 'batch_loss' })
  return out
}

// ---------------------------------------------------------------------------------------------
// Labelled per-step scenarios (PyTorch-style raw values)

interface RawSpec {
  name: string
  n: number
  scale: number
  /** Loss at step t before noise, and a multiplicative disturbance. */
  loss: (t: number) => number
  noise: (t: number) => number
  lr?: (t: number) => number
  /** Steps of a second file that restarts the step counter (crash-resume): [restartStep, fromIndex]. */
  restart?: [number, number]
}

function writeRaw (root: string, spec: RawSpec): void {
  const loss = series(); const lr = series()
  const restartLoss = series()
  for (let i = 0; i < spec.n; i++) {
    const wall = BASE_WALL + 5000 + i * 0.1
    const v = spec.scale * spec.loss(i) * spec.noise(i)
    if (spec.restart !== undefined && i >= spec.restart[1]) push(restartLoss, spec.restart[0] + (i - spec.restart[1]), wall + 10, v)
    else push(loss, i, wall, v)
    if (spec.lr !== undefined) push(lr, i, wall, spec.lr(i))
  }
  const tags: Record<string, Series> = { loss }
  if (spec.lr !== undefined) tags.lr = lr
  writeRun(root, spec.name, tags)
  if (spec.restart !== undefined) {
    writeFile(path.join(root, spec.name), BASE_WALL + 9000, 2, b => {
      for (let i = 0; i < restartLoss.steps.length; i++) b.scalar('loss', restartLoss.steps[i]!, restartLoss.walls[i]! + 4000, restartLoss.values[i]!)
    })
  }
}

function labelledScenarios (root: string, rng: Rng, scales: number[], labels: ScenarioLabel[], labelled: Array<{ run: string, tag: string }>): void {
  const decay = (tau: number, floor = 0.05) => (t: number) => floor + Math.exp(-t / tau)
  const logNoise = (sigma: number) => () => Math.exp(sigma * rng.gauss())
  for (const scale of scales) {
    const sx = `s${scale.toExponential(0).replace('+', '')}`
    const add = (scenario: string, spec: Omit<RawSpec, 'name' | 'scale'>, ls: Array<Omit<ScenarioLabel, 'run' | 'tag' | 'scenario'>>): void => {
      const run = `labelled/${scenario}/${sx}`
      writeRaw(root, { ...spec, name: run, scale })
      for (const l of ls) labels.push({ ...l, run, tag: 'loss', scenario })
      labelled.push({ run, tag: 'loss' })
    }
    // 1. One bad batch.
    const s1 = rng.int(900, 2400); const f1 = rng.uniform(6, 20)
    add('spike', { n: 3000, loss: t => decay(600)(t) * (t === s1 ? f1 : 1), noise: logNoise(0.15) }, [{ kind: 'spike', startStep: s1, endStep: s1 }])
    // 2. A short run of bad batches (a corrupt shard).
    const s2 = rng.int(900, 2400)
    add('spike-burst', { n: 3000, loss: t => decay(600)(t) * (t >= s2 && t < s2 + 5 ? 5 : 1), noise: logNoise(0.15) }, [{ kind: 'spike', startStep: s2, endStep: s2 + 4 }])
    // 3. Learning rate ×5, loss steps up ×3 two steps later and stays.
    const s3 = rng.int(1200, 1800)
    add('level-shift-lr', { n: 3000, loss: t => decay(500)(t) * (t >= s3 + 2 ? 3 : 1), noise: logNoise(0.2), lr: t => t >= s3 ? 0.05 : 0.01 },
      [{ kind: 'level-shift', startStep: s3 + 2, endStep: s3 + 60, cause: 'learning-rate' }])
    // 4. A lasting step with no learning-rate change (the data changed).
    const s4 = rng.int(1200, 1800)
    add('level-shift', { n: 3000, loss: t => decay(500)(t) * (t >= s4 ? 2.5 : 1), noise: logNoise(0.1) }, [{ kind: 'level-shift', startStep: s4, endStep: s4 + 60 }])
    // 5. NaN from a step on.
    const s5 = rng.int(1500, 2500)
    add('non-finite', { n: 3000, loss: t => t >= s5 ? NaN : decay(500)(t), noise: logNoise(0.15) }, [{ kind: 'non-finite', startStep: s5, endStep: s5 }])
    // 6. Exploding loss after a learning-rate increase, then Inf.
    const s6 = rng.int(1000, 2000)
    add('divergence-explode', { n: 3000, loss: t => t >= s6 + 30 ? Infinity : decay(500)(t) * (t >= s6 ? Math.pow(1.6, t - s6 + 1) : 1), noise: logNoise(0.15), lr: t => t >= s6 ? 0.4 : 0.01 },
      [{ kind: 'divergence', startStep: s6, endStep: s6 + 29, cause: 'learning-rate' }, { kind: 'non-finite', startStep: s6 + 30, endStep: s6 + 30 }])
    // 7. A slow upward trend: ×4 over 800 steps.
    const s7 = rng.int(1500, 2000)
    add('divergence-slow', { n: 3000, loss: t => decay(300)(t) * (t >= s7 ? Math.exp(Math.log(4) * (t - s7) / 800) : 1), noise: logNoise(0.2) },
      [{ kind: 'divergence', startStep: s7, endStep: 2999 }])
    // 8. High-amplitude alternation (learning rate too high) for 400 steps.
    const s8 = rng.int(1200, 2000)
    add('oscillation', { n: 3000, loss: t => decay(500)(t) * (t >= s8 && t < s8 + 400 ? (t % 2 === 0 ? 1.8 : 0.6) : 1), noise: logNoise(0.1) },
      [{ kind: 'oscillation', startStep: s8, endStep: s8 + 399 }])
    // 9. A slower oscillation: period 10, ±60 %.
    const s9 = rng.int(1200, 2000)
    add('oscillation-wave', { n: 3000, loss: t => decay(500)(t) * (t >= s9 && t < s9 + 400 ? Math.exp(0.6 * Math.sin(2 * Math.PI * (t - s9) / 10)) : 1), noise: logNoise(0.08) },
      [{ kind: 'oscillation', startStep: s9, endStep: s9 + 399 }])
    // 10. A long stall: falling, flat for 700 steps, falling again.
    const p0 = rng.int(800, 1000); const p1 = p0 + 700
    const plateau = (t: number): number => 0.05 + (t < p0 ? Math.exp(-t / 400) : t < p1 ? Math.exp(-p0 / 400) : Math.exp(-p0 / 400) * Math.exp(-(t - p1) / 300))
    add('plateau', { n: 3000, loss: plateau, noise: logNoise(0.08) }, [{ kind: 'plateau', startStep: p0, endStep: p1 }])
    // 11. A crash-resume: the second file restarts at step 1500 (from a checkpoint).
    add('restart', { n: 3000, loss: decay(500), noise: logNoise(0.15), restart: [1500, 2000] }, [{ kind: 'restart', startStep: 1500, endStep: 1500 }])
    // 12. Overfitting, Keras layout: train/validation epoch_loss.
    const best = rng.int(10, 14)
    const ofRun = `labelled/overfitting/${sx}`
    const tr = series(); const va = series()
    for (let e = 0; e < 30; e++) {
      const w = BASE_WALL + 8000 + e * 10
      push(tr, e, w, scale * (0.1 + Math.exp(-e / 6)) * Math.exp(0.01 * rng.gauss()))
      push(va, e, w + 1, scale * (0.3 + Math.exp(-Math.min(e, best) / 6) + (e > best ? 0.04 * (e - best) : 0)) * Math.exp(0.01 * rng.gauss()))
    }
    writeRun(root, `${ofRun}/train`, { epoch_loss: tr }, 'tensor_content')
    writeRun(root, `${ofRun}/validation`, { epoch_loss: va }, 'tensor_content')
    labels.push({ run: `${ofRun}/validation`, tag: 'epoch_loss', kind: 'overfitting', startStep: best, endStep: 29, scenario: 'overfitting' })
    labelled.push({ run: `${ofRun}/validation`, tag: 'epoch_loss' })
    // 13. Overfitting, one run with loss / val_loss every 50 steps.
    const best2 = rng.int(1200, 1600)
    const r2 = `labelled/overfitting-tags/${sx}`
    const l2 = series(); const v2 = series()
    for (let i = 0; i < 3000; i++) {
      const w = BASE_WALL + 9000 + i * 0.1
      push(l2, i, w, scale * (0.02 + Math.exp(-i / 700)) * Math.exp(0.15 * rng.gauss()))
      if (i % 50 === 49) push(v2, i, w + 0.01, scale * (0.3 + Math.exp(-Math.min(i, best2) / 700) + (i > best2 ? 0.00012 * (i - best2) : 0)) * Math.exp(0.01 * rng.gauss()))
    }
    writeRun(root, r2, { loss: l2, val_loss: v2 })
    labels.push({ run: r2, tag: 'val_loss', kind: 'overfitting', startStep: best2, endStep: 2999, scenario: 'overfitting-tags' })
    labelled.push({ run: r2, tag: 'val_loss' }, { run: r2, tag: 'loss' })
  }
}

// ---------------------------------------------------------------------------------------------
// Clean runs

function cleanScenarios (root: string, rng: Rng, n: number, clean: CleanRun[]): void {
  const noises: Array<[string, () => number, 'log' | 'linear']> = [
    ['gauss-0.05', () => 0.05 * rng.gauss(), 'log'],
    ['gauss-0.2', () => 0.2 * rng.gauss(), 'log'],
    ['gauss-0.4', () => 0.4 * rng.gauss(), 'log'],
    ['t5-0.15', () => 0.15 * rng.studentT(5), 'log'],
    ['t3-0.08', () => 0.08 * rng.studentT(3), 'log'],
    ['laplace-0.2', () => 0.2 * rng.laplace(), 'log'],
    ['linear-t3-0.1', () => 0.1 * rng.studentT(3), 'linear']
  ]
  let k = 0
  for (const [label, draw, kind] of noises) {
    for (const shape of k % 2 === 0 ? ['decay', 'flat'] : ['decay']) {
      const scale = [1e-4, 1, 1e4][k % 3]!
      const run = `clean/${label}-${shape}`
      const loss = series()
      for (let i = 0; i < n; i++) {
        const level = shape === 'decay' ? 0.05 + Math.exp(-i / (n / 5)) : 1
        const e = draw()
        const v = kind === 'log' ? level * Math.exp(e) : level * Math.max(0.01, 1 + e)
        push(loss, i, BASE_WALL + 20000 + i * 0.05, scale * v)
      }
      writeRun(root, run, { loss })
      clean.push({ run, tag: 'loss', points: n, noise: label })
    }
    k++
  }
}

/**
 * Writes every scenario under `root` (runs are its subdirectories) and returns the truth. The
 * same seed writes the same files byte for byte.
 */
export function writeScenarios (root: string, opts: ScenarioOptions = {}): ScenarioSet {
  const rng = new Rng(opts.seed ?? 20240601)
  const groups = opts.groups ?? ['keras', 'labelled', 'clean']
  const set: ScenarioSet = { keras: [], labels: [], clean: [], labelledSeries: [] }
  if (groups.includes('keras')) set.keras = kerasScenarios(root, rng, set.labels, set.labelledSeries)
  if (groups.includes('labelled')) labelledScenarios(root, rng, opts.scales ?? [1e-4, 1, 1e4], set.labels, set.labelledSeries)
  if (groups.includes('clean')) cleanScenarios(root, rng, opts.cleanPoints ?? 12000, set.clean)
  return set
}
