/** Run groups: runs grouped by a path level or a regular expression, drawn as the group's mean with a min–max band. */

import type { RunView } from './run-view.js'

/** How runs are grouped: not at all, by their first N path segments, or by a regex (its first capture group, else the match). */
export type GroupBy = '' | `level:${number}` | `re:${string}`

/** The group of a run, or null when the run stays alone (grouping off, or the regex does not match). */
export function groupKey (run: string, by: GroupBy): string | null {
  if (by === '') return null
  if (by.startsWith('level:')) {
    const n = Number(by.slice(6))
    const parts = run.split('/')
    return Number.isInteger(n) && n > 0 && parts.length > n ? parts.slice(0, n).join('/') : null
  }
  let re: RegExp
  try { re = new RegExp(by.slice(3), 'i') } catch { return null }
  const m = re.exec(run)
  return m === null ? null : (m[1] ?? m[0])
}

/** Groups of ≥ 2 runs, in the order of their first member; single runs are left out (drawn as themselves). */
export function groupRuns (runs: string[], by: GroupBy): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const r of runs) {
    const k = groupKey(r, by)
    if (k === null) continue
    let list = out.get(k)
    if (list === undefined) out.set(k, list = [])
    list.push(r)
  }
  for (const [k, list] of out) if (list.length < 2) out.delete(k)
  return out
}

/** Prefix of a group's pseudo-run name (never a real run name: runs are paths). */
export const GROUP_PREFIX = '\u2211 '

/** Value of an ascending (x, y) polyline at x, linearly interpolated; NaN outside its range or next to a non-finite point. */
function interpolate (xs: Float64Array, ys: Float64Array, x: number): number {
  const n = xs.length
  if (n === 0 || x < xs[0]! || x > xs[n - 1]!) return NaN
  let lo = 0; let hi = n - 1
  while (hi - lo > 1) { const mid = (lo + hi) >>> 1; if (xs[mid]! <= x) lo = mid; else hi = mid }
  if (xs[lo] === x) return ys[lo]!
  if (xs[hi] === x) return ys[hi]!
  const f = (x - xs[lo]!) / (xs[hi]! - xs[lo]!)
  return ys[lo]! * (1 - f) + ys[hi]! * f
}

/**
 * A group's view: on `points` x positions spread over the members' x range, the mean of the
 * members that cover each x (linear interpolation between their points), with the min and max as
 * a band. Steps are the x positions on the step axis (or the nearest member step otherwise).
 */
export function groupView (name: string, members: RunView[], points = 400): RunView & { band: { lo: Float64Array, hi: Float64Array }, members: string[] } {
  let x0 = Infinity; let x1 = -Infinity
  for (const v of members) if (v.x.length > 0) { x0 = Math.min(x0, v.x[0]!); x1 = Math.max(x1, v.x[v.x.length - 1]!) }
  const n = Number.isFinite(x0) ? (x1 > x0 ? points : 1) : 0
  const x = new Float64Array(n); const mean = new Float64Array(n); const lo = new Float64Array(n); const hi = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const xi = n === 1 ? x0 : x0 + (x1 - x0) * i / (n - 1)
    x[i] = xi
    let sum = 0; let cnt = 0; let mn = Infinity; let mx = -Infinity
    for (const v of members) {
      const y = interpolate(v.x, v.values, xi)
      if (!Number.isFinite(y)) continue
      sum += y; cnt++
      if (y < mn) mn = y
      if (y > mx) mx = y
    }
    mean[i] = cnt > 0 ? sum / cnt : NaN
    lo[i] = cnt > 0 ? mn : NaN
    hi[i] = cnt > 0 ? mx : NaN
  }
  return {
    run: `${GROUP_PREFIX}${name}`,
    x,
    steps: Float64Array.from(x, Math.round),
    wallTimes: new Float64Array(n).fill(NaN),
    values: mean,
    desmoothed: null,
    bound: null,
    epochs: null,
    smoothed: null,
    family: null,
    notes: [],
    nonFinite: [],
    restarts: [],
    epochStarts: [],
    band: { lo, hi },
    members: members.map(v => v.run)
  }
}
