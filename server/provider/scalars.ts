/** The native API's data: runs, tags and columnar scalar series from the store (every point kept). */

import type { ScalarStore, RunState, TagInfo } from '../store/scalar-store.js'
import { isScalarTag } from '../store/scalar-store.js'
import type { Restart } from '../domain.js'

/** A run as /api/v1/runs lists it. */
export interface RunDto {
  run: string
  startTime: number | null
  tags: number
  points: number
  files: RunState['files']
  /** Records skipped in this run's files (bad data CRC, undecodable) — each logged with file and offset. */
  dataLoss: number
  deadFiles: number
  issues: RunState['issues']
}

export function listRuns (store: ScalarStore): RunDto[] {
  return store.runNamesTbOrder().map(name => {
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

/** Scalar tags of a run, in first-seen order. */
export function scalarTagsOf (r: RunState): TagInfo[] {
  return [...r.tags.values()].filter(t => isScalarTag(t) && t.series !== null && t.series.length > 0)
}

/** A tag as /api/v1/tags lists it. */
export interface TagDto {
  run: string
  tag: string
  displayName: string
  points: number
  firstStep: number
  lastStep: number
  lastWallTime: number
  dtypes: string[]
  nonFinite: number
  restarts: Restart[]
}

export function tagDto (run: string, t: TagInfo): TagDto {
  const s = t.series!
  const c = s.columns()
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
    restarts: s.restarts
  }
}
