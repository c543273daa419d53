/** Sending data responses: format negotiation, ETag / If-None-Match validators, and streamed bodies. */

import { createHash, randomUUID } from 'node:crypto'
import { Readable } from 'node:stream'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { FORMATS } from './schemas.js'
import type { Chunk } from '../provider/encode.js'
import { COMPRESSION_THRESHOLD } from './hygiene.js'
import { prefersGzip } from './send-body.js'
import type { ResponseCache, CachedBody } from './response-cache.js'

/** A data response format (format= or Accept). */
export type Format = typeof FORMATS[number]

/** Content-Type of each format; always UTF-8. */
export const CONTENT_TYPES: Record<Format, string> = {
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8'
}

/** Media types that select a format through Accept. */
const ACCEPTED: Record<string, Format> = {
  'application/json': 'json',
  'text/csv': 'csv',
  'application/csv': 'csv',
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
  'application/jsonl': 'ndjson',
  'application/x-jsonlines': 'ndjson'
}

/**
 * The response format: `format=` when given, else the Accept media type with the highest q
 * among those we serve (earliest on ties), else JSON. Never 406: a client that asks only for
 * something else still gets JSON, which is what wildcards and browsers get too.
 */
export function negotiateFormat (format: Format | undefined, accept: string | undefined): Format {
  if (format !== undefined) return format
  if (accept === undefined || accept === '') return 'json'
  let best: Format = 'json'
  let bestQ = 0
  for (const part of accept.split(',')) {
    const [type, ...params] = part.split(';').map(s => s.trim().toLowerCase())
    const f = ACCEPTED[type ?? '']
    if (f === undefined) continue
    let q = 1
    for (const p of params) if (p.startsWith('q=')) q = Number(p.slice(2))
    if (Number.isFinite(q) && q > bestQ) { best = f; bestQ = q }
  }
  return best
}

/** Identity of this server process, part of every ETag, so a restarted server never matches an old validator. */
export const BOOT_ID = randomUUID().slice(0, 8)

/**
 * A weak ETag for a data response: a hash of the route, the validated query, the format and the
 * generation and change counter of each run read. The store only changes by bumping those
 * counters, and a run read again from scratch is a new generation, so equal tags mean equal
 * bodies within this process — and the tag is known before any body is built.
 */
export function dataEtag (route: string, query: unknown, format: Format, runs: Array<{ run: string, version: number, generation?: number }>): string {
  const h = createHash('sha1')
  h.update(BOOT_ID + '\0' + route + '\0' + format + '\0' + JSON.stringify(query))
  for (const r of runs) h.update('\0' + r.run + '\0' + (r.generation ?? 0) + '.' + r.version)
  return `W/"${h.digest('base64url').slice(0, 22)}"`
}

/**
 * The ETag of a body identified by a normalised query key and the stamp of the data it was built
 * from (server/http/response-cache.ts): equal tags mean equal bodies within this process, and a
 * cached body keeps the tag it was built with.
 */
export function stampEtag (key: string, stamp: string): string {
  return `W/"${createHash('sha1').update(BOOT_ID + '\0' + key + '\0' + stamp).digest('base64url').slice(0, 22)}"`
}

