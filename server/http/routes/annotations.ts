/** GET /api/v1/annotations: jump annotations (what happened, how big, why, what to do) as a JSON array or CSV table. */

import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '../type-provider.js'
import { Type } from '@sinclair/typebox'
import { annotationSeries, annotationTarget, runNames, scalarTagNames, type DataSource } from '../../provider/data-source.js'
import { REQUEST_ANALYSIS_BUDGET_POINTS, type EnrichmentProvider, type AnnotationKind, type Severity } from '../../provider/enrichment.js'
import { filterAnnotations, annotationsCsv } from '../../provider/annotation-query.js'
import { badParam, runNotFound, tagNotFound, tagNotFoundInSelection } from '../errors.js'
import { parseRegex } from '../query.js'
import { ERROR_RESPONSES } from '../route-helpers.js'
import { negotiateFormat } from '../respond.js'
import { closestName } from '../suggest.js'
import { EnrichmentProgressSchema } from '../schemas.js'

export interface AnnotationRoutesOptions {
  store: DataSource
  enrichment: EnrichmentProvider
}

/** Every annotation kind, in the order the documentation lists them. */
export const ANNOTATION_KINDS: readonly AnnotationKind[] = ['staircase-artifact', 'spike', 'level-shift', 'non-finite', 'oscillation', 'plateau', 'divergence', 'overfitting', 'restart', 'lr-schedule']
export const SEVERITIES: readonly Severity[] = ['info', 'warning', 'critical']

const severityParam = (description: string) => Type.Optional(Type.Unsafe<Severity>({ type: 'string', enum: [...SEVERITIES], description }))

const AnnotationsQuery = Type.Object({
  run: Type.Optional(Type.String({ maxLength: 4096, description: 'Exact run name; all runs when absent.' })),
  runRe: Type.Optional(Type.String({ maxLength: 1000, description: 'JavaScript regular expression searched in each run name (`^…$` for a whole-name match); with `run=`, both must hold.' })),
  tag: Type.Optional(Type.String({ maxLength: 4096, description: 'Exact tag name; all tags when absent.' })),
  tagRe: Type.Optional(Type.String({ maxLength: 1000, description: 'JavaScript regular expression searched in each tag name; with `tag=`, both must hold.' })),
  kind: Type.Optional(Type.Array(Type.String({ maxLength: 100 }), { description: `Only annotations of these kinds: comma-separated or repeated, of ${ANNOTATION_KINDS.join(', ')}.` })),
  severity: severityParam('Only annotations of exactly this severity.'),
  minSeverity: severityParam('Only annotations of this severity or a worse one (info < warning < critical): `minSeverity=warning` is the triage list.'),
  minStep: Type.Optional(Type.Number({ description: 'Only annotations that end at or after this step.' })),
  format: Type.Optional(Type.Unsafe<'json' | 'csv'>({ type: 'string', enum: ['json', 'csv'], description: 'json (default) or csv: one row per annotation, the magnitude flattened to ratio and robustZ, causes joined by " | ". Overrides Accept (text/csv).' }))
})

const Annotation = Type.Object({
  id: Type.String({ description: 'Stable id (run, tag, kind and start point); the same annotation keeps it while it grows.' }),
  run: Type.String(),
  tag: Type.String(),
  kind: Type.Unsafe<AnnotationKind>({ type: 'string', enum: [...ANNOTATION_KINDS] }),
  severity: Type.Unsafe<Severity>({ type: 'string', enum: [...SEVERITIES] }),
  startStep: Type.Number(),
  endStep: Type.Number(),
  wallTime: Type.Number({ description: 'Wall time (float seconds) of the start point.' }),
  magnitude: Type.Object({
    ratio: Type.Union([Type.Number(), Type.Null()], { description: 'Peak over baseline in the direction that is bad for the metric (≥ 1 is worse); null when not finite.' }),
    robustZ: Type.Union([Type.Number(), Type.Null()], { description: '(peak − baseline) in robust noise units (log space for positive series).' })
  }),
  baseline: Type.Union([Type.Number(), Type.Null()]),
  peak: Type.Union([Type.Number(), Type.Null()]),
  causes: Type.Array(Type.Object({ cause: Type.String(), evidence: Type.String() })),
  explanation: Type.String(),
  series: Type.String({ description: 'raw, desmoothed (per-batch values recovered from running means) or logged (the running mean itself).' }),
  open: Type.Boolean({ description: 'Still going on: the end may move.' }),
  tentative: Type.Boolean({ description: 'Not confirmed yet (a recent spike waiting to rule out an oscillation).' })
})

/** Seconds a client is asked to wait (Retry-After) before asking again while the analyses run. */
const RETRY_AFTER_SECONDS = 1

