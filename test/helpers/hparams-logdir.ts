/**
 * A logdir of hyper-parameters written by our writer: hparams plugin sessions (as tf.summary's
 * hparams API lays them out), JSON configs logged as text as Hugging Face's TensorBoardCallback
 * does (`args/text_summary`, `model_config/text_summary`), Lightning's `hparams.yaml`, and a run
 * at the logdir's root. The inputs are exported so that tests compare against what was written.
 */

import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { EventFileBuilder, eventFileName } from '../../server/records/event-writer.js'
import { encodeHParamsPluginData } from '../../server/records/proto.js'

export const HP_T0 = 1_700_000_000

/** tuning/run-<i>: plugin data only; metrics in tuning/run-<i>/validation. */
export const PLUGIN_SESSIONS = [
  { lr: 0.1, optimizer: 'sgd', augment: true, acc: 0.71 },
  { lr: 0.01, optimizer: 'adam', augment: false, acc: 0.83 }
]

/** hf/run-a: the Trainer's args and model config as JSON text, and one plugin value on a name the text has too. */
export const HF_ARGS = {
  output_dir: 'out/run-a',
  learning_rate: 5e-5,
  per_device_train_batch_size: 16,
  do_train: true,
  report_to: ['tensorboard'],
  lr_scheduler_kwargs: { power: 2, min_lr: 0 },
  hub_token: null,
  max_grad_norm: NaN
}
export const HF_MODEL_CONFIG = { n_layer: 2, n_embd: 48, activation_function: 'gelu_new', tie_word_embeddings: true }
/** add_hparams on a name the args text also has: the plugin value must win. */
export const HF_PLUGIN = { 'args.learning_rate': 0.001, seed: 42 }

/** lightning/version_0: an hparams.yaml beside the event file, no plugin data. */
const LIGHTNING_YAML = 'lr: 0.02\nmodel:\n  hidden: 128\n  dropout: 0.1\n'
/** The root run: a text config and an hparams.yaml naming one key of it too (the text wins). */
export const ROOT_TEXT = { lr: 0.3, epochs: 3 }
export const ROOT_YAML = 'config:\n  lr: 9\n  warmup: 100\n'

function hparamsEvent (tag: string, data: Record<string, unknown>, wallTime: number): Record<string, unknown> {
  return { wallTime, step: 0, summary: { value: [{ tag, metadata: { pluginData: { pluginName: 'hparams', content: encodeHParamsPluginData({ version: 0, ...data }) } } }] } }
}

function protoValue (v: number | string | boolean): Record<string, unknown> {
  return typeof v === 'number' ? { numberValue: v } : typeof v === 'string' ? { stringValue: v } : { boolValue: v }
}

/** json.dumps(indent=2) of a Python dict, NaN written bare as Python does. */
function pythonJson (obj: Record<string, unknown>): string {
  return JSON.stringify(obj, (_k, v: unknown) => typeof v === 'number' && Number.isNaN(v) ? '__NaN__' : v, 2).replace(/"__NaN__"/g, 'NaN')
}

export function writeHParamsLogdir (logdir: string): void {
  const put = (run: string, name: string, b: EventFileBuilder): void => {
    mkdirSync(path.join(logdir, run), { recursive: true })
    writeFileSync(path.join(logdir, run, name), b.bytes())
  }
  for (const [i, s] of PLUGIN_SESSIONS.entries()) {
    const hp = { lr: s.lr, optimizer: s.optimizer, augment: s.augment }
    put(`tuning/run-${i}`, eventFileName(HP_T0, 'hp', 1, i), new EventFileBuilder().fileVersion(HP_T0)
      .event(hparamsEvent('_hparams_/session_start_info', { sessionStartInfo: { hparams: Object.fromEntries(Object.entries(hp).map(([k, v]) => [k, protoValue(v)])), startTimeSecs: HP_T0 + i, groupName: `g${i}` } }, HP_T0 + i))
      .event(hparamsEvent('_hparams_/session_end_info', { sessionEndInfo: { status: 1, endTimeSecs: HP_T0 + 100 } }, HP_T0 + 100)))
    const v = new EventFileBuilder().fileVersion(HP_T0)
    for (let e = 0; e < 4; e++) v.scalar('epoch_accuracy', e, HP_T0 + e, s.acc - (3 - e) * 0.05)
    put(`tuning/run-${i}/validation`, eventFileName(HP_T0, 'hp', 1, 10 + i), v)
  }
  const hf = new EventFileBuilder().fileVersion(HP_T0)
    .text('args/text_summary', 0, HP_T0, pythonJson(HF_ARGS))
    .text('model_config/text_summary', 0, HP_T0, pythonJson(HF_MODEL_CONFIG))
    .text('notes/text_summary', 0, HP_T0, '# Notes\n\nNot a config: {"lr": 1} inside prose.')
    .text('layers/text_summary', 0, HP_T0, '[1, 2, 3]')
  for (let s = 1; s <= 5; s++) hf.scalar('train/loss', s, HP_T0 + s, 3 - s * 0.2)
  put('hf/run-a', eventFileName(HP_T0, 'hf', 1, 0), hf)
  // tensorboardX / torch add_hparams writes its plugin data to a file of its own in the run directory.
  put('hf/run-a', eventFileName(HP_T0 + 1, 'hf', 1, 1), new EventFileBuilder().fileVersion(HP_T0 + 1)
    .event(hparamsEvent('_hparams_/session_start_info', { sessionStartInfo: { hparams: Object.fromEntries(Object.entries(HF_PLUGIN).map(([k, v]) => [k, protoValue(v)])) } }, HP_T0 + 1)))
  const lt = new EventFileBuilder().fileVersion(HP_T0)
  for (let s = 0; s < 3; s++) lt.scalar('train_loss', s, HP_T0 + s, 1 / (s + 1))
  put('lightning/version_0', eventFileName(HP_T0, 'pl', 1, 0), lt)
  writeFileSync(path.join(logdir, 'lightning', 'version_0', 'hparams.yaml'), LIGHTNING_YAML)
  const root = new EventFileBuilder().fileVersion(HP_T0).text('config/text_summary', 0, HP_T0, JSON.stringify(ROOT_TEXT))
  root.scalar('loss', 0, HP_T0, 1)
  put('.', eventFileName(HP_T0, 'root', 1, 0), root)
  writeFileSync(path.join(logdir, 'hparams.yaml'), ROOT_YAML)
}
