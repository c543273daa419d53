/** /healthz: liveness plus load progress (answers while the initial load is still running). */

import type { FastifyInstance } from 'fastify'
import type { LoaderTotals } from '../../logdir/logdir-loader.js'
import { HealthResponse } from '../schemas.js'

/** Registers GET /healthz. It never fails: progress is read from the loader's totals. */
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
}
