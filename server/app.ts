/** buildApp(): the Fastify instance with every route registered; never listens (tests inject into it). */

import { randomUUID } from 'node:crypto'
import http from 'node:http'
import https from 'node:https'
import Fastify, { LogController, type FastifyInstance, type FastifyBaseLogger, type FastifyServerOptions } from 'fastify'
import type { Logger } from 'pino'
import type { ScalarStore } from './store/scalar-store.js'
import type { LoaderTotals } from './logdir/logdir-loader.js'
import { tbCompatRoutes } from './http/routes/tb-compat.js'
import { apiScope } from './http/routes/api-scope.js'
import { hparamsReaders } from './logdir/hparams-reader.js'
import { FsSource } from './logdir/fs-source.js'
import type { LogdirSource } from './logdir/source.js'
import type { AlertRecord } from './alerts/alerter.js'
import { healthRoutes } from './http/routes/health.js'
import { staticRoutes } from './http/routes/static.js'
import { ApiError } from './http/errors.js'
import { registerHttpHygiene } from './http/hygiene.js'
import { registerAccess } from './http/access.js'
import { parseParams } from './http/query.js'
import { DEFAULT_LIMITS, DEFAULT_TIMEOUTS, StreamSlots, applyTimeouts, capConnections, type Limits, type Timeouts } from './http/limits.js'
import { RequestMetrics, metricsRoutes } from './http/metrics.js'
import { ResponseCache, RESPONSE_CACHE_BYTES } from './http/response-cache.js'
import { createEnrichmentProvider, type EnrichmentProvider } from './provider/enrichment.js'
import { createTbScalarsCache } from './provider/tb-scalars-cache.js'
import { lazySerializerFactory } from './http/lazy-compilers.js'

export interface AppDeps {
  store: ScalarStore
  logdir: string
  /**
   * Where the runs are read from (every part of a --logdir-spec, local or s3://), for the side
   * reads of /api/v1/hparams; default: the local directory `logdir`.
   */
  sources?: readonly LogdirSource[]
  totals: () => LoaderTotals
  logger?: Logger | false
  basePath?: string
  /** Directory of the built dashboard (default dist/web). */
  webRoot?: string
  /** CORS origins for browser notebooks: '' (off), '*', or a comma-separated list. */
  cors?: string
  /** Enrichment (de-smoothing, smoothing, annotations); built from the store when omitted. */
  enrichment?: EnrichmentProvider
  /** Access token ('' or absent: no authentication). */
  authToken?: string
  /** Host names accepted besides loopback (empty: any). */
  allowedHosts?: string[]
  /** PEM certificate and key: serve HTTPS. */
  https?: { cert: string | Buffer, key: string | Buffer }
  /** Connection and stream caps (defaults: DEFAULT_LIMITS). */
  limits?: Partial<Limits>
  /** Socket timeouts (defaults: DEFAULT_TIMEOUTS). */
  timeouts?: Partial<Timeouts>
  /** Alert history for GET /api/v1/alerts (null or absent: alerts off). */
  alerts?: { readonly history: readonly AlertRecord[] } | null
  /** Cache of /api/v1/scalars bodies (default: one of RESPONSE_CACHE_BYTES, 64 MiB; `new ResponseCache(0)` turns it off). */
  responseCache?: ResponseCache
}

/** A client's X-Request-Id when it looks like one (so logs can be joined with a proxy's), else a fresh id. */
function requestId (header: string | string[] | undefined): string {
  return typeof header === 'string' && /^[\w.:-]{1,64}$/.test(header) ? header : randomUUID()
}

