/**
 * An S3-compatible bucket prefix as a logdir source (AWS S3, MinIO, Ceph, R2, GCS interop), through
 * the official AWS SDK v3 client with its standard credential chain.
 *
 * Cost model: one paginated ListObjectsV2 per poll cycle (1 request per 1,000 objects) gives every
 * object's size and ETag; an object is fetched only when it grew, with one ranged GET from the last
 * byte read. S3 has no append, so a writer re-uploads the grown object and its ETag changes: the
 * same ranged GET starts VERIFY_BYTES before the end of what was read, and those bytes must equal
 * the bytes read before. If they do not (or the object got shorter), the object was rewritten and
 * its run is read again from the start ({@link ObjectRewrittenError}).
 *
 * GETs go through one semaphore (at most `maxConcurrency` in flight). After each read the next
 * chunk of the same object is fetched ahead, and a discovery pass prefetches the first chunk of
 * every object that grew, so a cycle over many objects runs its GETs in parallel while the reader
 * decodes serially. Prefetched bytes are capped by PREFETCH_BUDGET_BYTES. Throttling (503
 * SlowDown) and network errors are retried by the SDK's standard retry mode (exponential backoff
 * with jitter); a GET that still fails leaves the reader's offset where it was, so the next cycle
 * reads the same bytes again and nothing already served is lost.
 */

import path from 'node:path'
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3'
import type { Logger } from 'pino'
import { isEventFileName, type DiscoverResult, type DiscoveredRun } from './discover.js'
import { FileGoneError, ObjectRewrittenError, type LogdirSource, type SourceFile } from './source.js'

/** Bytes per GET when reading an object from scratch or catching up; matches the run loader's chunk. */
export const S3_CHUNK_BYTES = 4 * 1024 * 1024
/** Bytes before the end of what was read that an append's GET re-fetches and compares. */
export const VERIFY_BYTES = 16
/** Last bytes read of each object kept in memory: re-reading a record cut at the end costs no request. */
const TAIL_KEEP_BYTES = 256 * 1024
/** Most bytes fetched ahead and not yet consumed, over all objects. */
const PREFETCH_BUDGET_BYTES = 128 * 1024 * 1024

export interface S3SourceOptions {
  /** Endpoint for S3-compatible stores (MinIO…); default: AWS_ENDPOINT_URL, then AWS. */
  endpoint?: string
  /** Path-style addressing (`http://host/bucket/key`), needed by most self-hosted stores. */
  forcePathStyle?: boolean
  region?: string
  /** Most GETs in flight at once. */
  maxConcurrency?: number
  /** SDK attempts per request (standard retry mode: backoff on 503 SlowDown and network errors). */
  maxAttempts?: number
  /** Keys per ListObjectsV2 page (S3 caps it at 1,000). */
  pageSize?: number
  /** Extra SDK client settings (tests pass static credentials here). */
  clientConfig?: S3ClientConfig
  runPrefix?: string
  log?: Logger
}

/** Request counters, for benchmarks and /healthz-style reporting. */
export interface S3Counters { listRequests: number, getRequests: number, getBytes: number, failedRequests: number, rewrites: number }

/** The SDK module, imported on first use: a server without an s3:// logdir never loads it (~0.3 s of start-up). */
type Sdk = typeof import('@aws-sdk/client-s3')
let sdkModule: Promise<Sdk> | null = null
function sdk (): Promise<Sdk> {
  sdkModule ??= import('@aws-sdk/client-s3')
  return sdkModule
}

interface Fetch { start: number, end: number, promise: Promise<Buffer>, done: boolean }

interface ObjState {
  etag: string
  size: number
  /** Last bytes served (ending at tailEnd), to re-serve a cut record and to verify appends. */
  tail: Buffer | null
  tailEnd: number
  /** The ETag changed since bytes were served: the next fetch must check the bytes before tailEnd. */
  verify: boolean
  rewritten: boolean
  ahead: Fetch | null
}

/** Object names, besides event files, that side readers ask for: Lightning's hyper-parameters. */
const SIDE_FILES = new Set(['hparams.yaml'])

/** `s3://bucket/prefix` → bucket and key prefix ('' or ending in '/'). */
export function parseS3Url (url: string): { bucket: string, prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url)
  if (m === null || m[1] === '') throw new Error(`not an s3:// URL: '${url}'`)
  let prefix = m[2]!.replace(/^\/+/, '')
  if (prefix !== '' && !prefix.endsWith('/')) prefix += '/'
  return { bucket: m[1]!, prefix }
}

