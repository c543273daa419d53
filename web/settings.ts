/** Settings in the URL hash: shareable, and they survive a reload. */

import type { XAxis } from './run-view.js'
import type { GroupBy } from './groups.js'

// ---------------------------------------------------------------------------------------------
// Settings in the URL hash (shareable, survives reload)
// ---------------------------------------------------------------------------------------------

export interface Settings {
  runFilter: string
  tagFilter: string
  smoothing: number
  xAxis: XAxis
  raw: boolean
  desmoothed: boolean
  logY: boolean
  /** Runs the user switched off. */
  hidden: string[]
  /** Scale y to the bulk of the values, marking the outliers at the edge (TensorBoard's "ignore outliers"). */
  ignoreOutliers: boolean
  /** Draw and list info annotations (restarts, staircase artefacts); off: one summary line per card. */
  showInfo: boolean
  /** Legend row order. */
  legendSort: LegendSort
  /** Run list order. */
  runSort: RunSort
  /** Colours the user picked, by run. */
  colours: Record<string, string>
  /** Zoom per tag, as x ranges on the step axis. */
  zoom: Record<string, [number, number]>
  /** Runs drawn as groups (mean and min–max band). */
  groupBy: GroupBy
  /** The tag whose last or best value the run list shows, sorts by (runSort metric-*) and filters by. */
  runMetric: string
  /** Value filter on runMetric: `< 0.5`, `>= 0.9` … */
  metricFilter: string
  /** Runs being compared (2 or more: the charts show only them, and the comparison table opens). */
  compare: string[]
}

export type LegendSort = 'name' | 'value-desc' | 'value-asc'
export type RunSort = 'name' | 'problems' | 'recent' | 'metric-last' | 'metric-best'
const RUN_SORTS: readonly RunSort[] = ['name', 'problems', 'recent', 'metric-last', 'metric-best']

export const DEFAULT_SETTINGS: Settings = {
  runFilter: '',
  tagFilter: '',
  smoothing: 0.6,
  xAxis: 'step',
  raw: true,
  desmoothed: true,
  logY: false,
  hidden: [],
  ignoreOutliers: true,
  showInfo: false,
  legendSort: 'name',
  runSort: 'name',
  colours: {},
  zoom: {},
  groupBy: '',
  runMetric: '',
  metricFilter: '',
  compare: []
}

/** Clamps an EMA weight to what the server accepts: 0 ≤ w ≤ 0.999 (1 would flatten the line to 0, TB #5370). */
export function clampSmoothing (w: number): number {
  if (!Number.isFinite(w) || w <= 0) return 0
  return Math.min(0.999, Math.round(w * 1000) / 1000)
}

/** Settings → URL hash (without '#'); defaults are left out so URLs stay short. */
export function encodeSettings (s: Settings): string {
  const q = new URLSearchParams()
  if (s.runFilter) q.set('runs', s.runFilter)
  if (s.tagFilter) q.set('tags', s.tagFilter)
  if (s.smoothing !== DEFAULT_SETTINGS.smoothing) q.set('smoothing', String(s.smoothing))
  if (s.xAxis !== 'step') q.set('x', s.xAxis)
  if (!s.raw) q.set('raw', '0')
  if (!s.desmoothed) q.set('desmoothed', '0')
  if (s.logY) q.set('logy', '1')
  if (s.hidden.length > 0) q.set('hidden', JSON.stringify(s.hidden))
  if (!s.ignoreOutliers) q.set('outliers', '1')
  if (s.showInfo) q.set('info', '1')
  if (s.legendSort !== 'name') q.set('sort', s.legendSort)
  if (s.runSort !== 'name') q.set('runsort', s.runSort)
  if (Object.keys(s.colours).length > 0) q.set('colours', JSON.stringify(s.colours))
  if (Object.keys(s.zoom).length > 0) q.set('zoom', JSON.stringify(s.zoom))
  if (s.groupBy !== '') q.set('group', s.groupBy)
  if (s.runMetric !== '') q.set('metric', s.runMetric)
  if (s.metricFilter !== '') q.set('mfilter', s.metricFilter)
  if (s.compare.length > 0) q.set('compare', JSON.stringify(s.compare))
  return q.toString()
}

/** URL hash → settings; anything malformed falls back to its default. */
export function decodeSettings (hash: string): Settings {
  const q = new URLSearchParams(hash.replace(/^#/, ''))
  const x = q.get('x')
  const hidden = jsonStrings(q.get('hidden'))
  const w = q.get('smoothing')
  const sort = q.get('sort')
  const runSort = q.get('runsort')
  const group = q.get('group') ?? ''
  return {
    runFilter: q.get('runs') ?? '',
    tagFilter: q.get('tags') ?? '',
    smoothing: w === null ? DEFAULT_SETTINGS.smoothing : clampSmoothing(Number(w)),
    xAxis: x === 'relative' || x === 'wall' ? x : 'step',
    raw: q.get('raw') !== '0',
    desmoothed: q.get('desmoothed') !== '0',
    logY: q.get('logy') === '1',
    hidden,
    ignoreOutliers: q.get('outliers') !== '1',
    showInfo: q.get('info') === '1',
    legendSort: sort === 'value-desc' || sort === 'value-asc' ? sort : 'name',
    runSort: (RUN_SORTS as readonly string[]).includes(runSort ?? '') ? runSort as RunSort : 'name',
    runMetric: q.get('metric') ?? '',
    metricFilter: q.get('mfilter') ?? '',
    compare: jsonStrings(q.get('compare')),
    colours: jsonRecord(q.get('colours'), v => typeof v === 'string' && /^#[0-9a-f]{6}$/i.test(v)) as Record<string, string>,
    groupBy: /^level:[1-9]\d*$/.test(group) || group.startsWith('re:') ? group as GroupBy : '',
    zoom: jsonRecord(q.get('zoom'), v => Array.isArray(v) && v.length === 2 && v.every(n => typeof n === 'number' && Number.isFinite(n)) && v[0] < v[1]) as Record<string, [number, number]>
  }
}

/** A JSON array of strings from the URL (others dropped), [] when malformed. */
function jsonStrings (text: string | null): string[] {
  try {
    const h: unknown = JSON.parse(text ?? '[]')
    return Array.isArray(h) ? h.filter((r): r is string => typeof r === 'string') : []
  } catch { return [] }
}

/** A JSON object from the URL, keeping only the entries whose value passes `ok`. */
function jsonRecord (text: string | null, ok: (v: unknown) => boolean): Record<string, unknown> {
  if (text === null) return {}
  try {
    const o: unknown = JSON.parse(text)
    if (o === null || typeof o !== 'object' || Array.isArray(o)) return {}
    return Object.fromEntries(Object.entries(o).filter(([, v]) => ok(v)))
  } catch { return {} }
}
