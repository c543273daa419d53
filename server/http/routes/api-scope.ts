/** The one Fastify scope of /api/v1: its query handling, its single error handler, its JSON 404, and every /api/v1 route plugin inside it. */

import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { DataSource } from '../../provider/data-source.js'
import type { EnrichmentProvider } from '../../provider/enrichment.js'
import type { StreamSlots } from '../limits.js'
import { ApiError, routeNotFound } from '../errors.js'
import { installQueryHandling, validationToBadParam } from '../query.js'
import { sendApiError } from '../respond.js'
import { apiRoutes } from './api.js'
import type { ResponseCache } from '../response-cache.js'
import { annotationRoutes } from './annotations.js'
import { exportRoutes } from './export.js'
import { streamRoutes } from './stream.js'
import { openapiRoutes } from './openapi.js'
import { hparamsRoutes } from './hparams.js'
import type { HParamsFileReader, HParamsYamlReader } from '../../provider/hparams.js'
import { alertRoutes, type AlertRoutesOptions } from './alerts.js'

export interface ApiScopeOptions {
  store: DataSource
  enrichment: EnrichmentProvider
  streams: StreamSlots
  /** Reads a run's hparams plugin data and text configs from its event files (the logdir layer's reader). */
  readHParams: HParamsFileReader
  /** Reads a run's Lightning hparams.yaml (the logdir layer's reader). */
  readHParamsYaml?: HParamsYamlReader
  /** Alert history for GET /api/v1/alerts (null: alerts off). */
  alerts: AlertRoutesOptions['alerts']
  /** Whole /scalars bodies kept while their series are unchanged. */
  responses: ResponseCache
}

/**
 * Maps any error of an /api/v1 route to its body (JSON; `text/plain` `CODE: message` when the request asked for CSV): ApiError as thrown, a schema-validation
 * failure to a 400 naming the parameter, any other framework 4xx (body too large, bad media type,
 * timeout) to itself as LB_ERR_BAD_REQUEST, and everything else to a logged 500.
 */
export function apiErrorHandler (err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const e = err instanceof ApiError ? err : (err.validation !== undefined ? validationToBadParam(err, req) : null)
  if (e !== null) return sendApiError(req, reply, e)
  if (err.statusCode !== undefined && err.statusCode < 500) {
    return sendApiError(req, reply, { statusCode: err.statusCode, code: 'LB_ERR_BAD_REQUEST', message: err.message })
  }
  req.log.error({ err }, 'unhandled error')
  return sendApiError(req, reply, { statusCode: 500, code: 'LB_ERR_INTERNAL', message: 'internal error' })
}

/** Registers every /api/v1 route under this plugin's prefix, sharing one error handler. */
export async function apiScope (app: FastifyInstance, opts: ApiScopeOptions): Promise<void> {
  installQueryHandling(app)
  app.setErrorHandler(apiErrorHandler)
  // Unknown paths under /api/v1 get a JSON 404 from us, not the dashboard's static wildcard.
  // An explicit wildcard beats the root one in the router; setNotFoundHandler would not be reached.
  const notFound = async (req: FastifyRequest): Promise<never> => { throw routeNotFound(req.method, req.url) }
  app.setNotFoundHandler(notFound)
  app.all('/*', { schema: { hide: true } }, notFound)
  await app.register(apiRoutes, { store: opts.store, enrichment: opts.enrichment, responses: opts.responses })
  await app.register(annotationRoutes, { store: opts.store, enrichment: opts.enrichment })
  await app.register(exportRoutes, { store: opts.store, enrichment: opts.enrichment })
  await app.register(streamRoutes, { store: opts.store, enrichment: opts.enrichment, slots: opts.streams })
  await app.register(hparamsRoutes, { store: opts.store, readHParams: opts.readHParams, readHParamsYaml: opts.readHParamsYaml })
  await app.register(alertRoutes, { alerts: opts.alerts })
  await app.register(openapiRoutes)
}
