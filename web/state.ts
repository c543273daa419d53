/** The page's state, created once by main.ts and passed to the parts that read it (cards, run list, problems view). */

import type { Annotation, RunEntry, TagEntry } from './wire.js'
import type { Settings } from './settings.js'
import { makeMatcher, type Matcher } from './catalog.js'
import { passesMetricFilter } from './run-metric.js'

export interface AppState {
  settings: Settings
  logdir: string
  runs: RunEntry[]
  tags: TagEntry[]
  /** tag → run → entry */
  tagIndex: Map<string, Map<string, TagEntry>>
  colours: Map<string, string>
  /** Every annotation of the logdir (the Problems view, run health); null until fetched. */
  annotations: Annotation[] | null
  /** Run highlighted on every chart: the pointer's (hover) or the user's pinned one. */
  hovered: string | null
  pinned: string | null
  /** Run groups drawn with their members too (a click on the group's legend row). */
  expanded: Set<string>
  loading: boolean
  live: boolean
  catalogLoaded: boolean
}

export function newState (settings: Settings): AppState {
  return { settings, logdir: '', runs: [], tags: [], tagIndex: new Map(), colours: new Map(), annotations: null, hovered: null, pinned: null, expanded: new Set(), loading: true, live: false, catalogLoaded: false }
}

/** The run highlighted now: the hovered one, else the pinned one. */
export function highlighted (s: AppState): string | null {
  return s.hovered ?? s.pinned
}

const matchers = new Map<string, Matcher>()
/** A cached matcher for a filter text. */
export function matcher (text: string): Matcher {
  let m = matchers.get(text)
  if (m === undefined) {
    if (matchers.size > 50) matchers.clear()
    matchers.set(text, m = makeMatcher(text))
  }
  return m
}

/**
 * True when `run` is in the run list: it passes the run filter and the metric value filter and,
 * when a tag filter is set, has at least one tag that passes it (a run without the tag has nothing to show).
 */
export function runListed (s: AppState, run: string): boolean {
  if (!matcher(s.settings.runFilter).test(run)) return false
  if (!passesMetricFilter(s, run)) return false
  if (s.settings.tagFilter.trim() === '') return true
  const t = matcher(s.settings.tagFilter)
  for (const [tag, byRun] of s.tagIndex) if (byRun.has(run) && t.test(tag)) return true
  return false
}

/**
 * True when `run` is drawn: while 2 or more runs are compared, exactly those; else it passes the
 * run filter and the metric value filter and is not switched off.
 */
export function runShown (s: AppState, run: string): boolean {
  if (s.settings.compare.length >= 2) return s.settings.compare.includes(run)
  return matcher(s.settings.runFilter).test(run) && passesMetricFilter(s, run) && !s.settings.hidden.includes(run)
}

/**
 * A function that runs `fn` at most once per `ms`, and always once more after the last call:
 * unlike a debounce that every call restarts, a steady stream of calls (a run logging every
 * 100 ms) never starves it. Calls while `fn` is still running (async) schedule one more run.
 */
export function throttle (fn: () => Promise<void> | void, ms: number): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null
  let last = -Infinity
  let running = false
  let again = false
  const fire = async (): Promise<void> => {
    timer = null
    running = true
    last = performance.now()
    try { await fn() } catch { /* the caller reports its own errors */ } finally {
      running = false
      if (again) { again = false; call() }
    }
  }
  const call = (): void => {
    if (running) { again = true; return }
    if (timer !== null) return
    timer = setTimeout(() => { void fire() }, Math.max(0, last + ms - performance.now()))
  }
  return call
}
