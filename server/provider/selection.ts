/** Which (run, tag) series a request means: exact names and regular expressions over runs and tags. */

import type { ScalarStore, TagInfo, RunState } from '../store/scalar-store.js'
import type { ScalarSeries } from '../store/scalar-series.js'
import { scalarTagsOf } from './scalars.js'

/**
 * A selection of runs and tags. A run is selected when it is named in `runs` or matches `runRe`;
 * when both are absent every run is. Tags likewise, within each selected run. Patterns
 * search (use `^…$` to match a whole name), as TensorBoard's run filter does.
 */
export interface Selection {
  runs?: readonly string[]
  runRe?: NamePattern
  tags?: readonly string[]
  tagRe?: NamePattern
}

/**
 * A compiled pattern that searches a name. The HTTP layer compiles client patterns for a
 * linear-time engine (RE2), never V8's backtracking one; a RegExp also fits (trusted patterns).
 */
export interface NamePattern { test: (name: string) => boolean }

/** One selected series. `series` is the store's live object: it only grows. */
export interface SelectedSeries {
  run: string
  tag: string
  info: TagInfo
  series: ScalarSeries
  /** Points the series held when selected: a response never reads past it, so it stays consistent while it streams. */
  length: number
  /** The run's change counter when selected (for validators such as ETags). */
  runVersion: number
}

/**
 * Outcome of {@link selectSeries}. A run named exactly that does not exist is `run-not-found`;
 * a tag named exactly that no selected run holds as a scalar tag is `tag-not-found` (`run` is
 * set when exactly one run was named). Regular expressions that match nothing are not errors:
 * they give an empty `ok`.
 */
export type SelectOutcome =
  | { kind: 'ok', items: SelectedSeries[], runs: Array<{ run: string, version: number, generation: number }> }
  | { kind: 'run-not-found', run: string }
  | { kind: 'tag-not-found', tag: string, run?: string }

const generations = new WeakMap<RunState, number>()
let nextGeneration = 1

/**
 * A number unique to this RunState object in this process. A run removed and read again (deleted
 * and recreated, or a file rewritten) is a new RunState, so validators change even when its
 * change counter happens to reach the same value: never an ETag from counts alone.
 */
export function generationOf (run: RunState): number {
  let g = generations.get(run)
  if (g === undefined) { g = nextGeneration++; generations.set(run, g) }
  return g
}

/** Selected run names in TensorBoard order, or the first exactly-named run that does not exist. */
export function selectRuns (store: ScalarStore, sel: Pick<Selection, 'runs' | 'runRe'>): { kind: 'ok', runs: string[] } | { kind: 'run-not-found', run: string } {
  for (const r of sel.runs ?? []) if (!store.runs.has(r)) return { kind: 'run-not-found', run: r }
  return { kind: 'ok', runs: store.runNamesTbOrder().filter(runMatcher(sel)) }
}

/** Predicate over run names for `sel` (also used by the live stream, where runs may not exist yet). */
export function runMatcher (sel: Pick<Selection, 'runs' | 'runRe'>): (run: string) => boolean {
  return nameMatcher(sel.runs, sel.runRe)
}

/** Predicate over tag names for `sel`. */
export function tagMatcher (sel: Pick<Selection, 'tags' | 'tagRe'>): (tag: string) => boolean {
  return nameMatcher(sel.tags, sel.tagRe)
}

/** Resolves a selection to series: runs in TensorBoard order, tags in first-seen order within each run. */
export function selectSeries (store: ScalarStore, sel: Selection): SelectOutcome {
  const rs = selectRuns(store, sel)
  if (rs.kind !== 'ok') return rs
  const keepTag = tagMatcher(sel)
  const items: SelectedSeries[] = []
  const runs: Array<{ run: string, version: number, generation: number }> = []
  const exactFound = new Set<string>()
  for (const run of rs.runs) {
    const state = store.runs.get(run)!
    runs.push({ run, version: state.version, generation: generationOf(state) })
    for (const t of scalarTagsOf(state)) {
      if (!keepTag(t.name)) continue
      exactFound.add(t.name)
      items.push({ run, tag: t.name, info: t, series: t.series!, length: t.series!.length, runVersion: state.version })
    }
  }
  for (const tag of sel.tags ?? []) {
    if (!exactFound.has(tag)) {
      return sel.runs?.length === 1 && sel.runRe === undefined ? { kind: 'tag-not-found', tag, run: sel.runs[0]! } : { kind: 'tag-not-found', tag }
    }
  }
  return { kind: 'ok', items, runs }
}

function nameMatcher (names: readonly string[] | undefined, re: NamePattern | undefined): (name: string) => boolean {
  if ((names === undefined || names.length === 0) && re === undefined) return () => true
  const set = new Set(names ?? [])
  return (name) => set.has(name) || (re !== undefined && testRe(re, name))
}

function testRe (re: NamePattern, s: string): boolean {
  if (re instanceof RegExp) re.lastIndex = 0
  return re.test(s)
}

/**
 * A string that changes whenever an answer built from `sel` could: the generation and change
 * counter of every run read (bumped by every appended point, restart and new tag, so a regex
 * selection that gains a series changes it too) and the change counter and length of every
 * series. With `wholeStore` (answers that read enrichment, whose analyses also read other runs:
 * a validation run's training sibling) the store's own counter and the sum of every run's
 * counter are added: counters only grow, and a run removed or replaced bumps the store's.
 * Response caches (server/http/response-cache.ts) keep a body only while its stamp is current.
 */
export function selectionStamp (store: ScalarStore, sel: Extract<SelectOutcome, { kind: 'ok' }>, wholeStore: boolean): string {
  let out = ''
  for (const r of sel.runs) out += r.run + '\0' + r.generation + '.' + r.version + '\0'
  for (const it of sel.items) out += it.series.version + '.' + it.length + ','
  if (wholeStore) {
    let sum = 0
    for (const r of store.runs.values()) sum += r.version
    out += '|' + store.version + '.' + store.runs.size + '.' + sum
  }
  return out
}
