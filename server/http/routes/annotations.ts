/** GET /api/v1/annotations: jump annotations (what happened, how big, why, what to do) as a JSON array. */

import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '../type-provider.js'
import { Type } from '@sinclair/typebox'
import { annotationTarget, type DataSource } from '../../provider/data-source.js'
import type { EnrichmentProvider, AnnotationKind, Severity } from '../../provider/enrichment.js'
import { runNotFound, tagNotFound, tagNotFoundInSelection } from '../errors.js'
import { ERROR_RESPONSES } from '../route-helpers.js'

export interface AnnotationRoutesOptions {
  store: DataSource
  enrichment: EnrichmentProvider
}

/** Every annotation kind, in the order the documentation lists them. */
export const ANNOTATION_KINDS: readonly AnnotationKind[] = ['staircase-artifact', 'spike', 'level-shift', 'non-finite', 'oscillation', 'plateau', 'divergence', 'overfitting', 'restart']
export const SEVERITIES: readonly Severity[] = ['info', 'warning', 'critical']

const AnnotationsQuery = Type.Object({
  run: Type.Optional(Type.String({ maxLength: 4096, description: 'Exact run name; all runs when absent.' })),
  tag: Type.Optional(Type.String({ maxLength: 4096, description: 'Exact tag name; all tags when absent.' })),
  kind: Type.Optional(Type.Unsafe<AnnotationKind>({ type: 'string', enum: [...ANNOTATION_KINDS], description: 'Only annotations of this kind.' })),
  severity: Type.Optional(Type.Unsafe<Severity>({ type: 'string', enum: [...SEVERITIES], description: 'Only annotations of this severity.' })),
  minStep: Type.Optional(Type.Number({ description: 'Only annotations that end at or after this step.' }))
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

/** Registers GET /annotations under the plugin prefix (app.ts mounts it at /api/v1). */
export async function annotationRoutes (untyped: FastifyInstance, opts: AnnotationRoutesOptions): Promise<void> {
  const app = untyped.withTypeProvider<TypeBoxTypeProvider>()
  const { store, enrichment } = opts
  app.get('/annotations', {
    schema: {
      summary: 'Jump annotations',
      description: 'Every annotation of the selected series, ordered by run, tag and start step: staircase artefacts of Keras ' +
        'running means, spikes, level shifts, divergence, the first NaN/Inf, oscillation, plateaus, overfitting and writer restarts, ' +
        'each with its magnitude, baseline and peak, causes with evidence, and an explanation. Numbers that are not finite are null.',
      tags: ['api'],
      querystring: AnnotationsQuery,
      response: { 200: { description: 'Annotations', type: 'array', items: Annotation }, ...ERROR_RESPONSES }
    }
  }, async (req, reply) => {
    const q = req.query
    const target = annotationTarget(store, q.run, q.tag)
    if (target.kind === 'run-not-found') throw runNotFound(target.run)
    if (target.kind === 'tag-not-found') throw target.run !== undefined ? tagNotFound(target.run, target.tag) : tagNotFoundInSelection(target.tag)
    const list = enrichment.annotations({ run: q.run, tag: q.tag, kind: q.kind, severity: q.severity, minStep: q.minStep })
    // JSON.stringify turns non-finite numbers into null, as the schema says.
    return reply.type('application/json; charset=utf-8').send(JSON.stringify(list))
  })
}
