/** JSON schemas (TypeBox) of the querystring and responses of every /api/v1 route: validation, and the OpenAPI document. */

import { Type, type TSchema, type TArray, type TString, type Static } from '@sinclair/typebox'

/** A string restricted to `values` (plain `enum`, so validation errors list the allowed values). */
function StringEnum<const T extends readonly string[]> (values: T, opts: { description?: string, default?: T[number] } = {}): TSchema & { static: T[number] } {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...opts })
}

const names = (what: string): TArray<TString> => Type.Array(Type.String({ maxLength: 4096 }), {
  description: `Exact ${what} name; repeat the parameter for several (\`${what}=a&${what}=b\`).`
})
const regex = (what: string): TString => Type.String({
  maxLength: 1000,
  description: `JavaScript regular expression searched in each ${what} name (\`^…$\` for a whole-name match). ` +
    `Selects ${what}s in addition to those named by \`${what}=\`.`
})

/** run / runRe / tag / tagRe. */
const selection = {
  run: Type.Optional(names('run')),
  runRe: Type.Optional(regex('run')),
  tag: Type.Optional(names('tag')),
  tagRe: Type.Optional(regex('tag'))
}

const range = {
  startStep: Type.Optional(Type.Number({ description: 'Keep points with step ≥ startStep.' })),
  endStep: Type.Optional(Type.Number({ description: 'Keep points with step ≤ endStep.' })),
  startTime: Type.Optional(Type.Number({ description: 'Keep points with wall time (float seconds since the epoch) ≥ startTime.' })),
  endTime: Type.Optional(Type.Number({ description: 'Keep points with wall time ≤ endTime.' }))
}

/** Allowed values of the enumerated parameters (also used by the hand-written checks and messages). */
export const SERIES_NAMES = ['raw', 'desmoothed', 'smoothed'] as const
export const NON_FINITE_POLICIES = ['string', 'null', 'literal'] as const
export const DESMOOTH_MODES = ['auto', 'running-mean', 'none'] as const
export const FORMATS = ['json', 'csv', 'ndjson'] as const
export const DOWNSAMPLE_METHODS = ['minmax', 'lttb'] as const

const data = {
  series: Type.Optional(Type.Array(Type.String({ maxLength: 100 }), {
    description: 'Comma-separated (or repeated) subset of raw, desmoothed, smoothed. raw = the stored value (`value`); ' +
      'desmoothed adds `desmoothed`, `desmoothedBound` and `epoch`; smoothed adds `smoothed`. Default: raw.'
  })),
  smoothing: Type.Optional(Type.Number({ minimum: 0, exclusiveMaximum: 1, default: 0.6, description: 'TensorBoard EMA weight for `smoothed`, 0 ≤ w < 1.' })),
  desmooth: Type.Optional(StringEnum(DESMOOTH_MODES, { default: 'auto', description: 'How to de-smooth: detect the logger (auto), force Keras running-mean inversion, or none.' })),
  datasetSize: Type.Optional(Type.Integer({ minimum: 1, description: 'Training examples per epoch: makes the last (smaller) batch of each epoch exact.' })),
  batchSize: Type.Optional(Type.Integer({ minimum: 1, description: 'Batch size, with datasetSize.' })),
  nonFinite: Type.Optional(StringEnum(NON_FINITE_POLICIES, {
    default: 'string',
    description: 'NaN/±Infinity in JSON and NDJSON: "NaN"/"Infinity"/"-Infinity" strings (string), null plus a nonFinite record (null), ' +
      'or bare NaN/Infinity tokens that Python\'s json reads (literal). CSV writes NaN/Infinity/-Infinity (empty cells under null).'
  })),
  format: Type.Optional(StringEnum(FORMATS, { description: 'Response format; overrides the Accept header (application/json, text/csv, application/x-ndjson). Default json.' }))
}

/** Querystring of /api/v1/runs. */
export const RunsQuery = Type.Object({
  run: selection.run,
  runRe: selection.runRe
})

/** Querystring of /api/v1/tags. */
export const TagsQuery = Type.Object({ ...selection })

