/** TensorBoard's /data answers, built from the store exactly as TB's Python server prints them. */

import type { ScalarStore, RunState, TagInfo } from '../store/scalar-store.js'
import { isScalarTag } from '../store/scalar-store.js'
import { tbVisibleIndices } from '../store/scalar-series.js'
import { pyJsonDumps, pyJsonNumber, pyJsonString, pyCsvNumber, pyFloatRepr } from './py-format.js'

/** Version string /data/environment reports: the TensorBoard release whose answers we reproduce. */
export const TB_COMPAT_VERSION = '2.22.0a0'

/** Plugins in TensorBoard's registration order, with the data-plugin names that enable each. */
const PLUGINS: Array<{ name: string, tab: string, mech: Record<string, string>, disableReload?: boolean, data: string[] }> = [
  { name: 'timeseries', tab: 'Time Series', mech: { type: 'NG_COMPONENT' }, data: ['scalars', 'histograms', 'images'] },
  { name: 'scalars', tab: 'scalars', mech: { type: 'CUSTOM_ELEMENT', element_name: 'tf-scalar-dashboard' }, data: ['scalars'] },
  { name: 'custom_scalars', tab: 'Custom Scalars', mech: { type: 'CUSTOM_ELEMENT', element_name: 'tf-custom-scalar-dashboard' }, data: ['custom_scalars'] },
  { name: 'images', tab: 'images', mech: { type: 'CUSTOM_ELEMENT', element_name: 'tf-image-dashboard' }, data: ['images'] },
  { name: 'audio', tab: 'audio', mech: { type: 'CUSTOM_ELEMENT', element_name: 'tf-audio-dashboard' }, data: ['audio'] },
  { name: 'debugger-v2', tab: 'Debugger V2', mech: { type: 'NG_COMPONENT' }, data: ['debugger-v2'] },
  { name: 'graphs', tab: 'graphs', mech: { type: 'CUSTOM_ELEMENT', element_name: 'tf-graph-dashboard' }, disableReload: true, data: ['graphs', 'graph_run_metadata', 'graph_run_metadata_graph', 'graph_keras_model'] },
  { name: 'distributions', tab: 'distributions', mech: { type: 'CUSTOM_ELEMENT', element_name: 'tf-distribution-dashboard' }, data: ['histograms'] },
  { name: 'histograms', tab: 'histograms', mech: { type: 'CUSTOM_ELEMENT', element_name: 'tf-histogram-dashboard' }, data: ['histograms'] },
  { name: 'text', tab: 'text', mech: { type: 'CUSTOM_ELEMENT', element_name: 'tf-text-dashboard' }, data: ['text'] },
  { name: 'pr_curves', tab: 'PR Curves', mech: { type: 'CUSTOM_ELEMENT', element_name: 'tf-pr-curve-dashboard' }, data: ['pr_curves'] },
  { name: 'profile_redirect', tab: 'Profile', mech: { type: 'CUSTOM_ELEMENT', element_name: 'tf-profile-redirect-dashboard' }, data: [] },
  { name: 'hparams', tab: 'hparams', mech: { type: 'CUSTOM_ELEMENT', element_name: 'tf-hparams-dashboard' }, data: ['hparams'] },
  { name: 'mesh', tab: 'mesh', mech: { type: 'CUSTOM_ELEMENT', element_name: 'mesh-dashboard' }, data: ['mesh'] },
  { name: 'wit_redirect', tab: 'What-If Tool', mech: { type: 'CUSTOM_ELEMENT', element_name: 'tf-wit-redirect-dashboard' }, data: [] }
]

/** Body of /data/runs. */
export function runsJson (store: ScalarStore): string {
  return pyJsonDumps(store.runNamesTbOrder())
}

/** Body of /data/environment (TB with include_debug_info, flags omitted: they are ours, not TB's). */
export function environmentJson (logdir: string): string {
  return pyJsonDumps({
    version: TB_COMPAT_VERSION,
    data_location: logdir,
    window_title: '',
    experiment_name: '',
    experiment_description: '',
    creation_time: 0.0,
    debug: { data_provider: `MultiplexerDataProvider(logdir=${pyRepr(logdir)})` }
  })
}

