/**
 * The Hyperparameters view: one row per session with its hparam values and metrics (last value),
 * sortable by any column, and a scatter of a metric against a hyper-parameter; shown when the
 * logdir has hparams data. The columns are the hyper-parameters that differ between sessions
 * unless chosen otherwise (web/hparams-columns.ts); the rest are listed once below the table.
 */

import { compareNames, formatValue } from './columns.js'
import { $, h } from './dom.js'
import { scatterChart } from './hparams-scatter.js'
import { classify, columnChooser, defaultColumns, sourcesOf, wrappable, type HSource, type HValue, type Variation } from './hparams-columns.js'

interface Metric { last: number | null, lastStep: number | null, min: number | null, max: number | null }
export interface HParamsBody {
  hparams: string[]
  metrics: string[]
  sessions: Array<{ run: string, hparams: Record<string, HValue>, sources?: Record<string, HSource>, groupName?: string, status?: string | null, metrics: Record<string, Metric> }>
}

/** Metrics shown as columns at most (the most common first); the rest stay in the API. */
const MAX_METRIC_COLUMNS = 8

/** Sort key of a cell: numbers numerically, strings naturally, missing values last. */
export function compareCells (a: HValue | undefined, b: HValue | undefined): number {
  const na = a === null || a === undefined; const nb = b === null || b === undefined
  if (na || nb) return na === nb ? 0 : na ? 1 : -1
  if (typeof a === 'number' && typeof b === 'number') return a - b
  return compareNames(String(a), String(b))
}

export class HParamsView {
  readonly el = $('hparams')
  private body: HParamsBody | null = null
  private sortCol = 'run'
  private sortDir = 1
  private scatterX = ''
  private scatterY = ''
  /** Hyper-parameter columns the user chose; null: the ones that differ between sessions. */
  private chosen: Set<string> | null = null
  private chooserFilter = ''
  private chooserOpen = false

  constructor (private readonly onRun: (run: string) => void, private readonly colourOf: (run: string) => string = () => '#4c78a8') {}

  toggle (open = this.el.hidden): void {
    this.el.hidden = !open
    $('hparams-btn').setAttribute('aria-expanded', String(open))
    if (open) { this.render(); this.el.scrollIntoView({ block: 'start' }) }
  }

  set (body: HParamsBody): void {
    this.body = body
    const btn = $('hparams-btn')
    btn.hidden = body.sessions.length === 0
    btn.textContent = `HParams ${body.sessions.length}`
    if (!this.el.hidden) this.render()
  }

  private columns (): { hparams: string[], metrics: string[], kinds: Map<string, Variation>, others: string[] } {
    const b = this.body!
    const count = new Map(b.metrics.map(m => [m, b.sessions.filter(s => s.metrics[m]?.last !== null && s.metrics[m] !== undefined).length]))
    const metrics = [...b.metrics].sort((x, y) => (count.get(y) ?? 0) - (count.get(x) ?? 0) || compareNames(x, y)).slice(0, MAX_METRIC_COLUMNS)
    const kinds = classify(b.hparams, b.sessions)
    const shown = this.chosen ?? new Set(defaultColumns(kinds))
    const hparams = b.hparams.filter(k => shown.has(k))
    return { hparams, metrics, kinds, others: b.hparams.filter(k => !shown.has(k)) }
  }