class Semaphore {
  private active = 0
  private readonly queue: Array<() => void> = []
  constructor (private readonly max: number) {}
  async run<T> (fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>(resolve => this.queue.push(resolve))
    this.active++
    try { return await fn() } finally {
      this.active--
      this.queue.shift()?.()
    }
  }
}

export class S3Source implements LogdirSource {
  readonly kind = 's3' as const
  readonly location: string
  readonly runPrefix: string
  readonly bucket: string
  readonly prefix: string
  readonly counters: S3Counters = { listRequests: 0, getRequests: 0, getBytes: 0, failedRequests: 0, rewrites: 0 }
  /** Failed requests since the poller last looked (it backs off while this is non-zero). */
  failuresSinceCheck = 0
  /** Made on the first request (the SDK is imported then); null before it and after close(). */
  private client: S3Client | null = null
  private readonly clientConfig: S3ClientConfig
  private readonly states = new Map<string, ObjState>()
  /** Listed objects that are not event files but are read beside them (SIDE_FILES), by key. */
  private readonly sideObjects = new Map<string, { etag: string, size: number }>()
  private readonly sem: Semaphore
  private prefetched = 0
  private readonly pageSize: number
  private readonly log: Logger | undefined

  constructor (url: string, opts: S3SourceOptions = {}) {
    const { bucket, prefix } = parseS3Url(url)
    this.bucket = bucket
    this.prefix = prefix
    this.location = `s3://${bucket}/${prefix}`.replace(/\/$/, '')
    this.runPrefix = opts.runPrefix ?? ''
    this.pageSize = opts.pageSize ?? 1000
    this.log = opts.log
    this.sem = new Semaphore(opts.maxConcurrency ?? 8)
    const endpoint = opts.endpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL
    this.clientConfig = {
      region: opts.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
      ...(endpoint !== undefined && endpoint !== '' ? { endpoint } : {}),
      forcePathStyle: opts.forcePathStyle ?? false,
      retryMode: 'standard',
      maxAttempts: opts.maxAttempts ?? 5,
      // Reads only: no request body to checksum; ranged GETs cannot be checked against a full-object checksum.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      ...opts.clientConfig
    }
  }

  private async sdkClient (): Promise<{ api: Sdk, client: S3Client }> {
    const api = await sdk()
    this.client ??= new api.S3Client(this.clientConfig)
    return { api, client: this.client }
  }

  private keyOf (file: string): string {
    return file.slice(`s3://${this.bucket}/`.length)
  }

  private idOf (key: string): string {
    return `s3://${this.bucket}/${key}`
  }

  async discover (): Promise<DiscoverResult> {
    const listed = new Map<string, { etag: string, size: number }>()
    const side = new Map<string, { etag: string, size: number }>()
    try {
      const { api, client } = await this.sdkClient()
      const pages = api.paginateListObjectsV2({ client, pageSize: this.pageSize }, { Bucket: this.bucket, Prefix: this.prefix })
      for await (const page of pages) {
        this.counters.listRequests++
        for (const o of page.Contents ?? []) {
          if (o.Key === undefined) continue
          const base = path.posix.basename(o.Key)
          if (isEventFileName(base)) listed.set(o.Key, { etag: o.ETag ?? '', size: o.Size ?? 0 })
          else if (SIDE_FILES.has(base)) side.set(o.Key, { etag: o.ETag ?? '', size: o.Size ?? 0 })
        }
      }
    } catch (err) {
      this.counters.failedRequests++
      this.failuresSinceCheck++
      if ((err as { name?: string }).name === 'NoSuchBucket') return { kind: 'missing-logdir' }
      throw err
    }
    for (const key of [...this.states.keys()]) if (!listed.has(key)) this.dropState(key)
    this.sideObjects.clear()
    for (const [k, o] of side) this.sideObjects.set(k, o)
    const runs = new Map<string, DiscoveredRun>()
    for (const [key, o] of [...listed].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
      this.noteListed(key, o.etag, o.size)
      const dirKey = path.posix.dirname(key)
      const rel = (dirKey + '/').slice(this.prefix.length).replace(/\/$/, '')
      const name = this.runPrefix + (rel === '' ? '.' : rel)
      let run = runs.get(name)
      if (run === undefined) {
        run = { name, dir: this.idOf(dirKey), dirId: '', files: [] }
        runs.set(name, run)
      }
      run.files.push(this.idOf(key))
    }
    for (const key of listed.keys()) this.prefetchFirst(key)
    return { kind: 'ok', runs, failed: [] }
  }

