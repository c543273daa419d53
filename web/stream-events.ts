/** The live stream: what each Server-Sent Event of /api/v1/stream means for the dashboard. */

// ---------------------------------------------------------------------------------------------
// Live stream
// ---------------------------------------------------------------------------------------------

/** What a server-sent event means for the dashboard. */
export type StreamEvent =
  | { kind: 'catalog', run?: string, tag?: string } // runs or tags appeared/disappeared: reload the lists (run/tag: what appeared)
  | { kind: 'reset' } // the server lost track of what we have seen (restart, overflow): reload everything
  | { kind: 'points', run: string, tags: string[] | null, count: number } // tags null: any tag of the run; count 0 if not said
  | { kind: 'annotation', run: string | null, tag: string | null }
  | { kind: 'ignore' }

/** SSE event names the dashboard listens to (see LiveEventDto in server/provider/dto.ts). */
export const STREAM_EVENT_NAMES = ['hello', 'reset', 'run-added', 'run-removed', 'tag-added', 'points', 'annotation'] as const

/**
 * Interprets one SSE message of /api/v1/stream. The SSE event name (or, for unnamed messages,
 * the `type` field of the JSON data) says what happened; run and tag come from the data, for an
 * annotation from its `annotation` object. Unknown or malformed messages are ignored.
 */
export function parseStreamEvent (eventName: string, dataText: string): StreamEvent {
  let d: Record<string, unknown> = {}
  try {
    const parsed: unknown = JSON.parse(dataText)
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) d = parsed as Record<string, unknown>
  } catch {
    return { kind: 'ignore' }
  }
  const name = eventName !== '' && eventName !== 'message' ? eventName : String(d.type ?? '')
  const str = (o: Record<string, unknown>, k: string): string | null => typeof o[k] === 'string' ? o[k] as string : null
  const run = str(d, 'run')
  switch (name) {
    case 'run-added':
      return run === null ? { kind: 'catalog' } : { kind: 'catalog', run }
    case 'tag-added': {
      const tag = str(d, 'tag')
      return run === null || tag === null ? { kind: 'catalog' } : { kind: 'catalog', run, tag }
    }
    case 'run-removed':
      return { kind: 'catalog' }
    case 'reset':
      return { kind: 'reset' }
    case 'points': {
      const tags = Array.isArray(d.tags) ? d.tags.filter((t): t is string => typeof t === 'string') : str(d, 'tag') !== null ? [str(d, 'tag')!] : null
      const count = typeof d.count === 'number' && Number.isFinite(d.count) ? d.count : 0
      return run === null ? { kind: 'catalog' } : { kind: 'points', run, tags, count }
    }
    case 'annotation': {
      const a = d.annotation !== null && typeof d.annotation === 'object' ? d.annotation as Record<string, unknown> : d
      return { kind: 'annotation', run: str(a, 'run'), tag: str(a, 'tag') }
    }
    default:
      return { kind: 'ignore' }
  }
}
