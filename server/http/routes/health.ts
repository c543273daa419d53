/** /healthz: liveness plus load progress (answers while the initial load is still running); /readyz: readiness. */

import type { FastifyInstance } from 'fastify'
import type { LoaderTotals } from '../../logdir/logdir-loader.js'
import { HealthResponse } from '../schemas.js'

/** Registers GET /healthz and /readyz. They never fail: progress is read from the loader's totals. */
export async function healthRoutes (app: FastifyInstance, opts: { totals: () => LoaderTotals }): Promise<void> {
  app.get('/healthz', {
    schema: {
      summary: 'Health and load progress',
      description: 'Always 200 while the process serves. `loading` is true until the first full load of the logdir has finished; ' +
        'the loader totals (files, runs, bytes, records, points, skipped records and bytes, initial load seconds) show progress.',
      tags: ['ops'],
      response: { 200: { description: 'Health', ...HealthResponse } }
    }
  }, async (_req, reply) => {
    const t = opts.totals()
    return reply.type('application/json; charset=utf-8').send(JSON.stringify({ status: 'ok', loading: !t.initialLoadDone, ...t }))
  })
  app.get('/readyz', {
    schema: {
      summary: 'Readiness',
      description: '200 once the first full load of the logdir has finished (every answer is then complete), 503 before.',
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
