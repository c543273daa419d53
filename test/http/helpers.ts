/** Real lossboard servers on 127.0.0.1 for the API tests: a loaded logdir, buildApp, listen on port 0. */

import http from 'node:http'
import zlib from 'node:zlib'
import type { FastifyInstance } from 'fastify'
import { buildApp, type AppDeps } from '../../server/app.js'
import { loadLogdir, type Loaded } from '../helpers/load.js'
import type { ScalarStore } from '../../server/store/scalar-store.js'

export interface Server extends Loaded {
  app: FastifyInstance
  /** http://127.0.0.1:PORT plus the base path, no trailing slash. */
  origin: string
  close: () => Promise<void>
}

/**
 * Loads `dir` once and serves it; `extra` goes to buildApp (basePath, cors, enrichment), or is
 * computed from the loaded store (to build an enrichment provider over it).
 */
export async function startServer (dir: string, extra: Partial<AppDeps> | ((store: ScalarStore) => Partial<AppDeps>) = {}): Promise<Server> {
  const loaded = await loadLogdir(dir)
  const deps = typeof extra === 'function' ? extra(loaded.store) : extra
  const app = await buildApp({ store: loaded.store, logdir: dir, totals: () => loaded.loader.totals(), ...deps })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const port = (app.server.address() as { port: number }).port
  return { ...loaded, app, origin: `http://127.0.0.1:${port}${deps.basePath ?? ''}`, close: async () => { await app.close() } }
}

export interface Got {
  status: number
  headers: http.IncomingHttpHeaders
  /** Body bytes, decompressed when the server compressed them. */
  body: Buffer
  /** Bytes as they came over the wire (compressed or not). */
  wireBytes: number
  text: () => string
  json: () => any
}

/** GET over a real socket; transparently gunzips / un-brotlis so tests can compare bodies. */
export async function get (url: string, headers: Record<string, string> = {}): Promise<Got> {
  return await new Promise((resolve, reject) => {
    http.get(url, { headers }, res => {
      const parts: Buffer[] = []
      res.on('data', (c: Buffer) => parts.push(c))
      res.on('error', reject)
      res.on('end', () => {
        const wire = Buffer.concat(parts)
        const enc = res.headers['content-encoding']
        const body = enc === 'gzip' ? zlib.gunzipSync(wire) : enc === 'br' ? zlib.brotliDecompressSync(wire) : enc === 'deflate' ? zlib.inflateSync(wire) : wire
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body,
          wireBytes: wire.length,
          text: () => body.toString('utf8'),
          json: () => JSON.parse(body.toString('utf8'))
        })
      })
    }).on('error', reject)
  })
}

/** Query string from pairs (repeated keys allowed), percent-encoded. */
export function qs (pairs: Array<[string, string | number | boolean]>): string {
  return pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&')
}

/** Parses our CSV (RFC 4180 quoting, LF line ends) into rows of fields. */
export function parseCsv (text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let i = 0
  let quoted = false
  while (i < text.length) {
    const ch = text[i]!
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { field += '"'; i += 2; continue }
      if (ch === '"') { quoted = false; i++; continue }
      field += ch; i++; continue
    }
    if (ch === '"') { quoted = true; i++; continue }
    if (ch === ',') { row.push(field); field = ''; i++; continue }
    if (ch === '\n') { row.push(field); rows.push(row); row = []; field = ''; i++; continue }
    field += ch; i++
  }
  if (field !== '' || row.length > 0) { row.push(field); rows.push(row) }
  return rows
}

/** A number as our text formats spell it back into a double: NaN/Infinity/-Infinity or a decimal. */
export function num (s: string | number | null): number {
  if (typeof s === 'number') return s
  if (s === null) return NaN
  if (s === 'NaN') return NaN
  if (s === 'Infinity') return Infinity
  if (s === '-Infinity') return -Infinity
  return Number(s)
}

/** Same-value comparison of two numeric arrays (NaN equals NaN), with a readable failure. */
export function sameNumbers (a: ArrayLike<number>, b: ArrayLike<number>): string | null {
  if (a.length !== b.length) return `lengths ${a.length} vs ${b.length}`
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i]) && !(a[i] === 0 && b[i] === 0)) return `index ${i}: ${a[i]} vs ${b[i]}`
  return null
}
