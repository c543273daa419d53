/** The dashboard's HTTP client: relative URLs only (so any --base-path or proxy prefix works), JSON in, typed bodies out. */

import type { HParamsBody } from './hparams.js'
import type { Annotation, RunEntry, ScalarsBody, StreamEvent, TagEntry } from './columns.js'
import { parseStreamEvent, STREAM_EVENT_NAMES } from './columns.js'

/** A non-2xx answer; `status` 404 on an optional route means "this server does not have it". */
export class HttpError extends Error {
  constructor (readonly status: number, readonly url: string, message: string) {
    super(message)
  }
}

async function getJson<T> (url: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(url, { signal, headers: { accept: 'application/json' } })
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`
    try {
      const body = await res.json() as { error?: { message?: string } }
      if (body.error?.message) message = body.error.message
    } catch { /* not JSON: keep the status line */ }
    throw new HttpError(res.status, url, message)
  }
  return await res.json() as T
}

/** An answer of /api/v1/annotations: the list, and whether it is partial because the server is still computing. */
export interface AnnotationList {
  annotations: Annotation[]
  computing: boolean
}

/** GET /healthz: load progress; `loading` is true until the first full read of the logdir is done. */
export interface Health {
  status: string
  loading: boolean
  files?: number
  runs?: number
  bytes?: number
  points?: number
  records?: number
  initialLoadSeconds?: number | null
}

export const api = {
  health: async (): Promise<Health> => await getJson<Health>('healthz'),

  /** The logdir being served (TensorBoard's /data/environment `data_location`). */
  logdir: async (): Promise<string> => {
    const env = await getJson<{ data_location?: string }>('data/environment')
    return env.data_location ?? ''
  },

  runs: async (): Promise<RunEntry[]> => (await getJson<{ runs: RunEntry[] }>('api/v1/runs')).runs ?? [],

  tags: async (): Promise<TagEntry[]> => (await getJson<{ tags: TagEntry[] }>('api/v1/tags')).tags ?? [],

  /** The series of a query; the API answers one series as an object and several as `{series: [...]}`. */
  scalars: async (query: string, signal?: AbortSignal): Promise<ScalarsBody[]> => {
    const body = await getJson<ScalarsBody | { series: ScalarsBody[] }>(`api/v1/scalars?${query}`, signal)
    return 'series' in body && Array.isArray(body.series) ? body.series : [body as ScalarsBody]
  },

  /** Hyper-parameters per session; a server without the route yields none. */
  hparams: async (): Promise<HParamsBody> => {
    try {
      return await getJson<HParamsBody>('api/v1/hparams')
    } catch (err) {
      if (err instanceof HttpError && err.status === 404) return { hparams: [], metrics: [], sessions: [] }
      throw err
    }
  },

  /**
   * Annotations of a tag (null: of every tag) over all runs; a server without the route yields
   * none. `computing`: the server's analyses have not reached every series yet (202), so the list
   * is partial and should be asked for again.
   */
  annotations: async (tag: string | null, signal?: AbortSignal): Promise<AnnotationList> => {
    try {
      const q = tag === null ? '' : `?${new URLSearchParams({ tag }).toString()}`
      const body = await getJson<Annotation[] | { status?: string, annotations?: Annotation[] }>(`api/v1/annotations${q}`, signal)
      return Array.isArray(body) ? { annotations: body, computing: false } : { annotations: body.annotations ?? [], computing: body.status === 'computing' }
    } catch (err) {
      if (err instanceof HttpError && (err.status === 404 || err.status === 400)) return { annotations: [], computing: false }
      throw err
    }
  }
}

/** The live connection: `onEvent` gets each meaningful message, `onState` whether the stream is up. */
export interface StreamHandlers {
  onEvent: (e: StreamEvent) => void
  onState: (live: boolean) => void
}

/**
 * Opens /api/v1/stream (Server-Sent Events). EventSource reconnects by itself and resends
 * Last-Event-ID; after each reconnect we report a `catalog` event, since messages may have been
 * missed while down. Returns a function that closes the stream.
 */
export function openStream (h: StreamHandlers): () => void {
  const es = new EventSource('api/v1/stream')
  let wasDown = false
  es.onopen = () => {
    h.onState(true)
    if (wasDown) h.onEvent({ kind: 'catalog' })
    wasDown = false
  }
  es.onerror = () => {
    wasDown = true
    h.onState(false)
  }
  const forward = (ev: MessageEvent<string>): void => {
    const e = parseStreamEvent(ev.type, ev.data)
    if (e.kind !== 'ignore') h.onEvent(e)
  }
  es.onmessage = forward
  for (const name of STREAM_EVENT_NAMES) es.addEventListener(name, forward as EventListener)
  return () => es.close()
}
