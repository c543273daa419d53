/** Smoothing families from names, on real logs of each framework (../shared/corpus/public). */

import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { PUBLIC } from '../helpers/paths.js'
import { loadLogdir } from '../helpers/load.js'
import { createEnrichmentProvider } from '../../server/provider/enrichment.js'
import { guessFamily, trainCounterparts, isLearningRateTag, epochTagFor } from '../../server/enrich/families.js'

const ctx = (run: string, tag: string, tags: string[]): Parameters<typeof guessFamily>[0] => ({ run, tag, runTags: new Set(tags), runs: new Set([run]) })

test('Keras: batch_* in a train run is a running mean; ratio metrics are labelled, not inverted', () => {
  const tags = ['batch_loss', 'batch_accuracy', 'batch_auc', 'batch_steps_per_second', 'epoch_loss', 'epoch_learning_rate']
  assert.equal(guessFamily(ctx('logs/train', 'batch_loss', tags)).family, 'keras-running-mean')
  assert.equal(guessFamily(ctx('logs/train', 'batch_accuracy', tags)).family, 'keras-running-mean')
  assert.equal(guessFamily(ctx('logs/train', 'batch_auc', tags)).family, 'keras-running-ratio')
  assert.equal(guessFamily(ctx('logs/train', 'batch_steps_per_second', tags)).family, 'raw')
  assert.equal(guessFamily(ctx('logs/train', 'epoch_loss', tags)).family, 'epoch-aggregate')
  // A run in its first epoch has no epoch_* yet; the `train` directory name is enough.
  assert.equal(guessFamily(ctx('x/train', 'batch_loss', ['batch_loss'])).family, 'keras-running-mean')
  // batch_* elsewhere (no epoch tags, not a train dir) is not assumed to be a running mean.
  assert.equal(guessFamily(ctx('x/truth', 'batch_size_truth', ['batch_size_truth'])).family, 'raw')
})

test('Lightning, Hugging Face and Stable-Baselines3 signatures', () => {
  assert.equal(guessFamily(ctx('lightning_logs/version_0', 'train_loss_step', ['train_loss_step', 'train_loss_epoch', 'epoch'])).family, 'lightning-step')
  assert.equal(guessFamily(ctx('lightning_logs/version_0', 'train_loss_epoch', ['train_loss_step', 'train_loss_epoch', 'epoch'])).family, 'lightning-epoch')
  assert.equal(guessFamily(ctx('runs/May01', 'train/loss', ['train/loss', 'train/learning_rate', 'train/epoch', 'eval/loss'])).family, 'hf-window-mean')
  assert.equal(guessFamily(ctx('runs/May01', 'eval/loss', ['train/loss', 'train/learning_rate', 'train/epoch', 'eval/loss'])).family, 'epoch-aggregate')
  assert.equal(guessFamily(ctx('PPO_1', 'rollout/ep_rew_mean', ['rollout/ep_rew_mean'])).family, 'rl-rolling-mean')
  assert.equal(guessFamily(ctx('pytorch/raw', 'Loss/train', ['Loss/train', 'lr'])).family, 'raw')
})

test('families of real logs, as /api/v1/tags reports them', async () => {
  const cases: Array<[string, string, string, string]> = [
    ['keras-tf24-batch-cs1430', 'code/logs/vgg_model/041821-014654/train', 'batch_loss', 'keras-running-mean'],
    ['keras-tf212-batch-resumed', 'code/logs/your_model/041423-222916/train', 'batch_sparse_categorical_accuracy', 'keras-running-mean'],
    ['keras3-batch-step0', 'VGG-16/code/logs/vgg_model/051024-023149/train', 'batch_loss', 'keras-running-mean'],
    ['sb3-ppo-chess', 'logs/PPO_1', 'rollout/ep_rew_mean', 'rl-rolling-mean']
  ]
  for (const [src, run, tag, family] of cases) {
    const { store } = await loadLogdir(path.join(PUBLIC, src))
    assert.equal(createEnrichmentProvider(store).tagSummary(run, tag).family, family, `${src} ${tag}`)
  }
})

test('learning-rate tags, epoch tags and training counterparts of validation series', () => {
  for (const t of ['lr', 'epoch_lr', 'epoch_learning_rate', 'train/learning_rate', 'lr-Adam', 'optim/lr']) assert.ok(isLearningRateTag(t), t)
  for (const t of ['loss', 'val_loss', 'clr_loss', 'learner']) assert.ok(!isLearningRateTag(t), t)
  assert.equal(epochTagFor('batch_accuracy', new Set(['epoch_loss', 'epoch_accuracy'])), 'epoch_accuracy')
  assert.equal(epochTagFor('batch_mae', new Set(['epoch_loss', 'epoch_learning_rate'])), 'epoch_loss')
  const has = (run: string, tag: string, want: { run: string, tag: string }): void =>
    assert.ok(trainCounterparts(run, tag).some(c => c.run === want.run && c.tag === want.tag), `${run} ${tag} → ${JSON.stringify(trainCounterparts(run, tag))}`)
  has('logs/validation', 'epoch_loss', { run: 'logs/train', tag: 'epoch_loss' })
  has('r', 'val_loss', { run: 'r', tag: 'loss' })
  has('r', 'eval/loss', { run: 'r', tag: 'train/loss' })
  has('r', 'Loss/val', { run: 'r', tag: 'Loss/train' })
  has('pytorch/add_scalars/loss_val', 'loss', { run: 'pytorch/add_scalars/loss_train', tag: 'loss' })
  assert.deepEqual(trainCounterparts('logs/train', 'loss'), [])
})
