/** /healthz: liveness plus load progress (answers while the initial load is still running); /readyz: readiness. */

import type { FastifyInstance } from 'fastify'
import type { LoaderTotals } from '../../logdir/logdir-loader.js'
import type { EnrichmentProvider } from '../../provider/enrichment.js'
import { HealthResponse } from '../schemas.js'

/**
 * Registers GET /healthz and /readyz. They never fail: progress is read from the loader's totals
 * (and the enrichment's background pass, which readiness does not wait for).
 */
export async function healthRoutes (app: FastifyInstance, opts: { totals: () => LoaderTotals, enrichment: EnrichmentProvider }): Promise<void> {
  app.get('/healthz', {
    schema: {
      summary: 'Health and load progress',
      description: 'Always 200 while the process serves. `loading` is true until the first full load of the logdir has finished; ' +
        'the loader totals (files, runs, bytes, records, points, skipped records and bytes, initial load seconds) show progress. ' +
        '`enrichment` is the background analysis behind annotations: `computing` while series wait for it (after the load, and after appends), ' +
        'with the number of series queued; readiness does not wait for it.',
      tags: ['ops'],
      response: { 200: { description: 'Health', ...HealthResponse } }
    }
  }, async (_req, reply) => {
    const t = opts.totals()
    return reply.type('application/json; charset=utf-8').send(JSON.stringify({ status: 'ok', loading: !t.initialLoadDone, ...t, enrichment: opts.enrichment.progress() }))
  })
  app.get('/readyz', {
    schema: {
      summary: 'Readiness',
      description: '200 once the first full load of the logdir has finished (every point is then served), 503 before. ' +
        'The analyses behind annotations may still be running: /api/v1/annotations then answers 202 `computing` (see /healthz `enrichment`).',
      tags: ['ops'],
      response: {
        200: { description: 'Ready', type: 'object', properties: { ready: { type: 'boolean' } } },
        503: { description: 'Still loading', type: 'object', properties: { ready: { type: 'boolean' } } }
      }
    }
  }, async (_req, reply) => {
    const ready = opts.totals().initialLoadDone
    return reply.code(ready ? 200 : 503).type('application/json; charset=utf-8').send(JSON.stringify({ ready }))
  })
}
