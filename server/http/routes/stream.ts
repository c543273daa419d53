/** /api/v1/stream: Server-Sent Events announcing new runs, tags, appended points and annotations; resumable with Last-Event-ID. */

import { randomUUID } from 'node:crypto'
import { PassThrough } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '../type-provider.js'
import type { DataSource } from '../../provider/data-source.js'
import type { EnrichmentProvider } from '../../provider/enrichment.js'
import type { LiveEventDto } from '../../provider/dto.js'
import { LiveFeed, type LiveEnvelope } from '../../provider/live.js'
import { runMatcher, tagMatcher } from '../../provider/selection.js'
import { parseSelection } from '../query.js'
import { StreamQuery } from '../schemas.js'
import { ERROR_RESPONSES } from '../route-helpers.js'
import { ApiError } from '../errors.js'
import type { StreamSlots } from '../limits.js'

/** Seconds between keep-alive comments, so idle proxies keep the connection open. */
const HEARTBEAT_MS = 15_000
/** A client that stops reading is dropped once this many bytes wait for it. */
const MAX_BACKLOG_BYTES = 8 << 20

/** One SSE message: `event`, `id` and one `data` line of JSON. */
export function sseMessage (event: LiveEventDto, id?: string): string {
  return (id !== undefined ? `id: ${id}\n` : '') + `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`
}

/**
 * Registers GET /stream over one LiveFeed for the app's lifetime. Open streams are ended in
 * preClose, so `app.close()` never waits on a client.
 */
export async function streamRoutes (untyped: FastifyInstance, opts: { store: DataSource, enrichment: EnrichmentProvider, slots: StreamSlots }): Promise<void> {
  const app = untyped.withTypeProvider<TypeBoxTypeProvider>()
  // A fresh id per app: event ids of another server (or an earlier process) are never resumed here.
  const feed = new LiveFeed(opts.store, opts.enrichment, { bootId: randomUUID().slice(0, 8) })
  const open = new Set<PassThrough>()
  // End open streams before the server stops accepting, or close() would wait for them forever.
  app.addHook('preClose', async () => {
    for (const s of open) s.end()
    open.clear()
    feed.close()
  })

  app.get('/stream', {
    compress: false,
    schema: {
      summary: 'Live events (Server-Sent Events)',
      description: 'text/event-stream of events: hello (on connect: bootId and the newest event id), run-added, run-removed, tag-added, ' +
        'points (run, tag, firstStep, lastStep, minStep, maxStep, fromIndex, count, totalPoints, lastWallTime, restart), annotation, ' +
        'and reset (the Last-Event-ID could not be resumed: refetch state). Filter with run/runRe/tag/tagRe (run events pass the run filter). ' +
        'Reconnect with the Last-Event-ID header (browsers\' EventSource does it) or lastEventId= to receive the events missed meanwhile. ' +
        'A comment line is sent every 15 s.',
      tags: ['api'],
      querystring: StreamQuery,
      response: {
        200: { description: 'Event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } },
        400: ERROR_RESPONSES[400],
        429: { ...ERROR_RESPONSES[400], description: 'This client address has --max-streams-per-client streams open (LB_ERR_TOO_MANY_STREAMS).' },
        503: { ...ERROR_RESPONSES[400], description: 'The server has --max-streams streams open (LB_ERR_STREAMS_FULL).' }
      }
    }
  }, async (req, reply) => {
    const q = req.query
    const sel = parseSelection(q)
    const runOk = runMatcher(sel)
    const tagOk = tagMatcher(sel)
    const wanted = (e: LiveEventDto): boolean => {
      switch (e.type) {
        case 'hello': case 'reset': return true
        case 'run-added': case 'run-removed': return runOk(e.run)
        case 'tag-added': case 'points': return runOk(e.run) && tagOk(e.tag)
        case 'annotation': return runOk(e.annotation.run) && tagOk(e.annotation.tag)
      }
    }
    const slot = opts.slots.acquire(req.ip)
    if (slot === 'client') throw new ApiError(429, 'LB_ERR_TOO_MANY_STREAMS', 'this client already has the most event streams allowed open at once; close one first')
    if (slot === 'total') throw new ApiError(503, 'LB_ERR_STREAMS_FULL', 'the server has the most event streams allowed open at once; retry later')
    let released = false
    const release = (): void => { if (!released) { released = true; opts.slots.release(req.ip) } }
    const out = new PassThrough()
    open.add(out)
    const send = (env: LiveEnvelope): void => {
      if (!wanted(env.event)) return
      if (out.writableLength > MAX_BACKLOG_BYTES) { out.end(); return }
      out.write(sseMessage(env.event, feed.idOf(env)))
    }
    // 1. Greet (reconnect delay, then hello), 2. replay what a resuming client missed, 3. go live.
    out.write('retry: 2000\n\n')
    out.write(sseMessage({ type: 'hello', bootId: feed.bootId, lastEventId: feed.lastEventId() }))
    const last = (req.headers['last-event-id'] as string | undefined) ?? q.lastEventId
    if (last !== undefined && last !== '') {
      const r = feed.resume(last)
      if (r.kind === 'gap') out.write(sseMessage({ type: 'reset', reason: r.reason }, feed.lastEventId()))
      else for (const env of r.events) send(env)
    }
    const unsubscribe = feed.subscribe(send)
    const beat = setInterval(() => { out.write(': keep-alive\n\n') }, HEARTBEAT_MS)
    beat.unref()
    const cleanup = (): void => {
      release()
      clearInterval(beat)
      unsubscribe()
      open.delete(out)
      out.end()
    }
    req.raw.on('close', cleanup)
    out.on('close', cleanup)
    reply.header('Cache-Control', 'no-cache')
    reply.header('X-Accel-Buffering', 'no')
    return reply.type('text/event-stream; charset=utf-8').send(out)
  })
}
