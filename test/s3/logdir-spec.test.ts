/**
 * `--logdir-spec`: TensorBoard's parsing and run naming (`name/run`), and two logdirs (local and
 * s3) served together, each part giving its golden answers.
 */

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import os from 'node:os'
import pino from 'pino'
import { CORPUS, GENERATED } from '../helpers/paths.js'
import { goldenSuite } from '../helpers/golden.js'
import { startS3, S3_TEST_CLIENT, type S3TestServer } from '../helpers/s3.js'
import { startLossboard } from '../helpers/cli-server.js'
import { ScalarStore } from '../../server/store/scalar-store.js'
import { LogdirSet } from '../../server/logdir/logdir-set.js'
import { parseLogdirSpec, sourceFor } from '../../server/logdir/logdir-spec.js'

let s3: S3TestServer
let set: LogdirSet | null = null

before(async () => {
  s3 = await startS3()
  await s3.uploadDir(GENERATED, 'gen')
})
after(async () => {
  for (const l of set?.loaders ?? []) l.source.close()
  await s3.close()
})

test('parsing follows TensorBoard: names, URIs, absolute paths, ~', () => {
  assert.deepEqual(parseLogdirSpec('a:/x/y,b:s3://bkt/p'), [{ name: 'a', location: '/x/y' }, { name: 'b', location: 's3://bkt/p' }])
  assert.deepEqual(parseLogdirSpec('/abs/path'), [{ name: null, location: '/abs/path' }])
  assert.deepEqual(parseLogdirSpec('s3://bkt/p'), [{ name: null, location: 's3://bkt/p' }])
  assert.deepEqual(parseLogdirSpec('n:~/logs'), [{ name: 'n', location: path.join(os.homedir(), 'logs') }])
  assert.deepEqual(parseLogdirSpec('n:rel'), [{ name: 'n', location: path.resolve('rel') }])
  // the same path twice keeps the last name (TensorBoard keeps a dict keyed by path)
  assert.deepEqual(parseLogdirSpec('a:/x,b:/x'), [{ name: 'b', location: '/x' }])
})

async function loadSpec (): Promise<LogdirSet> {
  if (set !== null) return set
  const parts = parseLogdirSpec(`local:${path.join(CORPUS, 'public')},cloud:s3://${s3.bucket}/gen`)
  const sources = parts.map(p => sourceFor(p, { endpoint: s3.endpoint, forcePathStyle: true, clientConfig: S3_TEST_CLIENT }))
  const store = new ScalarStore()
  set = new LogdirSet(sources, store, pino({ level: 'silent' }))
  await set.reload()
  ;(set as unknown as { store: ScalarStore }).store = store
  return set
}

goldenSuite('public', ' as part local: of a --logdir-spec', async () => {
  const s = await loadSpec()
  return { store: (s as unknown as { store: ScalarStore }).store, totals: () => s.totals() }
}, 'local/')

goldenSuite('generated', ' as part cloud:s3:// of a --logdir-spec', async () => {
  const s = await loadSpec()
  return { store: (s as unknown as { store: ScalarStore }).store, totals: () => s.totals() }
}, 'cloud/')

test('the command line serves a local and an s3 logdir together, runs named name/run', async () => {
  const srv = await startLossboard(['--logdir-spec', `local:${path.join(GENERATED, 'edge')},cloud:s3://${s3.bucket}/gen`, '--s3-endpoint', s3.endpoint, '--s3-path-style', '--once'],
    { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' })
  try {
    await srv.ready()
    const runs = await (await fetch(`${srv.url}data/runs`)).json() as string[]
    assert.ok(runs.includes('local/corrupt_middle'), runs.join(' '))
    assert.ok(runs.some(r => r.startsWith('cloud/')), runs.join(' '))
    assert.ok(runs.every(r => r.startsWith('local/') || r.startsWith('cloud/')))
    const h = await (await fetch(`${srv.url}healthz`)).json() as { runs: number, loading: boolean }
    assert.equal(h.runs, runs.length)
  } finally {
    await srv.stop()
  }
})
