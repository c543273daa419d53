/**
 * `--logdir s3://…` gives the same /data answers as the local logdir, byte for byte against the
 * golden files: the generated and public corpora are uploaded (from ../shared, at test time) to a
 * real S3-protocol server on 127.0.0.1 and read through the AWS SDK.
 */

import { before, after } from 'node:test'
import path from 'node:path'
import pino from 'pino'
import { CORPUS } from '../helpers/paths.js'
import { goldenSuite } from '../helpers/golden.js'
import { startS3, S3_TEST_CLIENT, type S3TestServer } from '../helpers/s3.js'
import { ScalarStore } from '../../server/store/scalar-store.js'
import { LogdirLoader } from '../../server/logdir/logdir-loader.js'
import { S3Source } from '../../server/logdir/s3-source.js'

let s3: S3TestServer
const sources: S3Source[] = []

before(async () => {
  s3 = await startS3()
  await s3.uploadDir(path.join(CORPUS, 'generated'), 'corpus/generated')
  await s3.uploadDir(path.join(CORPUS, 'public'), 'corpus/public')
})
after(async () => {
  for (const s of sources) s.close()
  await s3.close()
})

for (const corpus of ['generated', 'public'] as const) {
  goldenSuite(corpus, ' read from s3://', async () => {
    // a small page size makes the listing paginate (the corpora hold ~200 objects)
    const source = new S3Source(`s3://${s3.bucket}/corpus/${corpus}`, { endpoint: s3.endpoint, forcePathStyle: true, pageSize: 7, clientConfig: S3_TEST_CLIENT })
    sources.push(source)
    const store = new ScalarStore()
    const loader = new LogdirLoader(source, store, pino({ level: 'silent' }))
    await loader.reload()
    return { store, totals: () => loader.totals() }
  })
}
