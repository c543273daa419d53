/** Parallel initial load: the main thread and one worker thread take runs from one queue; the worker's runs are handed back whole. */

import { Worker } from 'node:worker_threads'
import { RUNNING_SOURCES, serverModuleUrl } from '../locations.js'
import type { Logger } from 'pino'
import type { RunSnapshot } from '../store/scalar-store.js'
import type { RunLoader, FileSnapshot, ReadStats } from './run-loader.js'

/*
 * Why runs, not files or chunks: TensorBoard's purge and restart rules make a run's events depend
 * on the ones before them, across its files, so a run is the unit that can be read on its own.
 * The worker reads a run with the same RunLoader into a store of its own and posts a snapshot:
 * the columns' buffers are transferred (not copied), and the purge bookkeeping and each file's
 * offset and scanner state come along, so the main thread's later incremental reads of that run
 * go on exactly as if it had read it itself. Rejected: splitting one big file between threads
 * (a second thread would have to find record boundaries by resynchronising, then replay the
 * purge rules in order) and a CRC-only worker (it would take only the CRC share off the main
 * thread, about 30% of its warm time). A run the worker fails on is read by the main thread.
 */

/** What the worker is started with. */
export interface WorkerInit {
  logdir: string
  verifyDataCrc: boolean
  logLevel: string
  /** With --cache-dir: keep and send each file's last bytes (the restart cache's check of a file). */
  trackTails: boolean
}
export type ToWorker = { kind: 'run', name: string, files: string[] } | { kind: 'done' }
export type FromWorker =
  | { kind: 'ready' }
  | { kind: 'loaded', name: string, run: RunSnapshot, files: FileSnapshot[], stats: ReadStats, tails: Array<[string, Uint8Array]> | null }
  | { kind: 'failed', name: string, message: string }
  | { kind: 'log', line: string }

export interface ParallelLoad {
  /** Run names in the order they are to be taken from the queue. */
  names: string[]
  /** A loader per run, its files set, nothing read yet. */
  loaders: Map<string, RunLoader>
  /** Bytes to read per run. */
  sizes: Map<string, number>
  /** Reads a run on the main thread (and announces its points). */
  readOnMain: (loader: RunLoader) => Promise<void>
  /** Called once a run read by the worker has been taken over (announce its points, count it). */
  adopted: (loader: RunLoader, stats: ReadStats) => void
  /** False: the main thread reads no run itself (unless the worker fails), it only takes them over. */
  mainReads: boolean
  init: WorkerInit
  log: Logger
}

/**
 * The worker is kept this many bytes of runs ahead: the main thread hands runs out only between
 * its own runs (about every 10 ms), so a worker given one run at a time sat idle most of the time
 * (measured: it read 150 of 1,000 runs).
 */
const WORKER_BACKLOG_BYTES = 16 * 1024 * 1024

const LEVELS: Record<number, 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' }

/** Starts load-worker next to this file: the compiled JavaScript, or the TypeScript source under tsx. */
function startWorker (init: WorkerInit): Worker {
  const entry = serverModuleUrl('logdir/load-worker')
  if (RUNNING_SOURCES) {
    // From the sources, under tsx: a worker does not inherit tsx's module hooks, so it registers them first.
    const api = import.meta.resolve('tsx/esm/api')
    return new Worker(`import(${JSON.stringify(api)}).then(a => { a.register(); return import(${JSON.stringify(entry.href)}) })`, { eval: true, workerData: init })
  }
  return new Worker(entry, { workerData: init })
}

/**
 * Reads every run of `p.names`, some on this thread and some in a worker thread, and resolves
 * when all are in the store. Returns how many runs the worker read. Never rejects because of the
 * worker: if it cannot start or dies, the main thread reads whatever it had not handed back.
 */
export async function loadRunsInParallel (p: ParallelLoad): Promise<number> {
  const queue = [...p.names]
  const retry: string[] = []
  const inWorker = new Set<string>()
  let backlogBytes = 0
  let workerRuns = 0
  let worker: Worker | null = null
  try {
    worker = startWorker(p.init)
  } catch (err) {
    p.log.warn({ err }, 'cannot start a load worker; loading on one thread')
  }
  const workerDone = worker === null
    ? Promise.resolve()
    : new Promise<void>((resolve) => {
      const w = worker!
      let doneSent = false
      const next = (): void => {
        while (backlogBytes < WORKER_BACKLOG_BYTES || inWorker.size === 0) {
          const name = queue.shift()
          if (name === undefined) {
            if (!doneSent) w.postMessage({ kind: 'done' } satisfies ToWorker)
            doneSent = true
            return
          }
          inWorker.add(name)
          backlogBytes += p.sizes.get(name) ?? 0
          const files = [...p.loaders.get(name)!.files.keys()]
          w.postMessage({ kind: 'run', name, files } satisfies ToWorker)
        }
      }
      w.on('message', (m: FromWorker) => {
        if (m.kind === 'log') {
          try {
            const { level, msg, time: _t, pid: _p, hostname: _h, ...rest } = JSON.parse(m.line) as Record<string, unknown> & { level: number, msg?: string }
            p.log[LEVELS[level] ?? 'info']({ ...rest, thread: 'load-worker' }, msg ?? '')
          } catch {}
          return
        }
        if (m.kind === 'loaded') {
          const loader = p.loaders.get(m.name)!
          loader.run.restore(m.run)
          loader.adoptFiles(m.files)
          if (loader.tails !== null && m.tails !== null) for (const [file, bytes] of m.tails) loader.tails.tails.set(file, Buffer.from(bytes))
          inWorker.delete(m.name)
          backlogBytes -= p.sizes.get(m.name) ?? 0
          workerRuns++
          p.adopted(loader, m.stats)
        } else if (m.kind === 'failed') {
          p.log.warn({ run: m.name, err: m.message }, 'the load worker could not read this run; reading it on the main thread')
          inWorker.delete(m.name)
          backlogBytes -= p.sizes.get(m.name) ?? 0
          retry.push(m.name)
        }
        next()
      })
      w.on('error', (err) => { p.log.warn({ err }, 'load worker failed; the main thread reads its runs') })
      w.on('exit', () => resolve())
    })
  if (p.mainReads || worker === null) {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      await p.readOnMain(p.loaders.get(name)!)
    }
  }
  await workerDone
  // runs never handed out (the worker died before asking), or held or failed by the worker
  queue.push(...inWorker, ...retry)
  inWorker.clear()
  retry.length = 0
  for (const name of queue) await p.readOnMain(p.loaders.get(name)!)
  return workerRuns
}
