/** /metrics in Prometheus' text format: loader counters, request latencies by route, stream clients, event-loop lag. */

import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks'
import type { FastifyInstance } from 'fastify'
import type { LoaderTotals } from '../logdir/logdir-loader.js'

/** Upper bounds (seconds) of the request-latency histogram buckets. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

interface RouteStats { counts: number[], sum: number, n: number, byStatus: Map<number, number> }

/** Request latencies per (method, route pattern), filled by an onResponse hook. */
export class RequestMetrics {
  private readonly routes = new Map<string, RouteStats>()
  refusedConnections = 0

  observe (method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${route}`
    let s = this.routes.get(key)
    if (s === undefined) {
      s = { counts: new Array<number>(BUCKETS.length).fill(0), sum: 0, n: 0, byStatus: new Map() }
      this.routes.set(key, s)
    }
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]!) s.counts[i]!++
    s.sum += seconds
    s.n++
    s.byStatus.set(status, (s.byStatus.get(status) ?? 0) + 1)
  }

  lines (): string[] {
    const out = [
      '# HELP lossboard_http_request_duration_seconds Time from request to response, by route.',
      '# TYPE lossboard_http_request_duration_seconds histogram'
    ]
    const total: string[] = ['# HELP lossboard_http_requests_total Requests answered, by route and status.', '# TYPE lossboard_http_requests_total counter']
    for (const [key, s] of this.routes) {
      const [method, route] = key.split(' ') as [string, string]
      const l = `method="${method}",route="${esc(route)}"`
      for (let i = 0; i < BUCKETS.length; i++) out.push(`lossboard_http_request_duration_seconds_bucket{${l},le="${BUCKETS[i]}"} ${s.counts[i]}`)
      out.push(`lossboard_http_request_duration_seconds_bucket{${l},le="+Inf"} ${s.n}`)
      out.push(`lossboard_http_request_duration_seconds_sum{${l}} ${s.sum}`)
      out.push(`lossboard_http_request_duration_seconds_count{${l}} ${s.n}`)
      for (const [status, n] of s.byStatus) total.push(`lossboard_http_requests_total{${l},status="${status}"} ${n}`)
    }
    return [...out, ...total]
  }
}

function esc (s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}

export interface MetricsOptions {
  totals: () => LoaderTotals
  requests: RequestMetrics
  /** Open event streams. */
  streams: () => number
  /** Open connections. */
  connections: () => number
}

/** Registers an onResponse hook feeding `requests`, and GET /metrics. */
export async function metricsRoutes (app: FastifyInstance, opts: MetricsOptions): Promise<void> {
  const lag: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 })
  lag.enable()
  app.addHook('onClose', async () => { lag.disable() })
  app.get('/metrics', {
    schema: {
      summary: 'Prometheus metrics',
      description: 'Text exposition format 0.0.4: points, files, bytes, skipped records, request latencies by route, stream clients, connections, event-loop lag.',
      tags: ['ops'],
      response: { 200: { description: 'Metrics', content: { 'text/plain': { schema: { type: 'string' } } } } }
    }
  }, async (_req, reply) => {
    const t = opts.totals()
    const g = (name: string, help: string, type: 'gauge' | 'counter', v: number): string =>
      `# HELP lossboard_${name} ${help}\n# TYPE lossboard_${name} ${type}\nlossboard_${name} ${v}`
    const lines = [
      g('runs', 'Runs in the logdir.', 'gauge', t.runs),
      g('files', 'Event files known.', 'gauge', t.files),
      g('read_bytes_total', 'Bytes of event files read.', 'counter', t.bytes),
      g('records_total', 'Records read.', 'counter', t.records),
      g('points_total', 'Scalar points read.', 'counter', t.points),
      g('skipped_records', 'Records skipped (bad data CRC, undecodable).', 'gauge', t.skippedRecords),
      g('skipped_bytes', 'Bytes passed over while resynchronising.', 'gauge', t.skippedBytes),
      g('ready', '1 once the initial load is done.', 'gauge', t.initialLoadDone ? 1 : 0),
      g('stream_clients', 'Open /api/v1/stream clients.', 'gauge', opts.streams()),
      g('connections', 'Open HTTP connections.', 'gauge', opts.connections()),
      g('refused_connections_total', 'Connections refused over --max-connections.', 'counter', opts.requests.refusedConnections),
      g('event_loop_lag_seconds', 'Event-loop delay, mean since the last scrape.', 'gauge', Number.isFinite(lag.mean) ? lag.mean / 1e9 : 0),
      g('event_loop_lag_max_seconds', 'Event-loop delay, maximum since the last scrape.', 'gauge', lag.max / 1e9),
      ...opts.requests.lines()
    ]
    lag.reset()
    return await reply.type('text/plain; version=0.0.4; charset=utf-8').send(lines.join('\n') + '\n')
  })
}
