/** Scores de-smoothed columns against per-point truth: bounds on points claimed exact, epoch labels, impossible values. */

import type { EnrichedColumns } from '../../server/provider/enrichment.js'
import { POINT_EXACT, POINT_GAP_MEAN } from '../../server/enrich/desmooth.js'

/** Truth of one logged running-mean point (arrival order). */
export interface PointTruth {
  /** Batch-size-weighted mean of the raw values since the previous logged point of the same epoch (the raw value when every batch is logged). */
  raw: number
  epoch: number
}

export interface DesmoothScore {
  points: number
  /** Points served as exact (kind exact or gap mean, finite bound). */
  exact: number
  /** Exact points whose |error| exceeds their bound. */
  outOfBound: number
  /** Largest |error| / bound over the exact points. */
  maxErrorOverBound: number
  /** Largest |error| / |truth| over the exact points. */
  maxRelError: number
  wrongEpoch: number
  /** Served values outside the domain (loss < 0, accuracy outside [0, 1]). */
  impossible: number
  /** First few problems, for messages. */
  problems: string[]
}

/** Checks `cols` against `truth`; `domain` is the value range a raw value must lie in. */
export function scoreDesmoothed (cols: EnrichedColumns, truth: PointTruth[], domain: [number, number]): DesmoothScore {
  const d = cols.desmoothed!; const b = cols.desmoothedBound!; const kind = cols.desmoothedKind!; const ep = cols.epoch!
  const s: DesmoothScore = { points: truth.length, exact: 0, outOfBound: 0, maxErrorOverBound: 0, maxRelError: 0, wrongEpoch: 0, impossible: 0, problems: [] }
  const note = (msg: string): void => { if (s.problems.length < 8) s.problems.push(msg) }
  if (d.length !== truth.length) note(`length ${d.length} vs truth ${truth.length}`)
  for (let i = 0; i < Math.min(d.length, truth.length); i++) {
    const t = truth[i]!
    if (ep[i] !== t.epoch) { s.wrongEpoch++; note(`point ${i}: epoch ${ep[i]} vs ${t.epoch}`) }
    if (d[i]! < domain[0] || d[i]! > domain[1]) { s.impossible++; note(`point ${i}: impossible value ${d[i]}`) }
    if ((kind[i] === POINT_EXACT || kind[i] === POINT_GAP_MEAN) && Number.isFinite(b[i]!) && Number.isFinite(t.raw)) {
      s.exact++
      const err = Math.abs(d[i]! - t.raw)
      if (err > b[i]!) { s.outOfBound++; note(`point ${i}: |${d[i]} − ${t.raw}| = ${err} > bound ${b[i]} (kind ${kind[i]})`) }
      s.maxErrorOverBound = Math.max(s.maxErrorOverBound, b[i]! > 0 ? err / b[i]! : (err > 0 ? Infinity : 0))
      if (t.raw !== 0) s.maxRelError = Math.max(s.maxRelError, err / Math.abs(t.raw))
    }
  }
  return s
}
