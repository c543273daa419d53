/**
 * /api/v1/hparams reads JSON configs logged as text summaries (Hugging Face Trainer's `args` and
 * `model_config`) besides the hparams plugin's data and Lightning's hparams.yaml: flattened, typed,
 * the plugin winning on a shared name, and the source of every value said. On files of our writer
 * and on real Trainer files of the corpus (read from ../shared at test time).
 */

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { startServer, get } from './helpers.js'
import { CORPUS, PUBLIC, tempDir } from '../helpers/paths.js'
import { writeHParamsLogdir, PLUGIN_SESSIONS, HF_ARGS, HF_MODEL_CONFIG, HF_PLUGIN, ROOT_TEXT, HP_T0 } from '../helpers/hparams-logdir.js'
import type { HParamsDto, HParamsSessionDto } from '../../server/provider/hparams.js'

async function hparamsOf (dir: string): Promise<HParamsDto> {
  const srv = await startServer(dir)
  try {
    const r = await get(`${srv.origin}/api/v1/hparams`)
    assert.equal(r.status, 200, r.text())
    return r.json() as HParamsDto
  } finally { await srv.close() }
}

function session (dto: HParamsDto, run: string): HParamsSessionDto {
  const s = dto.sessions.find(x => x.run === run)
  assert.ok(s !== undefined, `no session ${run} in ${dto.sessions.map(x => x.run).join(' ')}`)
  return s
}

test('our writer: text configs flattened and typed, plugin wins on a shared name, yaml under both, sources per value', async (t) => {
  const tmp = tempDir('lossboard-hparams-text-')
  t.after(tmp.cleanup)
  writeHParamsLogdir(tmp.dir)
  const dto = await hparamsOf(tmp.dir)
  assert.deepEqual(dto.sessions.map(s => s.run), ['.', 'hf/run-a', 'lightning/version_0', 'tuning/run-0', 'tuning/run-1'])

  const hf = session(dto, 'hf/run-a')
  const want: Record<string, unknown> = {
    'args.output_dir': HF_ARGS.output_dir,
    'args.learning_rate': HF_PLUGIN['args.learning_rate'], // the plugin's value, not the text's
    'args.per_device_train_batch_size': HF_ARGS.per_device_train_batch_size,
    'args.do_train': HF_ARGS.do_train,
    'args.report_to': JSON.stringify(HF_ARGS.report_to),
    'args.lr_scheduler_kwargs.power': HF_ARGS.lr_scheduler_kwargs.power,
    'args.lr_scheduler_kwargs.min_lr': HF_ARGS.lr_scheduler_kwargs.min_lr,
    'args.hub_token': null,
    'args.max_grad_norm': 'NaN', // Python writes NaN bare: kept as text rather than losing the config
    seed: HF_PLUGIN.seed
  }
  for (const [k, v] of Object.entries(HF_MODEL_CONFIG)) want[`model_config.${k}`] = v
  assert.deepEqual(hf.hparams, want)
  const sources = Object.fromEntries(Object.keys(want).map(k => [k, k in HF_PLUGIN ? 'hparams-plugin' : 'text-config']))
  assert.deepEqual(hf.sources, sources)
  // prose, markdown and a JSON list are not configs
  assert.ok(!Object.keys(hf.hparams).some(k => k.startsWith('notes') || k.startsWith('layers')))
  assert.deepEqual(Object.keys(hf.metrics), ['train/loss'])

  const root = session(dto, '.')
  assert.deepEqual(root.hparams, { 'config.lr': ROOT_TEXT.lr, 'config.epochs': ROOT_TEXT.epochs, 'config.warmup': 100 })
  assert.deepEqual(root.sources, { 'config.lr': 'text-config', 'config.epochs': 'text-config', 'config.warmup': 'hparams-yaml' })

  const pl = session(dto, 'lightning/version_0')
  assert.deepEqual(pl.hparams, { lr: 0.02, 'model.hidden': 128, 'model.dropout': 0.1 })
  assert.ok(Object.values(pl.sources).every(s => s === 'hparams-yaml'))

  for (const [i, s] of PLUGIN_SESSIONS.entries()) {
    const got = session(dto, `tuning/run-${i}`)
    assert.deepEqual(got.hparams, { lr: s.lr, optimizer: s.optimizer, augment: s.augment })
    assert.ok(Object.values(got.sources).every(x => x === 'hparams-plugin'))
    assert.equal(got.groupName, `g${i}`)
    assert.equal(got.startTime, HP_T0 + i)
    assert.equal(got.status, 'success')
    assert.equal(got.metrics['validation/epoch_accuracy']?.last, Math.fround(s.acc)) // simple_value is a float32
  }
  assert.ok(dto.hparams.includes('args.learning_rate') && dto.hparams.includes('model_config.n_layer') && dto.hparams.includes('lr'))
})

