/** The small, deterministic logdir that the notebook guide's outputs (docs/notebook.md) are computed from. */

import { mkdirSync, writeFileSync, appendFileSync } from 'node:fs'
import path from 'node:path'
import { EventFileBuilder, eventFileName } from '../../server/records/event-writer.js'
import { encodeHParamsPluginData } from '../../server/records/proto.js'

/** Wall time of step 0 in every run (2023-11-14 22:13:20 UTC); step s is written at T0 + s seconds. */
export const T0 = 1700000000

/** Training loss at step s: 2 / (1 + s/10), stored as float32. */
export function trainLoss (s: number): number { return 2 / (1 + s / 10) }

/**
 * Writes three runs: `train` (loss and lr, steps 0..99), `validation` (loss every 10 steps) and
 * `diverged` (loss 0..19 that turns +Infinity at 17 and NaN at 18 and 19). `train` carries
 * hparams plugin session data (lr 0.1, optimizer adam), `diverged` a Lightning-style
 * `hparams.yaml` (lr 1.0, optimizer sgd). Returns the path of train's event file, to which the
 * live example's appends go.
 */
export function writeNotebookLogdir (dir: string): string {
  for (const r of ['train', 'validation', 'diverged']) mkdirSync(path.join(dir, r), { recursive: true })
  const train = new EventFileBuilder().fileVersion(T0).event({
    wallTime: T0,
    step: 0,
    summary: {
      value: [{
        tag: '_hparams_/session_start_info',
        metadata: { pluginData: { pluginName: 'hparams', content: encodeHParamsPluginData({ version: 0, sessionStartInfo: { hparams: { lr: { numberValue: 0.1 }, optimizer: { stringValue: 'adam' } }, startTimeSecs: T0 } }) } }
      }]
    }
  })
  for (let s = 0; s < 100; s++) {
    train.scalar('loss', s, T0 + s, trainLoss(s))
    train.scalar('lr', s, T0 + s, s < 50 ? 0.1 : 0.01)
  }
  const trainFile = path.join(dir, 'train', eventFileName(T0))
  writeFileSync(trainFile, train.bytes())
  const val = new EventFileBuilder().fileVersion(T0)
  for (let s = 0; s < 100; s += 10) val.scalar('loss', s, T0 + s + 0.5, 2.2 / (1 + s / 10))
  writeFileSync(path.join(dir, 'validation', eventFileName(T0)), val.bytes())
  const div = new EventFileBuilder().fileVersion(T0)
  for (let s = 0; s < 20; s++) div.scalar('loss', s, T0 + s, s < 17 ? 1 + s * s / 10 : s === 17 ? Infinity : NaN)
  writeFileSync(path.join(dir, 'diverged', eventFileName(T0)), div.bytes())
  writeFileSync(path.join(dir, 'diverged', 'hparams.yaml'), 'lr: 1.0\noptimizer: sgd\n')
  return trainFile
}

/** Appends training-loss points at `steps` to train's event file (what a training process does). */
export function appendTrainLoss (trainFile: string, steps: number[]): void {
  const b = new EventFileBuilder()
  for (const s of steps) b.scalar('loss', s, T0 + s, trainLoss(s))
  appendFileSync(trainFile, b.bytes())
}
