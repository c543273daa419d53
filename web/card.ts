/** One tag's card: fetches its runs' series and annotations (only what changed), draws them with TagChart, lists annotations, offers downloads. */

import { api, HttpError } from './api.js'
import { TagChart } from './chart.js'
import {
  annotationMarks, annotationWhere, buildChartModel, compareNames, decodeScalars, familyLabel, formatCount, formatValue,
  pointsPerRun, runView, scalarsQuery, severityCounts, stepRangeFor, unionRange, wantsDesmoothed, SEVERITY_RANK,
  type Annotation, type AnnotationMark, type RunView, type Series
} from './columns.js'
import type { LegendSort } from './settings.js'
import { highlighted, runShown, type AppState } from './state.js'
import { shortNames } from './names.js'
import { h } from './dom.js'
import { groupRuns, groupView } from './groups.js'

/** Coalescing delay for live refreshes of one card, ms. */
const LIVE_COALESCE_MS = 300
/** While the server answers "computing" for a tag's annotations, how long to wait before asking again, ms. */
const ANNOTATIONS_RETRY_MS = 2000

/** What a card asks of the page. */
export interface CardHooks {
  onHover: (run: string | null) => void
  onLegendPick: (run: string) => void
  onSort: (sort: LegendSort) => void
  /** The user zoomed (x range on the current axis) or reset the zoom. */
  onZoom: (tag: string, range: [number, number] | null) => void
  /** The user switched info annotations on or off. */
  onInfoToggle: () => void
}

/** One tag's card: fetched series per run (valid for the current query), annotations, and the chart. */
export class Card {
  readonly el: HTMLElement
  private readonly chart: TagChart
  private readonly titleEl: HTMLElement
  private readonly chipsEl: HTMLElement
  private readonly notesEl: HTMLElement
  private readonly annListEl: HTMLElement
  private readonly detailEl: HTMLElement
  /** Fetched series per run, with the generation of the run they were fetched at. */
  private readonly cache = new Map<string, { series: Series, gen: number }>()
  /** Per-run generation, bumped when the server says the run's series changed. */
  private readonly gen = new Map<string, number>()
  /** Generation of each run's request in flight: a run is fetched again only for a newer generation. */
  private readonly inflight = new Map<string, number>()
  /** Same scheme for the tag's annotations: wanted, in flight, held. */
  private annGen = 1
  private annInflight = 0
  private annHeld = 0
  /** What the chart last drew from (runs and their generations), to skip redundant redraws. */
  private drawnKey = ''
  /** Bumped when the query itself changes (zoom, smoothing, de-smoothed): answers to older queries are dropped. */
  private epoch = 0
  private annotations: Annotation[] = []
  private zoomSteps: Map<string, [number, number]> | null = null
  /** Step window restored from the URL, used until the user zooms (the data to map it per run is not there yet). */
  private presetSteps: [number, number] | null = null
  private timer: ReturnType<typeof setTimeout> | null = null
  private showAllAnnotations = false
  private notesOpen = false
  private readonly infoEl: HTMLElement
  visible = false
  private dirty = true

  constructor (readonly tag: string, private readonly app: AppState, private readonly hooks: CardHooks) {
    this.titleEl = h('h3', { class: 'card-title', title: tag }, tag)
    this.chipsEl = h('div', { class: 'chips' })
    const expand = h('button', { type: 'button', class: 'icon-btn', title: 'Full width', 'aria-label': 'Toggle full width' }, '⤢')
    expand.addEventListener('click', () => {
      this.el.classList.toggle('wide')
      // Wider plot, more pixels: ask for points to match.
      this.invalidate()
      this.schedule(0)
    })
    const host = h('div', { class: 'chart-host' })
    this.notesEl = h('div', { class: 'card-notes' })
    this.infoEl = h('div', { class: 'card-info' })
    this.annListEl = h('ul', { class: 'ann-list' })
    this.detailEl = h('div', { class: 'ann-detail', hidden: '' })
    this.el = h('article', { class: 'card', 'data-tag': tag, 'aria-label': `chart ${tag}` },
      h('header', { class: 'card-head' }, this.titleEl, this.chipsEl, this.downloads(), expand),
      host, this.notesEl, this.infoEl, this.annListEl, this.detailEl)
    this.chart = new TagChart(host, {
      onZoom: range => { this.hooks.onZoom(this.tag, range); this.zoomTo(range) },
      onPick: marks => this.showDetail(marks.map(m => m.annotation)),
      onHover: run => this.hooks.onHover(run),
      onLegendPick: run => this.hooks.onLegendPick(run),
      onSort: sort => this.hooks.onSort(sort),
      onOutliers: n => {
        this.el.dataset.outliers = String(n)
        const runs = this.runs()
        this.renderNotes(runs, runs.flatMap(r => { const c = this.cache.get(r); return c ? [runView(c.series, this.app.settings.xAxis)] : [] }))
      }
    })
    // A zoom saved in the URL (step axis): fetched and drawn at once.
    const z = app.settings.zoom[tag]
    if (z !== undefined && app.settings.xAxis === 'step') {
      this.zoomSteps = new Map()
      this.presetSteps = z
      this.chart.presetZoom(z)
    }
    this.chart.showMessage('loading…')
  }

