/** Issue 11: S3 ingest (MB/s, requests per run) against the local file system on the same logdir, and requests per append. */

import path from 'node:path'
import { readdirSync, readFileSync } from 'node:fs'
import pino from 'pino'
import { multiRunLogdir } from './make-logdir.js'
import { QUICK, report, progress } from './lib.js'
import { startS3, S3_TEST_CLIENT } from '../test/helpers/s3.js'
import { ScalarStore } from '../server/store/scalar-store.js'
import { LogdirLoader } from '../server/logdir/logdir-loader.js'
import { S3Source } from '../server/logdir/s3-source.js'
import { EventFileBuilder } from '../server/records/event-writer.js'

/*
 * The logdir (RUNS runs × one file) is read once from the local file system (one thread) and once
 * from s3rver on 127.0.0.1 through the AWS SDK (8 GETs in flight). s3rver serves from its own
 * files, so this measures lossboard's request pattern and the client's overhead on loopback, not
 * a cloud store's latency. Then one run's object is re-uploaded with 100 more events and one
 * poll cycle is timed and its requests counted.
 */

const RUNS = 4
const EVENTS_PER_RUN = QUICK ? 100_000 : 1_000_000
const log = pino({ level: 'silent' })

async function main (): Promise<void> {
  const dir = multiRunLogdir(RUNS, EVENTS_PER_RUN)
  const t0 = performance.now()
  const local = new LogdirLoader(dir, new ScalarStore(), log, { parallel: false })
  await local.reload()
  const localS = (performance.now() - t0) / 1000
  const bytes = local.totals().bytes
  progress(`local: ${(bytes / 1e6).toFixed(1)} MB in ${localS.toFixed(2)} s`)

  const s3 = await startS3()
  try {
    progress('uploading to s3rver …')
    await s3.uploadDir(dir, 'bench')
    const source = new S3Source(`s3://${s3.bucket}/bench`, { endpoint: s3.endpoint, forcePathStyle: true, clientConfig: S3_TEST_CLIENT })
    const loader = new LogdirLoader(source, new ScalarStore(), log)
    const r0 = s3.requests.length
    const t1 = performance.now()
    await loader.reload()
    const s3S = (performance.now() - t1) / 1000
    const loadRequests = s3.requests.slice(r0)
    if (loader.totals().points !== local.totals().points) throw new Error('S3 and local loads differ')
    progress(`s3: ${(bytes / 1e6).toFixed(1)} MB in ${s3S.toFixed(2)} s, ${loadRequests.length} requests`)

    // one append: the writer re-uploads the grown object; one poll cycle reads it
    const run = readdirSync(dir).filter(d => d.startsWith('run_')).sort()[0]!
    const file = readdirSync(path.join(dir, run))[0]!
    const extra = new EventFileBuilder()
    for (let i = 0; i < 100; i++) extra.scalar('appended', i, 1_800_000_000 + i, i)
    await s3.put(`bench/${run}/${file}`, Buffer.concat([readFileSync(path.join(dir, run, file)), extra.bytes()]))
    const r1 = s3.requests.length
    const t2 = performance.now()
    await loader.reload()
    const appendMs = performance.now() - t2
    const cycle = s3.requests.slice(r1)
    // and an idle cycle: nothing changed
    const r2 = s3.requests.length
    await loader.reload()
    const idle = s3.requests.slice(r2)
    source.close()
    report({
      scenario: 's3/ingest',
      metrics: {
        logdirBytes: bytes,
        localMBPerSecond: bytes / 1e6 / localS,
        s3MBPerSecond: bytes / 1e6 / s3S,
        s3OverLocal: localS / s3S,
        loadRequests: loadRequests.length,
        loadRequestsPerRun: loadRequests.length / RUNS,
        loadGetRequests: loadRequests.filter(r => r.range !== undefined).length,
        appendCycleRequests: cycle.length,
        appendCycleGetRequests: cycle.filter(r => r.range !== undefined).length,
        appendCycleMs: appendMs,
        idleCycleRequests: idle.length
      },
      targets: [{ what: 'an append costs one GET (plus the cycle\'s one listing)', met: cycle.filter(r => r.range !== undefined).length === 1 }]
    })
  } finally {
    await s3.close()
  }
}

await main()
