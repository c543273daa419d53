/**
 * The restart cache (`--cache-dir`): per event file, the decoder→store calls its bytes produced
 * (ops.ts) and its reading state, so a restart replays them instead of re-reading and re-decoding
 * the file, then reads only the bytes appended since. Layout: layout.ts and docs/cache.md.
 *
 * Never trusted blindly: a head or block whose checksum fails, an older format version, an event
 * file whose identity changed (another inode, another ETag that fails the append check) or whose
 * bytes before the cached offset differ: the entry is logged, deleted, and rebuilt by reading the
 * file from the start. Writes never block serving for long: ops are appended once per read of a
 * file, the head replaced atomically.
 */

import { mkdirSync, readFileSync, writeFileSync, renameSync, rmSync, openSync, closeSync, writeSync, ftruncateSync } from 'node:fs'
import { createHash } from 'node:crypto'
import path from 'node:path'
import type { Logger } from 'pino'
import { decodeHead, encodeHead, frameBlock, unframeBlocks, type HeadBody } from './layout.js'
import { OpWriter } from './ops.js'

export interface LoadedEntry { head: HeadBody, payloads: Buffer[] }

export class CacheEntry {
  readonly writer = new OpWriter()
  private opsLength = 0
  private readonly headPath: string
  private readonly opsPath: string

  constructor (private readonly cache: FileCache, readonly location: string, readonly file: string) {
    const key = createHash('sha256').update(location).update('\0').update(file).digest('hex').slice(0, 32)
    this.headPath = path.join(cache.dir, `${key}.head`)
    this.opsPath = path.join(cache.dir, `${key}.ops`)
  }

  /** The entry's head and verified ops, or null (absent, or unusable: then it is deleted). */
  load (): LoadedEntry | null {
    let headBuf: Buffer
    try { headBuf = readFileSync(this.headPath) } catch { return null }
    const head = decodeHead(headBuf)
    const bad = (why: string): null => {
      this.cache.log.warn({ file: this.file, why }, 'cache entry unusable; rebuilding it')
      this.cache.counters.rejected++
      this.reset()
      return null
    }
    if (typeof head === 'string') return bad(head)
    if (head.location !== this.location || head.file !== this.file) return bad('entry of another file')
    let ops: Buffer
    try { ops = readFileSync(this.opsPath) } catch { return bad('ops file missing') }
    const payloads = unframeBlocks(ops, head.opsLength)
    if (typeof payloads === 'string') return bad(payloads)
    this.opsLength = head.opsLength
    if (ops.length > head.opsLength) this.truncateOps(head.opsLength)
    return { head, payloads }
  }

  /** Forgets the entry: files deleted, writer emptied. */
  reset (): void {
    rmSync(this.headPath, { force: true })
    rmSync(this.opsPath, { force: true })
    this.writer.take()
    this.writer.adoptTags([])
    this.opsLength = 0
  }

  /** Appends the ops written since the last commit and replaces the head with `head`. */
  commit (head: Omit<HeadBody, 'location' | 'file' | 'opsLength'>): void {
    try {
      if (this.writer.length > 0) {
        const block = frameBlock(this.writer.take())
        const fd = openSync(this.opsPath, this.opsLength === 0 ? 'w' : 'a')
        try { writeSync(fd, block) } finally { closeSync(fd) }
        this.opsLength += block.length
      }
      const tmp = `${this.headPath}.tmp`
      writeFileSync(tmp, encodeHead({ ...head, location: this.location, file: this.file, opsLength: this.opsLength }))
      renameSync(tmp, this.headPath)
      this.cache.counters.commits++
    } catch (err) {
      // A full or read-only cache directory must not stop ingest: the entry is dropped instead.
      this.cache.log.warn({ file: this.file, err }, 'cannot write the cache entry; dropping it')
      try { this.reset() } catch {}
    }
  }

  private truncateOps (length: number): void {
    const fd = openSync(this.opsPath, 'r+')
    try { ftruncateSync(fd, length) } finally { closeSync(fd) }
  }
}

export class FileCache {
  readonly counters = { restoredFiles: 0, restoredBytes: 0, rejected: 0, commits: 0 }

  constructor (readonly dir: string, readonly log: Logger) {
    mkdirSync(dir, { recursive: true })
  }

  entry (location: string, file: string): CacheEntry {
    return new CacheEntry(this, location, file)
  }
}
