/**
 * A sweep of Hugging Face Trainer runs written by our writer: six runs under `runs/`, each with
 * its TrainingArguments (200 names) and model config logged as JSON text summaries, as the
 * Trainer's TensorBoard callback does, and `train/loss`, `eval/accuracy` scalars. Three names
 * differ between the runs (learning rate, seed, batch size) and the logging directory is a path
 * per run; everything else is the same everywhere, as in a real sweep.
 */

import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { EventFileBuilder, eventFileName } from '../../server/records/event-writer.js'

export const HF_SWEEP = [
  { lr: 5e-5, seed: 42, batch: 8, acc: 0.81 },
  { lr: 1e-4, seed: 43, batch: 8, acc: 0.84 },
  { lr: 3e-4, seed: 42, batch: 16, acc: 0.79 },
  { lr: 1e-5, seed: 44, batch: 16, acc: 0.75 },
  { lr: 3e-5, seed: 43, batch: 32, acc: 0.8 },
  { lr: 2e-4, seed: 44, batch: 32, acc: 0.86 }
]

/** TrainingArguments of run `i` (numbers, booleans, strings, null, a nested map). */
function hfArgs (i: number): Record<string, unknown> {
  const r = HF_SWEEP[i]!
  const args: Record<string, unknown> = {
    output_dir: './results',
    logging_dir: `./results/runs/Oct05_12-0${i}-10_host`,
    learning_rate: r.lr,
    seed: r.seed,
    per_device_train_batch_size: r.batch,
    adam_beta1: 0.9,
    adam_beta2: 0.999,
    adam_epsilon: 1e-8,
    lr_scheduler_type: 'linear',
    fp16: false,
    data_seed: null,
    accelerator_config: { split_batches: false, even_batches: true, dispatch_batches: null }
  }
  for (let k = 0; k < 190; k++) args[`option_${String(k).padStart(3, '0')}`] = k % 3 === 0 ? k : k % 3 === 1 ? k % 2 === 0 : `value-${k}`
  return args
}

export function writeHfSweep (dir: string, t0: number): void {
  for (const [i, s] of HF_SWEEP.entries()) {
    const run = path.join(dir, `runs/run-${i}`)
    mkdirSync(run, { recursive: true })
    const b = new EventFileBuilder().fileVersion(t0)
      .text('args/text_summary', 0, t0, JSON.stringify(hfArgs(i), null, 2))
      .text('model_config/text_summary', 0, t0, JSON.stringify({ model_type: 'bert', hidden_size: 768, num_hidden_layers: 12, vocab_size: 30522 }, null, 2))
    for (let e = 0; e < 5; e++) {
      b.scalar('train/loss', e * 10, t0 + e, 1.5 - e * 0.2 + i * 0.01)
      b.scalar('eval/accuracy', e * 10, t0 + e, s.acc - (4 - e) * 0.02)
    }
    writeFileSync(path.join(run, eventFileName(t0, 'hf', i)), b.bytes())
  }
}
