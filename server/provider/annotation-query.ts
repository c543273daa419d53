/** Filtering and CSV rendering of annotation lists for /api/v1/annotations: run/tag regexes, kinds, exact or minimum severity. */

import type { Annotation, AnnotationKind, Severity } from './enrichment.js'
import { csvField } from './encode.js'
import type { NamePattern } from './selection.js'

/** Severities from the least to the most severe; `minSeverity` keeps this one and those after it. */
export const SEVERITY_ORDER: readonly Severity[] = ['info', 'warning', 'critical']

export interface AnnotationQuery {
  runRe?: NamePattern
  tagRe?: NamePattern
  /** Any of these kinds (all when absent). */
  kinds?: ReadonlySet<AnnotationKind>
  /** Exactly this severity. */
  severity?: Severity
  /** This severity or a worse one. */
  minSeverity?: Severity
}

/** The annotations of `list` that match every given criterion, in their order. */
export function filterAnnotations (list: readonly Annotation[], q: AnnotationQuery): Annotation[] {
  const min = q.minSeverity === undefined ? 0 : SEVERITY_ORDER.indexOf(q.minSeverity)
  return list.filter(a =>
    (q.runRe === undefined || q.runRe.test(a.run)) &&
    (q.tagRe === undefined || q.tagRe.test(a.tag)) &&
    (q.kinds === undefined || q.kinds.has(a.kind)) &&
    (q.severity === undefined || a.severity === q.severity) &&
    SEVERITY_ORDER.indexOf(a.severity) >= min)
}

/** Column names of the CSV form, one row per annotation (the magnitude flattened, causes joined). */
export const ANNOTATION_CSV_COLUMNS = ['id', 'run', 'tag', 'kind', 'severity', 'startStep', 'endStep', 'wallTime', 'ratio', 'robustZ',
  'baseline', 'peak', 'series', 'open', 'tentative', 'causes', 'explanation'] as const

/** A number cell: empty when not finite, so pandas reads the column as float with NaN. */
function num (x: number): string { return Number.isFinite(x) ? String(x) : '' }

/** The annotations as RFC 4180 CSV with a header row; causes become `cause: evidence` joined by ` | `. */
export function annotationsCsv (list: readonly Annotation[]): string {
  let out = ANNOTATION_CSV_COLUMNS.join(',') + '\n'
  for (const a of list) {
    out += [
      csvField(a.id), csvField(a.run), csvField(a.tag), a.kind, a.severity, num(a.startStep), num(a.endStep), num(a.wallTime),
      num(a.magnitude.ratio), num(a.magnitude.robustZ), num(a.baseline), num(a.peak), a.series, String(a.open), String(a.tentative),
      csvField(a.causes.map(c => `${c.cause}: ${c.evidence}`).join(' | ')), csvField(a.explanation)
    ].join(',') + '\n'
  }
  return out
}