  /** Download menu: the API's own CSV and JSON export of the card's runs, and the chart as PNG. */
  private downloads (): HTMLElement {
    const menu = h('details', { class: 'dl-menu' }, h('summary', { class: 'icon-btn', title: 'Download', 'aria-label': 'Download' }, '⤓'))
    const list = h('div', { class: 'dl-list' })
    const exportUrl = (format: string): string => {
      const q = new URLSearchParams()
      for (const r of this.runs()) q.append('run', r)
      q.set('tag', this.tag)
      q.set('format', format)
      return `api/v1/export?${q.toString()}`
    }
    const csv = h('a', { class: 'dl-csv', href: '#', download: '' }, 'CSV')
    const json = h('a', { class: 'dl-json', href: '#', download: '' }, 'JSON')
    const png = h('button', { type: 'button', class: 'link dl-png' }, 'PNG')
    // The runs shown change: build the URLs when the menu opens.
    menu.addEventListener('toggle', () => { csv.setAttribute('href', exportUrl('csv')); json.setAttribute('href', exportUrl('json')) })
    png.addEventListener('click', () => {
      const url = this.chart.toPng()
      if (url === null) return
      const a = h('a', { href: url, download: `${this.tag.replace(/[^\w.-]+/g, '_')}.png` })
      document.body.append(a)
      a.click()
      a.remove()
    })
    list.append(csv, json, png)
    menu.append(list)
    return menu
  }

  /** Runs drawn on this card: those that have the tag, pass the run filter and are not switched off. */
  runs (): string[] {
    const byRun = this.app.tagIndex.get(this.tag)
    if (byRun === undefined) return []
    return [...byRun.keys()].filter(r => runShown(this.app, r)).sort(compareNames)
  }

  /**
   * Marks fetched data outdated (all runs, or one): the next refresh asks the server again, while
   * the chart keeps drawing the outdated series until the new one lands (it never blanks).
   */
  invalidate (run?: string): void {
    for (const r of run === undefined ? [...this.cache.keys()] : [run]) this.gen.set(r, (this.gen.get(r) ?? 0) + 1)
    this.annGen++
    this.dirty = true
  }

  /** The tag's annotations changed: fetch them again (the series stay). */
  invalidateAnnotations (): void {
    this.annGen++
    this.dirty = true
  }

  /**
   * The query changed (settings or zoom): every run is asked again and answers still in flight are
   * dropped, but the chart keeps drawing what it holds until the new answers land (so a card
   * below the fold never shows "no points" after a settings change).
   */
  resetQuery (): void {
    this.epoch++
    this.inflight.clear()
    for (const r of new Set([...this.cache.keys(), ...this.gen.keys()])) this.gen.set(r, Math.max(this.gen.get(r) ?? 0, this.cache.get(r)?.gen ?? 0) + 1)
    this.annInflight = 0
    this.annGen++
    this.dirty = true
  }

  /** True when `run` needs a request: its wanted generation is newer than both the held and the in-flight one. */
  private needs (run: string): boolean {
    const want = this.gen.get(run) ?? 0
    return want > Math.max(this.cache.get(run)?.gen ?? -1, this.inflight.get(run) ?? -1)
  }

