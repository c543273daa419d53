/** The run list: short names, a health badge per run (problems, non-finite values, live or finished, unreadable records), a colour picker, sorting, and the tag filter's narrowing. */

import { compareNames, formatCount, formatValue, type Annotation, type RunEntry, type TagEntry } from './columns.js'
import { $, h } from './dom.js'
import { shortNames } from './names.js'
import type { RunSort } from './settings.js'
import { matcher, runListed, type AppState } from './state.js'
import { higherIsBetter, listStat, parseMetricFilter, runMetricValue } from './run-metric.js'

/** A run counts as live when it wrote within this many seconds. */
export const LIVE_WINDOW_S = 120

export interface RunHealth {
  critical: number
  warning: number
  nonFinite: number
  /** Wall time (s) of the run's last point, NaN when unknown. */
  lastWrite: number
  /** Skipped records and unreadable files. */
  unreadable: number
}

/**
 * Health per run: problem counts from the annotations (tentative ones included, as in the Problems
 * view and on the cards), non-finite values and last write from the tag list, unreadable records
 * from the run list. Before the annotations arrive, the tag list's counts stand in.
 */
export function runHealth (runs: RunEntry[], tags: TagEntry[], anns: Annotation[] | null): Map<string, RunHealth> {
  const out = new Map<string, RunHealth>()
  for (const r of runs) out.set(r.run, { critical: 0, warning: 0, nonFinite: 0, lastWrite: NaN, unreadable: (r.dataLoss ?? 0) + (r.deadFiles ?? 0) })
  for (const t of tags) {
    const hl = out.get(t.run)
    if (hl === undefined) continue
    hl.nonFinite += t.nonFinite ?? 0
    if (t.lastWallTime !== undefined && !(t.lastWallTime <= hl.lastWrite)) hl.lastWrite = t.lastWallTime
    if (anns === null) { hl.critical += t.annotations?.critical ?? 0; hl.warning += t.annotations?.warning ?? 0 }
  }
  for (const a of anns ?? []) {
    const hl = out.get(a.run)
    if (hl === undefined) continue
    if (a.severity === 'critical') hl.critical++
    else if (a.severity === 'warning') hl.warning++
  }
  return out
}

/**
 * Runs in list order: by name, by problems (critical, then warning, then non-finite, then
 * unreadable), by last write, or by a metric's value (`metricOf`; best first: ascending unless
 * `higherBetter`; runs without the metric last).
 */
export function sortRuns (runs: string[], health: Map<string, RunHealth>, sort: RunSort, metricOf?: (run: string) => number, higherBetter = false): string[] {
  const score = (r: string): number[] => {
    const hl = health.get(r)
    if (hl === undefined) return [0, 0, 0, 0]
    return [hl.critical, hl.warning, hl.nonFinite > 0 ? 1 : 0, hl.unreadable]
  }
  return [...runs].sort((a, b) => {
    if (sort === 'problems') {
      const sa = score(a); const sb = score(b)
      for (let i = 0; i < sa.length; i++) if (sa[i] !== sb[i]) return sb[i]! - sa[i]!
    } else if ((sort === 'metric-last' || sort === 'metric-best') && metricOf !== undefined) {
      const va = metricOf(a); const vb = metricOf(b)
      if (va !== vb && !(Number.isNaN(va) && Number.isNaN(vb))) return Number.isNaN(va) ? 1 : Number.isNaN(vb) ? -1 : higherBetter ? vb - va : va - vb
    } else if (sort === 'recent') {
      const la = health.get(a)?.lastWrite ?? NaN; const lb = health.get(b)?.lastWrite ?? NaN
      if (la !== lb && !(Number.isNaN(la) && Number.isNaN(lb))) return Number.isNaN(la) ? 1 : Number.isNaN(lb) ? -1 : lb - la
    }
    return compareNames(a, b)
  })
}

export interface RunListHooks {
  onToggle: (run: string, on: boolean) => void
  onColour: (run: string, colour: string) => void
  onHover: (run: string | null) => void
  onCompare: (run: string, on: boolean) => void
}

