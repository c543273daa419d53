/** NaN and ±Inf values: one critical annotation per run of non-finite values (per fit). */

import { makeEvent, extendEvent, fmt, type JumpEvent } from '../events.js'
import type { DetectContext, PointsView } from './context.js'

export class NonFiniteTracker {
  private event: JumpEvent | null = null
  private inRun = false

  constructor (private readonly ctx: DetectContext) {}

  /** A new fit may fail again: its first NaN/Inf gets its own annotation. */
  reset (): void { this.event = null; this.inRun = false }

  /** A finite point ends the run of non-finite values, and so its event. */
  finite (): void {
    if (this.inRun && this.event !== null) this.event.open = false
    this.inRun = false
  }

  point (v: PointsView, i: number, y: number): void {
    const { space, baseline } = this.ctx
    const what = Number.isNaN(y) ? 'NaN' : y > 0 ? '+Infinity' : '-Infinity'
    if (this.event === null) {
      let lastFinite = NaN
      for (let j = i - 1; j >= Math.max(0, i - 1000); j--) { const x = v.values[j]!; if (Number.isFinite(x)) { lastFinite = x; break } }
      const base = !Number.isNaN(baseline.base) ? space.y(baseline.base) : lastFinite
      const ev = makeEvent(v, {
        kind: 'non-finite',
        severity: 'critical',
        start: i,
        end: i,
        ratio: Number.isFinite(lastFinite) && base !== 0 ? Math.abs(lastFinite / base) : NaN,
        robustZ: !Number.isNaN(baseline.sigma) && Number.isFinite(lastFinite) && space.ok(Math.abs(lastFinite) || 1e-300)
          ? space.dir * (space.u(Math.abs(lastFinite) || 1e-300) - baseline.base) / baseline.sigma
          : NaN,
        baseline: base,
        peak: lastFinite,
        cause: { cause: 'numerical overflow or an invalid operation (NaN/Inf)', evidence: `first non-finite value (${what}) at step ${v.steps[i]}${Number.isFinite(lastFinite) ? `; the last finite value before it was ${fmt(lastFinite)}` : ''}` },
        open: true
      })
      this.event = ev
      this.ctx.emit(ev)
    } else if (this.inRun && this.event.open) {
      extendEvent(this.event, v, i)
      const c = this.event.causes[0]!
      c.evidence = c.evidence.replace(/; non-finite through step .*$/, '') + `; non-finite through step ${v.steps[i]} (${i - this.event.startIndex + 1} points)`
    }
    this.inRun = true
  }
}