  /** Schedules a refresh; live bursts coalesce into one. Off-screen cards refresh when scrolled into view. */
  schedule (delayMs = LIVE_COALESCE_MS): void {
    this.dirty = true
    if (!this.visible || this.timer !== null) return
    this.timer = setTimeout(() => { this.timer = null; void this.refresh() }, delayMs)
  }

  setVisible (v: boolean): void {
    this.visible = v
    if (v && this.dirty) this.schedule(0)
  }

  /**
   * Fetches what is missing or outdated for the displayed runs, then redraws. An answer is kept
   * only if it belongs to the current query and is not older than what the cache holds, so
   * overlapping refreshes (live bursts) can finish in any order.
   */
  async refresh (keepZoom = true): Promise<void> {
    this.dirty = false
    const epoch = this.epoch
    const runs = this.runs()
    const todo = runs.filter(r => this.needs(r))
    const gens = new Map(todo.map(r => [r, this.gen.get(r) ?? 0]))
    for (const [r, g] of gens) this.inflight.set(r, g)
    const annWanted = this.annGen > Math.max(this.annHeld, this.annInflight) ? this.annGen : 0
    if (annWanted > 0) this.annInflight = annWanted
    if (todo.length === 0 && annWanted === 0) {
      if (this.drawKey(runs) !== this.drawnKey) this.draw(keepZoom)
      return
    }
    try {
      const [fetched, anns] = await Promise.all([
        Promise.all(this.requests(todo).map(async rs => await this.fetchRuns(rs))),
        annWanted > 0 ? api.annotations(this.tag) : Promise.resolve(null)
      ])
      if (epoch !== this.epoch) return
      for (const series of fetched.flat()) {
        const g = gens.get(series.run) ?? 0
        const have = this.cache.get(series.run)
        if (have === undefined || have.gen <= g) this.cache.set(series.run, { series, gen: g })
      }
      for (const [r, g] of gens) if (this.inflight.get(r) === g) this.inflight.delete(r)
      if (anns !== null && annWanted >= this.annHeld) {
        this.annotations = anns.annotations
        this.annHeld = annWanted
        // A partial list (the server is still analysing after its start): ask again a little later.
        if (anns.computing) { this.invalidateAnnotations(); this.schedule(ANNOTATIONS_RETRY_MS) }
      }
      if (this.annInflight === annWanted) this.annInflight = 0
      this.draw(keepZoom)
    } catch (err) {
      if (epoch !== this.epoch) return
      for (const [r, g] of gens) if (this.inflight.get(r) === g) this.inflight.delete(r)
      if (this.annInflight === annWanted) this.annInflight = 0
      this.chart.showMessage(`could not load: ${(err as Error).message}`)
      this.dirty = true
    }
  }

  private drawKey (runs: string[]): string {
    return `${runs.map(r => `${r}\u0000${this.cache.get(r)?.gen ?? -1}`).join('\u0001')}|${this.annHeld}`
  }

  /**
   * Groups runs into requests: one for all of them, except when zoomed on a time axis, where each
   * run has its own step window.
   */
  private requests (runs: string[]): string[][] {
    if (runs.length === 0) return []
    if (this.zoomSteps !== null && this.app.settings.xAxis !== 'step') return runs.map(r => [r])
    return [runs]
  }

  /** Fetches one request; if a run vanished meanwhile (404), the others are fetched one by one. */
  private async fetchRuns (runs: string[]): Promise<Series[]> {
    const s = this.app.settings
    const zoom = this.zoomSteps
    const preset = this.presetSteps
    const query = scalarsQuery({
      runs,
      tag: this.tag,
      points: pointsPerRun(this.el.clientWidth || 480, this.runs().length, 1 + (s.desmoothed ? 1 : 0) + (s.smoothing > 0 ? 1 : 0)),
      smoothing: s.smoothing,
      desmoothed: s.desmoothed && runs.some(r => wantsDesmoothed(this.app.tagIndex.get(this.tag)?.get(r)?.family)),
      steps: preset ?? (zoom === null ? null : unionRange(runs.map(r => zoom.get(r))))
    })
    try {
      return (await api.scalars(query)).map(decodeScalars).filter(x => x.tag === this.tag && runs.includes(x.run))
    } catch (err) {
      if (!(err instanceof HttpError && err.status === 404)) throw err
      if (runs.length === 1) return []
      return (await Promise.all(runs.map(async r => await this.fetchRuns([r])))).flat()
    }
  }

