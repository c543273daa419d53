/** Dashboard entry: wires the controls, the run list and one chart card per tag to the API and the live stream. */

import { api, openStream, HttpError, type Health } from './api.js'
import { TagChart } from './chart.js'
import {
  annotationMarks, annotationWhere, assignColours, buildChartModel, clampSmoothing, compareNames, decodeScalars, decodeSettings,
  encodeSettings, familyLabel, formatBytes, formatCount, formatValue, groupTags, makeMatcher,
  pointsPerRun, runView, scalarsQuery, severityCounts, stepRangeFor, unionRange, wantsDesmoothed, SEVERITY_RANK,
  type Annotation, type AnnotationMark, type RunEntry, type RunView, type Series, type Settings, type StreamEvent, type TagEntry
} from './columns.js'

/** Cards rendered at most; beyond this the user is asked to narrow the tag filter. */
const MAX_CARDS = 120
/** Coalescing delay for live refreshes of one card, ms. */
const LIVE_COALESCE_MS = 150
/** Polling period when the live stream is down, ms. */
const FALLBACK_POLL_MS = 5000

function $ <T extends HTMLElement> (id: string): T {
  const e = document.getElementById(id)
  if (e === null) throw new Error(`#${id} missing from index.html`)
  return e as T
}

function h<K extends keyof HTMLElementTagNameMap> (tag: K, attrs: Record<string, string> = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v
    else e.setAttribute(k, v)
  }
  e.append(...children)
  return e
}

const state = {
  settings: decodeSettings(location.hash) as Settings,
  logdir: '',
  runs: [] as RunEntry[],
  tags: [] as TagEntry[],
  /** tag → run → entry */
  tagIndex: new Map<string, Map<string, TagEntry>>(),
  colours: new Map<string, string>(),
  loading: true,
  live: false,
  catalogLoaded: false
}

// ---------------------------------------------------------------------------------------------
// Chart cards
// ---------------------------------------------------------------------------------------------

/** One tag's card: fetched series per run (valid for the current query), annotations, and the chart. */
class Card {
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
  private timer: ReturnType<typeof setTimeout> | null = null
  private showAllAnnotations = false
  private notesOpen = false
  visible = false
  private dirty = true

  constructor (readonly tag: string) {
    this.titleEl = h('h3', { class: 'card-title', title: tag }, tag)
    this.chipsEl = h('div', { class: 'chips' })
    const expand = h('button', { class: 'icon-btn', title: 'Full width', 'aria-label': 'Toggle full width' }, '⤢')
    expand.addEventListener('click', () => {
      this.el.classList.toggle('wide')
      // Wider plot, more pixels: ask for points to match.
      this.invalidate()
      this.schedule(0)
    })
    const host = h('div', { class: 'chart-host' })
    this.notesEl = h('div', { class: 'card-notes' })
    this.annListEl = h('ul', { class: 'ann-list' })
    this.detailEl = h('div', { class: 'ann-detail', hidden: '' })
    this.el = h('article', { class: 'card', 'data-tag': tag },
      h('header', { class: 'card-head' }, this.titleEl, this.chipsEl, expand),
      host, this.notesEl, this.annListEl, this.detailEl)
    this.chart = new TagChart(host, {
      onZoom: range => this.zoomTo(range),
      onPick: marks => this.showDetail(marks.map(m => m.annotation))
    })
    this.chart.showMessage('loading…')
  }

