/** GET /api/v1/alerts: the alerts sent to the webhooks (--alert-webhook), newest last, with their delivery state. */

import type { FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import type { AlertRecord } from '../../alerts/alerter.js'

export interface AlertRoutesOptions {
  /** The alerter's history, or null when no webhook is configured. */
  alerts: { readonly history: readonly AlertRecord[] } | null
}

const Delivery = Type.Object({
  webhook: Type.String({ description: 'The webhook, scheme and host only: its path is usually a secret token.' }),
  status: Type.String({ description: 'pending (being retried), delivered, or failed (attempts exhausted).' }),
  attempts: Type.Number(),
  lastError: Type.Union([Type.String(), Type.Null()])
})

const AlertsResponse = Type.Object({
  enabled: Type.Boolean({ description: 'Whether any --alert-webhook is configured.' }),
  alerts: Type.Array(Type.Object({
    key: Type.String({ description: 'The deduplication key: run, tag, kind and start step.' }),
    createdAt: Type.String(),
    payload: Type.Object({}, { additionalProperties: true, description: 'What the webhooks received (generic fields).' }),
    deliveries: Type.Array(Delivery)
  }))
})

/** Only scheme and host of a webhook: Slack and Discord webhook paths are credentials. */
function redact (url: string): string {
  try { return new URL(url).origin + '/…' } catch { return '…' }
}

export async function alertRoutes (app: FastifyInstance, opts: AlertRoutesOptions): Promise<void> {
  app.get('/alerts', {
    schema: {
      summary: 'Alerts sent',
      description: 'Every alert sent to the --alert-webhook receivers (at most the last 1,000), oldest first, with the payload and each delivery\'s state.',
      tags: ['api'],
      response: { 200: { description: 'Alerts', ...AlertsResponse } }
    }
  }, async (_req, reply) => {
    const alerts = (opts.alerts?.history ?? []).map(a => ({ ...a, deliveries: a.deliveries.map(d => ({ ...d, webhook: redact(d.webhook) })) }))
    return reply.type('application/json; charset=utf-8').send(JSON.stringify({ enabled: opts.alerts !== null, alerts }))
  })
}