  /** Redraws from fetched data (display-only changes: logged/log-y toggles, x axis). */
  draw (keepZoom = true): void {
    const s = this.app.settings
    const runs = this.runs()
    this.drawnKey = this.drawKey(runs)
    const shown = new Set(runs)
    const views = runs.flatMap(r => {
      const c = this.cache.get(r)
      return c ? [runView(c.series, s.xAxis)] : []
    })
    if (views.length === 0 && runs.length > 0) {
      // Nothing fetched yet for the runs shown (off screen, or just switched on): fetch, do not claim "no points".
      this.chart.showMessage('loading…')
      this.schedule(0)
      return
    }
    const grouped = this.groupViews(views)
    const model = buildChartModel(grouped.views, grouped.colours, { raw: s.raw, desmoothed: s.desmoothed, smoothing: s.smoothing, logY: s.logY })
    const anns = this.annotations.filter(a => shown.has(a.run) && a.tag === this.tag)
    const listed = s.showInfo ? anns : anns.filter(a => a.severity !== 'info')
    const marks = annotationMarks(listed, model.runs, s.xAxis)
    this.chart.render(model, marks, s.xAxis, keepZoom, {
      ignoreOutliers: s.ignoreOutliers,
      legendSort: s.legendSort,
      names: shortNames(model.runs.map(v => v.run).filter(r => !grouped.names.has(r)), undefined, grouped.names),
      highlight: highlighted(this.app)
    })
    // State for people and tests reading the DOM: what this card currently draws.
    this.el.dataset.runs = String(model.runs.length)
    this.el.dataset.points = String(model.runs.reduce((a, v) => a + v.x.length, 0))
    this.el.dataset.nonfinite = String(model.runs.reduce((a, v) => a + v.nonFinite.length, 0))
    this.el.dataset.restarts = String(model.runs.reduce((a, v) => a + v.restarts.length, 0))
    this.el.dataset.annotations = String(marks.length)
    this.el.dataset.outliers = String(this.chart.outliers)
    this.el.dataset.groups = String(grouped.groups)
    this.el.dataset.series = model.series.map(x => `${x.run}:${x.role}`).join(' ')
    this.renderChips(views.map(v => v.family), model.series.some(x => x.role === 'desmoothed'), anns)
    this.renderNotes(runs, views)
    this.renderInfo(anns.filter(a => a.severity === 'info'))
    this.renderAnnotations(listed, marks)
  }

  /**
   * Replaces the runs of each group (settings.groupBy, ≥ 2 runs) by the group's mean and min–max
   * band; an expanded group keeps its members beside it. Groups take their first member's colour.
   */
  private groupViews (views: RunView[]): { views: RunView[], colours: Map<string, string>, groups: number, names: Set<string> } {
    const by = this.app.settings.groupBy
    if (by === '') return { views, colours: this.app.colours, groups: 0, names: new Set() }
    const groups = groupRuns(views.map(v => v.run), by)
    if (groups.size === 0) return { views, colours: this.app.colours, groups: 0, names: new Set() }
    const colours = new Map(this.app.colours)
    const inGroup = new Set([...groups.values()].flat())
    const out: RunView[] = []
    for (const [key, members] of groups) {
      const g = groupView(`${key} (${members.length})`, views.filter(v => members.includes(v.run)), Math.min(600, pointsPerRun(this.el.clientWidth || 480, 1, 1)))
      colours.set(g.run, this.app.colours.get(members[0]!) ?? '#888888')
      out.push(g)
      if (this.app.expanded.has(g.run)) out.push(...views.filter(v => members.includes(v.run)))
    }
    out.push(...views.filter(v => !inGroup.has(v.run)))
    return { views: out, colours, groups: groups.size, names: new Set(out.filter(v => v.band !== undefined).map(v => v.run)) }
  }

  /** Highlights a run's lines (or none). */
  setHighlight (run: string | null): void { this.chart.setHighlight(run) }

  /** The theme changed: rebuild the chart with its colours. */
  restyle (): void { this.chart.restyle() }