test('corpus, frameworks/hf: the Trainer\'s args and model config match the runs\' ground truth', async () => {
  const dir = path.join(CORPUS, 'frameworks', 'hf')
  const dto = await hparamsOf(dir)
  const runs = readdirSync(dir).sort()
  assert.deepEqual(dto.sessions.map(s => s.run), runs)
  for (const run of runs) {
    const truth = JSON.parse(readFileSync(path.join(CORPUS, 'frameworks', 'truth', `hf__${run}.json`), 'utf8')) as { config: Record<string, unknown> }
    const c = truth.config
    const s = session(dto, run)
    assert.equal(s.hparams['args.logging_steps'], c.logging_steps, run)
    assert.equal(s.hparams['args.per_device_train_batch_size'], c.batch_size, run)
    assert.equal(s.hparams['args.num_train_epochs'], c.epochs, run)
    assert.equal(s.hparams['args.max_grad_norm'], c.max_grad_norm, run)
    assert.equal(s.hparams['args.gradient_accumulation_steps'], c.gradient_accumulation_steps, run)
    assert.equal(s.hparams['args.seed'], c.seed, run)
    assert.equal(s.hparams['args.report_to'], JSON.stringify(c.report_to), run)
    const model = String(c.model)
    for (const k of ['vocab_size', 'n_positions', 'n_embd', 'n_layer', 'n_head']) {
      assert.equal(s.hparams[`model_config.${k}`], Number(new RegExp(`${k}=(\\d+)`).exec(model)![1]), `${run} ${k}`)
    }
    assert.ok(Object.values(s.sources).every(x => x === 'text-config'))
    assert.ok('train/loss' in s.metrics && 'eval/loss' in s.metrics, Object.keys(s.metrics).join(' '))
  }
})

test('corpus, public hf-trainer-lora: every Trainer run is a session, its logging_dir naming the run, values typed', async () => {
  const dir = path.join(PUBLIC, 'hf-trainer-lora')
  const dto = await hparamsOf(dir)
  const runsDir = path.join(dir, 'output', 'runs')
  const runs = readdirSync(runsDir).sort().map(r => `output/runs/${r}`)
  assert.deepEqual(dto.sessions.map(s => s.run), runs)
  for (const s of dto.sessions) {
    // The Trainer's default logging_dir is <output_dir>/runs/<date>_<host>: the directory the file is in.
    const logging = String(s.hparams['args.logging_dir'])
    assert.equal(path.basename(logging.replace(/\\/g, '/')), path.basename(s.run), s.run)
    assert.equal(typeof s.hparams['args.learning_rate'], 'number')
    assert.equal(typeof s.hparams['args.do_train'], 'boolean')
    assert.equal(typeof s.hparams['args.output_dir'], 'string')
    assert.equal(typeof s.hparams['model_config.n_layer'], 'number')
    assert.equal(s.sources['args.learning_rate'], 'text-config')
  }
})

test('corpus, public lightning-addscalars: the plugin data Lightning writes is still read, marked as such', async () => {
  const dto = await hparamsOf(path.join(PUBLIC, 'lightning-addscalars'))
  assert.ok(dto.sessions.length > 0)
  for (const s of dto.sessions) {
    assert.ok(Object.keys(s.hparams).length > 0, s.run)
    assert.ok(Object.values(s.sources).every(x => x === 'hparams-plugin'), s.run)
  }
})
