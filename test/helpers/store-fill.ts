/** Filling an in-memory ScalarStore directly (no event files), for tests of what sits above the store. */

import type { RunState, TagInfo } from '../../server/store/scalar-store.js'

/** A scalar tag of `run` with the scalars plugin's metadata. */
export function scalarTag (run: RunState, name: string): TagInfo {
  const t = run.tag(name)
  run.metadata(t, 'scalars', '', '', 1)
  return t
}

/** Appends steps [from, from + n) of a slowly decaying curve (time constant `tau` steps) with a small saw-tooth. */
export function fill (run: RunState, t: TagInfo, from: number, n: number, tau = 1e5): void {
  for (let s = from; s < from + n; s++) run.scalarEvent(t, 1700000000 + s * 0.25, s, Math.exp(-s / tau) + (s % 7) * 1e-3, 'float')
}
