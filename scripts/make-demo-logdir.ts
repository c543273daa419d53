/** Writes the bundled demo logdir (demo-logs/) with our own event writer: seeded, byte-for-byte reproducible. */

import { rmSync, mkdirSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Rng, writeKeras, writeRun, series, push } from '../test/helpers/scenarios.js'

/** What the demo shows, for the README and the test that checks the annotations are there. */
export const DEMO_RUNS = {
  /** Keras 3 callback layout, update_freq=1: running means with a bad batch at step 130 and a learning-rate jump (0.01 → 0.08) at step 290. */
  keras: 'keras/train',
  kerasValidation: 'keras/validation',
  /** PyTorch SummaryWriter style: raw per-step loss with a spike at 700, NaN from 1,960. */
  pytorch: 'pytorch/resnet-ish',
  /** A training/validation pair whose validation loss turns up after epoch 18 while the training loss keeps falling. */
  overfitTrain: 'overfit/train',
  overfitValidation: 'overfit/validation'
} as const

const WALL = 1_735_700_000

/**
 * Writes the demo runs under `dir` (created; its previous content is not removed). Everything is
 * derived from fixed seeds and wall times, so the files are identical on every machine.
 */
export function writeDemoLogdir (dir: string): void {
  mkdirSync(dir, { recursive: true })
  // 1. Keras: 12 epochs of 40 batches (2,500 samples in batches of 64, the last one of 4).
  const rk = new Rng(2024)
  const badBatch = 129 // 0-based global batch ordinal ⇒ logged at step 130
  const lrJump = 289 // ⇒ step 290, in the middle of epoch 7 (steps 281–320)
  writeKeras(dir, {
    name: 'keras',
    epochs: 12,
    datasetSize: 2500,
    batchSize: 64,
    updateFreq: 1,
    truth: false,
    wallTime: WALL,
    loss: (t) => (0.12 + 2.2 * Math.exp(-t / 60)) *
      (t === badBatch ? 9 : 1) *
      (t >= lrJump ? 1 + 5 * Math.exp(-(t - lrJump) / 50) : 1) *
      Math.exp(0.18 * rk.gauss()),
    accuracy: (t) => Math.min(1, Math.max(0, 0.95 - 0.75 * Math.exp(-t / 70) + 0.04 * rk.gauss())),
    lr: (t) => t >= lrJump ? 0.08 : 0.01
  })
  // 2. PyTorch-style raw loss with a learning-rate schedule, a spike and a NaN at the end.
  const rp = new Rng(7)
  const loss = series(); const lr = series()
  for (let i = 0; i < 2000; i++) {
    const w = WALL + 5000 + i * 0.5
    const v = i >= 1960 ? NaN : (0.3 + 1.8 * Math.exp(-i / 300)) * (i === 700 ? 7 : 1) * Math.exp(0.12 * rp.gauss())
    push(loss, i, w, v)
    push(lr, i, w, i < 1000 ? 0.1 : 0.01)
  }
  writeRun(dir, DEMO_RUNS.pytorch, { loss, lr }, 'simple_value', 300)
  // 3. Overfitting: 40 epochs.
  const ro = new Rng(99)
  const tr = series(); const va = series()
  for (let e = 0; e < 40; e++) {
    const w = WALL + 9000 + e * 30
    push(tr, e, w, (0.05 + 1.2 * Math.exp(-e / 8)) * Math.exp(0.02 * ro.gauss()))
    push(va, e, w + 5, (0.35 + 1.1 * Math.exp(-Math.min(e, 18) / 7) + (e > 18 ? 0.025 * (e - 18) : 0)) * Math.exp(0.015 * ro.gauss()))
  }
  writeRun(dir, DEMO_RUNS.overfitTrain, { epoch_loss: tr }, 'tensor_content', 400)
  writeRun(dir, DEMO_RUNS.overfitValidation, { epoch_loss: va }, 'tensor_content', 401)
}

/** Total size of the files under `dir`, in bytes. */
export function treeBytes (dir: string): number {
  let n = 0
  for (const e of readdirSync(dir)) {
    const p = path.join(dir, e)
    const st = statSync(p)
    n += st.isDirectory() ? treeBytes(p) : st.size
  }
  return n
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
  const out = path.resolve(process.argv[2] === '--out' && process.argv[3] !== undefined ? process.argv[3] : path.join(repo, 'demo-logs'))
  rmSync(out, { recursive: true, force: true })
  writeDemoLogdir(out)
  process.stdout.write(`wrote ${out} (${treeBytes(out)} bytes)\n`)
}
