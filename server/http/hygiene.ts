/** HTTP hygiene registered once at the root: security headers, response compression, CORS for browser notebooks, and the OpenAPI collector. */

import type { FastifyInstance } from 'fastify'
import compress from '@fastify/compress'
import cors from '@fastify/cors'
import swagger from '@fastify/swagger'

/** What the hygiene plugins need from the app's configuration. */
export interface HygieneOptions {
  /** Allowed CORS origins: '' (CORS off), '*', or a comma-separated list of origins. */
  cors?: string
  /** URL prefix the app is mounted under ('' or '/something'). */
  basePath?: string
}

/**
 * Sent with every response: scripts only from this origin (never inline), no foreign origin for
 * anything, no framing, no MIME sniffing, no Referer. Inline styles stay allowed: the API docs page
 * and the not-built page carry their own small stylesheet.
 */
export const SECURITY_HEADERS: ReadonlyArray<[string, string]> = [
  ['content-security-policy', "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"],
  ['x-content-type-options', 'nosniff'],
  ['x-frame-options', 'DENY'],
  ['referrer-policy', 'no-referrer'],
  ['cross-origin-opener-policy', 'same-origin']
]

/** zlib level of every compressed response (see registerHttpHygiene). */
export const COMPRESSION_LEVEL = 4
/** Bodies smaller than this many bytes are sent uncompressed. */
export const COMPRESSION_THRESHOLD = 1024

/** Headers a browser client may read from our responses (CORS `Access-Control-Expose-Headers`). */
export const EXPOSED_HEADERS = ['ETag', 'Content-Disposition', 'X-Lossboard-Format']

/**
 * Registers compression, CORS and @fastify/swagger. Must run before any route is registered:
 * the OpenAPI document only lists routes added after the collector, and @fastify/compress must
 * precede @fastify/static. Compression: gzip (level 4), else br (quality 4), else deflate, as
 * Accept-Encoding allows, for bodies of 1 KiB and more; routes opt out with `compress: false`
 * (the event stream does, since a compressor buffers and would delay live events). gzip comes
 * first although br is smaller: on a 40 MB columnar body br took about twice gzip's CPU, and
 * the server shares its two cores with training. zlib's default level 6 was also rejected: it
 * costs markedly more CPU than level 4 on number-heavy text for a few percent smaller bodies.
 */
export async function registerHttpHygiene (app: FastifyInstance, opts: HygieneOptions = {}): Promise<void> {
  app.addHook('onSend', async (_req, reply) => {
    for (const [k, v] of SECURITY_HEADERS) if (!reply.hasHeader(k)) reply.header(k, v)
  })
  const table: RouteEntry[] = []
  app.addHook('onRoute', r => {
    for (const method of ([] as string[]).concat(r.method)) table.push({ method, url: r.url, hidden: (r.schema as { hide?: boolean } | undefined)?.hide === true })
  })
  app.decorate('routeTable', table)
  await app.register(compress, {
    global: true,
    threshold: COMPRESSION_THRESHOLD,
    encodings: ['gzip', 'br', 'deflate'],
    zlibOptions: { level: COMPRESSION_LEVEL }
  })
  const origins = parseCorsOrigins(opts.cors ?? '')
  if (origins !== null) {
    await app.register(cors, {
      origin: origins,
      methods: ['GET', 'HEAD', 'POST', 'OPTIONS'],
      exposedHeaders: EXPOSED_HEADERS,
      maxAge: 600
    })
  }
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'lossboard API',
        version: '1',
        description: 'Scalars from TensorBoard event files: raw, de-smoothed, smoothed and annotated, at full resolution. ' +
          'Native routes live under /api/v1; /data/* reproduces TensorBoard\'s own HTTP API. See docs/api.md.'
      },
      servers: [{ url: opts.basePath === undefined || opts.basePath === '' ? '/' : opts.basePath, description: 'this server' }],
      tags: [
        { name: 'api', description: 'lossboard\'s native API (columnar JSON, CSV, NDJSON, live events)' },
        { name: 'tensorboard', description: 'TensorBoard-compatible routes (bodies as TensorBoard prints them)' },
        { name: 'ops', description: 'health and documentation' }
      ]
    },
    // Paths in the document are relative to `servers[0].url`, so a client joins them with the base path once.
    transform: ({ schema, url }) => ({ schema, url: stripBase(url, opts.basePath ?? '') })
  })
}

/** One registered route, as recorded for the check that the OpenAPI document lists them all. */
export interface RouteEntry {
  method: string
  url: string
  /** Excluded from the OpenAPI document (catch-all wildcards only). */
  hidden: boolean
}

/** The routes registered after {@link registerHttpHygiene}, in registration order. */
export function routeTable (app: FastifyInstance): RouteEntry[] {
  return (app as unknown as { routeTable: RouteEntry[] }).routeTable
}

/** '' → null (CORS off); '*' → '*'; 'a,b' → ['a', 'b']. */
export function parseCorsOrigins (spec: string): string | string[] | null {
  const s = spec.trim()
  if (s === '') return null
  if (s === '*') return '*'
  return s.split(',').map(o => o.trim()).filter(o => o !== '')
}

function stripBase (url: string, base: string): string {
  if (base === '' || !url.startsWith(base)) return url
  const rest = url.slice(base.length)
  return rest === '' ? '/' : rest
}