  private render (): void {
    if (this.body === null) return
    const { hparams, metrics, kinds, others } = this.columns()
    const sessions = this.body.sessions
    const cell = (s: HParamsBody['sessions'][number], col: string): HValue | undefined =>
      col === 'run' ? s.run : col.startsWith('h:') ? s.hparams[col.slice(2)] : s.metrics[col.slice(2)]?.last
    // A hidden column no longer sorts the rows.
    if (this.sortCol.startsWith('h:') && !hparams.includes(this.sortCol.slice(2))) { this.sortCol = 'run'; this.sortDir = 1 }
    const rows = [...sessions].sort((a, b) => this.sortDir * compareCells(cell(a, this.sortCol), cell(b, this.sortCol)))
    const head = (col: string, label: string, cls: string, title: string): HTMLElement => {
      const b = h('button', { type: 'button', class: 'sort-btn', title: `sort by ${title}` }, ...wrappable(label), this.sortCol === col ? (this.sortDir > 0 ? ' ▲' : ' ▼') : '')
      b.addEventListener('click', () => {
        this.sortDir = this.sortCol === col ? -this.sortDir : 1
        this.sortCol = col
        this.render()
      })
      return h('th', { class: cls, 'data-col': col, scope: 'col' }, b)
    }
    const hTitle = (k: string): string => { const src = sourcesOf(k, sessions); return src ? `${k} (from ${src})` : k }
    const close = h('button', { type: 'button', class: 'icon-btn', 'aria-label': 'Close hyperparameters' }, '×')
    close.addEventListener('click', () => this.toggle(false))
    const table = h('table', { class: 'hp-table' },
      h('thead', {}, h('tr', {}, head('run', 'run', 'hp-run', 'run'), ...hparams.map(k => head(`h:${k}`, k, 'hp-h', hTitle(k))), ...metrics.map(m => head(`m:${m}`, m, 'hp-m', `${m} (last value)`)))),
      h('tbody', {}, ...rows.map(s => {
        const run = h('button', { type: 'button', class: 'link', title: 'show only this run and the runs under it' }, s.run)
        run.addEventListener('click', () => this.onRun(s.run))
        return h('tr', { 'data-run': s.run },
          h('td', { class: 'hp-run' }, run),
          ...hparams.map(k => { const v = fmt(s.hparams[k]); return h('td', { class: 'hp-h', 'data-col': `h:${k}`, title: v }, v) }),
          ...metrics.map(m => h('td', { class: 'hp-m', 'data-col': `m:${m}` }, fmt(s.metrics[m]?.last))))
      })))
    const varying = [...kinds.values()].filter(k => k === 'varies').length
    const summary = this.chosen === null
      ? `${hparams.length} of ${this.body.hparams.length} hyper-parameters differ between sessions`
      : `${hparams.length} of ${this.body.hparams.length} hyper-parameters shown (${varying} differ)`
    const chooser = columnChooser({
      names: this.body.hparams,
      kinds,
      shown: new Set(hparams),
      valueOf: n => fmt(sessions[0]?.hparams[n]),
      filter: this.chooserFilter,
      open: this.chooserOpen,
      onChange: shown => { this.chosen = shown; this.render() },
      onFilter: (text, open) => { this.chooserFilter = text; this.chooserOpen = open }
    })
    this.el.replaceChildren(
      h('div', { class: 'problems-head hp-head' }, h('h2', {}, 'Hyperparameters'), close, h('span', { class: 'problems-count' }, `${rows.length} sessions · ${summary} · metrics: last value`)),
      chooser,
      h('div', { class: 'hp-wrap' }, table),
      this.constants(others, kinds),
      this.scatter(hparams.length ? hparams : this.body.hparams, metrics))
  }

  /** The hyper-parameters not shown as columns, once each: `name = value` when the same everywhere. */
  private constants (others: string[], kinds: ReadonlyMap<string, Variation>): HTMLElement {
    if (others.length === 0) return h('div', {})
    const sessions = this.body!.sessions
    const same = others.filter(k => kinds.get(k) === 'constant')
    const rest = others.filter(k => kinds.get(k) !== 'constant')
    const items = [
      ...same.map(k => h('li', { 'data-name': k }, h('span', { class: 'hp-k' }, k), ' = ', h('span', { class: 'hp-v' }, fmt(sessions[0]?.hparams[k])))),
      ...rest.map(k => h('li', { 'data-name': k }, h('span', { class: 'hp-k' }, k), ' ', h('small', {}, kinds.get(k) === 'path' ? '(a different path in each session; hidden)' : '(differs; hidden)')))
    ]
    const d = h('details', { class: 'hp-const' },
      h('summary', {}, `Not in the table: ${others.length} hyper-parameter${others.length === 1 ? '' : 's'}${same.length ? `, ${same.length} the same in ${sessions.length === 1 ? 'the session' : `all ${sessions.length} sessions`}` : ''}`),
      h('ul', {}, ...items))
    return d
  }

  /** A metric's last value against a hyper-parameter, both chosen above the chart. */
  private scatter (hparams: string[], metrics: string[]): HTMLElement {
    const b = this.body!
    if (hparams.length === 0 || metrics.length === 0) return h('div', {})
    if (!hparams.includes(this.scatterX)) this.scatterX = hparams.find(k => b.sessions.some(s => typeof s.hparams[k] === 'number')) ?? hparams[0]!
    if (!metrics.includes(this.scatterY)) this.scatterY = metrics[0]!
    const pick = (id: string, label: string, options: string[], value: string, set: (v: string) => void): HTMLElement => {
      const sel = h('select', { id, 'aria-label': label }, ...options.map(o => h('option', { value: o }, o)))
      sel.value = value
      sel.addEventListener('change', () => { set(sel.value); this.render() })
      return h('label', {}, `${label} `, sel)
    }
    const points = b.sessions.map(s => ({ run: s.run, x: s.hparams[this.scatterX], y: s.metrics[this.scatterY]?.last }))
    return h('div', { class: 'hp-scatter' },
      h('div', { class: 'hp-scatter-controls' },
        pick('hp-scatter-y', 'metric', metrics, this.scatterY, v => { this.scatterY = v }),
        pick('hp-scatter-x', 'against', hparams, this.scatterX, v => { this.scatterX = v })),
      scatterChart(points, this.scatterX, this.scatterY, this.colourOf) as unknown as HTMLElement)
  }
}

function fmt (v: HValue | undefined): string {
  if (v === undefined || v === null) return '–'
  if (typeof v === 'number') return formatValue(v)
  return String(v)
}
