/** /healthz: liveness plus load progress (answers while the initial load is still running). */

import type { FastifyInstance } from 'fastify'
import type { LoaderTotals } from '../../logdir/logdir-loader.js'

export async function healthRoutes (app: FastifyInstance, opts: { totals: () => LoaderTotals }): Promise<void> {
  app.get('/healthz', async () => {
    const t = opts.totals()
    return { status: 'ok', loading: !t.initialLoadDone, ...t }
  })
}