/** True when If-None-Match matches `etag` (weak comparison, lists and `*` allowed). */
export function notModified (req: FastifyRequest, etag: string): boolean {
  const inm = req.headers['if-none-match']
  if (inm === undefined || inm === '') return false
  const bare = etag.replace(/^W\//, '')
  return inm.split(',').some(t => { const s = t.trim(); return s === '*' || s.replace(/^W\//, '') === bare })
}

/** Bodies up to this many characters are joined and sent whole (with Content-Length); larger ones stream. */
const WHOLE_BODY_CHARS = 1 << 20

/** The headers of every data response: validator, revalidation, what the body varies with, the format. */
function dataHeaders (reply: FastifyReply, opts: { etag: string, format: Format, filename?: string }): void {
  reply.header('ETag', opts.etag)
  reply.header('Cache-Control', 'no-cache')
  reply.header('Vary', 'Accept, Accept-Encoding')
  reply.header('X-Lossboard-Format', opts.format)
  if (opts.filename !== undefined) reply.header('Content-Disposition', `attachment; filename="${opts.filename}"`)
}

/**
 * Sends a data response with validators: 304 when If-None-Match matches, else the chunks. The
 * first chunks are buffered up to 1 MiB; a body that fits goes out whole, a bigger one streams
 * with backpressure, so memory stays bounded whatever the size. A whole body is also handed to
 * `keep` (as bytes) when given: the route's response cache.
 */
export function sendData (req: FastifyRequest, reply: FastifyReply, opts: { etag: string, format: Format, body: Iterable<Chunk>, filename?: string, keep?: (body: Buffer) => void }): FastifyReply {
  dataHeaders(reply, opts)
  if (notModified(req, opts.etag)) return reply.code(304).send()
  reply.type(CONTENT_TYPES[opts.format])
  const it = opts.body[Symbol.iterator]()
  const head: Chunk[] = []
  let size = 0
  for (;;) {
    const r = it.next()
    if (r.done === true) {
      const strings = head.every(c => typeof c === 'string')
      if (opts.keep === undefined && strings) return reply.send(head.join(''))
      const whole = strings ? Buffer.from(head.join(''), 'utf8') : Buffer.concat(head.map(c => typeof c === 'string' ? Buffer.from(c) : c))
      opts.keep?.(whole)
      return reply.send(whole)
    }
    head.push(r.value)
    size += r.value.length
    if (size > WHOLE_BODY_CHARS) break
  }
  function * rest (): Generator<Chunk> {
    yield * head.splice(0)
    for (let r = it.next(); r.done !== true; r = it.next()) yield r.value
  }
  return reply.send(Readable.from(rest(), { objectMode: false, highWaterMark: 1 << 16 }))
}

/**
 * Sends a body from the response cache with the same headers as {@link sendData}: 304 when
 * If-None-Match matches; its cached gzip when the client's Accept-Encoding makes
 * @fastify/compress pick gzip (a Content-Encoding already set makes the plugin pass it through);
 * else the bytes, which @fastify/compress encodes as it would any body (br, deflate).
 */
export async function sendCachedData (req: FastifyRequest, reply: FastifyReply, opts: { format: Format, cache: ResponseCache, key: string, entry: CachedBody }): Promise<FastifyReply> {
  const etag = opts.entry.etag
  dataHeaders(reply, { etag, format: opts.format })
  if (notModified(req, etag)) return reply.code(304).send()
  reply.type(CONTENT_TYPES[opts.format])
  const body = opts.entry.body
  if (body.length >= COMPRESSION_THRESHOLD && req.headers['x-no-compression'] === undefined && prefersGzip(req.headers['accept-encoding'])) {
    return reply.header('content-encoding', 'gzip').send(await opts.cache.gzipOf(opts.key, opts.entry))
  }
  return reply.send(body)
}

/**
 * Sends an API error. A request that asked for CSV (`format=csv` or an Accept preferring text/csv)
 * gets a `text/plain` body `CODE: message`, which is what a CSV reader such as pandas shows in
 * its traceback; every other request gets the JSON body `{error: {code, message, ...details}}`.
 */
export function sendApiError (req: FastifyRequest, reply: FastifyReply, e: { statusCode: number, code: string, message: string, details?: Record<string, unknown> }): FastifyReply {
  const raw = new URLSearchParams((req.raw.url ?? '').split('?')[1] ?? '').getAll('format')
  const format = raw.length === 1 && (FORMATS as readonly string[]).includes(raw[0]!) ? raw[0] as Format : undefined
  reply.code(e.statusCode)
  if (negotiateFormat(format, req.headers.accept) === 'csv') {
    return reply.type('text/plain; charset=utf-8').send(`${e.code}: ${e.message}\n`)
  }
  return reply.send({ error: { code: e.code, message: e.message, ...e.details } })
}