  private noteListed (key: string, etag: string, size: number): void {
    const st = this.states.get(key)
    if (st === undefined) {
      this.states.set(key, { etag, size, tail: null, tailEnd: 0, verify: false, rewritten: false, ahead: null })
      return
    }
    if (st.etag === etag && st.size === size) return
    if (st.etag !== etag && st.tailEnd > 0) {
      if (size < st.tailEnd) st.rewritten = true
      else st.verify = true
      this.dropAhead(st)
    }
    st.etag = etag
    st.size = size
  }

  /** Starts the first GET of an object that grew (or must be verified), within the prefetch budget. */
  private prefetchFirst (key: string): void {
    const st = this.states.get(key)!
    if (st.rewritten || st.ahead !== null || (st.size <= st.tailEnd && !st.verify)) return
    if (this.prefetched >= PREFETCH_BUDGET_BYTES) return
    const start = st.verify ? st.tailEnd - Math.min(VERIFY_BYTES, st.tail?.length ?? 0) : st.tailEnd
    this.startAhead(key, st, start, Math.min(st.size, st.tailEnd + S3_CHUNK_BYTES))
  }

  private startAhead (key: string, st: ObjState, start: number, end: number): void {
    const f: Fetch = { start, end, done: false, promise: null as unknown as Promise<Buffer> }
    this.prefetched += end - start
    f.promise = this.get(key, st.etag, start, end).finally(() => { f.done = true })
    f.promise.catch(() => {}) // consumed (or dropped) later; never an unhandled rejection
    st.ahead = f
  }

  private dropAhead (st: ObjState): void {
    if (st.ahead !== null) this.prefetched -= st.ahead.end - st.ahead.start
    st.ahead = null
  }

  private dropState (key: string): void {
    const st = this.states.get(key)
    if (st !== undefined) this.dropAhead(st)
    this.states.delete(key)
  }

