/** lossboard's HTTP errors: each has a stable code (LB_ERR_<AREA>_<WHAT>), a status and a message template. */

/** An error the API reports to the client as `{error: {code, message, ...details}}`. */
export class ApiError extends Error {
  constructor (readonly statusCode: number, readonly code: string, message: string, readonly details: Record<string, unknown> = {}) {
    super(message)
  }
}

/** Every code the server answers with, and its HTTP status (docs/api.md lists each one). */
export const ERROR_CODES = {
  LB_ERR_NOT_FOUND_RUN: 404,
  LB_ERR_NOT_FOUND_TAG: 404,
  LB_ERR_NOT_FOUND_ROUTE: 404,
  LB_ERR_BAD_PARAM: 400,
  LB_ERR_BAD_REQUEST: 400,
  LB_ERR_UNAUTHORIZED: 401,
  LB_ERR_HOST_NOT_ALLOWED: 403,
  LB_ERR_TOO_MANY_STREAMS: 429,
  LB_ERR_STREAMS_FULL: 503,
  LB_ERR_TOO_MANY_CONNECTIONS: 503,
  LB_ERR_INTERNAL: 500
} as const

/** An exact run name that the store does not hold. */
export function runNotFound (run: string, suggestion: string | null = null): ApiError {
  return new ApiError(404, 'LB_ERR_NOT_FOUND_RUN', `run not found: '${run}'${didYouMean(suggestion)}`, suggestion === null ? { run } : { run, suggestion })
}

/** The message's "did you mean" tail (`details.suggestion` carries the name itself). */
function didYouMean (suggestion: string | null): string {
  return suggestion === null ? '' : `; did you mean '${suggestion}'?`
}

/** An exact tag that the one named run does not hold as a scalar tag. */
export function tagNotFound (run: string, tag: string, suggestion: string | null = null): ApiError {
  return new ApiError(404, 'LB_ERR_NOT_FOUND_TAG', `tag '${tag}' not found in run '${run}'${didYouMean(suggestion)}`, suggestion === null ? { run, tag } : { run, tag, suggestion })
}

/** A tag named exactly that none of the selected runs holds. */
export function tagNotFoundInSelection (tag: string, suggestion: string | null = null): ApiError {
  return new ApiError(404, 'LB_ERR_NOT_FOUND_TAG', `tag '${tag}' not found in any selected run${didYouMean(suggestion)}`, suggestion === null ? { tag } : { tag, suggestion })
}

/** A path under /api/v1 that names no route. */
export function routeNotFound (method: string, url: string): ApiError {
  return new ApiError(404, 'LB_ERR_NOT_FOUND_ROUTE', `no route ${method} ${url.split('?')[0]}; see /api/v1/openapi.json`, {})
}

/** A query parameter that is missing, malformed, out of range or unknown. `details.param` names it. */
export function badParam (param: string, message: string): ApiError {
  return new ApiError(400, 'LB_ERR_BAD_PARAM', `invalid parameter '${param}': ${message}`, { param })
}