/** Renders the run list for the current state. */
export function renderRunList (app: AppState, hooks: RunListHooks): void {
  const list = $('run-list')
  const m = matcher(app.settings.runFilter)
  $('run-filter').classList.toggle('invalid', !m.valid)
  $('run-filter').title = m.error ?? 'regular expression, case-insensitive'
  const listed = app.runs.filter(r => runListed(app, r.run)).map(r => r.run)
  const health = runHealth(app.runs, app.tags, app.annotations)
  const names = shortNames(listed, 24)
  const byName = new Map(app.runs.map(r => [r.run, r]))
  const now = Date.now() / 1000
  const metric = app.settings.runMetric
  const stat = listStat(app)
  const metricOf = (run: string): number => runMetricValue(app, run, metric, stat)
  const mf = parseMetricFilter(app.settings.metricFilter, metric)
  $('metric-filter').classList.toggle('invalid', !mf.valid)
  const items = sortRuns(listed, health, app.settings.runSort, metric === '' ? undefined : metricOf, higherIsBetter(metric)).map(run => {
    const r = byName.get(run)!
    const hl = health.get(run)!
    const box = h('input', { type: 'checkbox', 'aria-label': `show ${run}` })
    box.checked = !app.settings.hidden.includes(run)
    box.addEventListener('change', () => hooks.onToggle(run, box.checked))
    const picker = h('input', { type: 'color', class: 'swatch-picker', 'aria-label': `colour of ${run}`, title: 'pick a colour' })
    picker.value = app.colours.get(run) ?? '#888888'
    picker.addEventListener('change', () => hooks.onColour(run, picker.value))
    const badges = h('span', { class: 'badges' })
    if (hl.critical > 0) badges.append(h('span', { class: 'badge crit', title: `${hl.critical} critical annotation(s)` }, `${hl.critical}`))
    if (hl.warning > 0) badges.append(h('span', { class: 'badge warn', title: `${hl.warning} warning annotation(s)` }, `${hl.warning}`))
    if (hl.nonFinite > 0) badges.append(h('span', { class: 'badge nonfinite', title: `${hl.nonFinite} NaN/Inf value(s)` }, 'NaN'))
    if (hl.unreadable > 0) badges.append(h('span', { class: 'run-warn', title: `${r.dataLoss ?? 0} skipped record(s), ${r.deadFiles ?? 0} unreadable file(s)` }, '⚠'))
    const live = Number.isFinite(hl.lastWrite) && now - hl.lastWrite < LIVE_WINDOW_S
    const ago = Number.isFinite(hl.lastWrite) ? `last write ${new Date(hl.lastWrite * 1000).toLocaleString()}` : 'no points yet'
    badges.append(h('i', { class: `state-dot ${live ? 'live' : 'done'}`, title: live ? `live: ${ago}` : `finished or paused: ${ago}` }))
    const li = h('li', { class: 'run', 'data-run': run, 'data-critical': String(hl.critical), 'data-warning': String(hl.warning) },
      picker,
      h('label', {}, box, h('span', { class: 'run-name', title: run }, names.get(run) ?? run)),
      badges,
      h('span', { class: 'run-meta' }, `${formatCount(r.points ?? 0)} pts`))
    if (metric !== '') {
      const v = metricOf(run)
      li.append(h('span', { class: 'run-metric', 'data-value': String(v), title: `${stat} ${metric}` }, Number.isNaN(v) ? '–' : formatValue(v)))
    }
    const comparing = app.settings.compare.includes(run)
    const cmp = h('button', { type: 'button', class: 'compare-btn', 'aria-pressed': String(comparing), 'aria-label': `compare ${run}`, title: comparing ? 'remove from the comparison' : 'add to the comparison' }, '⇄')
    cmp.addEventListener('click', () => hooks.onCompare(run, !comparing))
    li.append(cmp)
    li.addEventListener('mouseenter', () => hooks.onHover(run))
    li.addEventListener('mouseleave', () => hooks.onHover(null))
    return li
  })
  list.replaceChildren(...items)
  $('run-count').textContent = listed.length === app.runs.length ? `${app.runs.length}` : `${listed.length} of ${app.runs.length}`
}
