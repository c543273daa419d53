/** The last, smallest and largest finite value of a series, kept per series and brought up to date incrementally (O(new points)). */

import type { ScalarSeries } from '../store/scalar-series.js'

export interface ValueSummary {
  /** The last finite value, null when there is none. */
  last: number | null
  min: number | null
  max: number | null
}

interface Acc { n: number, last: number, min: number, max: number }

const cache = new WeakMap<ScalarSeries, Acc>()

/**
 * Summary over the series' points `0 … length-1`. Series only grow, so a cached summary is
 * extended with the points appended since; a series that shrank (never expected) is rescanned.
 */
export function valueSummary (s: ScalarSeries): ValueSummary {
  let acc = cache.get(s)
  if (acc === undefined || acc.n > s.length) cache.set(s, acc = { n: 0, last: NaN, min: Infinity, max: -Infinity })
  if (acc.n < s.length) {
    const v = s.columns().values
    for (let i = acc.n; i < s.length; i++) {
      const x = v[i]!
      if (x - x !== 0) continue
      acc.last = x
      if (x < acc.min) acc.min = x
      if (x > acc.max) acc.max = x
    }
    acc.n = s.length
  }
  const fin = (x: number): number | null => Number.isFinite(x) ? x : null
  return { last: fin(acc.last), min: fin(acc.min), max: fin(acc.max) }
}
