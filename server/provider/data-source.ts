/** What HTTP routes hold of the data: a handle they pass to provider functions, never reading the store themselves. */

import type { ScalarStore } from '../store/scalar-store.js'
import { isScalarTag } from '../store/scalar-store.js'

/**
 * The loaded logdir as the HTTP layer sees it. Routes only hand it to provider functions
 * (selection, listings, TensorBoard bodies, the live feed); test/architecture.test.ts forbids
 * server/http from importing server/store, types included.
 */
export type DataSource = ScalarStore

/** Outcome of checking an annotation query's run and tag names against what is loaded. */
export type AnnotationTarget = { kind: 'ok' } | { kind: 'run-not-found', run: string } | { kind: 'tag-not-found', tag: string, run?: string }

/** Whether `run` exists and `tag` is a scalar tag of it (or, without a run, of some run). */
export function annotationTarget (data: DataSource, run: string | undefined, tag: string | undefined): AnnotationTarget {
  if (run !== undefined) {
    const r = data.runs.get(run)
    if (r === undefined) return { kind: 'run-not-found', run }
    if (tag !== undefined) {
      const t = r.tags.get(tag)
      if (t === undefined || !isScalarTag(t) || t.series === null) return { kind: 'tag-not-found', tag, run }
    }
    return { kind: 'ok' }
  }
  if (tag === undefined) return { kind: 'ok' }
  for (const r of data.runs.values()) {
    const t = r.tags.get(tag)
    if (t !== undefined && isScalarTag(t) && t.series !== null) return { kind: 'ok' }
  }
  return { kind: 'tag-not-found', tag }
}