  /** One ranged GET of [start, end), retried by the SDK; resolves to exactly the bytes received. */
  private async get (key: string, etag: string, start: number, end: number): Promise<Buffer> {
    return await this.sem.run(async () => {
      this.counters.getRequests++
      try {
        const { api, client } = await this.sdkClient()
        const r = await client.send(new api.GetObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Range: `bytes=${start}-${end - 1}`,
          ...(etag !== '' ? { IfMatch: etag } : {})
        }))
        const body = Buffer.from(await r.Body!.transformToByteArray())
        if (r.ContentLength !== undefined && body.length !== r.ContentLength) throw new Error(`short body: ${body.length} of ${r.ContentLength} bytes`)
        this.counters.getBytes += body.length
        return body.length > end - start ? body.subarray(0, end - start) : body
      } catch (err) {
        this.counters.failedRequests++
        this.failuresSinceCheck++
        const name = (err as { name?: string }).name
        if (name === 'NoSuchKey' || name === 'NotFound') throw new FileGoneError(`${this.idOf(key)} vanished`)
        throw err
      }
    })
  }

  async open (file: string): Promise<SourceFile> {
    const key = this.keyOf(file)
    const st = this.states.get(key)
    if (st === undefined) throw new FileGoneError(`${file} is not listed any more`)
    if (st.rewritten) throw this.rewritten(file, st, 'it is shorter than the bytes already read')
    return {
      size: st.size,
      read: (buf, offset, length, position) => this.read(key, st, buf, offset, length, position),
      close: () => {}
    }
  }

  private rewritten (file: string, st: ObjState, why: string): ObjectRewrittenError {
    this.log?.info({ file, why }, 'object rewritten')
    st.rewritten = true
    this.counters.rewrites++
    return new ObjectRewrittenError(file, why)
  }

  private async read (key: string, st: ObjState, buf: Buffer, offset: number, length: number, position: number): Promise<number> {
    if (this.states.get(key) !== st) throw new FileGoneError(`${this.idOf(key)} is not listed any more`)
    const end = Math.min(st.size, position + length)
    if (end <= position) return 0
    if (st.verify) {
      const v = Math.min(VERIFY_BYTES, st.tail?.length ?? 0)
      if (st.ahead === null || st.ahead.start !== st.tailEnd - v) {
        this.dropAhead(st)
        this.startAhead(key, st, Math.min(position, st.tailEnd - v), Math.max(end, st.tailEnd))
      }
      const a = st.ahead!
      const data = await this.take(st, a)
      const before = st.tail!.subarray(st.tail!.length - v)
      const at = st.tailEnd - v - a.start
      if (data.length < at + v || !data.subarray(at, at + v).equals(before)) {
        this.dropAhead(st)
        throw this.rewritten(this.idOf(key), st, 'its ETag changed and the bytes already read differ')
      }
      st.verify = false
    }
    let n = 0
    let p = position
    // 1. bytes kept from the previous read (a record that was cut at the end)
    if (st.tail !== null) {
      const tStart = st.tailEnd - st.tail.length
      if (p >= tStart && p < st.tailEnd) {
        const k = Math.min(st.tailEnd, end) - p
        st.tail.copy(buf, offset, p - tStart, p - tStart + k)
        n += k; p += k
      }
    }
    // 2. bytes fetched ahead
    if (p < end && st.ahead !== null && st.ahead.start <= p && st.ahead.end > p) {
      const a = st.ahead
      const data = await this.take(st, a)
      const k = Math.min(end, a.start + data.length) - p
      if (k > 0) {
        data.copy(buf, offset + n, p - a.start, p - a.start + k)
        n += k; p += k
      }
      if (p >= a.start + data.length && st.ahead === a) this.dropAhead(st)
    } else if (p < end && st.ahead !== null) {
      this.dropAhead(st)
    }
    // 3. the rest: one GET now
    if (p < end && n === 0) {
      const data = await this.get(key, st.etag, p, end)
      data.copy(buf, offset + n, 0, data.length)
      n += data.length; p += data.length
    }
    // remember the last bytes served, then fetch the next chunk ahead
    if (n > 0) {
      const readEnd = position + n
      const keep = Math.min(TAIL_KEEP_BYTES, n)
      st.tail = Buffer.from(buf.subarray(offset + n - keep, offset + n))
      st.tailEnd = readEnd
      if (readEnd < st.size && st.ahead === null && this.prefetched < PREFETCH_BUDGET_BYTES) {
        this.startAhead(key, st, readEnd, Math.min(st.size, readEnd + S3_CHUNK_BYTES))
      }
    }
    return n
  }

  /** Awaits a fetch; a failed one is dropped so that the next read asks again. */
  private async take (st: ObjState, a: Fetch): Promise<Buffer> {
    try {
      return await a.promise
    } catch (err) {
      if (st.ahead === a) this.dropAhead(st)
      throw err
    }
  }

  relative (file: string): string {
    return this.keyOf(file).slice(this.prefix.length)
  }

  runNameOf (dir: string): string {
    const rel = (this.keyOf(dir) + '/').slice(this.prefix.length).replace(/\/$/, '')
    return this.runPrefix + (rel === '' ? '.' : rel)
  }

  identity (file: string): string | null {
    const st = this.states.get(this.keyOf(file))
    // Only an ETag whose bytes were all read and verified identifies what was read.
    return st === undefined || st.verify || st.rewritten || st.tailEnd !== st.size ? null : `etag:${st.etag}`
  }

  async resume (file: string, offset: number, tail: Buffer, identity: string | null): Promise<boolean> {
    const st = this.states.get(this.keyOf(file))
    if (st === undefined || st.size < offset || st.tailEnd !== 0) return false
    if (offset === 0) return true
    if (tail.length === 0) return false
    this.dropAhead(st)
    st.tail = Buffer.from(tail)
    st.tailEnd = offset
    // Another ETag (or none recorded): the first GET re-fetches the tail and compares it (an append passes)
    st.verify = identity === null || identity !== `etag:${st.etag}`
    return true
  }

  /** What the last listing says of an object named relative to the prefix: no request. */
  private listedObject (rel: string): { key: string, etag: string, size: number } | null {
    const key = this.prefix + rel
    const o = this.states.get(key) ?? this.sideObjects.get(key)
    return o === undefined ? null : { key, etag: o.etag, size: o.size }
  }

  async sideVersion (rel: string): Promise<string | null> {
    const o = this.listedObject(rel)
    return o === null ? null : `${o.etag}:${o.size}`
  }

  async readSide (rel: string, maxBytes: number): Promise<Buffer | null> {
    const o = this.listedObject(rel)
    if (o === null) return null
    const end = Math.min(o.size, maxBytes)
    if (end === 0) return Buffer.alloc(0)
    // Its own ranged GET (through the same cap, counters and retries), not the reader's tail or read-ahead.
    try { return await this.get(o.key, o.etag, 0, end) } catch (err) {
      this.log?.warn({ file: this.idOf(o.key), err }, 'cannot read object for hyper-parameters; will retry on the next request')
      return null
    }
  }

  forget (files: string[]): void {
    for (const f of files) {
      const st = this.states.get(this.keyOf(f))
      if (st === undefined) continue
      this.dropAhead(st)
      st.tail = null; st.tailEnd = 0; st.verify = false; st.rewritten = false
    }
  }

  close (): void {
    this.client?.destroy()
    this.client = null
  }
}
