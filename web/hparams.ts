/** The Hyperparameters view: one row per session with its hparam values and metrics (last value), sortable by any column, and a scatter of a metric against a hyper-parameter; shown when the logdir has hparams data. */

import { compareNames, formatValue } from './columns.js'
import { $, h } from './dom.js'
import { scatterChart } from './hparams-scatter.js'

type HValue = number | string | boolean | null
interface Metric { last: number | null, lastStep: number | null, min: number | null, max: number | null }
export interface HParamsBody {
  hparams: string[]
  metrics: string[]
  sessions: Array<{ run: string, hparams: Record<string, HValue>, groupName?: string, status?: string | null, metrics: Record<string, Metric> }>
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

  private columns (): { hparams: string[], metrics: string[] } {
    const b = this.body!
    const count = new Map(b.metrics.map(m => [m, b.sessions.filter(s => s.metrics[m]?.last !== null && s.metrics[m] !== undefined).length]))
    const metrics = [...b.metrics].sort((x, y) => (count.get(y) ?? 0) - (count.get(x) ?? 0) || compareNames(x, y)).slice(0, MAX_METRIC_COLUMNS)
    return { hparams: b.hparams, metrics }
  }

  private render (): void {
    if (this.body === null) return
    const { hparams, metrics } = this.columns()
    const cell = (s: HParamsBody['sessions'][number], col: string): HValue | undefined =>
      col === 'run' ? s.run : col.startsWith('h:') ? s.hparams[col.slice(2)] : s.metrics[col.slice(2)]?.last
    const rows = [...this.body.sessions].sort((a, b) => this.sortDir * compareCells(cell(a, this.sortCol), cell(b, this.sortCol)))
    const head = (col: string, label: string, cls: string): HTMLElement => {
      const b = h('button', { type: 'button', class: 'sort-btn', title: `sort by ${label}` }, label + (this.sortCol === col ? (this.sortDir > 0 ? ' ▲' : ' ▼') : ''))
      b.addEventListener('click', () => {
        this.sortDir = this.sortCol === col ? -this.sortDir : 1
        this.sortCol = col
        this.render()
      })
      return h('th', { class: cls, 'data-col': col }, b)
    }
    const close = h('button', { type: 'button', class: 'icon-btn', 'aria-label': 'Close hyperparameters' }, '×')
    close.addEventListener('click', () => this.toggle(false))
    const table = h('table', { class: 'hp-table' },
      h('thead', {}, h('tr', {}, head('run', 'run', 'hp-run'), ...hparams.map(k => head(`h:${k}`, k, 'hp-h')), ...metrics.map(m => head(`m:${m}`, m, 'hp-m')))),
      h('tbody', {}, ...rows.map(s => {
        const run = h('button', { type: 'button', class: 'link', title: 'show only this run and the runs under it' }, s.run)
        run.addEventListener('click', () => this.onRun(s.run))
        return h('tr', { 'data-run': s.run },
          h('td', { class: 'hp-run' }, run),
          ...hparams.map(k => h('td', { class: 'hp-h', 'data-col': `h:${k}` }, fmt(s.hparams[k]))),
          ...metrics.map(m => h('td', { class: 'hp-m', 'data-col': `m:${m}` }, fmt(s.metrics[m]?.last))))
      })))
    this.el.replaceChildren(
      h('div', { class: 'problems-head' }, h('h2', {}, 'Hyperparameters'), h('span', { class: 'problems-count' }, `${rows.length} sessions · metrics: last value`), close),
      h('div', { class: 'hp-wrap' }, table),
      this.scatter(hparams, metrics))
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
