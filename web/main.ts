/** Dashboard entry: wires the controls, the run list and one chart card per tag to the API and the live stream. */

import { api, openStream, type Health } from './api.js'
import { Card } from './card.js'
import {
  assignColours, clampSmoothing, compareNames, decodeSettings, encodeSettings, formatBytes, formatCount, groupTags,
  type Annotation, type Settings, type StreamEvent
} from './columns.js'
import { $, h } from './dom.js'
import { ProblemsView } from './problems.js'
import { HParamsView } from './hparams.js'
import { renderRunList } from './run-list.js'
import { renderCompare } from './compare.js'
import { highlighted, matcher, newState, runShown, throttle } from './state.js'
import { initTheme } from './theme.js'
import { GROUP_PREFIX, type GroupBy } from './groups.js'

/** Cards rendered at most; beyond this the user is asked to narrow the tag filter. */
const MAX_CARDS = 120
/** Polling period when the live stream is down, ms. */
const FALLBACK_POLL_MS = 5000
/** Catalog reloads (new runs and tags) at most this often, however fast events come. */
const CATALOG_THROTTLE_MS = 250
/** Logdir-wide annotation reloads (Problems view, run health) at most this often. */
const ANNOTATIONS_THROTTLE_MS = 3000

const state = newState(decodeSettings(location.hash))

// ---------------------------------------------------------------------------------------------
// Chart cards
// ---------------------------------------------------------------------------------------------

const cards = new Map<string, Card>()
const observer = new IntersectionObserver(entries => {
  for (const e of entries) {
    const tag = (e.target as HTMLElement).dataset.tag
    if (tag !== undefined) cards.get(tag)?.setVisible(e.isIntersecting)
  }
}, { rootMargin: '300px 0px' })

const cardHooks = {
  onHover: (run: string | null) => setHovered(run),
  onLegendPick: (run: string) => {
    if (run.startsWith(GROUP_PREFIX)) {
      // A group's row: show (or hide again) its runs beside the mean.
      if (!state.expanded.delete(run)) state.expanded.add(run)
      for (const c of cards.values()) c.draw()
      return
    }
    state.pinned = state.pinned === run ? null : run
    applyHighlight()
  },
  onSort: (legendSort: Settings['legendSort']) => update({ legendSort }, 'display'),
  onZoom: (tag: string, range: [number, number] | null) => {
    const zoom = { ...state.settings.zoom }
    if (range === null || state.settings.xAxis !== 'step') delete zoom[tag]
    else zoom[tag] = range
    state.settings = { ...state.settings, zoom }
    history.replaceState(null, '', `#${encodeSettings(state.settings)}`)
  },
  onInfoToggle: () => update({ showInfo: !state.settings.showInfo }, 'display')
}

function setHovered (run: string | null): void {
  if (state.hovered === run) return
  state.hovered = run
  applyHighlight()
}

/** Highlights the hovered (else pinned) run on every chart and in the run list. */
function applyHighlight (): void {
  const run = highlighted(state)
  for (const c of cards.values()) c.setHighlight(run)
  for (const li of document.querySelectorAll<HTMLElement>('#run-list li.run')) {
    li.classList.toggle('hl', li.dataset.run === run)
    li.classList.toggle('pinned', li.dataset.run === state.pinned)
  }
  document.body.dataset.highlight = run ?? ''
}

// ---------------------------------------------------------------------------------------------
// Layout: run list, tag groups, empty state
// ---------------------------------------------------------------------------------------------

function renderRuns (): void {
  renderRunList(state, {
    onToggle: (run, on) => {
      const hidden = new Set(state.settings.hidden)
      if (on) hidden.delete(run)
      else hidden.add(run)
      update({ hidden: [...hidden] }, 'runs')
    },
    onColour: (run, colour) => update({ colours: { ...state.settings.colours, [run]: colour } }, 'colours'),
    onHover: run => setHovered(run),
    onCompare: (run, on) => {
      const next = state.settings.compare.filter(r => r !== run)
      if (on) next.push(run)
      update({ compare: next }, 'runs')
    }
  })
  renderCompare(state, matcher(state.settings.tagFilter).test, () => update({ compare: [] }, 'runs'))
  renderMetricOptions()
  applyHighlight()
}

