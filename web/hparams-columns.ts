/**
 * Which hyper-parameters the HParams table shows. A Hugging Face config alone carries 150 to 250
 * names, nearly all the same in every session, so by default the table shows the ones that
 * differ between sessions; the others are listed once under the table, and a chooser (filter,
 * "differing", "all", "none", one checkbox per name) picks any set.
 */

import { compareNames } from './columns.js'
import { h } from './dom.js'

export type HValue = number | string | boolean | null
export type HSource = 'hparams-plugin' | 'text-config' | 'hparams-yaml'
export interface HSession { run: string, hparams: Record<string, HValue>, sources?: Record<string, HSource> }

/**
 * `varies`: at least two sessions differ (a missing value counts as a value); `path`: differs only
 * as a path per session (every session a different string with a `/` or `\`: output or logging
 * directories, which say nothing about the run); `constant`: the same in every session.
 */
export type Variation = 'varies' | 'path' | 'constant'

const key = (v: HValue | undefined): string => v === undefined ? '\0missing' : JSON.stringify(v)

export function classify (names: readonly string[], sessions: readonly HSession[]): Map<string, Variation> {
  const out = new Map<string, Variation>()
  for (const n of names) {
    const seen = new Set(sessions.map(s => key(s.hparams[n])))
    if (seen.size <= 1) { out.set(n, 'constant'); continue }
    const perRunPath = sessions.length >= 2 && seen.size === sessions.length &&
      sessions.every(s => typeof s.hparams[n] === 'string' && /[/\\]/.test(s.hparams[n] as string))
    out.set(n, perRunPath ? 'path' : 'varies')
  }
  return out
}

/** The default columns: every hyper-parameter that varies, in name order. */
export function defaultColumns (kinds: ReadonlyMap<string, Variation>): string[] {
  return [...kinds].filter(([, k]) => k === 'varies').map(([n]) => n).sort(compareNames)
}

const SOURCE_TEXT: Record<HSource, string> = {
  'hparams-plugin': 'hparams plugin (SessionStartInfo)',
  'text-config': 'a JSON config logged as text',
  'hparams-yaml': 'Lightning hparams.yaml'
}

/** Where a name's values come from, for a column header's tooltip. */
export function sourcesOf (name: string, sessions: readonly HSession[]): string {
  const s = [...new Set(sessions.map(x => x.sources?.[name]).filter((v): v is HSource => v !== undefined))]
  return s.map(x => SOURCE_TEXT[x] ?? x).join(', ')
}

/** A header label that can wrap after `.`, `/` and `_` (dotted config names are long). */
export function wrappable (name: string): Array<Node | string> {
  const out: Array<Node | string> = []
  for (const part of name.split(/(?<=[./_])/)) { if (out.length) out.push(h('wbr')); out.push(part) }
  return out
}

export interface ChooserOptions {
  names: readonly string[]
  kinds: ReadonlyMap<string, Variation>
  shown: ReadonlySet<string>
  /** A constant's value, shown beside its name. */
  valueOf: (name: string) => string
  filter: string
  open: boolean
  onChange: (shown: Set<string>) => void
  /** Remembers the filter text and whether the chooser is open (no re-render). */
  onFilter: (text: string, open: boolean) => void
}

/** The column chooser: a disclosure with a name filter, three presets and one checkbox per name. */
export function columnChooser (o: ChooserOptions): HTMLElement {
  const varying = defaultColumns(o.kinds)
  const details = h('details', { class: 'hp-cols' })
  details.open = o.open
  details.append(h('summary', {}, `Columns: ${o.shown.size} of ${o.names.length} hyper-parameters`))
  const preset = (label: string, cls: string, set: () => Iterable<string>): HTMLElement => {
    const b = h('button', { type: 'button', class: `hp-preset ${cls}` }, label)
    b.addEventListener('click', () => o.onChange(new Set(set())))
    return b
  }
  const filter = h('input', { type: 'search', class: 'hp-cols-filter', placeholder: 'filter names (regex)', 'aria-label': 'filter hyper-parameter names', value: o.filter })
  const labels = o.names.map(n => {
    const box = h('input', { type: 'checkbox', 'data-name': n })
    box.checked = o.shown.has(n)
    box.addEventListener('change', () => {
      const next = new Set(o.shown)
      if (box.checked) next.add(n); else next.delete(n)
      o.onChange(next)
    })
    const kind = o.kinds.get(n)
    const note = kind === 'varies' ? 'differs' : kind === 'path' ? 'a path per run' : `= ${o.valueOf(n)}`
    return h('label', { class: `hp-col-opt ${kind ?? ''}`, title: n, 'data-name': n }, box, h('span', { class: 'hp-col-name' }, n), h('small', {}, note))
  })
  const listed = (): string[] => labels.filter(l => !l.hidden).map(l => l.dataset.name!)
  const only = preset('', 'hp-preset-filtered', () => listed().length === o.names.length ? [] : listed())
  // Filtering hides options in place, so the filter keeps the focus while typing.
  const apply = (): void => {
    const text = filter.value
    const re = ((): RegExp | null => { try { return new RegExp(text, 'i') } catch { return null } })()
    for (const l of labels) {
      const n = l.dataset.name!
      l.hidden = !(text === '' || (re !== null ? re.test(n) : n.toLowerCase().includes(text.toLowerCase())))
    }
    const k = listed().length
    only.textContent = k === o.names.length ? 'None' : `Only these ${k}`
  }
  apply()
  filter.addEventListener('input', () => { apply(); o.onFilter(filter.value, true) })
  details.addEventListener('toggle', () => o.onFilter(filter.value, details.open))
  details.append(h('div', { class: 'hp-cols-body' },
    h('div', { class: 'hp-cols-actions' },
      filter,
      preset(`Differing (${varying.length})`, 'hp-preset-differing', () => varying),
      preset(`All (${o.names.length})`, 'hp-preset-all', () => o.names),
      only),
    h('div', { class: 'hp-cols-list' }, ...labels)))
  return details
}
