/**
 * Writes a synthetic training run as real event files (the project's own TFRecord writer,
 * server/records/event-writer.ts), in the layout, tag names, step axes and smoothing each framework
 * uses (../shared/corpus/frameworks/MANIFEST.md "What each framework writes", and KERAS_LOGGING.md):
 *   torch      — SummaryWriter: train/loss (raw, every step), train/lr every K steps, train/grad_norm; step = 0-based optimizer step
 *   tbx        — tensorboardX: loss/train, lr; file name without pid/counter
 *   lightning  — TensorBoardLogger + LearningRateMonitor: <run>/version_0, train_loss_step (raw) and lr-SGD at (s+1) % N == 0,
 *                epoch at those steps and twice at the epoch end, train_loss_epoch (batch-size-weighted) and val_loss at S·(e+1)−1
 *   hf         — Trainer: train/loss = mean of the window (prev, g], train/learning_rate, train/grad_norm, train/epoch at
 *                multiples of logging_steps (1-based global step), eval/loss every eval_steps
 *   keras      — Keras 3 TensorBoard callback: <run>/train batch_loss/batch_accuracy = batch-size-weighted float32 running mean
 *                since the epoch start, written when tb_step % update_freq == 0 (tb_step = 1-based batch counter of the fit);
 *                epoch_loss/epoch_accuracy/epoch_learning_rate (LR of the next step) at the 0-based epoch, only when the
 *                epoch's last tb_step % update_freq == 0; <run>/validation epoch_loss (same gating) and
 *                evaluation_loss_vs_iterations at optimizer.iterations (every epoch); TF2 tensors (tensor_content), or
 *                simple_value as tf.keras ≤ 2.4 wrote them
 *   sb3        — Stable-Baselines3 logger: rollout/ep_rew_mean (mean of the last ≤ 100 episodes), train/loss,
 *                train/explained_variance, train/learning_rate at the total timesteps of each rollout
 */

import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { EventFileBuilder, eventFileName, type ScalarEncoding } from '../../../server/records/event-writer.js'
import type { TruthLogged } from '../truth.js'

/** One synthetic training run, per optimizer step i = 0 … n−1 (raw per-batch values, before any logger smoothing). */
export interface RawRun {
  loss: number[]
  lr: number[]
  gradNorm: number[]
  batchSize: number[]
  epoch: number[]
  /** Raw per-batch accuracy (correct / batch size), Keras runs only. */
  accuracy?: number[]
  /** Validation loss at the end of each epoch (index = epoch). */
  valLoss?: number[]
  /** fit() call of each step (Keras restarts: the tb_step counter starts again at 1 in every fit). */
  fit?: number[]
}

/** What a layout wrote: the TensorBoard runs and every point, per series, with truth indices (optimizer steps). */
export interface Written {
  tbRuns: string[]
  logged: TruthLogged[]
  /** Step of optimizer step i on the main loss tag's axis. */
  axis: (i: number) => number
  /** The main loss series (tb_run, tag). */
  loss: { tbRun: string, tag: string }
  /** Extra truth columns (Keras: tb_step, fit_call). */
  columns?: Record<string, number[]>
}

const WALL = 1.79e9

class Series {
  readonly points = new Map<string, TruthLogged>()
  add (tbRun: string, tag: string, step: number, value: number, truthIndex: number | null): void {
    const k = tbRun + '\0' + tag
    let l = this.points.get(k)
    if (l === undefined) this.points.set(k, l = { tb_run: tbRun, tag, step: [], value: [], truth_index: [] })
    l.step.push(step); l.value.push(value); l.truth_index!.push(truthIndex)
  }
}

/** Writes one file of events [step, wall, [tag, value][]] in order. */
function writeFile (dir: string, name: string, events: Array<{ step: number, wall: number, values: Array<[string, number]> }>, encoding: ScalarEncoding = 'simple_value'): void {
  mkdirSync(dir, { recursive: true })
  const b = new EventFileBuilder().fileVersion(WALL)
  for (const e of events) b.scalars(e.step, e.wall, e.values.map(([tag, value]) => ({ tag, value, encoding })))
  writeFileSync(path.join(dir, name), b.bytes())
}

const f32 = Math.fround

export function writeTorch (root: string, run: string, r: RawRun, o: { lrEvery: number, gradNorm?: boolean, lossTag?: string, lrTag?: string, tbx?: boolean }): Written {
  const lossTag = o.lossTag ?? 'train/loss'
  const lrTag = o.lrTag ?? 'train/lr'
  const s = new Series()
  const events: Array<{ step: number, wall: number, values: Array<[string, number]> }> = []
  for (let i = 0; i < r.loss.length; i++) {
    const values: Array<[string, number]> = [[lossTag, f32(r.loss[i]!)]]
    s.add(run, lossTag, i, f32(r.loss[i]!), i)
    if (o.lrEvery > 0 && i % o.lrEvery === 0) { values.push([lrTag, f32(r.lr[i]!)]); s.add(run, lrTag, i, f32(r.lr[i]!), i) }
    if (o.gradNorm === true) { values.push(['train/grad_norm', f32(r.gradNorm[i]!)]); s.add(run, 'train/grad_norm', i, f32(r.gradNorm[i]!), i) }
    // add_scalar writes one event per call.
    for (const v of values) events.push({ step: i, wall: WALL + i * 0.05, values: [v] })
  }
  const name = o.tbx === true ? `events.out.tfevents.${Math.floor(WALL)}.synth` : eventFileName(WALL, 'synth', 4242, 0)
  writeFile(path.join(root, run), name, events)
  return { tbRuns: [run], logged: [...s.points.values()], axis: i => i, loss: { tbRun: run, tag: lossTag } }
}