  /** Info annotations (restarts, staircase artefacts) are quiet: one line with a toggle instead of a flag each. */
  private renderInfo (infos: Annotation[]): void {
    this.infoEl.replaceChildren()
    if (infos.length === 0) { this.infoEl.hidden = true; return }
    this.infoEl.hidden = false
    const kinds = [...new Set(infos.map(a => a.kind))].join(', ')
    const on = this.app.settings.showInfo
    const toggle = h('button', { type: 'button', class: 'link info-toggle', 'aria-pressed': String(on) }, on ? 'hide' : 'show')
    toggle.addEventListener('click', () => this.hooks.onInfoToggle())
    this.infoEl.append(h('span', {}, `${infos.length} info annotation${infos.length === 1 ? '' : 's'} (${kinds}) `), toggle)
  }

  /** Shows an annotation (from the Problems view): zoom out if its band is outside the window, open its details. */
  focusAnnotation (a: Annotation): void {
    const z = this.zoomSteps
    if (z !== null || this.presetSteps !== null) {
      const r = z?.get(a.run) ?? this.presetSteps
      if (r === undefined || r === null || a.startStep < r[0] || a.endStep > r[1]) this.zoomTo(null)
    }
    this.showDetail([a])
    this.el.classList.add('flash')
    setTimeout(() => this.el.classList.remove('flash'), 1600)
  }

  private zoomTo (range: [number, number] | null): void {
    this.presetSteps = null
    if (range === null) {
      if (this.zoomSteps === null) return
      this.zoomSteps = null
      this.chart.presetZoom(null)
      this.resetQuery()
      void this.refresh(false)
      return
    }
    const steps = new Map<string, [number, number]>()
    for (const r of this.runs()) {
      const c = this.cache.get(r)
      if (c === undefined) continue
      const rr = stepRangeFor(runView(c.series, this.app.settings.xAxis), range[0], range[1])
      if (rr !== null) steps.set(r, rr)
    }
    this.zoomSteps = steps
    this.resetQuery()
    void this.refresh(true)
  }

  /** Forgets the zoom (x axis changed). */
  resetZoom (): void {
    this.presetSteps = null
    this.chart.presetZoom(null)
    if (this.zoomSteps !== null) { this.zoomSteps = null; this.resetQuery() }
  }

  private renderChips (families: Array<string | null>, desmoothedShown: boolean, anns: Annotation[]): void {
    this.chipsEl.replaceChildren()
    const entryFamilies = [...(this.app.tagIndex.get(this.tag)?.values() ?? [])].map(e => e.family)
    const fam = families.find(f => familyLabel(f) !== null) ?? entryFamilies.find(f => familyLabel(f) !== null) ?? null
    const label = familyLabel(fam)
    if (label !== null) this.chipsEl.append(h('span', { class: `chip family fam-${fam}`, title: `smoothing family: ${fam}` }, label))
    if (desmoothedShown) this.chipsEl.append(h('span', { class: 'chip desm', title: 'raw per-batch values recovered from the running means' }, 'de-smoothed'))
    const counts = severityCounts(anns)
    const tentative = anns.filter(a => (a as { tentative?: boolean }).tentative === true).length
    for (const sev of ['critical', 'warning'] as const) {
      const title = `${counts[sev]} ${sev} annotation(s)${tentative > 0 ? ', including tentative ones (not confirmed yet: a recent jump that may still turn out to be an oscillation)' : ''}`
      if (counts[sev] > 0) this.chipsEl.append(h('span', { class: `chip sev sev-${sev}`, title }, `${counts[sev]} ${sev}`))
    }
  }

