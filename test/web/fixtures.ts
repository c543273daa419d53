/** Test fixtures for the dashboard: a small seeded logdir written with our event writer, and a real lossboard server over it. */

import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import pino from 'pino'
import type { FastifyInstance } from 'fastify'
import { EventFileBuilder, eventFileName } from '../../server/records/event-writer.js'
import { ScalarStore } from '../../server/store/scalar-store.js'
import { LogdirLoader } from '../../server/logdir/logdir-loader.js'
import { watchLogdir } from '../../server/logdir/watch.js'
import { buildApp } from '../../server/app.js'
import { REPO } from '../helpers/paths.js'
import { rng } from '../helpers/rng.js'

export const T0 = 1_700_000_000
/** Steps of the raw runs, their spike, and the non-finite point. */
export const RAW_STEPS = 300
export const SPIKE_STEP = 150
export const NAN_STEP = 280

/** A raw per-step loss (PyTorch-style simple_value): decaying with noise, one ×8 spike at SPIKE_STEP, NaN at NAN_STEP. */
export function rawLoss (seed: number, step: number): number {
  const r = rng(seed * 100_003 + step)
  const base = 2 * Math.exp(-step / 120) + 0.3
  const v = base * (1 + 0.04 * (r() - 0.5))
  if (step === SPIKE_STEP) return v * 8
  if (step === NAN_STEP) return NaN
  return v
}

export interface Fixture {
  logdir: string
  /** Event file of run `torch/a`, which tests append to. */
  liveFile: string
}

/**
 * Writes the fixture logdir:
 * - `torch/a`, `torch/b`: tag `loss` (steps 0..299, one spike, one NaN) and `lr`; `torch/b` also
 *   `val/acc`, restarted: steps 0..99, then 50..149 again;
 * - `keras/train`: Keras running means `batch_loss` (3 epochs × 40 batches, 1-based global batch
 *   step, the mean resets at each epoch) beside `epoch_loss`; `keras/validation`: `epoch_loss`.
 */
export function writeFixture (logdir: string): Fixture {
  const files: string[] = []
  for (const [run, seed] of [['torch/a', 1], ['torch/b', 2]] as const) {
    const dir = path.join(logdir, run)
    mkdirSync(dir, { recursive: true })
    const b = new EventFileBuilder().fileVersion(T0)
    for (let s = 0; s < RAW_STEPS; s++) {
      const wall = T0 + 1 + s * 0.5
      b.scalar('loss', s, wall, rawLoss(seed, s), 'simple_value')
      if (s % 10 === 0) b.scalar('lr', s, wall, s < 200 ? 1e-3 : 1e-4, 'simple_value')
    }
    if (run === 'torch/b') {
      // A resumed run: steps 0..99, then the job restarts from a checkpoint at step 50 and goes on to 149.
      for (let s = 0; s < 100; s++) b.scalar('val/acc', s, T0 + 1 + s, 0.5 + s / 400, 'simple_value')
      for (let s = 50; s < 150; s++) b.scalar('val/acc', s, T0 + 200 + s, 0.5 + s / 300, 'simple_value')
    }
    const file = path.join(dir, eventFileName(T0, 'fixture', seed))
    writeFileSync(file, b.bytes())
    files.push(file)
  }
  const train = new EventFileBuilder().fileVersion(T0)
  const validation = new EventFileBuilder().fileVersion(T0)
  const r = rng(7)
  let step = 0
  for (let epoch = 0; epoch < 3; epoch++) {
    let sum = 0
    for (let k = 1; k <= 40; k++) {
      step++
      const raw = (1.5 / (1 + 0.02 * step)) * (1 + 0.1 * (r() - 0.5))
      sum += raw
      train.scalar('batch_loss', step, T0 + step, sum / k, 'tensor_content')
    }
    train.scalar('epoch_loss', epoch, T0 + step + 0.5, sum / 40, 'tensor_content')
    validation.scalar('epoch_loss', epoch, T0 + step + 0.6, (sum / 40) * 1.1, 'tensor_content')
  }
  for (const [run, b] of [['keras/train', train], ['keras/validation', validation]] as const) {
    const dir = path.join(logdir, run)
    mkdirSync(dir, { recursive: true })
    writeFileSync(path.join(dir, eventFileName(T0, 'fixture', 3)), b.bytes())
  }
  return { logdir, liveFile: files[0]! }
}

/** Appends `loss` points at steps [from, from + count) to an event file, as a live writer does. */
export function appendLoss (file: string, from: number, count: number, value: (step: number) => number): void {
  const b = new EventFileBuilder()
  for (let s = from; s < from + count; s++) b.scalar('loss', s, T0 + 1 + s * 0.5, value(s), 'simple_value')
  appendFileSync(file, b.bytes())
}

/** Builds the dashboard into `outdir` with the real build script (so the test exercises what `npm run build:web` ships). */
export function buildWeb (outdir: string): void {
  const res = spawnSync(process.execPath, [path.join(REPO, 'scripts', 'build-web.mjs'), '--outdir', outdir], { encoding: 'utf8' })
  if (res.status !== 0) throw new Error(`build-web failed (${res.status}): ${res.stderr}${res.stdout}`)
}

export interface Server {
  url: string
  app: FastifyInstance
  loader: LogdirLoader
  close: () => Promise<void>
}

/**
 * A real lossboard on 127.0.0.1 (free port) over `logdir`, watching it like `lossboard` does.
 * `load: false` leaves the initial load to the caller (to observe the loading state).
 */
export async function startServer (opts: { logdir: string, webRoot: string, basePath?: string, load?: boolean }): Promise<Server> {
  const log = pino({ level: 'silent' })
  const store = new ScalarStore()
  const loader = new LogdirLoader(opts.logdir, store, log)
  const app = await buildApp({ store, logdir: opts.logdir, totals: () => loader.totals(), logger: false, basePath: opts.basePath ?? '', webRoot: opts.webRoot })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const stopWatching = await watchLogdir(loader, log, { rescanIntervalMs: 0 })
  if (opts.load !== false) await loader.reload()
  const port = (app.server.address() as { port: number }).port
  return {
    url: `http://127.0.0.1:${port}${opts.basePath ?? ''}/`,
    app,
    loader,
    close: async () => {
      await stopWatching()
      await app.close()
    }
  }
}
