/** Runs, tags and filters: colours, name matchers, tag groups, natural order, smoothing families. */

import type { TagEntry } from './wire.js'

// ---------------------------------------------------------------------------------------------
// Runs, tags, filters
// ---------------------------------------------------------------------------------------------

/** Colour-blind-friendly categorical palette (Tableau 10), in assignment order. */
export const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#9c755f', '#ff9da7', '#5f6b7a']

/**
 * Colour number `i` of the run palette: Tableau 10 first, then hues spaced by the golden angle at
 * three lightness/saturation levels in turn, so colours past the tenth neither repeat nor sit next
 * to a near twin.
 */
export function paletteColour (i: number): string {
  if (i < PALETTE.length) return PALETTE[i]!
  const k = i - PALETTE.length
  const hue = (20 + k * 137.508) % 360
  const [sat, light] = ([[0.62, 0.46], [0.5, 0.62], [0.7, 0.34]] as const)[k % 3]!
  return hslToHex(hue, sat, light)
}

function hslToHex (h: number, s: number, l: number): string {
  const a = s * Math.min(l, 1 - l)
  const f = (n: number): string => {
    const k = (n + h / 30) % 12
    const c = l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))
    return Math.round(c * 255).toString(16).padStart(2, '0')
  }
  return `#${f(0)}${f(8)}${f(4)}`
}

/**
 * Stable colours: a run keeps the colour of its position in the full run list, whatever the
 * filter; `picked` (the user's colour picker) wins.
 */
export function assignColours (runs: string[], picked: Record<string, string> = {}): Map<string, string> {
  return new Map(runs.map((r, i) => [r, /^#[0-9a-f]{6}$/i.test(picked[r] ?? '') ? picked[r]! : paletteColour(i)]))
}

/** A name filter typed by the user: a case-insensitive regular expression; invalid input falls back to a substring match. */
export interface Matcher { valid: boolean, error: string | null, test: (name: string) => boolean }

export function makeMatcher (text: string): Matcher {
  const t = text.trim()
  if (t === '') return { valid: true, error: null, test: () => true }
  try {
    const re = new RegExp(t, 'i')
    return { valid: true, error: null, test: (s) => re.test(s) }
  } catch (err) {
    const needle = t.toLowerCase()
    return { valid: false, error: (err as Error).message, test: (s) => s.toLowerCase().includes(needle) }
  }
}

/** A group of tags shown under one heading, TensorBoard-style: the part of the tag before its first '/'. */
export interface TagGroup { name: string, tags: string[] }

/** Distinct tags of the given runs that pass the filter, grouped by prefix; groups and tags sorted by name. */
export function groupTags (entries: TagEntry[], runOk: (run: string) => boolean, tagOk: (tag: string) => boolean): TagGroup[] {
  const tags = new Set<string>()
  for (const e of entries) if (runOk(e.run) && tagOk(e.tag)) tags.add(e.tag)
  const groups = new Map<string, string[]>()
  for (const t of [...tags].sort(compareNames)) {
    const slash = t.indexOf('/')
    const g = slash > 0 ? t.slice(0, slash) : ''
    let list = groups.get(g)
    if (list === undefined) groups.set(g, list = [])
    list.push(t)
  }
  return [...groups.entries()].sort((a, b) => compareNames(a[0], b[0])).map(([name, list]) => ({ name, tags: list }))
}

/** Natural order: digit runs compare as numbers ("run2" < "run10"). */
export function compareNames (a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true, sensitivity: 'base' }) || (a < b ? -1 : a > b ? 1 : 0)
}

/** Human label of a smoothing family worth a chip on the card; null for plain raw values and unknown families. */
export function familyLabel (family: string | null | undefined): string | null {
  switch (family) {
    case 'keras-running-mean': return 'Keras running mean'
    case 'lightning-step': return 'Lightning per-step'
    case 'lightning-epoch': return 'Lightning epoch mean'
    case 'hf-window-mean': return 'HF windowed mean'
    case 'rl-rolling-mean': return 'RL rolling mean'
    case 'epoch-aggregate': return 'epoch aggregate'
    default: return null
  }
}

/** True when the server can recover raw values behind this family (ask for `desmoothed`); unknown families are asked too. */
export function wantsDesmoothed (family: string | null | undefined): boolean {
  return family === undefined || family === null || family === 'keras-running-mean' || family === 'unknown'
}
