/** NaN and ±Inf values: one critical annotation per run of non-finite values (per fit). */

import { makeEvent, extendEvent, fmt, type JumpEvent } from '../events.js'
import type { DetectContext, PointsView } from './context.js'
import { metricWords } from '../metric-words.js'

export class NonFiniteTracker {
  private event: JumpEvent | null = null
  private inRun = false

  constructor (private readonly ctx: DetectContext) {}

  /** A new fit may fail again: its first NaN/Inf gets its own annotation. */
  reset (): void { this.event = null; this.inRun = false }

  /**
   * A finite point ends the run of non-finite values, and so its event. A run of one or two points
   * followed by normal values is not an overflow (that would poison the weights and every later
   * value): one batch carried invalid values, and its update was skipped or harmless.
   */
  finite (v: PointsView, i: number): void {
    const ev = this.event
    if (this.inRun && ev !== null && ev.open) {
      ev.open = false
      if (ev.endIndex - ev.startIndex <= 1 && i === ev.endIndex + 1) {
        const label = this.ctx.label
        ev.causes[0] = {
          cause: metricWords(this.ctx.space.dir, label).dir === 1
            ? 'a bad batch: invalid values (NaN/Inf) in its inputs, labels or loss, not a numerical blow-up'
            : `${label} was undefined for one or two points (an empty or degenerate evaluation, a division by zero), not a numerical blow-up`,
          evidence: `${ev.endIndex - ev.startIndex + 1} non-finite point(s) at step ${ev.startStep}${ev.endStep !== ev.startStep ? `–${ev.endStep}` : ''}, and the value was finite again at step ${v.steps[i]} (${fmt(v.values[i]!)}); a blow-up would have stayed non-finite`
        }
      }
    }
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
        cause: { cause: 'numerical overflow or an invalid operation (NaN/Inf)', evidence: `${this.ctx.label}: first non-finite value (${what}) at step ${v.steps[i]}${Number.isFinite(lastFinite) ? `; the last finite value before it was ${fmt(lastFinite)}` : ''}` },
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
