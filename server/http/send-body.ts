/**
 * Sends a leased body (server/provider/tb-body.ts) as one Buffer, releasing the lease when the
 * response is done, and its gzip once per body version: every request for one series version
 * leases the same bytes, so 50 clients asking for gzip share one compression instead of 50.
 */

import { createGzip } from 'node:zlib'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { BodyLease, Published } from '../provider/tb-body.js'
import { COMPRESSION_LEVEL, COMPRESSION_THRESHOLD } from './hygiene.js'

const gzipped = new WeakMap<Published, Promise<Buffer>>()

/** gzip of the leased bytes, computed once per body version (on the thread pool, under its own lease). */
async function gzipOf (l: BodyLease): Promise<Buffer> {
  const key = l.body
  let p = key === null ? undefined : gzipped.get(key)
  if (p === undefined) {
    const own = l.share()
    p = new Promise<Buffer>((resolve, reject) => {
      const gz = createGzip({ level: COMPRESSION_LEVEL })
      const out: Buffer[] = []
      gz.on('data', (c: Buffer) => out.push(c))
      gz.on('end', () => resolve(Buffer.concat(out)))
      gz.on('error', reject)
      gz.end(own.data)
    }).finally(own.release)
    if (key !== null) {
      gzipped.set(key, p)
      p.catch(() => gzipped.delete(key))
    }
  }
  return await p
}

/**
 * True when @fastify/compress (registered in hygiene.ts with gzip first) would pick gzip for this
 * Accept-Encoding: gzip (or x-gzip, or `*`) has the highest q among gzip, br and deflate, gzip
 * winning ties.
 */
export function prefersGzip (acceptEncoding: string | undefined): boolean {
  if (acceptEncoding === undefined || acceptEncoding === '') return false
  const q: Record<string, number> = {}
  for (const item of acceptEncoding.toLowerCase().split(',')) {
    const [rawName, ...params] = item.split(';').map(x => x.trim())
    const name = rawName === '*' || rawName === 'x-gzip' ? 'gzip' : rawName ?? ''
    let weight = 1
    for (const p of params) if (p.startsWith('q=')) weight = Number(p.slice(2))
    if (!Number.isFinite(weight)) continue
    q[name] = Math.max(q[name] ?? 0, weight)
  }
  const gzip = q.gzip ?? 0
  return gzip > 0 && gzip >= (q.br ?? 0) && gzip >= (q.deflate ?? 0)
}

/**
 * Sends the leased body with the reply's headers already set: its gzip from the per-version cache
 * when the client prefers gzip, else the bytes themselves. The lease ends when the response closes
 * (written, failed or abandoned).
 */
export async function sendBody (req: FastifyRequest, reply: FastifyReply, l: BodyLease): Promise<FastifyReply> {
  reply.raw.once('close', l.release)
  try {
    if (l.data.length >= COMPRESSION_THRESHOLD && req.headers['x-no-compression'] === undefined && prefersGzip(req.headers['accept-encoding'])) {
      const gz = await gzipOf(l)
      const vary = reply.getHeader('vary')
      const varies = vary === undefined ? [] : String(vary).split(',').map(v => v.trim())
      if (!varies.some(v => v.toLowerCase() === 'accept-encoding')) reply.header('vary', [...varies, 'accept-encoding'].join(', '))
      // Content-Encoding set: @fastify/compress passes the payload through untouched.
      return reply.header('content-encoding', 'gzip').send(gz)
    }
    return reply.send(l.data)
  } catch (err) {
    l.release()
    throw err
  }
}
