/** A chart's legend as a table: one row per run (short name, full name on hover), sortable by name or value, rows that highlight and pin their run. */

import type { ChartModel } from './chart-model.js'
import { legendRows, orderRuns } from './legend.js'
import type { LegendSort } from './settings.js'

export interface LegendEvents {
  /** The pointer entered a row (run) or left the table (null). */
  onHover: (run: string | null) => void
  /** A row was clicked or activated with Enter/Space. */
  onPick: (run: string) => void
  /** The user asked for the next sort order (clicking the run or a value header). */
  onSort: (next: LegendSort) => void
}

interface Cells { step: HTMLElement, value: HTMLElement, desmoothed: HTMLElement, smoothed: HTMLElement }

export class LegendTable {
  readonly el: HTMLTableElement
  private cells = new Map<string, Cells>()
  private model: ChartModel | null = null
  /** What the rows were built from: a live update with the same runs, order and columns only refreshes the values. */
  private builtKey = ''

  constructor (private readonly events: LegendEvents) {
    this.el = document.createElement('table')
    this.el.className = 'legend'
    this.el.addEventListener('mouseleave', () => this.events.onHover(null))
  }

  /** Rebuilds the rows for `model`, ordered by `sort`, with `names` as the shown run names. */
  render (model: ChartModel | null, sort: LegendSort, names: Map<string, string>, highlight: string | null): void {
    this.model = model
    const order = model === null ? [] : orderRuns(model, sort)
    const key = model === null ? '' : `${sort}|${order.join('\u0000')}|${[...new Set(model.series.map(s => s.role))].join(',')}|${order.map(r => `${names.get(r) ?? r}${model.colours.get(r) ?? ''}`).join('\u0000')}`
    if (key !== '' && key === this.builtKey) {
      this.highlight(highlight)
      this.update(null)
      return
    }
    this.builtKey = key
    this.el.replaceChildren()
    this.cells = new Map()
    if (model === null || model.runs.length === 0) return
    const roles = new Set(model.series.map(s => s.role))
    const head = this.el.createTHead().insertRow()
    const cols = ['run', 'step', roles.has('value') || roles.size === 0 ? 'value' : '', roles.has('desmoothed') ? 'de-smoothed' : '', roles.has('smoothed') ? 'smoothed' : '']
    const arrow = (on: boolean): string => on ? (sort === 'value-asc' ? ' ▲' : sort === 'value-desc' ? ' ▼' : ' ▲') : ''
    cols.forEach((c, i) => {
      const th = document.createElement('th')
      if (c === '') th.className = 'col-hidden'
      if (i === 0 || (i >= 2 && c !== '')) {
        const b = document.createElement('button')
        b.type = 'button'
        b.className = 'sort-btn'
        const byName = i === 0
        b.textContent = c + arrow(byName ? sort === 'name' : sort !== 'name' && isPrimaryCol(i, roles))
        b.title = byName ? 'sort by run name' : 'sort by last value (click again to reverse)'
        b.addEventListener('click', () => this.events.onSort(byName ? 'name' : sort === 'value-desc' ? 'value-asc' : 'value-desc'))
        th.append(b)
      } else {
        th.textContent = c
      }
      head.append(th)
    })
    const body = this.el.createTBody()
    for (const run of order) {
      const tr = body.insertRow()
      tr.dataset.run = run
      tr.tabIndex = 0
      tr.title = `${run} — click to pin the highlight`
      if (run === highlight) tr.classList.add('hl')
      const name = tr.insertCell()
      const sw = document.createElement('i')
      sw.className = 'swatch'
      sw.style.background = model.colours.get(run) ?? '#888'
      const label = document.createElement('span')
      label.className = 'legend-name'
      label.textContent = names.get(run) ?? run
      name.className = 'legend-run'
      name.append(sw, label)
      const cell = (cls: string, hidden: boolean): HTMLElement => {
        const td = tr.insertCell()
        td.className = hidden ? `${cls} col-hidden` : cls
        return td
      }
      this.cells.set(run, {
        step: cell('legend-step', false),
        value: cell('legend-value', cols[2] === ''),
        desmoothed: cell('legend-desmoothed', cols[3] === ''),
        smoothed: cell('legend-smoothed', cols[4] === '')
      })
      tr.addEventListener('mouseenter', () => this.events.onHover(run))
      tr.addEventListener('click', () => this.events.onPick(run))
      tr.addEventListener('keydown', e => {
        if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); this.events.onPick(run) }
      })
    }
    this.update(null)
  }

  /** Values at x (null: each run's last point). */
  update (x: number | null): void {
    if (this.model === null) return
    for (const r of legendRows(this.model, x)) {
      const c = this.cells.get(r.run)
      if (c === undefined) continue
      c.step.textContent = r.step
      c.value.textContent = r.value ?? ''
      c.desmoothed.textContent = r.desmoothed ?? ''
      c.smoothed.textContent = r.smoothed ?? ''
    }
  }

  /** Marks the highlighted run's row. */
  highlight (run: string | null): void {
    for (const tr of this.el.querySelectorAll<HTMLTableRowElement>('tbody tr')) tr.classList.toggle('hl', tr.dataset.run === run)
  }
}

/** The value column the sort arrow sits on: smoothed when drawn, else de-smoothed, else logged. */
function isPrimaryCol (i: number, roles: Set<string>): boolean {
  const primary = roles.has('smoothed') ? 4 : roles.has('desmoothed') ? 3 : 2
  return i === primary
}
