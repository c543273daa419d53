/** The native API's listings: runs and scalar tags from the store (every point kept), with enrichment summaries. */

import type { ScalarStore, RunState, TagInfo } from '../store/scalar-store.js'
import { isScalarTag } from '../store/scalar-store.js'
import type { EnrichmentProvider, PartialOptions } from './enrichment.js'
import type { RunDto, TagDto } from './dto.js'
import { valueSummary } from './value-summary.js'

/** Re-exported for callers that imported them from here before dto.ts existed. */
export type { RunDto, TagDto } from './dto.js'

/** Every run in TensorBoard's /data/runs order (start time, then name), optionally filtered. */
export function listRuns (store: ScalarStore, keep: (run: string) => boolean = () => true): RunDto[] {
  return store.runNamesTbOrder().filter(keep).map(name => {
    const r = store.runs.get(name)!
    return {
      run: name,
      startTime: r.startTime,
      tags: scalarTagsOf(r).length,
      points: r.points,
      files: r.files,
      dataLoss: r.files.reduce((a, f) => a + f.skippedRecords, 0),
      deadFiles: r.files.filter(f => f.state !== 'active').length,
      issues: r.issues
    }
  })
}

/** Scalar tags of a run that hold at least one point, in first-seen order (TensorBoard's listing). */
export function scalarTagsOf (r: RunState): TagInfo[] {
  return [...r.tags.values()].filter(t => isScalarTag(t) && t.series !== null && t.series.length > 0)
}

/**
 * The tag's listing entry. `t` must be one of {@link scalarTagsOf}'s (non-empty series). With
 * `computedOnly`, the annotation counts are what the analyses found so far (see TagDto.annotationsComplete).
 */
export function tagDto (run: string, t: TagInfo, enrichment: EnrichmentProvider, opts: PartialOptions = {}): TagDto {
  const s = t.series!
  const c = s.columns()
  const summary = enrichment.tagSummary(run, t.name, opts)
  const v = valueSummary(s)
  return {
    run,
    tag: t.name,
    displayName: t.displayName,
    points: s.length,
    firstStep: c.steps[0]!,
    lastStep: c.steps[s.length - 1]!,
    lastWallTime: c.wallTimes[s.length - 1]!,
    dtypes: [...s.dtypes],
    nonFinite: s.nonFinite,
    lastValue: v.last,
    minValue: v.min,
    maxValue: v.max,
    restarts: s.restarts,
    family: summary.family,
    annotations: { info: summary.annotations.info, warning: summary.annotations.warning, critical: summary.annotations.critical },
    annotationsComplete: summary.complete
  }
}
