/** Querystring handling of /api/v1: repeated parameters, unknown-parameter and validation errors naming the parameter, and typed parsing. */

import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify'
import { ApiError, badParam } from './errors.js'
import { SERIES_NAMES } from './schemas.js'
import { RE2JS } from 're2js'
import type { Selection, NamePattern } from '../provider/selection.js'
import type { PointRange, SeriesWanted, EnrichParams } from '../provider/series-slice.js'
import type { DesmoothMode } from '../provider/enrichment.js'

/** Parameters any route accepts without declaring them: cache busters and proxy tokens. */
const ALWAYS_ALLOWED = new Set(['_', 'token'])

/** Most parameters one query string or form body may carry; more is a 400 (a request, not a denial of service). */
export const MAX_PARAMS = 1000

/**
 * Parses `a=1&b=2&a=3` (query string or form body) in linear time, keeping repeated parameters: a
 * key seen once maps to its string, a key seen more often to the array of its values. More than
 * `maxParams` parameters throw a 400 naming the limit.
 */
export function parseParams (text: string, maxParams = MAX_PARAMS): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null)
  let n = 0
  for (const [k, v] of new URLSearchParams(text)) {
    if (++n > maxParams) throw new ApiError(400, 'LB_ERR_BAD_REQUEST', `too many parameters (more than ${maxParams})`)
    const prev = out[k]
    if (prev === undefined) out[k] = v
    else if (Array.isArray(prev)) prev.push(v)
    else out[k] = [prev, v]
  }
  return out
}

/**
 * Parses a URL's query string keeping repeated parameters (the server-wide parser keeps only the
 * last, which TensorBoard's routes expect).
 */
export function parseQueryMulti (url: string): Record<string, string | string[]> {
  const q = url.indexOf('?')
  return q < 0 ? Object.create(null) : parseParams(url.slice(q + 1))
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

/** Longest client regular expression accepted (compiling is linear in it, matching linear in pattern × name). */
export const MAX_REGEX_LENGTH = 1024

/**
 * A regular expression parameter compiled for RE2's engine (re2js), which matches in time linear
 * in the input: no pattern can make a request backtrack for seconds (`^(.+)+X$` took 17.9 s on
 * V8's engine against a 29-character run name). RE2 has no backreferences or lookaround; such a
 * pattern, or an invalid one, is a 400 naming the parameter.
 */
export function parseRegex (param: string, src: string | undefined): NamePattern | undefined {
  if (src === undefined) return undefined
  if (src.length > MAX_REGEX_LENGTH) throw badParam(param, `regular expression longer than ${MAX_REGEX_LENGTH} characters`)
  try {
    return RE2JS.compile(src)
  } catch (err) {
    throw badParam(param, `not a valid regular expression for lossboard's linear-time (RE2) engine, which has no backreferences or lookaround: ${(err as Error).message}`)
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