/** Querystring of /api/v1/scalars (selection, ranges, series, formats, thinning). */
export const ScalarsQuery = Type.Object({
  ...selection,
  ...range,
  ...data,
  points: Type.Optional(Type.Integer({ minimum: 0, default: 0, description: 'Thin each series to at most this many points for display (≥ 2); 0 = every point (default).' })),
  method: Type.Optional(StringEnum(DOWNSAMPLE_METHODS, { default: 'minmax', description: 'Thinning method: min and max of each bucket (keeps every spike), or LTTB.' }))
})

/** Querystring of /api/v1/export (as /scalars, without thinning, plus pivot and runColumn). */
export const ExportQuery = Type.Object({
  ...selection,
  ...range,
  ...data,
  pivot: Type.Optional(Type.Boolean({ default: false, description: 'Wide table: one row per (run, step), one column per tag (tbparse pivot=True).' })),
  runColumn: Type.Optional(StringEnum(['run', 'dir_name'] as const, { default: 'run', description: 'Name of the run column; dir_name gives tbparse\'s name (the logdir itself is then \'\').' }))
})

/** Querystring of /api/v1/stream (filters only: they never 404). */
export const StreamQuery = Type.Object({
  ...selection,
  lastEventId: Type.Optional(Type.String({ maxLength: 200, description: 'Resume after this event id, like the Last-Event-ID header (which wins when both are sent).' }))
})

/** Validated query types (after defaults and coercion by Fastify's Ajv). */
export type RunsQueryT = Static<typeof RunsQuery>
export type TagsQueryT = Static<typeof TagsQuery>
export type ScalarsQueryT = Static<typeof ScalarsQuery>
export type ExportQueryT = Static<typeof ExportQuery>
export type StreamQueryT = Static<typeof StreamQuery>

/** The error body every failing /api/v1 request gets. */
export const ErrorBody = Type.Object({
  error: Type.Object({
    code: Type.String({ description: 'LB_ERR_* code, see docs/api.md' }),
    message: Type.String(),
    param: Type.Optional(Type.String({ description: 'The offending query parameter (400).' })),
    run: Type.Optional(Type.String()),
    tag: Type.Optional(Type.String())
  }, { additionalProperties: true })
}, { description: 'Error' })

const Restart = Type.Object({
  index: Type.Integer({ description: 'Position of the first point after the restart in the full series.' }),
  step: Type.Number(),
  previousStep: Type.Number(),
  wallTime: Type.Number(),
  file: Type.String({ description: 'Event file (relative to the logdir) holding the first point after the restart.' }),
  reason: StringEnum(['step-regression', 'session-start'] as const)
})

const FileStat = Type.Object({
  file: Type.String(),
  bytes: Type.Number(),
  records: Type.Number(),
  state: StringEnum(['active', 'dead', 'not-an-event-file'] as const),
  skippedRecords: Type.Number(),
  skippedBytes: Type.Number()
})

const FileIssue = Type.Object({
  file: Type.String(),
  offset: Type.Number(),
  kind: Type.String(),
  detail: Type.Optional(Type.String())
})

/** JSON body of /api/v1/runs (documents provider/dto.ts RunDto). */
export const RunsResponse = Type.Object({
  runs: Type.Array(Type.Object({
    run: Type.String(),
    startTime: Type.Union([Type.Number(), Type.Null()]),
    tags: Type.Integer(),
    points: Type.Integer(),
    files: Type.Array(FileStat),
    dataLoss: Type.Integer(),
    deadFiles: Type.Integer(),
    issues: Type.Array(FileIssue)
  }))
})

/** How far the analyses behind annotations are, for the series of one answer (documents EnrichmentProgress). */
export const EnrichmentProgressSchema = Type.Object({
  status: StringEnum(['done', 'computing'], { description: '`computing`: some of the series have points the analyses have not read yet (the background pass after start-up, or a burst of appends), so annotation lists and counts are partial; ask again later. `done`: they are final for the points stored now.' }),
  series: Type.Integer({ description: 'Series the answer covers.' }),
  pendingSeries: Type.Integer({ description: 'Of those, the series still to analyse (0 when done).' }),
  pendingPoints: Type.Integer({ description: 'Points those analyses have yet to read.' })
})

