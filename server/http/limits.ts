/** Resource caps of the HTTP server: concurrent connections, event streams in total and per client, and the socket timeouts. */

import type { Server } from 'node:http'
import type { Socket } from 'node:net'

export interface Limits {
  /** Concurrent connections; the next one is answered 503 and closed. */
  maxConnections: number
  /** Concurrent /api/v1/stream clients in total (503 beyond) and per client address (429 beyond). */
  maxStreams: number
  maxStreamsPerClient: number
}

export const DEFAULT_LIMITS: Limits = { maxConnections: 4096, maxStreams: 1000, maxStreamsPerClient: 500 }

/** Time to receive a request's headers, and the whole request (a slow body is cut off). */
export const HEADERS_TIMEOUT_MS = 10_000
export const REQUEST_TIMEOUT_MS = 30_000
/** An idle keep-alive connection is closed after this long. */
export const KEEP_ALIVE_TIMEOUT_MS = 5_000

function refusal (status: number, reason: string, code: string, message: string): string {
  const body = JSON.stringify({ error: { code, message } })
  return `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
    `Retry-After: 1\r\nConnection: close\r\n\r\n${body}`
}

/**
 * Counts open connections of `server`; one over `max` gets a 503 written straight to its socket
 * and is closed, before any request of it is parsed, so a flood of connections cannot exhaust the
 * file descriptors the loader needs. Returns a function giving the current count.
 */
export function capConnections (server: Server, max: number, onRefused: () => void = () => {}): () => number {
  let open = 0
  const tls = 'setSecureContext' in server
  const msg = refusal(503, 'Service Unavailable', 'LB_ERR_TOO_MANY_CONNECTIONS', `more than ${max} concurrent connections; retry later`)
  server.on(tls ? 'secureConnection' : 'connection', (sock: Socket) => {
    open++
    sock.once('close', () => { open-- })
    if (open > max) {
      onRefused()
      sock.end(msg)
      sock.destroySoon()
    }
  })
  return () => open
}

export interface Timeouts { headersMs: number, requestMs: number, keepAliveMs: number }
export const DEFAULT_TIMEOUTS: Timeouts = { headersMs: HEADERS_TIMEOUT_MS, requestMs: REQUEST_TIMEOUT_MS, keepAliveMs: KEEP_ALIVE_TIMEOUT_MS }

/** Applies request, header and keep-alive timeouts to a Node HTTP server (a slow body or header trickle is cut off). */
export function applyTimeouts (server: Server, t: Timeouts = DEFAULT_TIMEOUTS): void {
  server.headersTimeout = Math.min(t.headersMs, t.requestMs)
  server.requestTimeout = t.requestMs
  server.keepAliveTimeout = t.keepAliveMs
}

/** Counts event streams in total and per client address. */
export class StreamSlots {
  private readonly perClient = new Map<string, number>()
  total = 0

  constructor (private readonly limits: Pick<Limits, 'maxStreams' | 'maxStreamsPerClient'>) {}

  /** Takes a slot for `client`, or says why not: 'total' (503) or 'client' (429). */
  acquire (client: string): 'ok' | 'total' | 'client' {
    if (this.total >= this.limits.maxStreams) return 'total'
    const n = this.perClient.get(client) ?? 0
    if (n >= this.limits.maxStreamsPerClient) return 'client'
    this.perClient.set(client, n + 1)
    this.total++
    return 'ok'
  }

  release (client: string): void {
    const n = this.perClient.get(client) ?? 0
    if (n <= 1) this.perClient.delete(client)
    else this.perClient.set(client, n - 1)
    this.total = Math.max(0, this.total - 1)
  }
}
