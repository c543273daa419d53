/** Lightning's hparams.yaml read as hyper-parameters: flattened nested maps, Python tags, absent and malformed files, and the re-read after a change. */

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync, utimesSync } from 'node:fs'
import path from 'node:path'
import { hparamsReaders } from '../../server/logdir/hparams-reader.js'
import { FsSource } from '../../server/logdir/fs-source.js'
import { closestName, editDistance } from '../../server/http/suggest.js'
import { tempDir } from '../helpers/paths.js'

test('hparams.yaml: nested keys flattened, python tags read as plain values, lists as JSON; absent or not a map is null', async (t) => {
  const tmp = tempDir('lossboard-hpyaml-')
  t.after(tmp.cleanup)
  const read = hparamsReaders([new FsSource(tmp.dir)]).readYaml
  mkdirSync(path.join(tmp.dir, 'lightning_logs', 'version_0'), { recursive: true })
  const file = path.join(tmp.dir, 'lightning_logs', 'version_0', 'hparams.yaml')
  writeFileSync(file, [
    'lr: 0.001', 'batch_size: 32', 'use_amp: true', 'name: resnet', 'scheduler: null',
    'optimizer:', '  name: adam', '  betas: [0.9, 0.999]',
    'loss_fn: !!python/name:torch.nn.functional.cross_entropy ""',
    'dims: !!python/tuple', '- 224', '- 224', ''
  ].join('\n'))
  assert.deepEqual(await read('lightning_logs/version_0'), {
    lr: 0.001,
    batch_size: 32,
    use_amp: true,
    name: 'resnet',
    scheduler: null,
    'optimizer.name': 'adam',
    'optimizer.betas': '[0.9,0.999]',
    loss_fn: '',
    dims: '[224,224]'
  })
  assert.equal(await read('no/such/run'), null)
  writeFileSync(file, '- just\n- a list\n')
  const later = new Date(Date.now() + 5000)
  utimesSync(file, later, later)
  assert.equal(await read('lightning_logs/version_0'), null)
  writeFileSync(file, 'lr: [unclosed\n')
  utimesSync(file, new Date(Date.now() + 10000), new Date(Date.now() + 10000))
  assert.equal(await read('lightning_logs/version_0'), null)
})

test('did-you-mean: nearest name within a third of the length, case-insensitive match first', () => {
  assert.equal(editDistance('kitten', 'sitting', 5), 3)
  assert.equal(editDistance('abc', 'abcdefgh', 2), 3)
  assert.equal(closestName('trian', ['train', 'validation']), 'train')
  assert.equal(closestName('LOSS', ['loss', 'lost']), 'loss')
  assert.equal(closestName('no/such/run', ['pytorch/nan_mid', 'train']), null)
  assert.equal(closestName('x'.repeat(2000), ['x']), null)
})
