/** Keeps the store in step with a logdir: discovery, per-run incremental reads, removal, progress. */

import path from 'node:path'
import type { Logger } from 'pino'
import { isEventFileName, isInside } from './discover.js'
import { FsSource } from './fs-source.js'
import type { LogdirSource } from './source.js'
import { RunLoader, type ReadStats, type Rewrite } from './run-loader.js'
import { loadRunsInParallel } from './parallel-load.js'
import { statSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import type { ScalarStore, RunState } from '../store/scalar-store.js'
import type { SnapshotCache } from '../cache/snapshot-cache.js'

export interface LoaderOptions {
  /** Verify each record's data CRC (length CRCs are always verified). Default true. */
  verifyDataCrc?: boolean
  /** Milliseconds between progress lines during a long load. */
  progressIntervalMs?: number
  /**
   * Read runs in a worker thread too during the initial load, when there are two or more runs,
   * two or more cores and at least PARALLEL_MIN_BYTES to read. Default true.
   */
  parallel?: boolean
  /** Smallest initial load (bytes) that uses the worker; default PARALLEL_MIN_BYTES. */
  parallelMinBytes?: number
  /** With `false` the worker reads every run and the main thread only takes them over. Default true. */
  parallelMainReads?: boolean
  /** Follow symlinks that lead outside the logdir (default: only those inside it). */
  followSymlinks?: boolean
  /** Restart cache (--cache-dir): runs restored from it are not re-read; the others are read as without it (in parallel too). */
  cache?: SnapshotCache
  /** How often changed runs are written to the cache after the initial load (ms); default 5 min. Shutdown writes too. */
  cacheWriteIntervalMs?: number
}

/** After the initial load, one run reads at most this much per turn, so a huge file cannot hold up other runs' appends. */
export const READ_TURN_BYTES = 64 * 1024 * 1024
/** Retries of a failed directory listing (EMFILE, EACCES, EIO): from the first delay, doubling up to the last. */
const RETRY_FIRST_MS = 1000
const RETRY_MAX_MS = 30_000

/**
 * Initial loads smaller than this stay on one thread: a worker starts cold (module loading, then
 * its own JIT warm-up), which made 2 runs × 49 MB load in 0.85–0.95 s instead of 0.6 s; 1,000 runs
 * of 0.48 MB (479 MB) went from 3.0–3.6 s to 2.6–2.8 s (bench/ingest.bench.ts, BENCHMARKS.md).
 */
export const PARALLEL_MIN_BYTES = 256 * 1024 * 1024

/** During a full pass, the event loop gets a turn at least this often (between runs). */
const YIELD_EVERY_MS = 10

/**
 * Re-reads of a run after its latest watcher event, in ms from that event. chokidar passes a
 * file's first 'change' and drops the ones that follow within 50 ms (index.js _throttle), so an
 * append inside that window is seen only by these re-reads: the early ones keep its latency to a
 * few ms instead of up to 60 (bench/live.bench.ts: p50 41 → 12 ms, p99 158 → 51 ms), the last one
 * covers the end of the window. Each costs an fstat when nothing was appended.
 */
const TRAILING_RECHECKS_MS = [5, 15, 30, 60]

/** Totals since the loader started, reported by /healthz, progress lines and `lossboard load`. */
export interface LoaderTotals extends ReadStats {
  files: number
  runs: number
  /** Records skipped (bad data CRC, undecodable) or bytes passed over while resynchronising. */
  skippedRecords: number
  skippedBytes: number
  /** True once the first full load has finished. */
  initialLoadDone: boolean
  /** Seconds the first full load took. */
  initialLoadSeconds: number | null
}

/**
 * Serialises all reading through one pump: requests (a full rescan, or "this file changed") only
 * set flags, and the pump drains them, so no file is ever read by two passes at once and bursts
 * of watcher events coalesce into one read per run.
 */
export class LogdirLoader {
  readonly logdir: string
  /** Where the event files come from (local directory or bucket prefix). */
  readonly source: LogdirSource
  private readonly runs = new Map<string, RunLoader>()
  private rescanRequested = false
  private readonly dirtyRuns = new Set<string>()
  private pumping: Promise<void> | null = null
  private readonly stats: ReadStats = { bytes: 0, records: 0, points: 0 }
  private initialLoadDone = false
  private initialLoadSeconds: number | null = null
  private missingLogged = false
  private readonly idleWaiters: Array<() => void> = []
  private readonly trailing = new Map<string, NodeJS.Timeout>()
  /** Run version last written to the restart cache, per run. */
  private readonly cachedVersion = new Map<string, number>()
  private cacheTimer: NodeJS.Timeout | null = null
  /** Runs of the initial load that a worker thread read (0 when it ran on one thread). */
  runsReadInWorker = 0
  /** Directory identity of each run when last listed (a run directory made anew is re-read from scratch). */
  private readonly dirIds = new Map<string, string>()
  private readonly runDirs = new Map<string, string>()
  /** (directory, error code) pairs already logged. */
  private readonly loggedListErrors = new Set<string>()
  private retryMs = 0
  private retryTimer: NodeJS.Timeout | null = null
  private stopped = false

  constructor (logdir: string | LogdirSource, readonly store: ScalarStore, private readonly log: Logger, private readonly opts: LoaderOptions = {}) {
    this.source = typeof logdir === 'string' ? new FsSource(logdir, '', { followSymlinks: opts.followSymlinks }) : logdir
    this.logdir = this.source.location
  }

  /** Rediscovers runs and reads every file's new bytes; resolves when that pass (and any queued work) is done. */
  async reload (): Promise<void> {
    this.rescanRequested = true
    await this.pump()
  }

  /**
   * Called by the watcher: a file changed or appeared. Reads just its run, at once, and once more
   * shortly after: chokidar drops a file's 'change' events that follow another within 50 ms, so
   * the last append of a burst would otherwise wait for the next write or rescan.
   */
  fileChanged (file: string): void {
    const dir = path.dirname(path.resolve(file))
    if (!isEventFileName(path.basename(file))) return
    const name = this.source.runNameOf(dir)
    if (!this.runs.has(name) || !this.runs.get(name)!.files.has(path.resolve(file))) this.rescanRequested = true
    else this.dirtyRuns.add(name)
    void this.pump()
    clearTimeout(this.trailing.get(name))
    this.scheduleRecheck(name, 0)
  }

  /** Arms the k-th trailing re-read of a run (TRAILING_RECHECKS_MS), each arming the next. */
  private scheduleRecheck (name: string, k: number): void {
    const at = TRAILING_RECHECKS_MS[k]
    if (at === undefined) { this.trailing.delete(name); return }
    const t = setTimeout(() => {
      if (this.runs.has(name)) { this.dirtyRuns.add(name); void this.pump() }
      this.scheduleRecheck(name, k + 1)
    }, at - (TRAILING_RECHECKS_MS[k - 1] ?? 0))
    t.unref()
    this.trailing.set(name, t)
  }

  /** Called by the watcher: directories appeared or vanished. */
  structureChanged (): void {
    if (this.stopped) return
    this.rescanRequested = true
    void this.pump()
  }

  /** Stops scheduling work (shutdown): pending retries and re-reads are dropped, a running pass ends at its next run. */
  stop (): void {
    this.stopped = true
    if (this.retryTimer !== null) clearTimeout(this.retryTimer)
    for (const t of this.trailing.values()) clearTimeout(t)
    this.trailing.clear()
    this.rescanRequested = false
    this.dirtyRuns.clear()
  }

  /** A listing failed: rescan later, backing off (1 s, 2 s, 4 s … 30 s) until a pass lists everything. */
  private scheduleRetry (): void {
    this.retryMs = this.retryMs === 0 ? RETRY_FIRST_MS : Math.min(RETRY_MAX_MS, this.retryMs * 2)
    if (this.retryTimer !== null || this.stopped) return
    this.retryTimer = setTimeout(() => { this.retryTimer = null; this.structureChanged() }, this.retryMs)
    this.retryTimer.unref()
  }

  private listError (dir: string, err: unknown): void {
    const code = (err as NodeJS.ErrnoException | null)?.code ?? 'error'
    const key = dir + '\0' + code
    if (this.loggedListErrors.has(key)) return
    this.loggedListErrors.add(key)
    this.log.warn({ dir, code, err }, 'cannot list directory; keeping its runs as they were and retrying')
  }

  /** Resolves once no work is queued or running. */
  async idle (): Promise<void> {
    if (this.pumping === null) return
    await new Promise<void>(resolve => this.idleWaiters.push(resolve))
  }

  totals (): LoaderTotals {
    let files = 0; let skippedRecords = 0; let skippedBytes = 0
    for (const r of this.runs.values()) {
      for (const f of r.files.values()) {
        files++
        skippedRecords += f.scanner.badDataCrc + f.decodeIssues
        skippedBytes += f.scanner.skippedBytes
      }
    }
    return { ...this.stats, files, runs: this.runs.size, skippedRecords, skippedBytes, initialLoadDone: this.initialLoadDone, initialLoadSeconds: this.initialLoadSeconds }
  }

  private pump (): Promise<void> {
    if (this.pumping !== null) return this.pumping
    this.pumping = (async () => {
      try {
        while (!this.stopped && (this.rescanRequested || this.dirtyRuns.size > 0)) {
          if (this.rescanRequested) {
            this.rescanRequested = false
            this.dirtyRuns.clear()
            await this.fullPass()
          } else {
            const names = [...this.dirtyRuns]
            this.dirtyRuns.clear()
            for (const n of names) {
              const r = this.runs.get(n)
              if (r !== undefined) await this.readRun(r, this.stats)
            }
          }
        }
      } catch (err) {
        this.log.error({ err }, 'logdir reload failed')
      } finally {
        this.pumping = null
        for (const w of this.idleWaiters.splice(0)) w()
      }
    })()
    return this.pumping
  }

  private async fullPass (): Promise<void> {
    const t0 = process.hrtime.bigint()
    const found = await this.source.discover((dir, err) => this.listError(dir, err))
    if (found.kind === 'error') {
      // EMFILE, EACCES, EIO on the logdir itself: nothing is known, so nothing is removed.
      this.listError(this.logdir, found.err)
      this.scheduleRetry()
      for (const r of this.runs.values()) await this.readRun(r, this.stats)
      this.finishInitial(t0)
      return
    }
    if (found.kind === 'missing-logdir') {
      if (!this.missingLogged) this.log.info({ logdir: this.logdir }, 'logdir does not exist (yet); watching for it')
      this.missingLogged = true
      for (const name of [...this.runs.keys()]) this.dropRun(name)
      this.finishInitial(t0)
      return
    }
    this.missingLogged = false
    if (found.failed.length > 0) this.scheduleRetry()
    else this.retryMs = 0
    // A run is gone only when its directory was listed and is not there; below a failed listing it is kept as known.
    const unknown = (name: string): boolean => found.failed.some(d => isInside(d, this.runDirs.get(name) ?? path.join(this.logdir, name)))
    for (const name of [...this.runs.keys()]) {
      if (!found.runs.has(name)) {
        if (unknown(name)) found.runs.set(name, { name, dir: this.runDirs.get(name) ?? path.join(this.logdir, name), dirId: this.dirIds.get(name) ?? '', files: [...this.runs.get(name)!.files.keys()] })
        else this.dropRun(name)
      } else {
        const id = found.runs.get(name)!.dirId
        const before = this.dirIds.get(name)
        if (before !== undefined && before !== id && id !== '') this.resetRun(name, { file: '.', why: 'its directory was removed and made again' })
      }
    }
    for (const [name, r] of found.runs) {
      this.runDirs.set(name, r.dir)
      if (r.dirId !== '') this.dirIds.set(name, r.dirId)
    }
    // Runs are read in name order; TB's /data/runs order is computed from start times, not from this.
    const names = [...found.runs.keys()].sort()
    let totalFiles = 0
    for (const n of names) totalFiles += found.runs.get(n)!.files.length
    const progress = this.initialLoadDone ? null : this.startProgress(totalFiles, t0)
    let lastYield = performance.now()
    // With --cache-dir, the initial load first restores every run it can from the cache (read ahead
    // in worker threads since start-up); only the others are parsed, in parallel as without a cache.
    const restored = new Set<string>()
    if (!this.initialLoadDone && this.opts.cache !== undefined) {
      for (const n of names) {
        if (this.stopped) break
        if (this.runs.has(n)) continue
        const loader = this.newRunLoader(n)
        this.runs.set(n, loader)
        loader.setFiles(found.runs.get(n)!.files)
        if (await this.restoreRun(loader, this.opts.cache)) restored.add(n)
        if (performance.now() - lastYield >= YIELD_EVERY_MS) {
          await yieldToEventLoop()
          lastYield = performance.now()
        }
      }
    }
    const toParse = names.filter(n => !restored.has(n))
    const parallel = !this.initialLoadDone && this.source.kind === 'fs' && this.source.runPrefix === '' && (this.opts.parallel ?? true) && toParse.length >= 2 && availableParallelism() >= 2 &&
      bytesOf(toParse.flatMap(n => found.runs.get(n)!.files)) >= (this.opts.parallelMinBytes ?? PARALLEL_MIN_BYTES)
    if (parallel) {
      const loaders = new Map<string, RunLoader>()
      const sizes = new Map<string, number>()
      for (const n of toParse) {
        sizes.set(n, bytesOf(found.runs.get(n)!.files))
        let loader = this.runs.get(n)
        if (loader === undefined) {
          loader = this.newRunLoader(n)
          this.runs.set(n, loader)
        }
        loader.setFiles(found.runs.get(n)!.files)
        loaders.set(n, loader)
      }
      this.runsReadInWorker += await loadRunsInParallel({
        names: toParse,
        loaders,
        sizes,
        readOnMain: async (loader) => {
          await this.readRun(loader, this.stats)
          trimRun(this.store.runs.get(loader.run.name))
          if (progress) progress.filesDone += loader.files.size
          if (performance.now() - lastYield >= YIELD_EVERY_MS) {
            await yieldToEventLoop()
            lastYield = performance.now()
          }
        },
        adopted: (loader, stats) => {
          this.stats.bytes += stats.bytes
          this.stats.records += stats.records
          this.stats.points += stats.points
          if (progress) progress.filesDone += loader.files.size
          const tags = [...loader.run.tags.values()].filter(t => (t.series?.length ?? 0) > 0).map(t => t.name)
          if (tags.length > 0) this.store.notifyPoints(loader.run.name, tags)
        },
        mainReads: this.opts.parallelMainReads ?? true,
        init: { logdir: this.logdir, verifyDataCrc: this.opts.verifyDataCrc ?? true, logLevel: this.log.level, trackTails: this.opts.cache !== undefined },
        log: this.log
      })
    }
    for (const n of names) {
      if (this.stopped) break
      let loader = this.runs.get(n)
      const fresh = loader === undefined
      if (loader === undefined) {
        loader = this.newRunLoader(n)
        this.runs.set(n, loader)
      }
      loader.setFiles(found.runs.get(n)!.files)
      if (fresh && this.opts.cache !== undefined) await this.restoreRun(loader, this.opts.cache)
      // after a parallel load or a restore this only picks up bytes appended meanwhile
      await this.readRun(loader, this.stats)
      if (!this.initialLoadDone) trimRun(this.store.runs.get(n))
      if (progress && !(parallel && !restored.has(n))) progress.filesDone += loader.files.size
      // Runs of small files never fill a chunk, so the run loader never yields for them: yield
      // here, by time, so that requests and progress lines are served while many runs load.
      if (performance.now() - lastYield >= YIELD_EVERY_MS) {
        await yieldToEventLoop()
        lastYield = performance.now()
      }
    }
    if (progress) clearInterval(progress.timer)
    // Entries of runs removed from the logdir while no server ran; only after a listing that
    // failed nowhere (a run under an unreadable directory is not gone). Later removals are
    // dropped as they are seen (dropRun, resetRun).
    if (!this.initialLoadDone && !this.stopped && found.failed.length === 0) this.opts.cache?.prune(this.source.location, this.runs.keys())
    this.finishInitial(t0)
  }

  private finishInitial (t0: bigint): void {
    if (this.initialLoadDone) return
    this.initialLoadDone = true
    if (this.opts.cache !== undefined) {
      this.writeCache()
      this.cacheTimer = setInterval(() => this.writeCache(), this.opts.cacheWriteIntervalMs ?? 300_000)
      this.cacheTimer.unref()
    }
    this.initialLoadSeconds = Number(process.hrtime.bigint() - t0) / 1e9
    const t = this.totals()
    this.log.info({
      runs: t.runs,
      files: t.files,
      mb: +(t.bytes / 1e6).toFixed(1),
      points: t.points,
      seconds: +this.initialLoadSeconds.toFixed(3),
      eventsPerSecond: Math.round(t.records / Math.max(this.initialLoadSeconds, 1e-9))
    }, 'initial load done')
  }

  private startProgress (totalFiles: number, t0: bigint): { filesDone: number, timer: NodeJS.Timeout } {
    const p = {
      filesDone: 0,
      timer: setInterval(() => {
        const secs = Number(process.hrtime.bigint() - t0) / 1e9
        this.log.info({
          files: `${p.filesDone}/${totalFiles}`,
          mb: +(this.stats.bytes / 1e6).toFixed(1),
          eventsPerSecond: Math.round(this.stats.records / secs)
        }, 'loading logdir')
      }, this.opts.progressIntervalMs ?? 2000)
    }
    p.timer.unref()
    return p
  }

  private newRunLoader (name: string): RunLoader {
    return new RunLoader(this.store.getOrCreateRun(name), this.logdir, this.log, this.opts.verifyDataCrc ?? true, this.source, this.opts.cache !== undefined)
  }

  /**
   * Restores a run just discovered from its cache entry if every cached file still starts as it
   * did (the source checks identity and the bytes before the offset); reading then goes on from
   * the cached offsets. Otherwise the entry is dropped and the run is read normally. Says whether
   * the run was restored.
   */
  private async restoreRun (loader: RunLoader, cache: SnapshotCache): Promise<boolean> {
    const name = loader.run.name
    const e = await cache.read(this.source.location, name)
    if (e === null) return false
    const paths = e.files.map(f => f.state.path)
    const stale = async (): Promise<string | null> => {
      for (const f of e.files) {
        if (!loader.files.has(f.state.path)) return `${f.state.path} is gone`
        if (!await this.source.resume(f.state.path, f.state.offset, Buffer.from(f.tail, 'base64'), f.identity)) return `${f.state.path} changed`
      }
      return null
    }
    const why = await stale()
    if (why !== null) {
      this.source.forget(paths)
      this.log.info({ run: name, why }, 'cache entry stale; reading the run')
      cache.drop(this.source.location, name)
      return false
    }
    loader.run.restore(e.snap)
    loader.adoptFiles(e.files.map(f => f.state))
    for (const f of e.files) if (f.tail !== '') loader.tails!.tails.set(f.state.path, Buffer.from(f.tail, 'base64'))
    this.cachedVersion.set(name, loader.run.version)
    let bytes = 0
    for (const f of e.files) bytes += f.state.offset
    this.stats.bytes += bytes
    this.stats.points += loader.run.points
    cache.counters.restoredRuns++
    cache.counters.restoredFiles += e.files.length
    cache.counters.restoredBytes += bytes
    const tags = [...loader.run.tags.values()].filter(t => (t.series?.length ?? 0) > 0).map(t => t.name)
    if (tags.length > 0) this.store.notifyPoints(name, tags)
    return true
  }

  /** Writes every run changed since its last write to the restart cache. */
  writeCache (): void {
    const cache = this.opts.cache
    if (cache === undefined) return
    for (const [name, loader] of this.runs) {
      if (this.cachedVersion.get(name) === loader.run.version) continue
      this.cachedVersion.set(name, loader.run.version)
      cache.write({
        location: this.source.location,
        run: name,
        // head/tail (the reader's own rewrite check) are rebuilt on the first read after a restore;
        // the cache's identity and tail checks stand in for them until then.
        files: loader.fileSnapshots().map(state => ({
          identity: this.source.identity(state.path),
          tail: loader.tails?.tails.get(state.path)?.toString('base64') ?? '',
          state: { ...state, head: null, tail: null }
        })),
        snap: loader.run.snapshot()
      })
    }
  }

  /** Stops the periodic cache writes after writing what changed (shutdown). */
  closeCache (): void {
    if (this.cacheTimer !== null) clearInterval(this.cacheTimer)
    this.cacheTimer = null
    if (this.initialLoadDone) this.writeCache()
  }

  private async readRun (loader: RunLoader, stats: ReadStats): Promise<void> {
    loader.budgetBytes = this.initialLoadDone ? READ_TURN_BYTES : Infinity
    let touched = await loader.readAll(stats, yieldToEventLoop)
    if (loader.rewritten !== null) {
      // Points of a truncated or replaced file are replaced, not mixed with the new ones: the run is read again from scratch.
      const fresh = this.resetRun(loader.run.name, loader.rewritten)
      fresh.budgetBytes = loader.budgetBytes
      touched = await fresh.readAll(stats, yieldToEventLoop)
      loader = fresh
      if (fresh.rewritten !== null) { fresh.rewritten = null; this.dirtyRuns.add(fresh.run.name) }
    }
    if (loader.moreToRead) this.dirtyRuns.add(loader.run.name)
    if (touched.length > 0) this.store.notifyPoints(loader.run.name, touched.map(t => t.name))
  }

  /**
   * Forgets everything read from a run and starts it again with the same files at offset 0: a
   * new RunState (so ETags and caches keyed on it change), with an issue saying what happened.
   */
  private resetRun (name: string, why: Rewrite): RunLoader {
    const old = this.runs.get(name)
    const files = old === undefined ? [] : [...old.files.values()].filter(f => f.state !== 'dead').map(f => f.path)
    this.log.warn({ run: name, file: why.file, why: why.why }, 'event data rewritten; reading the run again from the start')
    // The source forgets what it served of these files (S3: kept tails, ETags verified against), the cache its entry.
    this.source.forget(files)
    this.opts.cache?.drop(this.source.location, name)
    this.cachedVersion.delete(name)
    this.store.removeRun(name)
    const fresh = this.newRunLoader(name)
    fresh.run.issues.push({ file: why.file, offset: 0, kind: 'rewritten', detail: why.why })
    fresh.setFiles(files)
    this.runs.set(name, fresh)
    return fresh
  }

  private dropRun (name: string): void {
    this.runs.delete(name)
    this.dirIds.delete(name)
    this.runDirs.delete(name)
    this.opts.cache?.drop(this.source.location, name)
    this.cachedVersion.delete(name)
    this.store.removeRun(name)
    this.log.info({ run: name }, 'run removed (no event files left)')
  }
}

/** Total size of the files that exist (a vanished one counts 0). */
function bytesOf (files: string[]): number {
  let n = 0
  for (const f of files) {
    try { n += statSync(f).size } catch {}
  }
  return n
}

function yieldToEventLoop (): Promise<void> {
  return new Promise(resolve => setImmediate(resolve))
}

/**
 * Releases the slack of a run's columns after its initial read (a copy of each into memory of its
 * exact size). Done run by run, between the loader's yields, rather than over every series once
 * the load is done: that single loop blocked the event loop for ~30 s at 10,000 runs on the
 * loaded 2-core machine (fresh pages are slow to fault in there), long enough for clients'
 * keep-alive connections to be reset. Runs read by a worker thread arrive trimmed (load-worker.ts).
 * The run is the store's (a run read again from scratch after a rewrite is a new one).
 */
function trimRun (run: RunState | undefined): void {
  for (const t of run?.tags.values() ?? []) t.series?.shrinkToFit()
}
