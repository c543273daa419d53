/**
 * Reads the restart cache's entries in worker threads as soon as the server starts, while the main
 * thread is still loading modules and building the HTTP server, and checks their CRC-32C there.
 *
 * Why: on the machines measured, restoring is bound by bringing ~16 bytes per point into fresh
 * memory (reading the file, then first-touching its pages), not by decoding. Done on the main
 * thread, after the server listens, 4 entries of 84 MB took ~2.9 s; here they overlap start-up and
 * each other. The ArrayBuffer a worker read is transferred (not copied) to the main thread, where
 * layout.ts makes the columns views into it.
 */

import { Worker } from 'node:worker_threads'
import { createRequire } from 'node:module'
import { readdirSync, statSync } from 'node:fs'
import path from 'node:path'

/** A prefetched entry: its bytes, and whether their checksum matched. */
export interface Prefetched { buf: Buffer, crcOk: boolean }

/*
 * The worker is plain CommonJS evaluated from this string: it needs no TypeScript loader (tsx
 * would cost a compile in every worker) and only fs and the native CRC. Per file: the first bytes
 * are read to skip entries of other locations sharing the cache directory (their JSON starts with
 * {"location":<that location>,), then the whole file, 1 MiB at a time through one reused buffer
 * (CRC'd there, then copied into an ArrayBuffer of the file's size), and the last 4 bytes are
 * compared with the CRC-32C of the rest. Measured on 4 × 81 MB, one thread: 1.4–1.7 s this way
 * against 2.0–2.5 s reading straight into the fresh ArrayBuffer and CRC'ing it after (its pages
 * were then faulted twice, once by the kernel's copy and once by the CRC's first touch).
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const fs = require('node:fs')
const { crc32c } = require(workerData.crcModule)
const chunk = Buffer.alloc(1 << 20)
const prefixes = workerData.locations === null ? null : workerData.locations.map(l => Buffer.from('{"location":' + JSON.stringify(l) + ',', 'utf8'))
for (const file of workerData.files) {
  let fd = -1
  try {
    fd = fs.openSync(file, 'r')
    const size = fs.fstatSync(fd).size
    if (prefixes !== null) {
      const head = Buffer.alloc(Math.min(size, 12 + Math.max(...prefixes.map(p => p.length))))
      fs.readSync(fd, head, 0, head.length, 0)
      if (!prefixes.some(p => head.subarray(12, 12 + p.length).equals(p))) { parentPort.postMessage({ file, skip: true }); continue }
    }
    const ab = new ArrayBuffer(size)
    const u = new Uint8Array(ab)
    let o = 0
    let crc = 0
    while (o < size) {
      const n = fs.readSync(fd, chunk, 0, Math.min(size - o, chunk.length), o)
      if (n === 0) break
      crc = crc32c(chunk.subarray(0, Math.max(0, Math.min(n, size - 4 - o))), crc)
      u.set(chunk.subarray(0, n), o)
      o += n
    }
    if (o !== size || size < 4) { parentPort.postMessage({ file, skip: true }); continue }
    const crcOk = (crc >>> 0) === Buffer.from(ab).readUInt32LE(size - 4)
    parentPort.postMessage({ file, ab, crcOk }, [ab])
  } catch (err) {
    parentPort.postMessage({ file, skip: true })
  } finally {
    if (fd >= 0) fs.closeSync(fd)
  }
}
`

interface Reply { file: string, skip?: true, ab?: ArrayBuffer, crcOk?: boolean }

/** The native CRC module's path, or null when it is not installed (then nothing is prefetched). */
function crcModule (): string | null {
  try {
    const req = createRequire(import.meta.url)
    const p = req.resolve('@node-rs/crc32')
    const mod = req(p) as { crc32c (data: Uint8Array): number }
    // RFC 3720 B.4: 32 zero bytes → 0x8a9136aa
    return mod.crc32c(new Uint8Array(32)) === 0x8a9136aa ? p : null
  } catch {
    return null
  }
}

export class CachePrefetch {
  /** Per file not yet taken, its bytes to come. */
  private readonly promises = new Map<string, Promise<Prefetched | null>>()
  /** Per file not yet answered by its worker, how to answer. */
  private readonly resolvers = new Map<string, (p: Prefetched | null) => void>()
  private readonly workers: Worker[] = []
  private closed = false

  /**
   * Starts reading every `*.run` file of `dir` (largest first, spread over `threads` workers).
   * `locations`: only entries of these logdir locations are kept (null: all).
   */
  constructor (dir: string, locations: string[] | null, threads: number) {
    const crc = crcModule()
    if (crc === null) return
    let files: Array<{ file: string, size: number }>
    try {
      files = readdirSync(dir).filter(f => f.endsWith('.run')).map(f => {
        const file = path.join(dir, f)
        return { file, size: statSync(file).size }
      })
    } catch {
      return
    }
    files.sort((a, b) => b.size - a.size)
    for (const { file } of files) {
      this.promises.set(file, new Promise<Prefetched | null>(resolve => { this.resolvers.set(file, resolve) }))
    }
    const n = Math.min(threads, files.length)
    for (let i = 0; i < n; i++) {
      const mine = files.filter((_, k) => k % n === i).map(f => f.file)
      // Not unref'd: a load awaiting take() must keep the process alive. A worker ends after its files.
      const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { files: mine, crcModule: crc, locations } })
      w.on('message', (r: Reply) => this.answer(r.file, r.ab === undefined ? null : { buf: Buffer.from(r.ab), crcOk: r.crcOk === true }))
      // A worker that fails or ends early: what it did not answer is read the ordinary way.
      const settle = (): void => { for (const f of mine) this.answer(f, null) }
      w.on('error', settle)
      w.on('exit', settle)
      this.workers.push(w)
    }
  }

  private answer (file: string, p: Prefetched | null): void {
    const resolve = this.resolvers.get(file)
    if (resolve === undefined) return
    this.resolvers.delete(file)
    // Nobody will take it (closed): the bytes are not kept.
    resolve(this.closed ? null : p)
  }

  /** The file's bytes if it was prefetched (each file is handed out once); null: read it yourself. */
  async take (file: string): Promise<Prefetched | null> {
    const p = this.promises.get(file)
    if (p === undefined) return null
    this.promises.delete(file)
    return await p
  }

  /** Forgets what was not taken (entries of runs that are gone) and stops the workers. */
  close (): void {
    this.closed = true
    this.promises.clear()
    for (const f of [...this.resolvers.keys()]) this.answer(f, null)
    for (const w of this.workers) void w.terminate()
    this.workers.length = 0
  }
}
