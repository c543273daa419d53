/** Pieces shared by the /api/v1 route plugins: standard error responses for the OpenAPI document, and 404 mapping. */

import { runNames, scalarTagNames, type DataSource } from '../provider/data-source.js'
import { closestName } from './suggest.js'
import { selectSeries, type SelectOutcome } from '../provider/selection.js'
import type { SliceOptions } from '../provider/series-slice.js'
import type { NonFinitePolicy } from '../provider/encode.js'
import type { DownsampleMethod } from '../provider/downsample.js'
import { parseSelection, parseRange, parseSeries, parseEnrich } from './query.js'
import { dataEtag, type Format } from './respond.js'
import { runNotFound, tagNotFound, tagNotFoundInSelection } from './errors.js'
import { ErrorBody, DATA_CONTENT_TYPES } from './schemas.js'

/** Standard error responses of every /api/v1 data route, for the OpenAPI document. */
export const ERROR_RESPONSES = {
  400: { description: 'A parameter is missing, malformed, out of range or unknown; `error.param` names it (LB_ERR_BAD_PARAM).', ...ErrorBody },
  404: { description: 'A run or tag named exactly does not exist (LB_ERR_NOT_FOUND_RUN, LB_ERR_NOT_FOUND_TAG).', ...ErrorBody }
}

/** OpenAPI `responses[200]` for a route that answers in every data format. */
export function dataResponse (description: string, jsonSchema: object): Record<string, unknown> {
  const content: Record<string, unknown> = {}
  for (const t of DATA_CONTENT_TYPES) content[t] = { schema: t === 'application/json' ? jsonSchema : { type: 'string' } }
  return { description, content }
}

/** Maps a failed selection to its 404 (the single-series form names the run with the tag). */
export function throwIfNotFound (sel: SelectOutcome, data: DataSource): asserts sel is Extract<SelectOutcome, { kind: 'ok' }> {
  if (sel.kind === 'run-not-found') throw runNotFound(sel.run, closestName(sel.run, runNames(data)))
  if (sel.kind === 'tag-not-found') {
    const near = closestName(sel.tag, scalarTagNames(data, sel.run))
    throw sel.run !== undefined ? tagNotFound(sel.run, sel.tag, near) : tagNotFoundInSelection(sel.tag, near)
  }
}

/** The query fields that /scalars and /export read the same way. */
export type DataQuery = Parameters<typeof parseSelection>[0] & Parameters<typeof parseRange>[0] & Parameters<typeof parseEnrich>[0] & {
  series?: string[]
  nonFinite?: string
}

/**
 * What /scalars and /export both derive from a data query: the slice options (with the route's
 * own thinning), the non-finite policy, the selected series (a 404 when a named run or tag does not
 * exist) and the response's ETag (made on demand: a cached /scalars body carries its own).
 */
export function prepareData (store: DataSource, q: DataQuery, route: string, format: Format, thinning: { points: number, method: DownsampleMethod }) {
  const sliceOpts: SliceOptions = {
    wanted: parseSeries(q.series),
    range: parseRange(q),
    enrich: parseEnrich(q),
    points: thinning.points,
    method: thinning.method
  }
  const policy = (q.nonFinite ?? 'string') as NonFinitePolicy
  const sel = selectSeries(store, parseSelection(q))
  throwIfNotFound(sel, store)
  return { sliceOpts, policy, sel, etag: () => dataEtag(route, q, format, sel.runs) }
}
