/** Loads a logdir into a fresh store (no watcher), for tests; optionally collects log records. */

import pino from 'pino'
import { Writable } from 'node:stream'
import { ScalarStore } from '../../server/store/scalar-store.js'
import { LogdirLoader, type LoaderOptions } from '../../server/logdir/logdir-loader.js'

export interface Loaded {
  store: ScalarStore
  loader: LogdirLoader
  /** Every log line written by the loader, parsed. */
  logs: Array<Record<string, unknown>>
}

export async function loadLogdir (dir: string, opts: LoaderOptions = {}): Promise<Loaded> {
  const logs: Array<Record<string, unknown>> = []
  const sink = new Writable({
    write (chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line))
      cb()
    }
  })
  const log = pino({ level: 'debug' }, sink)
  const store = new ScalarStore()
  const loader = new LogdirLoader(dir, store, log, opts)
  await loader.reload()
  return { store, loader, logs }
}
