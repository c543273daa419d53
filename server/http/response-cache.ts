/**
 * Whole response bodies of /api/v1/scalars, kept while the data they were built from is unchanged.
 * A dashboard asks the same `points=N` windows again and again (every chart, every client, every
 * refresh); without this each request re-thinned the window and wrote ~1,000 points × 3 columns
 * as JSON, ~4–7 ms of CPU, so 16 clients queued behind one another (BENCHMARKS.md section 9).
 *
 * Each normalised query (route, format, every validated parameter) has at most one entry, stamped
 * with what it was built from (`selectionStamp` of the provider: run and series change counters
 * and lengths). A lookup whose stamp differs is a miss and drops the entry, so an appended point
 * is in the very next answer and a live series leaves no stale versions behind. Entries are
 * evicted least recently used first beyond a byte bound. The gzip of a body is made once per
 * entry, off the event loop, for clients whose Accept-Encoding makes @fastify/compress pick gzip;
 * other encodings (br, deflate) are still compressed per request by @fastify/compress.
 */

import { gzip } from 'node:zlib'
import { promisify } from 'node:util'
import { COMPRESSION_LEVEL } from './hygiene.js'

const gzipAsync = promisify(gzip)

/** Default bound of a response cache: about 1,300 `points=1000` bodies of step, wall time and value. */
export const RESPONSE_CACHE_BYTES = 64 << 20

/** A cached body. */
export interface CachedBody {
  readonly stamp: string
  readonly body: Buffer
  /** Its ETag (made when it was built). */
  readonly etag: string
  /** Its gzip, once made (see {@link ResponseCache.gzipOf}). */
  gz: Buffer | null
  gzPending: Promise<Buffer> | null
}

/** Key of a query: the route, the format and the validated parameters in name order, without `_` and `token` (which never change a body). */
export function responseKey (route: string, format: string, query: Record<string, unknown>): string {
  let key = route + '\0' + format
  for (const k of Object.keys(query).sort()) {
    if (k === '_' || k === 'token') continue
    key += '\0' + k + '=' + JSON.stringify(query[k])
  }
  return key
}

export class ResponseCache {
  private readonly entries = new Map<string, CachedBody>()
  bytes = 0
  hits = 0
  misses = 0
  evictions = 0

  /** `maxBytes`: bound on the bytes held (bodies, their gzips and keys); 0 turns the cache off. */
  constructor (readonly maxBytes: number = RESPONSE_CACHE_BYTES) {}

  get size (): number { return this.entries.size }

  /** The entry of `key` built at `stamp` (now most recently used), or undefined; an entry of another stamp is dropped. */
  get (key: string, stamp: string): CachedBody | undefined {
    const e = this.entries.get(key)
    if (e === undefined || e.stamp !== stamp) {
      if (e !== undefined) this.drop(key, e)
      this.misses++
      return undefined
    }
    this.entries.delete(key)
    this.entries.set(key, e)
    this.hits++
    return e
  }

  /** Keeps `body` as the answer to `key` at `stamp` (replacing any other version); a body over a quarter of the bound is not kept. */
  put (key: string, stamp: string, body: Buffer, etag: string): CachedBody {
    const e: CachedBody = { stamp, body, etag, gz: null, gzPending: null }
    const old = this.entries.get(key)
    if (old !== undefined) this.drop(key, old)
    if (this.cost(key, e) > this.maxBytes / 4) return e
    this.entries.set(key, e)
    this.bytes += this.cost(key, e)
    this.evict()
    return e
  }

  /** The gzip of an entry's body: made once (on the thread pool), shared by concurrent requests, then counted in the bound while the entry is held. */
  async gzipOf (key: string, e: CachedBody): Promise<Buffer> {
    if (e.gz !== null) return e.gz
    e.gzPending ??= gzipAsync(e.body, { level: COMPRESSION_LEVEL }).then(gz => {
      e.gzPending = null
      if (this.entries.get(key) === e) {
        e.gz = gz
        this.bytes += gz.length
        this.evict()
      }
      return gz
    }, (err: unknown) => { e.gzPending = null; throw err })
    return await e.gzPending
  }

  clear (): void { this.entries.clear(); this.bytes = 0 }

  private cost (key: string, e: CachedBody): number {
    return key.length + e.body.length + (e.gz?.length ?? 0)
  }

  private drop (key: string, e: CachedBody): void {
    this.entries.delete(key)
    this.bytes -= this.cost(key, e)
  }

  private evict (): void {
    for (const [k, e] of this.entries) {
      if (this.bytes <= this.maxBytes) break
      this.drop(k, e)
      this.evictions++
    }
  }
}
