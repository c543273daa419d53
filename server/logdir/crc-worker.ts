/** Worker thread of pipelined-read.ts: verifies the data CRCs of framed records, handing the buffers back. */

import { parentPort } from 'node:worker_threads'
import { verifyDataCrcs } from '../records/record-framer.js'
import type { CrcJob, CrcResult } from './pipelined-read.js'

const port = parentPort!
port.on('message', (job: CrcJob) => {
  const ok = verifyDataCrcs(new Uint8Array(job.buf, 0, job.bytes), job.count, job.starts, job.lengths, new Uint8Array(job.count))
  const res: CrcResult = { ...job, ok }
  port.postMessage(res, [job.buf, job.starts.buffer as ArrayBuffer, job.lengths.buffer as ArrayBuffer, ok.buffer as ArrayBuffer])
})