const ComputingBody = Type.Object({
  status: Type.Literal('computing'),
  progress: EnrichmentProgressSchema,
  annotations: Type.Array(Annotation, { description: 'The annotations of the series already analysed (a partial list, in the same order); ask again for the full one.' })
})

/** `kind=` values (comma-separated and/or repeated) → the set, or a 400 naming an unknown kind. */
function parseKinds (values: string[] | undefined): Set<AnnotationKind> | undefined {
  if (values === undefined) return undefined
  const out = new Set<AnnotationKind>()
  for (const k of values.flatMap(v => v.split(',')).map(s => s.trim()).filter(s => s !== '')) {
    if (!(ANNOTATION_KINDS as readonly string[]).includes(k)) {
      const near = closestName(k, ANNOTATION_KINDS)
      throw badParam('kind', `unknown kind '${k}'${near === null ? '' : ` (did you mean '${near}'?)`}; use ${ANNOTATION_KINDS.join(', ')}`)
    }
    out.add(k as AnnotationKind)
  }
  if (out.size === 0) throw badParam('kind', `must name at least one of ${ANNOTATION_KINDS.join(', ')}`)
  return out
}

/** A 404 when an exactly named run or tag does not exist, with the nearest known name as a suggestion. */
function checkNames (data: DataSource, run: string | undefined, tag: string | undefined): void {
  const target = annotationTarget(data, run, tag)
  if (target.kind === 'run-not-found') throw runNotFound(target.run, closestName(target.run, runNames(data)))
  if (target.kind === 'tag-not-found') {
    const near = closestName(target.tag, scalarTagNames(data, target.run))
    throw target.run !== undefined ? tagNotFound(target.run, target.tag, near) : tagNotFoundInSelection(target.tag, near)
  }
}

/** Registers GET /annotations under the plugin prefix (api-scope.ts mounts it at /api/v1, with the scope's error handler). */
export async function annotationRoutes (untyped: FastifyInstance, opts: AnnotationRoutesOptions): Promise<void> {
  const app = untyped.withTypeProvider<TypeBoxTypeProvider>()
  const { store, enrichment } = opts

  app.get('/annotations', {
    schema: {
      summary: 'Jump annotations',
      description: 'Every annotation of the selected series, ordered by run, tag and start step: staircase artefacts of Keras ' +
        'running means, spikes, level shifts, divergence, the first NaN/Inf, oscillation, plateaus, overfitting, writer restarts and ' +
        'learning-rate schedule changes, each with its magnitude, baseline and peak, causes with evidence, and an explanation. ' +
        'Numbers that are not finite are null in JSON and empty cells in CSV (pandas reads both as NaN). Filters combine with AND. ' +
        'While the analyses of the selected series have not read every point (the background pass after start-up on a large logdir, ' +
        'or a large burst of appends) and reading the rest would take the request too long, the answer is 202 with Retry-After and, ' +
        'in JSON, {status: "computing", progress, annotations} where annotations is the partial list of the series already analysed ' +
        '(in CSV, that partial table). 200 with the plain array means the list is complete.',
      tags: ['api'],
      querystring: AnnotationsQuery,
      response: {
        200: { description: 'Annotations (complete)', content: { 'application/json': { schema: { type: 'array', items: Annotation } }, 'text/csv': { schema: { type: 'string' } } } },
        202: { description: 'Still computing: a partial list, marked as such; ask again after Retry-After seconds', content: { 'application/json': { schema: ComputingBody }, 'text/csv': { schema: { type: 'string' } } } },
        ...ERROR_RESPONSES
      }
    }
  }, async (req, reply) => {
    const q = req.query
    const runRe = parseRegex('runRe', q.runRe)
    const tagRe = parseRegex('tagRe', q.tagRe)
    const kinds = parseKinds(q.kind)
    checkNames(store, q.run, q.tag)
    // Brings the selected series up to date when that is cheap; otherwise they go first in the
    // background pass and this answer lists what is computed, saying so.
    const progress = enrichment.prepare(annotationSeries(store, { run: q.run, tag: q.tag, runRe, tagRe }), REQUEST_ANALYSIS_BUDGET_POINTS)
    const computing = progress.status === 'computing'
    const all = enrichment.annotations({ run: q.run, tag: q.tag, runRe, tagRe, severity: q.severity, minStep: q.minStep }, { computedOnly: computing })
    const list = filterAnnotations(all, { runRe, tagRe, kinds, minSeverity: q.minSeverity })
    if (computing) reply.code(202).header('retry-after', String(RETRY_AFTER_SECONDS))
    if (negotiateFormat(q.format, req.headers.accept) === 'csv') {
      return reply.type('text/csv; charset=utf-8').send(annotationsCsv(list))
    }
    // JSON.stringify turns non-finite numbers into null, as the schema says.
    return reply.type('application/json; charset=utf-8').send(JSON.stringify(computing ? { status: 'computing', progress, annotations: list } : list))
  })
}