  private renderNotes (runs: string[], views: RunView[]): void {
    const notes: string[] = []
    let shown = 0; let total = 0; let superseded = 0
    for (const r of runs) {
      const series = this.cache.get(r)?.series
      if (series === undefined) continue
      shown += series.steps.length
      total += series.pointsInRange
      superseded += series.steps.length - (views.find(v => v.run === r)?.x.length ?? series.steps.length)
      for (const n of series.notes) if (!notes.includes(n)) notes.push(n)
    }
    const parts: string[] = []
    if (superseded > 0) notes.unshift(`${formatCount(superseded)} drawn points superseded by a restart (latest wins on the step axis; see them on the time axes)`)
    const out = this.chart.outliers
    if (out > 0) parts.push(`${formatCount(out)} outlier${out === 1 ? '' : 's'} beyond the y range (● at the edge)`)
    if (this.zoomSteps !== null) parts.push(`zoomed: ${formatCount(shown)} of ${formatCount(total)} points in the window (double-click to reset)`)
    else if (total > shown) parts.push(`${formatCount(shown)} of ${formatCount(total)} points drawn (min/max per pixel)`)
    else parts.push(`${formatCount(total)} points`)
    // The server's notes (how the series was read and de-smoothed) can be long: one click away.
    this.notesEl.replaceChildren(h('span', {}, parts.join(' · ')))
    if (notes.length > 0) {
      const details = h('details', { class: 'notes' }, h('summary', {}, notes.length === 1 ? '1 note' : `${notes.length} notes`), h('ul', {}, ...notes.map(n => h('li', {}, n))))
      details.open = this.notesOpen
      details.addEventListener('toggle', () => { this.notesOpen = details.open })
      this.notesEl.append(details)
    }
  }

  private renderAnnotations (anns: Annotation[], marks: AnnotationMark[]): void {
    this.annListEl.replaceChildren()
    const sorted = [...anns].sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || a.startStep - b.startStep)
    const limit = this.showAllAnnotations ? sorted.length : 4
    for (const a of sorted.slice(0, limit)) {
      const btn = h('button', { type: 'button', class: `ann-item sev-${a.severity}`, 'data-kind': a.kind },
        h('i', { class: 'dot' }),
        h('b', {}, a.kind),
        h('span', { class: 'ann-where' }, ` ${annotationWhere(a)}`),
        h('span', { class: 'ann-cause' }, a.causes?.[0]?.cause ?? ''))
      btn.addEventListener('click', () => this.showDetail([a]))
      this.annListEl.append(h('li', {}, btn))
    }
    if (sorted.length > limit) {
      const more = h('button', { type: 'button', class: 'ann-more link' }, `+ ${sorted.length - limit} more`)
      more.addEventListener('click', () => { this.showAllAnnotations = true; this.renderAnnotations(anns, marks); (this.annListEl.querySelectorAll('button')[limit] as HTMLElement | undefined)?.focus() })
      this.annListEl.append(h('li', {}, more))
    }
    this.annListEl.hidden = sorted.length === 0
  }

  private showDetail (anns: Annotation[]): void {
    this.detailEl.replaceChildren()
    const close = h('button', { type: 'button', class: 'icon-btn close', 'aria-label': 'Close' }, '×')
    close.addEventListener('click', () => { this.detailEl.hidden = true })
    this.detailEl.append(close)
    for (const a of anns.slice(0, 3)) {
      const causes = h('ul', { class: 'causes' })
      for (const c of a.causes ?? []) causes.append(h('li', {}, h('b', {}, c.cause), c.evidence ? ` — ${c.evidence}` : ''))
      // The API sends null for magnitudes that are not finite (a NaN's ratio): leave those parts out.
      const num = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v)
      const mag = [
        num(a.magnitude?.ratio) ? `×${formatValue(a.magnitude.ratio, 3)} of baseline` : '',
        num(a.magnitude?.robustZ) ? `robust z ${formatValue(a.magnitude.robustZ, 3)}` : ''
      ].filter(Boolean).join(' · ')
      this.detailEl.append(h('section', { class: `ann-card sev-${a.severity}` },
        h('div', { class: 'ann-title' }, h('b', {}, a.kind), h('span', { class: `chip sev sev-${a.severity}` }, a.severity)),
        h('div', { class: 'ann-meta' }, `${annotationWhere(a)}${mag ? ` · ${mag}` : ''}${num(a.baseline) && num(a.peak) ? ` · baseline ${formatValue(a.baseline)} → peak ${formatValue(a.peak)}` : ''}`),
        causes,
        h('p', { class: 'ann-expl' }, a.explanation ?? '')))
    }
    this.detailEl.hidden = false
    this.detailEl.tabIndex = -1
    this.detailEl.focus({ preventScroll: true })
  }

  destroy (): void {
    if (this.timer !== null) clearTimeout(this.timer)
    this.epoch++
    this.chart.destroy()
    this.el.remove()
  }
}
