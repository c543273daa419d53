/** Target 2: a logdir mixing scalars with large non-scalar payloads; non-scalar records must cost their bytes' reading, not decoding. */

import { readFileSync } from 'node:fs'
import path from 'node:path'
import { ingestLogdir, mixedLogdir } from './make-logdir.js'
import { QUICK, report, progress, median, lossboardLoad, limit } from './lib.js'

/*
 * Inputs: the mixed file (per step 10 simple_value scalars; every 10 steps a legacy histogram, a
 * TF2 tensor histogram and a 16 KiB image: ~80% of the bytes are non-scalar) and a scalars-only file with the same number of scalar
 * events. The extra time the mixed file takes over the scalars-only one, per extra byte, is the
 * cost of a non-scalar byte; the limit's time per byte (read + CRC32C) is what reading it must
 * cost anyway. Their ratio near 1 means non-scalar payloads are skipped at the cost of reading them.
 * The headline is simpler: the mixed file's MB/s as a fraction of the limit's on the same bytes.
 */

const STEPS = QUICK ? 20_000 : 100_000
const ROUNDS = QUICK ? 3 : 5

async function main (): Promise<void> {
  progress('generating inputs (cached under bench/.data) …')
  const mixed = mixedLogdir(STEPS)
  const counts = JSON.parse(readFileSync(path.join(mixed, 'counts.json'), 'utf8')) as { bytes: number, scalarEvents: number, nonScalarEvents: number, nonScalarBytes: number }
  const scalarsOnly = ingestLogdir('simple_value', counts.scalarEvents)
  const mixedSec: number[] = []; const scalarSec: number[] = []; const limitSec: number[] = []; const nativeSec: number[] = []
  let mixedBytes = 0; let scalarBytes = 0; let mixedRecords = 0; let mixedPoints = 0
  for (let r = 0; r < ROUNDS; r++) {
    const m = await lossboardLoad(mixed)
    const s = await lossboardLoad(scalarsOnly)
    const l = (await limit(mixed, 'js'))!
    const n = await limit(mixed, 'native')
    mixedSec.push(m.seconds); scalarSec.push(s.seconds); limitSec.push(l.seconds)
    if (n !== null) nativeSec.push(n.seconds)
    mixedBytes = m.bytes; scalarBytes = s.bytes; mixedRecords = m.records; mixedPoints = m.scalarPoints
    progress(`round ${r + 1}/${ROUNDS}: mixed ${(m.bytes / 1e6 / m.seconds).toFixed(0)} MB/s, scalars-only ${(s.bytes / 1e6 / s.seconds).toFixed(0)} MB/s, limit ${(m.bytes / 1e6 / l.seconds).toFixed(0)} MB/s`)
  }
  const tm = median(mixedSec); const ts = median(scalarSec); const tl = median(limitSec)
  const extraBytes = mixedBytes - scalarBytes
  const nsPerNonScalarByte = Math.max(0, tm - ts) * 1e9 / extraBytes
  const nsPerLimitByte = tl * 1e9 / mixedBytes
  report({
    scenario: 'mixed/non-scalar-skip',
    metrics: {
      bytes: mixedBytes,
      records: mixedRecords,
      scalarPoints: mixedPoints,
      nonScalarRecords: counts.nonScalarEvents,
      nonScalarBytesShare: counts.nonScalarBytes / mixedBytes,
      seconds: tm,
      mbPerSecond: mixedBytes / 1e6 / tm,
      scalarsOnlyMbPerSecond: scalarBytes / 1e6 / ts,
      limitMbPerSecond: mixedBytes / 1e6 / tl,
      fractionOfLimit: tl / tm,
      ...(nativeSec.length > 0 ? { nativeLimitMbPerSecond: mixedBytes / 1e6 / median(nativeSec), fractionOfNativeLimit: median(nativeSec) / tm } : {}),
      nsPerNonScalarByte,
      nsPerLimitByte,
      nonScalarByteCostVsLimit: nsPerNonScalarByte / nsPerLimitByte
    },
    targets: [
      { what: 'mixed file ingested at ≥ 50% of the read + CRC32C limit on the same bytes', met: tl / tm >= 0.5 },
      { what: 'a non-scalar byte costs ≤ 1.5× its read + CRC32C (extra time over the scalars-only file, per extra byte)', met: nsPerNonScalarByte / nsPerLimitByte <= 1.5 }
    ],
    notes: [`median of ${ROUNDS} fresh processes each; extra cost of the mixed file over a scalars-only file with the same ${counts.scalarEvents} scalar events, per extra byte`]
  })
}

main().catch((err) => { process.stderr.write(`${(err as Error).stack ?? String(err)}\n`); process.exitCode = 1 })
