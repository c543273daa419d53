/** Overlays: annotations placed on the x axis, hit-testing, and their text. */

import type { Annotation, Severity } from './wire.js'
import type { RunView, XAxis } from './run-view.js'
import { formatStep } from './format.js'
import { nearestIndex } from './legend.js'

// ---------------------------------------------------------------------------------------------
// Overlays: annotations, restarts, non-finite markers
// ---------------------------------------------------------------------------------------------

export const SEVERITY_COLOUR: Record<Severity, string> = { info: '#6b7a90', warning: '#e08a00', critical: '#d03030' }
export const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 }

/** An annotation placed on the chart's x axis. */
export interface AnnotationMark {
  x0: number
  x1: number
  severity: Severity
  colour: string
  annotation: Annotation
}

/** x of `step` in a run view: exact on the step axis, else the x of the nearest step (steps assumed mostly ascending). */
export function stepToX (v: RunView, step: number, axis: XAxis): number {
  if (axis === 'step') return step
  const i = nearestIndex(v.steps, step)
  return i < 0 ? NaN : v.x[i]!
}

/** Annotations of the displayed runs, placed on the x axis, highest severity drawn last. */
export function annotationMarks (anns: Annotation[], views: RunView[], axis: XAxis): AnnotationMark[] {
  const byRun = new Map(views.map(v => [v.run, v]))
  const out: AnnotationMark[] = []
  for (const a of anns) {
    const v = byRun.get(a.run)
    if (v === undefined) continue
    const sev: Severity = a.severity in SEVERITY_COLOUR ? a.severity : 'info'
    const x0 = stepToX(v, a.startStep, axis)
    const x1 = stepToX(v, a.endStep ?? a.startStep, axis)
    if (!Number.isFinite(x0)) continue
    out.push({ x0: Math.min(x0, x1), x1: Math.max(x0, Number.isFinite(x1) ? x1 : x0), severity: sev, colour: SEVERITY_COLOUR[sev], annotation: a })
  }
  return out.sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || a.x0 - b.x0)
}

/** Marks under x, widened by `tol` on each side (cursor slack), most severe first. */
export function marksAt (marks: AnnotationMark[], x: number, tol: number): AnnotationMark[] {
  return marks.filter(m => x >= m.x0 - tol && x <= m.x1 + tol).sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity])
}

/**
 * Where an annotation is, for lists and tooltips: "run · step 150", "run · steps 40–41", with
 * "ongoing" while the server says it may still grow and "tentative" while it is unconfirmed.
 */
export function annotationWhere (a: Annotation): string {
  const flags = a as { open?: unknown, tentative?: unknown }
  const steps = a.endStep !== a.startStep ? `steps ${formatStep(a.startStep)}–${formatStep(a.endStep)}` : `step ${formatStep(a.startStep)}`
  return [a.run, steps, flags.open === true ? 'ongoing' : '', flags.tentative === true ? 'tentative' : ''].filter(Boolean).join(' · ')
}

/** Counts by severity, from a tag entry's summary or, failing that, from fetched annotations. */
export function severityCounts (anns: Annotation[]): Record<Severity, number> {
  const c: Record<Severity, number> = { info: 0, warning: 0, critical: 0 }
  for (const a of anns) if (a.severity in c) c[a.severity]++
  return c
}
