/**
 * Alert webhooks (`--alert-webhook`): every confirmed annotation at or above `--alert-on` whose
 * run and tag match the filters is POSTed once to each webhook. Deduplicated per (run, tag, kind,
 * start step); with --cache-dir the sent keys are kept in `alerts.json` there, so a restart that
 * re-detects the same events sends nothing again. Deliveries run in the background with retries
 * and exponential backoff: ingest never waits for a webhook.
 */

import { readFileSync, writeFileSync, renameSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import type { Logger } from 'pino'
import type { Annotation, EnrichmentProvider } from '../provider/enrichment.js'
import { alertPayload, chatBody, type AlertPayload } from './payload.js'

export interface AlerterOptions {
  webhooks: string[]
  on: 'critical' | 'warning'
  runRe: RegExp | null
  tagRe: RegExp | null
  format: 'slack' | 'generic'
  publicUrl: string
  /** Where the dedup state lives (the --cache-dir), or null: kept in memory only. */
  stateDir: string | null
  /** Delivery attempts per webhook and alert; delays double from `retryBaseMs`. */
  maxAttempts?: number
  retryBaseMs?: number
  /** Per-attempt timeout. */
  timeoutMs?: number
  log: Logger
}

/** One alert as GET /api/v1/alerts shows it. */
export interface AlertRecord {
  key: string
  payload: AlertPayload
  /** Per webhook: delivered, failed (attempts exhausted) or pending, with the attempts made. */
  deliveries: Array<{ webhook: string, status: 'pending' | 'delivered' | 'failed', attempts: number, lastError: string | null }>
  createdAt: string
}

const RANK = { info: 0, warning: 1, critical: 2 } as const
/** Most alerts kept for GET /api/v1/alerts (oldest dropped first). */
const HISTORY = 1000
const STATE_FILE = 'alerts.json'

export function dedupKey (a: Pick<Annotation, 'run' | 'tag' | 'kind' | 'startStep'>): string {
  return JSON.stringify([a.run, a.tag, a.kind, a.startStep])
}

export class Alerter {
  private readonly sent = new Set<string>()
  readonly history: AlertRecord[] = []
  private readonly pending = new Set<Promise<void>>()
  private readonly stop: () => void
  private closed = false

  constructor (enrichment: EnrichmentProvider, private readonly opts: AlerterOptions) {
    if (opts.stateDir !== null) {
      try {
        const keys = JSON.parse(readFileSync(path.join(opts.stateDir, STATE_FILE), 'utf8')) as { sent?: unknown }
        if (Array.isArray(keys.sent)) for (const k of keys.sent) if (typeof k === 'string') this.sent.add(k)
      } catch {}
    }
    this.stop = enrichment.onAnnotation(a => this.consider(a))
  }

  private consider (a: Annotation): void {
    if (this.closed || a.tentative) return
    if (RANK[a.severity] < RANK[this.opts.on]) return
    if (this.opts.runRe !== null && !this.opts.runRe.test(a.run)) return
    if (this.opts.tagRe !== null && !this.opts.tagRe.test(a.tag)) return
    const key = dedupKey(a)
    if (this.sent.has(key)) return
    this.sent.add(key)
    this.saveState()
    const payload = alertPayload(a, this.opts.publicUrl)
    const rec: AlertRecord = {
      key,
      payload,
      deliveries: this.opts.webhooks.map(webhook => ({ webhook, status: 'pending', attempts: 0, lastError: null })),
      createdAt: new Date().toISOString()
    }
    this.history.push(rec)
    if (this.history.length > HISTORY) this.history.shift()
    this.opts.log.info({ run: a.run, tag: a.tag, kind: a.kind, severity: a.severity, step: a.startStep }, 'alert')
    const body = JSON.stringify(this.opts.format === 'slack' ? chatBody(payload) : payload)
    for (const d of rec.deliveries) {
      const p = this.deliver(d, body).finally(() => { this.pending.delete(p) })
      this.pending.add(p)
    }
  }

  private async deliver (d: AlertRecord['deliveries'][number], body: string): Promise<void> {
    const max = this.opts.maxAttempts ?? 6
    const base = this.opts.retryBaseMs ?? 1000
    while (!this.closed) {
      d.attempts++
      try {
        const r = await fetch(d.webhook, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000)
        })
        await r.arrayBuffer().catch(() => {})
        if (r.ok) { d.status = 'delivered'; d.lastError = null; return }
        d.lastError = `HTTP ${r.status}`
      } catch (err) {
        d.lastError = (err as Error).message
      }
      if (d.attempts >= max) {
        d.status = 'failed'
        this.opts.log.warn({ webhook: d.webhook, attempts: d.attempts, err: d.lastError }, 'alert not delivered; giving up')
        return
      }
      this.opts.log.warn({ webhook: d.webhook, attempt: d.attempts, err: d.lastError }, 'alert delivery failed; retrying')
      await new Promise(resolve => setTimeout(resolve, base * 2 ** (d.attempts - 1)).unref())
    }
  }

  private saveState (): void {
    if (this.opts.stateDir === null) return
    try {
      mkdirSync(this.opts.stateDir, { recursive: true })
      const file = path.join(this.opts.stateDir, STATE_FILE)
      writeFileSync(file + '.tmp', JSON.stringify({ sent: [...this.sent] }))
      renameSync(file + '.tmp', file)
    } catch (err) {
      this.opts.log.warn({ err }, 'cannot save the alert dedup state')
    }
  }

  /** Resolves when every delivery under way has finished (tests, shutdown). */
  async flush (): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending])
  }

  close (): void {
    this.closed = true
    this.stop()
  }
}