export function writeLightning (root: string, run: string, r: RawRun, o: { every: number, optimizer?: string }): Written {
  const tb = `${run}/version_0`
  const lrTag = `lr-${o.optimizer ?? 'SGD'}`
  const s = new Series()
  const events: Array<{ step: number, wall: number, values: Array<[string, number]> }> = []
  const n = r.loss.length
  let sum = 0; let cnt = 0
  for (let i = 0; i < n; i++) {
    const wall = WALL + i * 0.05
    sum += r.loss[i]! * r.batchSize[i]!; cnt += r.batchSize[i]!
    if ((i + 1) % o.every === 0) {
      events.push({ step: i, wall, values: [[lrTag, f32(r.lr[i]!)]] }); s.add(tb, lrTag, i, f32(r.lr[i]!), i)
      events.push({ step: i, wall, values: [['train_loss_step', f32(r.loss[i]!)]] }); s.add(tb, 'train_loss_step', i, f32(r.loss[i]!), i)
      events.push({ step: i, wall, values: [['epoch', r.epoch[i]!]] }); s.add(tb, 'epoch', i, r.epoch[i]!, i)
    }
    if (i === n - 1 || r.epoch[i + 1] !== r.epoch[i]) {
      const e = r.epoch[i]!
      const vl = r.valLoss?.[e]
      if (vl !== undefined) { events.push({ step: i, wall: wall + 0.01, values: [['val_loss', f32(vl)]] }); s.add(tb, 'val_loss', i, f32(vl), null) }
      events.push({ step: i, wall: wall + 0.01, values: [['epoch', e]] }); s.add(tb, 'epoch', i, e, null)
      events.push({ step: i, wall: wall + 0.02, values: [['train_loss_epoch', f32(sum / cnt)]] }); s.add(tb, 'train_loss_epoch', i, f32(sum / cnt), null)
      events.push({ step: i, wall: wall + 0.02, values: [['epoch', e]] }); s.add(tb, 'epoch', i, e, null)
      sum = 0; cnt = 0
    }
  }
  writeFile(path.join(root, tb), eventFileName(WALL, 'synth', 4243, 0), events)
  writeFileSync(path.join(root, tb, 'hparams.yaml'), '{}\n')
  return { tbRuns: [tb], logged: [...s.points.values()], axis: i => i, loss: { tbRun: tb, tag: 'train_loss_step' } }
}

export function writeHF (root: string, run: string, r: RawRun, o: { loggingSteps: number, evalSteps: number, stepsPerEpoch: number }): Written {
  const s = new Series()
  const events: Array<{ step: number, wall: number, values: Array<[string, number]> }> = []
  const n = r.loss.length
  let prev = 0
  for (let g = 1; g <= n; g++) {
    const wall = WALL + g * 0.1
    if (g % o.loggingSteps === 0 || g === n) {
      let m = 0
      for (let k = prev; k < g; k++) m += r.loss[k]!
      m /= g - prev
      prev = g
      const vals: Array<[string, number]> = [['train/loss', f32(m)], ['train/grad_norm', f32(r.gradNorm[g - 1]!)], ['train/learning_rate', f32(r.lr[g - 1]!)], ['train/epoch', f32(g / o.stepsPerEpoch)]]
      for (const [tag, v] of vals) { events.push({ step: g, wall, values: [[tag, v]] }); s.add(run, tag, g, v, g - 1) }
    }
    if (r.valLoss !== undefined && (g % o.evalSteps === 0 || g === n)) {
      const v = f32(r.valLoss[Math.min(r.valLoss.length - 1, Math.floor(g / o.evalSteps) - (g % o.evalSteps === 0 ? 1 : 0))]!)
      events.push({ step: g, wall: wall + 0.05, values: [['eval/loss', v]] }); s.add(run, 'eval/loss', g, v, null)
    }
  }
  writeFile(path.join(root, run), eventFileName(WALL, 'synth', 4244, 0), events)
  return { tbRuns: [run], logged: [...s.points.values()], axis: i => i + 1, loss: { tbRun: run, tag: 'train/loss' } }
}

