/** Pieces shared by the /api/v1 route plugins: standard error responses for the OpenAPI document, and 404 mapping. */

import type { SelectOutcome } from '../provider/selection.js'
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
export function throwIfNotFound (sel: SelectOutcome): asserts sel is Extract<SelectOutcome, { kind: 'ok' }> {
  if (sel.kind === 'run-not-found') throw runNotFound(sel.run)
  if (sel.kind === 'tag-not-found') throw sel.run !== undefined ? tagNotFound(sel.run, sel.tag) : tagNotFoundInSelection(sel.tag)
}

