/** buildApp(): the Fastify instance with every route registered; never listens (tests inject into it). */

import Fastify, { LogController, type FastifyInstance, type FastifyBaseLogger } from 'fastify'
import type { Logger } from 'pino'
import type { ScalarStore } from './store/scalar-store.js'
import type { LoaderTotals } from './logdir/logdir-loader.js'
import { tbCompatRoutes } from './http/routes/tb-compat.js'
import { apiRoutes } from './http/routes/api.js'
import { annotationRoutes } from './http/routes/annotations.js'
import { alertRoutes } from './http/routes/alerts.js'
import type { AlertRecord } from './alerts/alerter.js'
import { healthRoutes } from './http/routes/health.js'
import { staticRoutes } from './http/routes/static.js'
import { ApiError } from './http/errors.js'
import { registerHttpHygiene } from './http/hygiene.js'
import { createEnrichmentProvider, type EnrichmentProvider } from './provider/enrichment.js'

export interface AppDeps {
  store: ScalarStore
  logdir: string
  totals: () => LoaderTotals
  logger?: Logger | false
  basePath?: string
  /** Directory of the built dashboard (default dist/web). */
  webRoot?: string
  /** CORS origins for browser notebooks: '' (off), '*', or a comma-separated list. */
  cors?: string
  /** Enrichment (de-smoothing, smoothing, annotations); built from the store when omitted. */
  enrichment?: EnrichmentProvider
  /** Alert history for GET /api/v1/alerts (null or absent: alerts off). */
  alerts?: { readonly history: readonly AlertRecord[] } | null
}

export async function buildApp (deps: AppDeps): Promise<FastifyInstance> {
  const common = {
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { querystringParser: (q: string) => Object.fromEntries(new URLSearchParams(q)) }
  }
  const app: FastifyInstance = deps.logger
    ? Fastify({ ...common, loggerInstance: deps.logger as unknown as FastifyBaseLogger })
    : Fastify({ ...common, logger: false })
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    const out: Record<string, string | string[]> = {}
    for (const [k, v] of new URLSearchParams(body as string)) {
      const prev = out[k]
      out[k] = prev === undefined ? v : ([] as string[]).concat(prev, v)
    }
    done(null, out)
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
  // Compression, CORS and the OpenAPI collector must precede every route.
  await registerHttpHygiene(app, { cors: deps.cors, basePath: deps.basePath })
  const enrichment = deps.enrichment ?? createEnrichmentProvider(deps.store)
  const register = async (scope: FastifyInstance): Promise<void> => {
    await scope.register(tbCompatRoutes, { store: deps.store, logdir: deps.logdir })
    await scope.register(apiRoutes, { prefix: '/api/v1', store: deps.store, enrichment })
    await scope.register(annotationRoutes, { prefix: '/api/v1', store: deps.store, enrichment })
    await scope.register(alertRoutes, { prefix: '/api/v1', alerts: deps.alerts ?? null })
    await scope.register(healthRoutes, { totals: deps.totals })
    await scope.register(staticRoutes, { basePath: deps.basePath ?? '', webRoot: deps.webRoot })
  }
  await app.register(register, { prefix: deps.basePath ?? '' })
  return app
}
