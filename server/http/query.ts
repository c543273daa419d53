/** Querystring handling of /api/v1: repeated parameters, unknown-parameter and validation errors naming the parameter, and typed parsing. */

import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify'
import { badParam } from './errors.js'
import { SERIES_NAMES } from './schemas.js'
import type { Selection } from '../provider/selection.js'
import type { PointRange, SeriesWanted, EnrichParams } from '../provider/series-slice.js'
import type { DesmoothMode } from '../provider/enrichment.js'

/** Parameters any route accepts without declaring them: cache busters and proxy tokens. */
const ALWAYS_ALLOWED = new Set(['_', 'token'])

/**
 * Parses a query string keeping repeated parameters: a key seen once maps to its string, a key
 * seen more often to the array of its values (the server-wide parser keeps only the last, which
 * TensorBoard's routes expect).
 */
export function parseQueryMulti (url: string): Record<string, string | string[]> {
  const q = url.indexOf('?')
  const out: Record<string, string | string[]> = {}
  if (q < 0) return out
  for (const [k, v] of new URLSearchParams(url.slice(q + 1))) {
    const prev = out[k]
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v]
  }
  return out
}

/**
 * Installs, in the calling plugin's scope: the multi-value query parser, rejection of
 * parameters the route's schema does not declare (a misspelt `tags=` must not silently mean
 * "every tag"), and the mapping of schema-validation failures to 400 `LB_ERR_BAD_PARAM` naming
 * the parameter.
 */
export function installQueryHandling (app: FastifyInstance): void {
  app.addHook('onRequest', async (req) => {
    req.query = parseQueryMulti(req.raw.url ?? '')
  })
  app.addHook('preValidation', async (req) => {
    const schema = req.routeOptions.schema?.querystring as { properties?: Record<string, unknown> } | undefined
    const known = schema?.properties
    if (known === undefined) return
    for (const k of Object.keys(req.query as object)) {
      if (!(k in known) && !ALWAYS_ALLOWED.has(k)) {
        throw badParam(k, `unknown parameter; this route takes ${Object.keys(known).join(', ')}`)
      }
    }
  })
}

/** Turns a Fastify schema-validation error on the querystring into the 400 naming the parameter, or null. */
export function validationToBadParam (err: FastifyError, req: FastifyRequest): ReturnType<typeof badParam> | null {
  const first = err.validation?.[0]
  if (first === undefined) return null
  const params = (first.params ?? {}) as Record<string, unknown>
  let param = typeof params.missingProperty === 'string'
    ? params.missingProperty
    : (first.instancePath ?? '').split('/').filter(s => s !== '')[0] ?? ''
  if (param === '' && typeof params.additionalProperty === 'string') param = params.additionalProperty
  let msg = first.message ?? 'invalid'
  if (first.keyword === 'required') msg = 'required'
  if (Array.isArray(params.allowedValues)) msg += ': ' + params.allowedValues.join(', ')
  const raw = (parseQueryMulti(req.raw.url ?? '') as Record<string, unknown>)[param]
  if (raw !== undefined && first.keyword !== 'required') msg += ` (got ${JSON.stringify(raw)})`
  return badParam(param || 'query', msg)
}

/** A regular expression parameter, or a 400 naming it. */
export function parseRegex (param: string, src: string | undefined): RegExp | undefined {
  if (src === undefined) return undefined
  try {
    return new RegExp(src)
  } catch (err) {
    throw badParam(param, `not a valid regular expression: ${(err as Error).message}`)
  }
}

/** The run/runRe/tag/tagRe selection of a validated query. */
export function parseSelection (q: { run?: string[], runRe?: string, tag?: string[], tagRe?: string }): Selection {
  return { runs: q.run, runRe: parseRegex('runRe', q.runRe), tags: q.tag, tagRe: parseRegex('tagRe', q.tagRe) }
}

/** True when the query names exactly one run and one tag and uses no regular expression. */
export function isSingleSeries (q: { run?: string[], runRe?: string, tag?: string[], tagRe?: string }): boolean {
  return q.run?.length === 1 && q.tag?.length === 1 && q.runRe === undefined && q.tagRe === undefined
}

/** startStep/endStep/startTime/endTime, each bound checked against its partner. */
export function parseRange (q: PointRange): PointRange {
  if (q.startStep !== undefined && q.endStep !== undefined && q.endStep < q.startStep) throw badParam('endStep', `must be ≥ startStep (${q.startStep})`)
  if (q.startTime !== undefined && q.endTime !== undefined && q.endTime < q.startTime) throw badParam('endTime', `must be ≥ startTime (${q.startTime})`)
  return { startStep: q.startStep, endStep: q.endStep, startTime: q.startTime, endTime: q.endTime }
}

/** `series=raw,desmoothed` (commas and/or repeats) → which series; default raw only. */
export function parseSeries (values: string[] | undefined): SeriesWanted {
  if (values === undefined) return { raw: true, desmoothed: false, smoothed: false }
  const w: SeriesWanted = { raw: false, desmoothed: false, smoothed: false }
  const items = values.flatMap(v => v.split(',')).map(s => s.trim()).filter(s => s !== '')
  if (items.length === 0) throw badParam('series', `must name at least one of ${SERIES_NAMES.join(', ')}`)
  for (const item of items) {
    if (!(SERIES_NAMES as readonly string[]).includes(item)) throw badParam('series', `unknown series '${item}'; use ${SERIES_NAMES.join(', ')}`)
    w[item as keyof SeriesWanted] = true
  }
  return w
}

/** smoothing/desmooth/datasetSize/batchSize (defaults already applied by the schema). */
export function parseEnrich (q: { smoothing?: number, desmooth?: string, datasetSize?: number, batchSize?: number }): EnrichParams {
  return { smoothing: q.smoothing ?? 0.6, desmooth: (q.desmooth ?? 'auto') as DesmoothMode, datasetSize: q.datasetSize, batchSize: q.batchSize }
}
