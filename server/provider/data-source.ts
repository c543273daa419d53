/** What HTTP routes hold of the data: a handle they pass to provider functions, never reading the store themselves. */

import type { ScalarStore } from '../store/scalar-store.js'
import { isScalarTag } from '../store/scalar-store.js'
import type { NamePattern } from './selection.js'

/**
 * The loaded logdir as the HTTP layer sees it. Routes only hand it to provider functions
 * (selection, listings, TensorBoard bodies, the live feed); test/architecture.test.ts forbids
 * server/http from importing server/store, types included.
 */
export type DataSource = ScalarStore

/** Every run name (for "did you mean" suggestions). */
export function runNames (data: DataSource): Iterable<string> {
  return data.runs.keys()
}

/** Names of the scalar tags (with points) of one run, or of every run when `run` is undefined. */
export function * scalarTagNames (data: DataSource, run?: string): Generator<string> {
  const runs = run !== undefined ? [data.runs.get(run)] : data.runs.values()
  for (const r of runs) {
    if (r === undefined) continue
    for (const [name, t] of r.tags) if (isScalarTag(t) && t.series !== null) yield name
  }
}

/**
 * The scalar series (with points) an annotation query covers: one run or all, one tag or all,
 * narrowed by the name patterns.
 */
export function * annotationSeries (data: DataSource, q: { run?: string, tag?: string, runRe?: NamePattern, tagRe?: NamePattern }): Generator<{ run: string, tag: string }> {
  const runs = q.run !== undefined ? [data.runs.get(q.run)] : data.runs.values()
  for (const r of runs) {
    if (r === undefined || (q.runRe !== undefined && !q.runRe.test(r.name))) continue
    const tags = q.tag !== undefined ? [r.tags.get(q.tag)] : r.tags.values()
    for (const t of tags) {
      if (t === undefined || !isScalarTag(t) || t.series === null || t.series.length === 0) continue
      if (q.tagRe !== undefined && !q.tagRe.test(t.name)) continue
      yield { run: r.name, tag: t.name }
    }
  }
}

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