/** The run-metric picker's options: every tag of the logdir, the chosen one kept even before it appears. */
function renderMetricOptions (): void {
  const sel = $<HTMLSelectElement>('run-metric')
  const tags = [...state.tagIndex.keys()].sort(compareNames)
  if (state.settings.runMetric !== '' && !tags.includes(state.settings.runMetric)) tags.unshift(state.settings.runMetric)
  const have = [...sel.options].slice(1).map(o => o.value)
  if (have.length !== tags.length || have.some((t, i) => t !== tags[i])) {
    sel.replaceChildren(h('option', { value: '' }, 'none'), ...tags.map(t => h('option', { value: t }, t)))
  }
  sel.value = state.settings.runMetric
}

function renderGroups (): void {
  const tagM = matcher(state.settings.tagFilter)
  $('tag-filter').classList.toggle('invalid', !tagM.valid)
  $('tag-filter').title = tagM.error ?? 'regular expression, case-insensitive'
  const groups = groupTags(state.tags, r => runShown(state, r), tagM.test)
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
        card = new Card(t, state, cardHooks)
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

type Change = 'runs' | 'tags' | 'query' | 'display' | 'axis' | 'colours'

/** Applies a settings change: persists it in the URL, then refreshes exactly what it affects. */
function update (patch: Partial<Settings>, change: Change): void {
  state.settings = { ...state.settings, ...patch }
  history.replaceState(null, '', `#${encodeSettings(state.settings)}`)
  if (change === 'colours') {
    state.colours = assignColours(state.runs.map(r => r.run), state.settings.colours)
    renderRuns()
    for (const c of cards.values()) c.draw()
  }
  if (change === 'runs' || change === 'tags') renderRuns()
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
  $<HTMLInputElement>('ignore-outliers').checked = s.ignoreOutliers
  $<HTMLInputElement>('show-info').checked = s.showInfo
  $<HTMLSelectElement>('run-sort').value = s.runSort
  const g = $<HTMLInputElement>('group-by')
  if (document.activeElement !== g) g.value = s.groupBy.startsWith('level:') ? s.groupBy.slice(6) : s.groupBy.slice(3)
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
  $<HTMLInputElement>('ignore-outliers').addEventListener('change', e => update({ ignoreOutliers: (e.target as HTMLInputElement).checked }, 'display'))
  $<HTMLInputElement>('show-info').addEventListener('change', e => update({ showInfo: (e.target as HTMLInputElement).checked }, 'display'))
  $<HTMLSelectElement>('run-sort').addEventListener('change', e => update({ runSort: (e.target as HTMLSelectElement).value as Settings['runSort'] }, 'runs'))
  $<HTMLSelectElement>('run-metric').addEventListener('change', e => update({ runMetric: (e.target as HTMLSelectElement).value }, 'runs'))
  const metricFilter = $<HTMLInputElement>('metric-filter')
  metricFilter.value = state.settings.metricFilter
  metricFilter.addEventListener('input', debounce(() => update({ metricFilter: metricFilter.value }, 'runs'), 200))
  $('problems-btn').addEventListener('click', () => problems.toggle())
  const groupBy = $<HTMLInputElement>('group-by')
  groupBy.addEventListener('input', debounce(() => {
    const t = groupBy.value.trim()
    update({ groupBy: (t === '' ? '' : /^[1-9]\d*$/.test(t) ? `level:${t}` : `re:${t}`) as GroupBy }, 'display')
  }, 300))
  $('hparams-btn').addEventListener('click', () => hparams.toggle())
  // Phone: the run list and settings live in a drawer.
  const drawer = (open: boolean): void => {
    document.body.classList.toggle('drawer-open', open)
    $('menu-btn').setAttribute('aria-expanded', String(open))
  }
  $('menu-btn').addEventListener('click', () => drawer(!document.body.classList.contains('drawer-open')))
  $('drawer-close').addEventListener('click', () => drawer(false))
  document.addEventListener('keydown', e => { if (e.key === 'Escape') drawer(false) })
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
  state.colours = assignColours(state.runs.map(r => r.run), state.settings.colours)
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

/** Throttled, not debounced: a run that logs every 100 ms must not postpone its own appearance forever. */
const reloadCatalog = throttle(async () => { await loadCatalog().catch(showError) }, CATALOG_THROTTLE_MS)

/** Every annotation of the logdir, for the Problems view and the run health badges. */
const reloadAnnotations = throttle(async () => {
  const got = await api.annotations(null)
  state.annotations = got.annotations
  problems.set(state.annotations)
  renderRuns()
  // A partial list (the server is still analysing after its start): ask again.
  if (got.computing) setTimeout(() => { reloadAnnotations() }, ANNOTATIONS_THROTTLE_MS)
}, ANNOTATIONS_THROTTLE_MS)

/** Shows an annotation on its chart: makes the run and tag visible, scrolls to the card, opens the details. */
function jumpTo (a: Annotation): void {
  const patch: Partial<Settings> = {}
  if (state.settings.hidden.includes(a.run)) patch.hidden = state.settings.hidden.filter(r => r !== a.run)
  if (!matcher(state.settings.runFilter).test(a.run)) patch.runFilter = ''
  if (!matcher(state.settings.tagFilter).test(a.tag)) patch.tagFilter = ''
  if (Object.keys(patch).length > 0) {
    update(patch, 'runs')
    $<HTMLInputElement>('run-filter').value = state.settings.runFilter
    $<HTMLInputElement>('tag-filter').value = state.settings.tagFilter
  }
  const card = cards.get(a.tag)
  if (card === undefined) return
  document.body.classList.remove('drawer-open')
  card.el.scrollIntoView({ block: 'center' })
  card.focusAnnotation(a)
}

const problems = new ProblemsView(jumpTo)
const hparams = new HParamsView(run => {
  const esc = run.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  update({ runFilter: `^${esc}(/|$)` }, 'runs')
  $<HTMLInputElement>('run-filter').value = state.settings.runFilter
}, run => state.colours.get(run) ?? '#4c78a8')
/** Hyper-parameters change rarely: fetched with the catalog, at most every few seconds. */
const reloadHParams = throttle(async () => { hparams.set(await api.hparams()) }, 3000)

function onStreamEvent (e: StreamEvent): void {
  if (e.kind === 'catalog') {
    // A new run or tag is shown at once from the event itself; the reload fills in its details.
    if (e.run !== undefined) addToCatalog(e.run, e.tag)
    reloadCatalog()
    reloadHParams()
    return
  }
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
    reloadAnnotations()
    for (const c of cards.values()) {
      if (e.tag === null || c.tag === e.tag) { c.invalidateAnnotations(); c.schedule() }
    }
  }
}

/** Adds a run (and tag) the stream announced, before the catalog reload brings their full entries. */
function addToCatalog (run: string, tag: string | undefined): void {
  if (!state.catalogLoaded) return
  let changed = false
  if (!state.runs.some(r => r.run === run)) {
    state.runs = [...state.runs, { run }].sort((a, b) => compareNames(a.run, b.run))
    state.colours = assignColours(state.runs.map(r => r.run), state.settings.colours)
    changed = true
  }
  if (tag !== undefined && !state.tagIndex.get(tag)?.has(run)) {
    const entry = { run, tag, points: 0 }
    state.tags = [...state.tags, entry]
    let m = state.tagIndex.get(tag)
    if (m === undefined) state.tagIndex.set(tag, m = new Map())
    m.set(run, entry)
    changed = true
  }
  if (!changed) return
  renderRuns()
  renderGroups()
  if (tag !== undefined) { cards.get(tag)?.invalidate(run); cards.get(tag)?.schedule(0) }
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
  initTheme(() => { for (const c of cards.values()) c.restyle() })
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
  reloadAnnotations()
  reloadHParams()
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
