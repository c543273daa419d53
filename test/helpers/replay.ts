/**
 * Replays the scalar points of a loaded store into a fresh store one event at a time, in wall-time
 * order across all runs and tags (as the training processes wrote them), through the same RunState
 * calls the loader makes, and lets a callback look after every point.
 */

import { ScalarStore, isScalarTag } from '../../server/store/scalar-store.js'

export interface ReplayPoint { run: string, tag: string, wall: number, step: number, value: number, order: number }

/** Every scalar point of `src`, sorted by wall time (stable: file order within a wall time). */
export function pointsOf (src: ScalarStore): ReplayPoint[] {
  const out: ReplayPoint[] = []
  let order = 0
  for (const [run, r] of src.runs) {
    for (const t of r.tags.values()) {
      if (!isScalarTag(t) || t.series === null) continue
      const c = t.series.columns()
      for (let i = 0; i < t.series.length; i++) out.push({ run, tag: t.name, wall: c.wallTimes[i]!, step: c.steps[i]!, value: c.values[i]!, order: order++ })
    }
  }
  out.sort((a, b) => a.wall - b.wall || a.order - b.order)
  return out
}

/** Feeds `points` into `dst`, calling `after(point)` after each one is announced. */
export function replay (dst: ScalarStore, points: ReplayPoint[], after: (p: ReplayPoint) => void): void {
  for (const p of points) {
    const run = dst.getOrCreateRun(p.run)
    if (run.fileVersion === null) run.fileVersionRecord('brain.Event:2')
    const t = run.tag(p.tag)
    run.metadata(t, 'scalars', '', '', 1)
    run.scalarEvent(t, p.wall, p.step, p.value, 'float32')
    dst.notifyPoints(p.run, [p.tag])
    after(p)
  }
}
