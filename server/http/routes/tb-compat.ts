/** TensorBoard's own /data endpoints, answering byte-for-byte as TB's Python server does. */

import type { FastifyInstance, FastifyReply } from 'fastify'
import type { DataSource } from '../../provider/data-source.js'
import * as tb from '../../provider/tb-compat.js'
import type { TbScalarsCache } from '../../provider/tb-scalars-cache.js'
import { sendBody } from '../send-body.js'

export interface TbCompatOptions {
  store: DataSource
  logdir: string
  /** Cached, non-blocking bodies of the scalars routes. */
  scalars: TbScalarsCache
}

/** TB's error bodies are text/plain: "Invalid argument: …", "Not found: …". */
function tbError (reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.code(status).type('text/plain; charset=utf-8').send(body)
}

function pyReprOrNone (v: string | undefined): string {
  return v === undefined ? 'None' : `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
}

/** Registers the routes, both plain and under TB's `/experiment/<eid>` prefix. */
export async function tbCompatRoutes (app: FastifyInstance, opts: TbCompatOptions): Promise<void> {
  const { store } = opts
  // Sent as a Buffer so that Fastify keeps TB's exact content type (it adds a charset to strings).
  const jsonHeaders = (reply: FastifyReply): FastifyReply => reply.header('content-type', 'application/json').header('cache-control', 'no-cache, must-revalidate').header('expires', '0')
  const json = (reply: FastifyReply, body: string): FastifyReply => jsonHeaders(reply).send(Buffer.from(body))
  for (const prefix of ['', '/experiment/:eid']) {
    app.get(`${prefix}/data/environment`, async (_req, reply) => json(reply, tb.environmentJson(opts.logdir)))
    app.get(`${prefix}/data/runs`, async (_req, reply) => json(reply, tb.runsJson(store)))
    app.get(`${prefix}/data/plugins_listing`, async (_req, reply) => json(reply, tb.pluginsListingJson(store)))
    app.get(`${prefix}/data/experiments`, async (_req, reply) => json(reply, '[]'))
    app.get(`${prefix}/data/plugin/scalars/tags`, async (_req, reply) => json(reply, tb.scalarTagsJson(store)))
    app.get(`${prefix}/data/plugin/scalars/scalars`, async (req, reply) => {
      const q = req.query as Record<string, string | undefined>
      const { run, tag } = q
      if (run === undefined || tag === undefined) {
        return tbError(reply, 400, `Invalid argument: Both run and tag must be specified: tag=${pyReprOrNone(tag)}, run=${pyReprOrNone(run)}`)
      }
      const t = tb.findScalarTag(store, run, tag)
      if (t === null) return tbError(reply, 404, `Not found: No scalar data for run=${pyReprOrNone(run)}, tag=${pyReprOrNone(tag)}`)
      if (q.format === 'csv') {
        return await sendBody(req, reply.type('text/csv; charset=utf-8').header('cache-control', 'no-cache, must-revalidate'), await opts.scalars.csv(t))
      }
      return await sendBody(req, jsonHeaders(reply), await opts.scalars.json(t))
    })
    app.post(`${prefix}/data/plugin/scalars/scalars_multirun`, async (req, reply) => {
      const body = (req.body ?? {}) as Record<string, string | string[]>
      const tags = ([] as string[]).concat(body.tag ?? [])
      if (tags.length !== 1) return tbError(reply, 400, 'Invalid argument: tag must be specified exactly once')
      return await sendBody(req, jsonHeaders(reply), await opts.scalars.multirun(tags[0]!, ([] as string[]).concat(body.runs ?? [])))
    })
  }
  // Unknown /data routes answer like TB: 404 text/plain "Not found".
  app.get('/data/*', async (_req, reply) => tbError(reply, 404, 'Not found'))
}