/** Keras 3 TensorBoard callback, one file per fit() call in train/ and validation/. */
export function writeKeras (root: string, run: string, r: RawRun, o: { updateFreq: number, encoding?: ScalarEncoding }): Written {
  const tr = `${run}/train`
  const va = `${run}/validation`
  const s = new Series()
  const n = r.loss.length
  const fit = r.fit ?? r.loss.map(() => 0)
  const tbStep: number[] = []
  // Epoch index as Keras labels it: from initial_epoch (0) in every fit() (the corpus' two_fits_restart truth too).
  const kerasEpoch: number[] = []
  const fits = [...new Set(fit)]
  let iterations = 0
  for (const fc of fits) {
    const trainEv: Array<{ step: number, wall: number, values: Array<[string, number]> }> = []
    const valEv: Array<{ step: number, wall: number, values: Array<[string, number]> }> = []
    let total = 0; let count = 0; let totalAcc = 0
    let k = 0
    let epochInFit = -1
    const epoch0 = r.epoch.find((_, j) => fit[j] === fc) ?? 0
    for (let i = 0; i < n; i++) {
      if (fit[i] !== fc) continue
      k++; iterations++
      tbStep[i] = k
      kerasEpoch[i] = r.epoch[i]! - epoch0
      const wall = WALL + fc * 1000 + k * 0.05
      if (r.epoch[i] !== epochInFit) { epochInFit = r.epoch[i]!; total = 0; count = 0; totalAcc = 0 }
      const nb = r.batchSize[i]!
      total = f32(total + f32(f32(r.loss[i]!) * nb)); count += nb
      const m = f32(total / count)
      // Keras sums the per-sample 0/1 matches: the accuracy total is a whole number of correct predictions.
      if (r.accuracy !== undefined) totalAcc = f32(totalAcc + Math.round(r.accuracy[i]! * nb))
      const ma = f32(totalAcc / count)
      if (k % o.updateFreq === 0) {
        trainEv.push({ step: k, wall, values: [['batch_loss', m]] }); s.add(tr, 'batch_loss', k, m, i)
        if (r.accuracy !== undefined) { trainEv.push({ step: k, wall, values: [['batch_accuracy', ma]] }); s.add(tr, 'batch_accuracy', k, ma, i) }
      }
      const lastOfEpoch = i === n - 1 || fit[i + 1] !== fc || r.epoch[i + 1] !== r.epoch[i]
      if (lastOfEpoch) {
        const e = kerasEpoch[i]!
        const gated = k % o.updateFreq === 0
        const vl = r.valLoss?.[r.epoch[i]!]
        if (vl !== undefined) { valEv.push({ step: iterations, wall: wall + 0.02, values: [['evaluation_loss_vs_iterations', f32(vl)]] }); s.add(va, 'evaluation_loss_vs_iterations', iterations, f32(vl), null) }
        if (gated) {
          const vals: Array<[string, number]> = [['epoch_loss', m], ['epoch_learning_rate', f32(r.lr[Math.min(n - 1, i + 1)]!)]]
          if (r.accuracy !== undefined) vals.splice(1, 0, ['epoch_accuracy', ma])
          for (const [tag, v] of vals) { trainEv.push({ step: e, wall: wall + 0.03, values: [[tag, v]] }); s.add(tr, tag, e, v, null) }
          if (vl !== undefined) { valEv.push({ step: e, wall: wall + 0.03, values: [['epoch_loss', f32(vl)]] }); s.add(va, 'epoch_loss', e, f32(vl), null) }
        }
      }
    }
    writeFile(path.join(root, tr), eventFileName(WALL + fc * 1000, 'synth', 4245, fc) + '.v2', trainEv, o.encoding ?? 'tensor_content')
    if (valEv.length > 0) writeFile(path.join(root, va), eventFileName(WALL + fc * 1000, 'synth', 4245, 100 + fc) + '.v2', valEv, o.encoding ?? 'tensor_content')
  }
  return {
    tbRuns: r.valLoss !== undefined ? [tr, va] : [tr],
    logged: [...s.points.values()],
    axis: i => tbStep[i]!,
    loss: { tbRun: tr, tag: 'batch_loss' },
    columns: { tb_step: tbStep, fit_call: fit, epoch: kerasEpoch }
  }
}

/** SB3: one point per rollout of `nSteps` timesteps. `loss` etc. are per rollout here (index = rollout). */
export function writeSB3 (root: string, run: string, r: RawRun & { epRew: number[], explVar: number[] }, o: { nSteps: number }): Written {
  const s = new Series()
  const events: Array<{ step: number, wall: number, values: Array<[string, number]> }> = []
  for (let i = 0; i < r.loss.length; i++) {
    const ts = (i + 1) * o.nSteps
    const vals: Array<[string, number]> = [['rollout/ep_rew_mean', f32(r.epRew[i]!)], ['train/loss', f32(r.loss[i]!)], ['train/explained_variance', f32(r.explVar[i]!)], ['train/learning_rate', f32(r.lr[i]!)], ['time/fps', 900 + (i % 7)]]
    events.push({ step: ts, wall: WALL + i * 2, values: vals })
    for (const [tag, v] of vals) s.add(run, tag, ts, v, i)
  }
  writeFile(path.join(root, run), eventFileName(WALL, 'synth', 4246, 0), events)
  return { tbRuns: [run], logged: [...s.points.values()], axis: i => (i + 1) * o.nSteps, loss: { tbRun: run, tag: 'train/loss' } }
}
