/**
 * Issue 11 regression: /api/v1/hparams was empty for an s3:// logdir and for the parts of a
 * --logdir-spec (the hparams readers resolved file names against the logdir as a local path).
 * The same logdirs, uploaded to a real S3-protocol server on loopback, must give the same answer
 * through the lossboard command as the local directories do in process: our writer's logdir
 * (plugin data, text configs, hparams.yaml files, a root run) and the corpus' Hugging Face runs.
 */

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { startS3, type S3TestServer } from '../helpers/s3.js'
import { startLossboard } from '../helpers/cli-server.js'
import { startServer, get } from '../http/helpers.js'
import { CORPUS, tempDir } from '../helpers/paths.js'
import { writeHParamsLogdir } from '../helpers/hparams-logdir.js'
import type { HParamsDto } from '../../server/provider/hparams.js'

const HF = path.join(CORPUS, 'frameworks', 'hf')
const ENV = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' }

let s3: S3TestServer
const tmp = tempDir('lossboard-s3-hparams-')

before(async () => {
  writeHParamsLogdir(tmp.dir)
  s3 = await startS3()
  await s3.uploadDir(tmp.dir, 'hp')
  await s3.uploadDir(HF, 'hf')
})
after(async () => {
  await s3.close()
  tmp.cleanup()
})

async function localAnswer (dir: string): Promise<HParamsDto> {
  const srv = await startServer(dir)
  try { return (await get(`${srv.origin}/api/v1/hparams`)).json() as HParamsDto } finally { await srv.close() }
}

async function cliAnswer (args: string[]): Promise<HParamsDto> {
  const srv = await startLossboard([...args, '--s3-endpoint', s3.endpoint, '--s3-path-style', '--once'], ENV)
  try {
    await srv.ready()
    const r = await fetch(`${srv.url}api/v1/hparams`)
    assert.equal(r.status, 200)
    return await r.json() as HParamsDto
  } finally { await srv.stop() }
}

/** A local answer as a named part of a --logdir-spec serves it: runs named `name/run`. */
function asPart (dto: HParamsDto, name: string): HParamsDto['sessions'] {
  return dto.sessions.map(s => ({ ...s, run: `${name}/${s.run}` }))
}

test('an s3:// logdir serves the hyper-parameters the local directory does', async () => {
  const local = await localAnswer(tmp.dir)
  assert.equal(local.sessions.length, 5)
  const cloud = await cliAnswer(['--logdir', `s3://${s3.bucket}/hp`])
  assert.deepEqual(cloud, local)
  // the hparams.yaml objects, found by the listing, were fetched once each (a GET of a missing one would 404)
  const gets = (key: string): number => s3.requests.filter(r => r.method === 'GET' && r.url.split('?')[0]!.endsWith(`/${s3.bucket}/${key}`)).length
  assert.equal(gets('hp/hparams.yaml'), 1)
  assert.equal(gets('hp/lightning/version_0/hparams.yaml'), 1)
  assert.equal(gets('hp/tuning/run-0/hparams.yaml'), 0)
})

test('--logdir-spec: a local part and an s3 part each serve their hyper-parameters, runs named name/run', async () => {
  const [localHp, localHf] = [await localAnswer(tmp.dir), await localAnswer(HF)]
  assert.ok(localHf.sessions.length > 0)
  const got = await cliAnswer(['--logdir-spec', `mine:${tmp.dir},trainer:s3://${s3.bucket}/hf`])
  const want = [...asPart(localHp, 'mine'), ...asPart(localHf, 'trainer')].sort((a, b) => a.run < b.run ? -1 : a.run > b.run ? 1 : 0)
  assert.deepEqual(got.sessions, want)
  assert.deepEqual(got.hparams, [...new Set([...localHp.hparams, ...localHf.hparams])].sort())
  assert.deepEqual(got.metrics, [...new Set([...localHp.metrics, ...localHf.metrics])].sort())
})