function pyRepr (s: string): string {
  return "'" + s.replace(/\\/g, '\\\\').replace(/'/g, "\\'") + "'"
}

/** Body of /data/plugins_listing: a plugin is enabled when some run has data for one of its data plugins. */
export function pluginsListingJson (store: ScalarStore): string {
  const present = new Set<string>()
  for (const run of store.runs.values()) {
    for (const p of run.plugins) present.add(p)
    if (run.hasGraph) present.add('graphs')
    for (const t of run.tags.values()) if (isScalarTag(t) && t.series !== null && t.series.length > 0) present.add('scalars')
  }
  const out: Record<string, unknown> = {}
  for (const p of PLUGINS) {
    out[p.name] = {
      disable_reload: p.disableReload ?? false,
      enabled: p.data.some(d => present.has(d)),
      remove_dom: false,
      tab_name: p.tab,
      loading_mechanism: p.mech
    }
  }
  return pyJsonDumps(out)
}

/** Scalar tags of a run in first-seen order (what TB lists). */
export function scalarTags (run: RunState): TagInfo[] {
  return [...run.tags.values()].filter(t => isScalarTag(t) && t.series !== null && t.series.length > 0)
}

/** Body of /data/plugin/scalars/tags. Runs without scalar tags are omitted, as TB does. */
export function scalarTagsJson (store: ScalarStore): string {
  const out: Record<string, Record<string, { displayName: string, description: string }>> = {}
  for (const name of store.runNamesTbOrder()) {
    const tags = scalarTags(store.runs.get(name)!)
    if (tags.length === 0) continue
    const m: Record<string, { displayName: string, description: string }> = {}
    for (const t of tags) m[t.name] = { displayName: t.displayName, description: markdownToSafeHtml(t.description) }
    out[name] = m
  }
  return pyJsonDumps(out)
}

/**
 * Minimal stand-in for TB's markdown_to_safe_html: paragraphs of escaped text. TB renders full
 * Markdown; descriptions are rare in scalar logs and escaping keeps them safe.
 */
export function markdownToSafeHtml (md: string): string {
  if (md === '') return ''
  const esc = md.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
  return esc.split(/\n{2,}/).map(p => `<p>${p}</p>`).join('\n')
}

/** The scalar tag, or null when TB would answer 404 for it. */
export function findScalarTag (store: ScalarStore, run: string, tag: string): TagInfo | null {
  const t = store.runs.get(run)?.tags.get(tag)
  if (t === undefined || !isScalarTag(t) || t.series === null || t.series.length === 0) return null
  return t
}

/** Indices into the series that TB's Python loader serves (every point, purges applied). */
function tbIndices (t: TagInfo): ArrayLike<number> & { length: number } {
  const s = t.series!
  const vis = tbVisibleIndices(s)
  if (vis !== null) return vis
  const all = new Uint32Array(s.length)
  for (let i = 0; i < all.length; i++) all[i] = i
  return all
}

/** Body of /data/plugin/scalars/scalars: `[[wall_time, step, value], ...]`, every point. */
export function scalarsJson (t: TagInfo): string {
  const s = t.series!
  const { steps, wallTimes, values } = s.columns()
  const idx = tbIndices(t)
  const parts: string[] = new Array(idx.length)
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k]!
    parts[k] = '[' + pyJsonNumber(wallTimes[i]!, false) + ', ' + String(steps[i]) + ', ' + pyJsonNumber(values[i]!, s.allInt) + ']'
  }
  return '[' + parts.join(', ') + ']'
}

/** CSV body of the same: header `Wall time,Step,Value`, CRLF line ends, Python's number spelling. */
export function scalarsCsv (t: TagInfo): string {
  const s = t.series!
  const { steps, wallTimes, values } = s.columns()
  const idx = tbIndices(t)
  let out = 'Wall time,Step,Value\r\n'
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k]!
    out += pyFloatRepr(wallTimes[i]!) + ',' + String(steps[i]) + ',' + pyCsvNumber(values[i]!, s.allInt) + '\r\n'
  }
  return out
}

/** Body of POST scalars_multirun: only runs that have the tag. */
export function scalarsMultirunJson (store: ScalarStore, tag: string, runs: string[]): string {
  const parts: string[] = []
  for (const r of runs) {
    const t = findScalarTag(store, r, tag)
    if (t !== null) parts.push(pyJsonString(r) + ': ' + scalarsJson(t))
  }
  return '{' + parts.join(', ') + '}'
}
