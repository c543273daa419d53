/**
 * Jumps that are pieces of a larger event on the same series. A divergence climbs through level
 * shifts and spikes of its own, and an oscillation crosses the spike and shift thresholds on its
 * swings. Each piece, announced alone, is a second warning about the same problem, and it may name
 * a cause of its own that hides the real one. A piece that starts inside a divergence or an
 * oscillation already known becomes information, and its first cause says what it is part of.
 *
 * Only events that may still change are folded (the events.ts contract: a closed event is never
 * rewritten): a new piece inside a known container, and open pieces when a container that covers
 * their start is found. The detector decides this in point order, so folding is the same whether
 * a series arrives at once or point by point.
 */

import { fmt, type JumpEvent } from './events.js'

/** Kinds that can hold pieces, and the kinds of the pieces they hold. */
const CONTAINERS = new Set<JumpEvent['kind']>(['divergence', 'oscillation'])
const PIECES = new Set<JumpEvent['kind']>(['spike', 'level-shift'])

/** Marks a folded piece's first cause. */
export const PART_OF = 'part of '

/** True when `ev` has been folded into a larger event. */
export function isFolded (ev: JumpEvent): boolean {
  return ev.severity === 'info' && PIECES.has(ev.kind) && ev.causes[0]?.cause.startsWith(PART_OF) === true
}

function covers (host: JumpEvent, ev: JumpEvent): boolean {
  return CONTAINERS.has(host.kind) && host.severity !== 'info' && ev.startIndex >= host.startIndex && ev.startIndex <= host.endIndex
}

/** Makes `ev` (new or open) information inside `host`, its first cause saying so. */
export function foldInto (ev: JumpEvent, host: JumpEvent): void {
  ev.severity = 'info'
  const main = host.causes[0]
  ev.causes.unshift({
    cause: `${PART_OF}the ${host.kind} from step ${host.startStep}${main === undefined ? '' : `: ${main.cause}`}`,
    evidence: `this ${ev.kind} (peak ${fmt(ev.peak)}, ×${ev.ratio.toPrecision(2)} its baseline) starts at step ${ev.startStep}, inside the ${host.kind} that began at step ${host.startStep} (or is where it began), which is the annotation to read`
  })
}

/**
 * Before `ev` is emitted among `events` (the series' events so far): a warning piece that starts
 * inside a known divergence or oscillation is folded into it; a container folds the open warning
 * pieces that start inside it. Returns the events folded.
 */
export function foldOnEmit (ev: JumpEvent, events: readonly JumpEvent[]): JumpEvent[] {
  if (PIECES.has(ev.kind) && ev.severity === 'warning') {
    for (let k = events.length - 1; k >= 0; k--) {
      if (covers(events[k]!, ev)) { foldInto(ev, events[k]!); return [ev] }
    }
    return []
  }
  if (!CONTAINERS.has(ev.kind) || ev.severity === 'info') return []
  const out: JumpEvent[] = []
  for (const o of events) {
    if (o.open && PIECES.has(o.kind) && o.severity === 'warning' && covers(ev, o)) { foldInto(o, ev); out.push(o) }
  }
  return out
}