  /** Runs drawn on this card: those that have the tag, pass the run filter and are not switched off. */
  runs (): string[] {
    const byRun = state.tagIndex.get(this.tag)
    if (byRun === undefined) return []
    return [...byRun.keys()].filter(runShown).sort(compareNames)
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

  /** The query changed (settings or zoom): forget every answer, including those still in flight. */
  resetQuery (): void {
    this.epoch++
    this.cache.clear()
    this.inflight.clear()
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
      if (anns !== null && annWanted >= this.annHeld) { this.annotations = anns; this.annHeld = annWanted }
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
    if (this.zoomSteps !== null && state.settings.xAxis !== 'step') return runs.map(r => [r])
    return [runs]
  }

  /** Fetches one request; if a run vanished meanwhile (404), the others are fetched one by one. */
  private async fetchRuns (runs: string[]): Promise<Series[]> {
    const s = state.settings
    const zoom = this.zoomSteps
    const query = scalarsQuery({
      runs,
      tag: this.tag,
      points: pointsPerRun(this.el.clientWidth || 480, this.runs().length, 1 + (s.desmoothed ? 1 : 0) + (s.smoothing > 0 ? 1 : 0)),
      smoothing: s.smoothing,
      desmoothed: s.desmoothed && runs.some(r => wantsDesmoothed(state.tagIndex.get(this.tag)?.get(r)?.family)),
      steps: zoom === null ? null : unionRange(runs.map(r => zoom.get(r)))
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
    const s = state.settings
    const runs = this.runs()
    this.drawnKey = this.drawKey(runs)
    const shown = new Set(runs)
    const views = runs.flatMap(r => {
      const c = this.cache.get(r)
      return c ? [runView(c.series, s.xAxis)] : []
    })
    const model = buildChartModel(views, state.colours, { raw: s.raw, desmoothed: s.desmoothed, smoothing: s.smoothing, logY: s.logY })
    const anns = this.annotations.filter(a => shown.has(a.run) && a.tag === this.tag)
    const marks = annotationMarks(anns, model.runs, s.xAxis)
    this.chart.render(model, marks, s.xAxis, keepZoom)
    // State for people and tests reading the DOM: what this card currently draws.
    this.el.dataset.runs = String(model.runs.length)
    this.el.dataset.points = String(model.runs.reduce((a, v) => a + v.x.length, 0))
    this.el.dataset.nonfinite = String(model.runs.reduce((a, v) => a + v.nonFinite.length, 0))
    this.el.dataset.restarts = String(model.runs.reduce((a, v) => a + v.restarts.length, 0))
    this.el.dataset.annotations = String(marks.length)
    this.el.dataset.series = model.series.map(x => `${x.run}:${x.role}`).join(' ')
    this.renderChips(views.map(v => v.family), model.series.some(x => x.role === 'desmoothed'), anns)
    this.renderNotes(runs, views)
    this.renderAnnotations(anns, marks)
  }

  private zoomTo (range: [number, number] | null): void {
    if (range === null) {
      if (this.zoomSteps === null) return
      this.zoomSteps = null
      this.resetQuery()
      void this.refresh(false)
      return
    }
    const steps = new Map<string, [number, number]>()
    for (const r of this.runs()) {
      const c = this.cache.get(r)
      if (c === undefined) continue
      const rr = stepRangeFor(runView(c.series, state.settings.xAxis), range[0], range[1])
      if (rr !== null) steps.set(r, rr)
    }
    this.zoomSteps = steps
    this.resetQuery()
    void this.refresh(true)
  }

  /** Forgets the zoom (x axis changed). */
  resetZoom (): void {
    if (this.zoomSteps !== null) { this.zoomSteps = null; this.resetQuery() }
  }

  private renderChips (families: Array<string | null>, desmoothedShown: boolean, anns: Annotation[]): void {
    this.chipsEl.replaceChildren()
    const entryFamilies = [...(state.tagIndex.get(this.tag)?.values() ?? [])].map(e => e.family)
    const fam = families.find(f => familyLabel(f) !== null) ?? entryFamilies.find(f => familyLabel(f) !== null) ?? null
    const label = familyLabel(fam)
    if (label !== null) this.chipsEl.append(h('span', { class: `chip family fam-${fam}`, title: `smoothing family: ${fam}` }, label))
    if (desmoothedShown) this.chipsEl.append(h('span', { class: 'chip desm', title: 'raw per-batch values recovered from the running means' }, 'de-smoothed'))
    const counts = severityCounts(anns)
    for (const sev of ['critical', 'warning', 'info'] as const) {
      if (counts[sev] > 0) this.chipsEl.append(h('span', { class: `chip sev sev-${sev}`, title: `${counts[sev]} ${sev} annotation(s)` }, `${counts[sev]} ${sev}`))
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
      const li = h('li', { class: `ann-item sev-${a.severity}`, 'data-kind': a.kind, tabindex: '0' },
        h('i', { class: 'dot' }),
        h('b', {}, a.kind),
        h('span', { class: 'ann-where' }, ` ${annotationWhere(a)}`),
        h('span', { class: 'ann-cause' }, a.causes?.[0]?.cause ?? ''))
      li.addEventListener('click', () => this.showDetail([a]))
      li.addEventListener('keydown', (e) => { if (e.key === 'Enter') this.showDetail([a]) })
      this.annListEl.append(li)
    }
    if (sorted.length > limit) {
      const more = h('li', { class: 'ann-more' }, `+ ${sorted.length - limit} more`)
      more.addEventListener('click', () => { this.showAllAnnotations = true; this.renderAnnotations(anns, marks) })
      this.annListEl.append(more)
    }
    this.annListEl.hidden = sorted.length === 0
  }

  private showDetail (anns: Annotation[]): void {
    this.detailEl.replaceChildren()
    const close = h('button', { class: 'icon-btn close', 'aria-label': 'Close' }, '×')
    close.addEventListener('click', () => { this.detailEl.hidden = true })
    this.detailEl.append(close)
    for (const a of anns.slice(0, 3)) {
      const causes = h('ul', { class: 'causes' })
      for (const c of a.causes ?? []) causes.append(h('li', {}, h('b', {}, c.cause), c.evidence ? ` — ${c.evidence}` : ''))
      const mag = a.magnitude ? `×${formatValue(a.magnitude.ratio, 3)} of baseline · robust z ${formatValue(a.magnitude.robustZ, 3)}` : ''
      this.detailEl.append(h('section', { class: `ann-card sev-${a.severity}` },
        h('div', { class: 'ann-title' }, h('b', {}, a.kind), h('span', { class: `chip sev sev-${a.severity}` }, a.severity)),
        h('div', { class: 'ann-meta' }, `${annotationWhere(a)}${mag ? ` · ${mag}` : ''}${Number.isFinite(a.baseline) ? ` · baseline ${formatValue(a.baseline)} → peak ${formatValue(a.peak)}` : ''}`),
        causes,
        h('p', { class: 'ann-expl' }, a.explanation ?? '')))
    }
    this.detailEl.hidden = false
  }

  destroy (): void {
    if (this.timer !== null) clearTimeout(this.timer)
    this.epoch++
    this.chart.destroy()
    this.el.remove()
  }
}

const cards = new Map<string, Card>()
const observer = new IntersectionObserver(entries => {
  for (const e of entries) {
    const tag = (e.target as HTMLElement).dataset.tag
    if (tag !== undefined) cards.get(tag)?.setVisible(e.isIntersecting)
  }
}, { rootMargin: '300px 0px' })

function runShown (run: string): boolean {
  return runMatcher().test(run) && !state.settings.hidden.includes(run)
}

let cachedRunMatcher: { text: string, m: ReturnType<typeof makeMatcher> } | null = null
function runMatcher (): ReturnType<typeof makeMatcher> {
  const text = state.settings.runFilter
  if (cachedRunMatcher?.text !== text) cachedRunMatcher = { text, m: makeMatcher(text) }
  return cachedRunMatcher.m
}

// ---------------------------------------------------------------------------------------------
// Layout: run list, tag groups, empty state
// ---------------------------------------------------------------------------------------------

function renderRuns (): void {
  const list = $('run-list')
  list.replaceChildren()
  const m = runMatcher()
  $('run-filter').classList.toggle('invalid', !m.valid)
  $('run-filter').title = m.error ?? 'regular expression, case-insensitive'
  let matching = 0
  for (const r of state.runs) {
    if (!m.test(r.run)) continue
    matching++
    const box = h('input', { type: 'checkbox' })
    box.checked = !state.settings.hidden.includes(r.run)
    box.addEventListener('change', () => {
      const hidden = new Set(state.settings.hidden)
      if (box.checked) hidden.delete(r.run)
      else hidden.add(r.run)
      update({ hidden: [...hidden] }, 'runs')
    })
    const warn = (r.dataLoss ?? 0) > 0 || (r.deadFiles ?? 0) > 0
      ? h('span', { class: 'run-warn', title: `${r.dataLoss ?? 0} skipped record(s), ${r.deadFiles ?? 0} unreadable file(s)` }, '⚠')
      : ''
    const swatch = h('i', { class: 'swatch' })
    swatch.style.background = state.colours.get(r.run) ?? '#888'
    list.append(h('li', { class: 'run', 'data-run': r.run },
      h('label', {}, box, swatch, h('span', { class: 'run-name', title: r.run }, r.run), warn),
      h('span', { class: 'run-meta' }, `${formatCount(r.points ?? 0)} pts`)))
  }
  $('run-count').textContent = matching === state.runs.length ? `${state.runs.length}` : `${matching} of ${state.runs.length}`
}

function renderGroups (): void {
  const tagM = makeMatcher(state.settings.tagFilter)
  $('tag-filter').classList.toggle('invalid', !tagM.valid)
  $('tag-filter').title = tagM.error ?? 'regular expression, case-insensitive'
  const groups = groupTags(state.tags, runShown, tagM.test)
  const wanted = new Set<string>()
  let budget = MAX_CARDS
  let total = 0
  const container = $('groups')
  const sections: HTMLElement[] = []
  for (const g of groups) {
    total += g.tags.length
    const tags = g.tags.slice(0, Math.max(0, budget))
    budget -= tags.length
    if (tags.length === 0) continue
    const grid = h('div', { class: 'grid' })
    for (const t of tags) {
      wanted.add(t)
      let card = cards.get(t)
      if (card === undefined) {
        card = new Card(t)
        cards.set(t, card)
        observer.observe(card.el)
      }
      grid.append(card.el)
    }
    sections.push(h('section', { class: 'group' }, h('h2', { class: 'group-title' }, g.name === '' ? 'scalars' : g.name, h('span', { class: 'count' }, String(g.tags.length))), grid))
  }
  for (const [t, card] of cards) {
    if (!wanted.has(t)) { observer.unobserve(card.el); card.destroy(); cards.delete(t) }
  }
  if (total > MAX_CARDS) sections.push(h('p', { class: 'more-note' }, `Showing ${MAX_CARDS} of ${total} tags — narrow the tag filter to see the others.`))
  container.replaceChildren(...sections)
  renderEmpty(groups.length === 0)
}

function renderEmpty (noTags: boolean): void {
  const empty = $('empty')
  empty.replaceChildren()
  if (!noTags) { empty.hidden = true; return }
  empty.hidden = false
  const where = h('code', {}, state.logdir || 'the logdir')
  if (state.runs.length === 0 && state.loading) {
    empty.append(h('h2', {}, 'Loading ', where, '…'), h('p', {}, 'Runs appear here as their event files are read.'))
  } else if (state.runs.length === 0) {
    empty.append(h('h2', {}, 'No runs yet in ', where),
      h('p', {}, 'lossboard watches this directory: a run shows up as soon as a file whose name contains “tfevents” is written under it (e.g. by tf.summary, Keras’ TensorBoard callback or torch.utils.tensorboard).'),
      h('p', { class: 'hint' }, 'Writers buffer events: PyTorch’s SummaryWriter flushes every 120 s or 10 events unless you call flush().'))
  } else {
    empty.append(h('h2', {}, 'No scalar tags match'), h('p', {}, 'Change the run or tag filter, or switch runs back on in the list.'))
  }
}

// ---------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------

type Change = 'runs' | 'tags' | 'query' | 'display' | 'axis'

/** Applies a settings change: persists it in the URL, then refreshes exactly what it affects. */
function update (patch: Partial<Settings>, change: Change): void {
  state.settings = { ...state.settings, ...patch }
  history.replaceState(null, '', `#${encodeSettings(state.settings)}`)
  if (change === 'runs') renderRuns()
  if (change === 'runs' || change === 'tags') {
    renderGroups()
    for (const c of cards.values()) c.schedule(0)
  }
  if (change === 'query') for (const c of cards.values()) { c.resetQuery(); c.schedule(0) }
  if (change === 'display') for (const c of cards.values()) c.draw()
  if (change === 'axis') {
    for (const c of cards.values()) { c.resetZoom(); c.schedule(0) }
    for (const c of cards.values()) c.draw(false)
  }
  syncControls()
}

function syncControls (): void {
  const s = state.settings
  $<HTMLInputElement>('smoothing').value = String(s.smoothing)
  $<HTMLInputElement>('smoothing-value').value = s.smoothing.toFixed(3).replace(/0+$/, '').replace(/\.$/, '.0')
  $<HTMLInputElement>('show-raw').checked = s.raw
  $<HTMLInputElement>('show-desmoothed').checked = s.desmoothed
  $<HTMLInputElement>('log-y').checked = s.logY
  for (const b of document.querySelectorAll<HTMLButtonElement>('[data-axis]')) b.setAttribute('aria-pressed', String(b.dataset.axis === s.xAxis))
}

function debounce<A extends unknown[]> (fn: (...a: A) => void, ms: number): (...a: A) => void {
  let t: ReturnType<typeof setTimeout> | null = null
  return (...a: A) => {
    if (t !== null) clearTimeout(t)
    t = setTimeout(() => { t = null; fn(...a) }, ms)
  }
}

function bindControls (): void {
  const runFilter = $<HTMLInputElement>('run-filter')
  const tagFilter = $<HTMLInputElement>('tag-filter')
  runFilter.value = state.settings.runFilter
  tagFilter.value = state.settings.tagFilter
  runFilter.addEventListener('input', debounce(() => update({ runFilter: runFilter.value }, 'runs'), 200))
  tagFilter.addEventListener('input', debounce(() => update({ tagFilter: tagFilter.value }, 'tags'), 200))
  const slider = $<HTMLInputElement>('smoothing')
  const number = $<HTMLInputElement>('smoothing-value')
  // The server computes the smoothing: re-query once the slider rests.
  const requery = debounce((w: number) => update({ smoothing: w }, 'query'), 250)
  slider.addEventListener('input', () => {
    number.value = Number(slider.value).toFixed(3).replace(/0+$/, '').replace(/\.$/, '.0')
    requery(clampSmoothing(Number(slider.value)))
  })
  number.addEventListener('change', () => requery(clampSmoothing(Number(number.value))))
  $<HTMLInputElement>('show-raw').addEventListener('change', e => update({ raw: (e.target as HTMLInputElement).checked }, 'display'))
  $<HTMLInputElement>('show-desmoothed').addEventListener('change', e => update({ desmoothed: (e.target as HTMLInputElement).checked }, 'query'))
  $<HTMLInputElement>('log-y').addEventListener('change', e => update({ logY: (e.target as HTMLInputElement).checked }, 'display'))
  for (const b of document.querySelectorAll<HTMLButtonElement>('[data-axis]')) {
    b.addEventListener('click', () => update({ xAxis: b.dataset.axis as Settings['xAxis'] }, 'axis'))
  }
  $('runs-all').addEventListener('click', () => update({ hidden: [] }, 'runs'))
  $('runs-none').addEventListener('click', () => update({ hidden: state.runs.map(r => r.run) }, 'runs'))
  syncControls()
}

// ---------------------------------------------------------------------------------------------
// Catalog, health, live stream
// ---------------------------------------------------------------------------------------------

async function loadCatalog (): Promise<void> {
  const [runs, tags] = await Promise.all([api.runs(), api.tags()])
  const before = new Map<string, number>()
  for (const t of state.tags) before.set(`${t.run}\u0000${t.tag}`, t.points)
  state.runs = [...runs].sort((a, b) => compareNames(a.run, b.run))
  state.tags = tags
  state.tagIndex = new Map()
  for (const t of tags) {
    let m = state.tagIndex.get(t.tag)
    if (m === undefined) state.tagIndex.set(t.tag, m = new Map())
    m.set(t.run, t)
  }
  state.colours = assignColours(state.runs.map(r => r.run))
  state.catalogLoaded = true
  renderRuns()
  renderGroups()
  // Series that grew while we were not listening (stream down, or first load): refetch them.
  for (const t of tags) {
    const prev = before.get(`${t.run}\u0000${t.tag}`)
    if (prev !== undefined && prev !== t.points) { cards.get(t.tag)?.invalidate(t.run); cards.get(t.tag)?.schedule() }
  }
  for (const c of cards.values()) c.schedule(0)
}

const reloadCatalog = debounce(() => { loadCatalog().catch(showError) }, 250)

function onStreamEvent (e: StreamEvent): void {
  if (e.kind === 'catalog') { reloadCatalog(); return }
  if (e.kind === 'reset') {
    for (const c of cards.values()) { c.invalidate(); c.schedule() }
    reloadCatalog()
    return
  }
  if (e.kind === 'points') {
    const tags = e.tags ?? [...state.tagIndex.keys()].filter(t => state.tagIndex.get(t)?.has(e.run))
    let unknown = !state.runs.some(r => r.run === e.run)
    for (const t of tags) {
      if (!state.tagIndex.get(t)?.has(e.run)) unknown = true
      cards.get(t)?.invalidate(e.run)
      cards.get(t)?.schedule()
    }
    // A running mean's de-smoothing also reads its run's other series (the epoch_* values): redo those cards too.
    for (const [t, byRun] of state.tagIndex) {
      if (!tags.includes(t) && byRun.get(e.run)?.family === 'keras-running-mean') { cards.get(t)?.invalidate(e.run); cards.get(t)?.schedule() }
    }
    bumpRunPoints(e.run, e.count)
    if (unknown) reloadCatalog()
    return
  }
  if (e.kind === 'annotation') {
    for (const c of cards.values()) {
      if (e.tag === null || c.tag === e.tag) { c.invalidateAnnotations(); c.schedule() }
    }
  }
}

/** Keeps a run's point count in the run list current between catalog reloads. */
function bumpRunPoints (run: string, count: number): void {
  const r = state.runs.find(x => x.run === run)
  if (r === undefined || count <= 0) return
  r.points = (r.points ?? 0) + count
  const meta = document.querySelector(`#run-list li.run[data-run="${CSS.escape(run)}"] .run-meta`)
  if (meta !== null) meta.textContent = `${formatCount(r.points)} pts`
}

function setLive (live: boolean): void {
  state.live = live
  const pill = $('live')
  pill.textContent = live ? 'live' : 'reconnecting…'
  pill.className = `pill ${live ? 'on' : 'off'}`
  pill.title = live ? 'new points appear as they are written (Server-Sent Events)' : 'live stream down; polling every 5 s'
}

function showHealth (hl: Health): void {
  const bar = $('progress')
  const status = $('load-status')
  const changed = state.loading !== hl.loading
  state.loading = hl.loading
  if (changed && state.catalogLoaded) renderGroups() // the empty state says "loading" or "no runs yet"
  bar.hidden = !hl.loading
  const figures = `${formatCount(hl.runs ?? 0)} runs · ${formatCount(hl.files ?? 0)} files · ${formatBytes(hl.bytes ?? 0)} · ${formatCount(hl.points ?? 0)} points`
  status.textContent = hl.loading ? `Loading… ${figures}` : figures
  status.classList.toggle('loading', hl.loading)
}

async function pollHealth (): Promise<void> {
  let wasLoading = false
  for (;;) {
    try {
      const hl = await api.health()
      showHealth(hl)
      // While the first load runs, the lists grow: reload them each poll, and once more when it ends.
      if (hl.loading || wasLoading) reloadCatalog()
      wasLoading = hl.loading
    } catch { /* server restarting: keep trying */ }
    if (state.loading) { await sleep(1000); continue }
    await sleep(FALLBACK_POLL_MS)
    // Safety net while the live stream is down: series whose point count changed are refetched.
    if (!state.live) await loadCatalog().catch(() => undefined)
  }
}

async function sleep (ms: number): Promise<void> { await new Promise(resolve => setTimeout(resolve, ms)) }

function showError (err: unknown): void {
  const bar = $('error')
  bar.textContent = `Cannot reach the lossboard server: ${(err as Error).message}`
  bar.hidden = false
  setTimeout(() => { bar.hidden = true }, 8000)
}

async function start (): Promise<void> {
  bindControls()
  setLive(false)
  api.logdir().then(d => {
    state.logdir = d
    const el = $('logdir')
    el.textContent = d
    el.title = d
    document.title = d ? `lossboard — ${d.split('/').filter(Boolean).pop() ?? d}` : 'lossboard'
    if (state.catalogLoaded) renderGroups()
  }).catch(() => undefined)
  openStream({ onEvent: onStreamEvent, onState: setLive })
  await loadCatalog().catch(showError)
  void pollHealth()
  window.addEventListener('hashchange', () => {
    const next = decodeSettings(location.hash)
    if (encodeSettings(next) === encodeSettings(state.settings)) return
    state.settings = next
    $<HTMLInputElement>('run-filter').value = next.runFilter
    $<HTMLInputElement>('tag-filter').value = next.tagFilter
    renderRuns()
    renderGroups()
    for (const c of cards.values()) { c.resetZoom(); c.resetQuery(); c.schedule(0) }
    syncControls()
  })
}

void start()
