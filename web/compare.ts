/** The run comparison: the compared runs' last and best value of every tag they log, side by side, with the difference to the first run. */

import { compareNames, formatValue } from './columns.js'
import { $, h } from './dom.js'
import { higherIsBetter, runMetricValue } from './run-metric.js'
import type { AppState } from './state.js'

/** A signed difference, `+0.12` / `−0.03`; `–` when either side is missing. */
function formatDelta (d: number): string {
  if (Number.isNaN(d)) return '–'
  return (d > 0 ? '+' : d < 0 ? '−' : '±') + formatValue(Math.abs(d))
}

/**
 * Renders the comparison table into #compare, shown while 2 or more runs are compared: one row
 * per tag that any of them logs (passing the tag filter), for each run its last and best value
 * (best = min, or max for accuracy-like tags), and for every run after the first the difference
 * of each to the first run's. `onClear` ends the comparison.
 */
export function renderCompare (app: AppState, tagPasses: (tag: string) => boolean, onClear: () => void): void {
  const el = $('compare')
  const runs = app.settings.compare.filter(r => app.runs.some(x => x.run === r))
  if (runs.length < 2) { el.hidden = true; el.replaceChildren(); return }
  const base = runs[0]!
  const tags = [...app.tagIndex.entries()].filter(([tag, byRun]) => tagPasses(tag) && runs.some(r => byRun.has(r))).map(([t]) => t).sort(compareNames)
  const head = h('tr', {}, h('th', { scope: 'col' }, 'tag'))
  for (const r of runs) {
    head.append(h('th', { scope: 'col', title: r }, h('i', { class: 'swatch', style: `background:${app.colours.get(r) ?? '#888'}` }), ` ${r} last`), h('th', { scope: 'col', title: r }, `${r} best`))
    if (r !== base) head.append(h('th', { scope: 'col', title: `${r} − ${base}` }, 'Δ last'), h('th', { scope: 'col', title: `${r} − ${base}` }, 'Δ best'))
  }
  const rows = tags.map(tag => {
    const tr = h('tr', { 'data-tag': tag }, h('th', { scope: 'row', title: higherIsBetter(tag) ? 'best = largest' : 'best = smallest' }, tag))
    const b0 = { last: runMetricValue(app, base, tag, 'last'), best: runMetricValue(app, base, tag, 'best') }
    for (const r of runs) {
      const last = runMetricValue(app, r, tag, 'last'); const best = runMetricValue(app, r, tag, 'best')
      tr.append(h('td', { 'data-run': r, 'data-stat': 'last' }, Number.isNaN(last) ? '–' : formatValue(last)), h('td', { 'data-run': r, 'data-stat': 'best' }, Number.isNaN(best) ? '–' : formatValue(best)))
      if (r !== base) tr.append(h('td', { 'data-run': r, 'data-stat': 'dlast', class: 'delta' }, formatDelta(last - b0.last)), h('td', { 'data-run': r, 'data-stat': 'dbest', class: 'delta' }, formatDelta(best - b0.best)))
    }
    return tr
  })
  const clear = h('button', { type: 'button', class: 'link', id: 'compare-clear' }, 'end comparison')
  clear.addEventListener('click', onClear)
  el.hidden = false
  el.replaceChildren(
    h('h2', {}, `Comparing ${runs.length} runs`, ' ', clear),
    h('p', { class: 'help' }, `The charts show only these runs. Δ is each run minus ${base}.`),
    h('div', { class: 'table-wrap' }, h('table', { class: 'compare-table' }, h('thead', {}, head), h('tbody', {}, ...rows))))
}