export async function buildApp (deps: AppDeps): Promise<FastifyInstance> {
  const limits: Limits = { ...DEFAULT_LIMITS, ...deps.limits }
  const timeouts: Timeouts = { ...DEFAULT_TIMEOUTS, ...deps.timeouts }
  const common: FastifyServerOptions = {
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { querystringParser: (q: string) => Object.fromEntries(new URLSearchParams(q)) },
    genReqId: req => requestId(req.headers['x-request-id']),
    // Fastify's default serializer compiler, each response schema compiled on its first use, not all at start-up.
    // Request validators stay compiled at start-up: compiled on a first request, Ajv's loading and set-up blocked that
    // request and every other (over 1 s on the loaded 2-core VM; test/http/hostile.test.ts).
    schemaController: { compilersFactory: { buildSerializer: lazySerializerFactory } },
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    // Node checks request and header timeouts on this period (default 30 s, which would stretch a 10 s limit to 40 s).
    serverFactory: (handler) => deps.https !== undefined
      ? https.createServer({ ...deps.https, connectionsCheckingInterval: 1000 }, handler) as unknown as http.Server
      : http.createServer({ connectionsCheckingInterval: 1000 }, handler)
  }
  const app: FastifyInstance = deps.logger
    ? Fastify({ ...common, loggerInstance: deps.logger as unknown as FastifyBaseLogger })
    : Fastify({ ...common, logger: false })
  applyTimeouts(app.server, timeouts)
  const requests = new RequestMetrics()
  const connections = capConnections(app.server, limits.maxConnections, () => { requests.refusedConnections++ })
  // Linear in the body, with a cap on the number of parameters (a repeated key must not cost O(n²)).
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 1 << 20 }, (_req, body, done) => {
    try { done(null, parseParams(body as string, 10_000)) } catch (err) { done(err as Error, undefined) }
  })
  app.setErrorHandler((err: Error, req, reply) => {
    if (err instanceof ApiError) {
      return reply.code(err.statusCode).send({ error: { code: err.code, message: err.message, ...err.details } })
    }
    const status = (err as { statusCode?: number }).statusCode
    if (status !== undefined && status < 500) {
      return reply.code(status).send({ error: { code: 'LB_ERR_BAD_REQUEST', message: err.message } })
    }
    req.log.error({ err }, 'unhandled error')
    return reply.code(500).send({ error: { code: 'LB_ERR_INTERNAL', message: 'internal error' } })
  })
  app.addHook('onRequest', async (req, reply) => { reply.header('x-request-id', req.id) })
  app.addHook('onResponse', async (req, reply) => {
    const seconds = reply.elapsedTime / 1000
    requests.observe(req.method, req.routeOptions.url ?? 'unmatched', reply.statusCode, seconds)
    if (reply.statusCode >= 500) req.log.warn({ status: reply.statusCode, method: req.method, route: req.routeOptions.url, ms: Math.round(reply.elapsedTime) }, 'request failed')
    else req.log.debug({ status: reply.statusCode, method: req.method, route: req.routeOptions.url, ms: Math.round(reply.elapsedTime) }, 'request')
  })
  // Access checks, security headers, compression, CORS and the OpenAPI collector precede every route.
  await registerHttpHygiene(app, { cors: deps.cors, basePath: deps.basePath })
  await registerAccess(app, { token: deps.authToken, allowedHosts: deps.allowedHosts, basePath: deps.basePath, secure: deps.https !== undefined })
  const enrichment = deps.enrichment ?? createEnrichmentProvider(deps.store)
  const streams = new StreamSlots(limits)
  const tbScalars = createTbScalarsCache(deps.store)
  const responses = deps.responseCache ?? new ResponseCache(RESPONSE_CACHE_BYTES)
  const hparams = hparamsReaders(deps.sources ?? [new FsSource(deps.logdir)])
  const register = async (scope: FastifyInstance): Promise<void> => {
    await scope.register(tbCompatRoutes, { store: deps.store, logdir: deps.logdir, scalars: tbScalars })
    await scope.register(apiScope, { prefix: '/api/v1', store: deps.store, enrichment, streams, readHParams: hparams.readFile, readHParamsYaml: hparams.readYaml, alerts: deps.alerts ?? null, responses })
    await scope.register(healthRoutes, { totals: deps.totals, enrichment })
    await scope.register(metricsRoutes, { totals: deps.totals, requests, streams: () => streams.total, connections })
    await scope.register(staticRoutes, { basePath: deps.basePath ?? '', webRoot: deps.webRoot })
  }
  await app.register(register, { prefix: deps.basePath ?? '' })
  return app
}
