/** Worker thread of the parallel initial load: reads whole runs it is handed and sends each back as a snapshot. */

import { parentPort, workerData } from 'node:worker_threads'
import { Writable } from 'node:stream'
import pino from 'pino'
import { ScalarStore } from '../store/scalar-store.js'
import { RunLoader } from './run-loader.js'
import type { ToWorker, FromWorker, WorkerInit } from './parallel-load.js'

/*
 * Protocol (parallel-load.ts drives it): the worker says `ready`; the main thread sends `run`
 * messages (a name and its event files), a few ahead, and finally `done`. The worker reads the
 * runs one at a time, in order, each with the same RunLoader as the main thread into a store of
 * its own, and posts `loaded` with the run's snapshot and its files' reading state, transferring
 * the column buffers (no copy). Log lines are forwarded to the main thread's logger.
 */

const init = workerData as WorkerInit
const port = parentPort!
const send = (m: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer)
const log = pino({ level: init.logLevel }, new Writable({
  write (chunk, _enc, cb) {
    for (const line of String(chunk).split('\n')) if (line) send({ kind: 'log', line })
    cb()
  }
}))

/** Runs are read one at a time, in the order they were handed out. */
const queue: ToWorker[] = []
let busy = false

async function drain (): Promise<void> {
  busy = true
  for (let m = queue.shift(); m !== undefined; m = queue.shift()) {
    if (m.kind === 'done') {
      port.close()
      break
    }
    try {
      const store = new ScalarStore()
      const loader = new RunLoader(store.getOrCreateRun(m.name), init.logdir, log, init.verifyDataCrc, undefined, init.trackTails)
      loader.setFiles(m.files)
      const stats = { bytes: 0, records: 0, points: 0 }
      await loader.readAll(stats, async () => {})
      // The trim the main thread gives every series after the initial load (a copy into fresh
      // memory each), done here, on this thread, while the main thread reads other runs.
      for (const t of loader.run.tags.values()) t.series?.shrinkToFit()
      const run = loader.run.snapshot()
      const transfer: ArrayBuffer[] = []
      for (const t of run.tags) {
        if (t.series === null) continue
        for (const col of [t.series.steps, t.series.wallTimes, t.series.values]) transfer.push(col.buffer as ArrayBuffer)
      }
      const tails = loader.tails === null ? null : [...loader.tails.tails]
      send({ kind: 'loaded', name: m.name, run, files: loader.fileSnapshots(), stats, tails }, transfer)
    } catch (err) {
      send({ kind: 'failed', name: m.name, message: String((err as Error).stack ?? err) })
    }
  }
  busy = false
}

port.on('message', (m: ToWorker) => {
  queue.push(m)
  if (!busy) void drain()
})
send({ kind: 'ready' })