const Severities = Type.Object({ info: Type.Integer(), warning: Type.Integer(), critical: Type.Integer() })

/** JSON body of /api/v1/tags (documents TagDto). */
export const TagsResponse = Type.Object({
  tags: Type.Array(Type.Object({
    run: Type.String(),
    tag: Type.String(),
    displayName: Type.String(),
    points: Type.Integer(),
    firstStep: Type.Number(),
    lastStep: Type.Number(),
    lastWallTime: Type.Number(),
    dtypes: Type.Array(Type.String()),
    nonFinite: Type.Integer(),
    lastValue: Type.Union([Type.Number(), Type.Null()], { description: 'The last finite value (null when none is finite).' }),
    minValue: Type.Union([Type.Number(), Type.Null()], { description: 'The smallest finite value.' }),
    maxValue: Type.Union([Type.Number(), Type.Null()], { description: 'The largest finite value.' }),
    restarts: Type.Array(Restart),
    family: Type.String({ description: 'Smoothing family: keras-running-mean, lightning-step, lightning-epoch, hf-window-mean, rl-rolling-mean, epoch-aggregate, raw, unknown.' }),
    annotations: Severities,
    annotationsComplete: Type.Boolean({ description: 'False while the analyses have not read every point of the series yet (see `enrichment`): the counts are those found so far.' })
  })),
  enrichment: EnrichmentProgressSchema
})

const Num = Type.Union([Type.Number(), Type.String({ enum: ['NaN', 'Infinity', '-Infinity'] }), Type.Null()])

/** One series of /api/v1/scalars in JSON (documents SeriesDto). */
export const SeriesBody = Type.Object({
  run: Type.String(),
  tag: Type.String(),
  totalPoints: Type.Integer(),
  pointsInRange: Type.Integer(),
  points: Type.Integer({ description: 'Length of every column array.' }),
  downsampled: Type.Union([Type.Object({ method: StringEnum(DOWNSAMPLE_METHODS), maxPoints: Type.Integer() }), Type.Null()]),
  family: Type.Optional(Type.String()),
  notes: Type.Optional(Type.Array(Type.String())),
  unavailable: Type.Array(Type.String()),
  restarts: Type.Array(Restart),
  step: Type.Array(Type.Number()),
  wallTime: Type.Array(Type.Number()),
  value: Type.Optional(Type.Array(Num)),
  desmoothed: Type.Optional(Type.Array(Num)),
  desmoothedBound: Type.Optional(Type.Array(Num)),
  epoch: Type.Optional(Type.Array(Type.Integer())),
  smoothed: Type.Optional(Type.Array(Num)),
  nonFinite: Type.Optional(Type.Record(Type.String(), Type.Array(Type.Tuple([Type.Integer(), Type.String()]))))
})

/** JSON body of /api/v1/scalars: one series, or several. */
export const ScalarsResponse = Type.Union([SeriesBody, Type.Object({ series: Type.Array(SeriesBody) })], {
  description: 'One series object when the request names exactly one run and one tag (run= and tag= once each, no regex); otherwise {series: [...]}. ' +
    'CSV and NDJSON instead give one row per point: run, tag, step, wallTime, value and the asked-for columns.'
})

/** JSON body of /healthz (the loader totals come beside these two fields). */
export const HealthResponse = Type.Object({
  status: Type.Literal('ok'),
  loading: Type.Boolean({ description: 'True while the first full load of the logdir is running.' }),
  enrichment: Type.Object({
    status: StringEnum(['done', 'computing'], { description: '`computing` while series wait for the background analysis behind annotations.' }),
    queuedSeries: Type.Integer({ description: 'Series waiting for it.' })
  })
}, { additionalProperties: true })

/** Content types of the data routes, for the OpenAPI document. */
export const DATA_CONTENT_TYPES = ['application/json', 'text/csv', 'application/x-ndjson']
