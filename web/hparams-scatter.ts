/** The HParams view's scatter: one chosen metric (y, its last value) against one chosen hyper-parameter (x; log scale for positive numbers spanning ×100 or more, evenly spaced categories for strings and booleans). */

import { compareNames, formatValue } from './columns.js'

type HValue = number | string | boolean | null
export interface ScatterPoint { run: string, x: HValue | undefined, y: number | null | undefined }

const SVG = 'http://www.w3.org/2000/svg'
const W = 420; const H = 240
const PAD = { l: 56, r: 16, t: 12, b: 40 }

function svg<K extends keyof SVGElementTagNameMap> (tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag)
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v))
  if (text !== undefined) e.textContent = text
  return e
}

/** An x mapping for the points' hparam values: numeric (linear or log) or categorical. */
function xScale (values: HValue[]): { pos: (v: HValue) => number, ticks: Array<[number, string]>, log: boolean } {
  // Dots stay clear of the axes: 12 px inset on both ends.
  const span = W - PAD.l - PAD.r - 24
  if (values.every(v => typeof v === 'number' && Number.isFinite(v))) {
    const nums = values as number[]
    let lo = Math.min(...nums); let hi = Math.max(...nums)
    const log = lo > 0 && hi / lo >= 100
    const f = (v: number): number => log ? Math.log10(v) : v
    let a = f(lo); let b = f(hi)
    if (a === b) { a -= 1; b += 1; lo = log ? 10 ** a : a; hi = log ? 10 ** b : b }
    const pos = (v: HValue): number => PAD.l + 12 + span * (f(v as number) - a) / (b - a)
    const ticks: Array<[number, string]> = log
      ? Array.from({ length: Math.floor(b) - Math.ceil(a) + 1 }, (_, i) => 10 ** (Math.ceil(a) + i)).map(v => [pos(v), formatValue(v)])
      : [0, 0.5, 1].map(k => { const v = lo + (hi - lo) * k; return [pos(v), formatValue(v)] })
    return { pos, ticks, log }
  }
  const cats = [...new Set(values.map(v => String(v)))].sort(compareNames)
  const pos = (v: HValue): number => PAD.l + 12 + span * (cats.length === 1 ? 0.5 : cats.indexOf(String(v)) / (cats.length - 1))
  return { pos, ticks: cats.map(c => [pos(c), c]), log: false }
}

/** The scatter as an SVG element; points without a value on either axis are left out (and counted in the caption). */
export function scatterChart (points: ScatterPoint[], xLabel: string, yLabel: string, colourOf: (run: string) => string): SVGSVGElement {
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'hp-scatter-svg', role: 'img', 'aria-label': `${yLabel} against ${xLabel}` })
  const ok = points.filter((p): p is ScatterPoint & { x: HValue, y: number } => p.x !== undefined && p.x !== null && typeof p.y === 'number' && Number.isFinite(p.y))
  root.append(svg('line', { x1: PAD.l, y1: H - PAD.b, x2: W - PAD.r, y2: H - PAD.b, class: 'axis' }), svg('line', { x1: PAD.l, y1: PAD.t, x2: PAD.l, y2: H - PAD.b, class: 'axis' }))
  root.append(svg('text', { x: (PAD.l + W - PAD.r) / 2, y: H - 4, 'text-anchor': 'middle', class: 'axis-label' }, xLabel))
  root.append(svg('text', { x: 12, y: (PAD.t + H - PAD.b) / 2, 'text-anchor': 'middle', class: 'axis-label', transform: `rotate(-90 12 ${(PAD.t + H - PAD.b) / 2})` }, yLabel))
  if (ok.length === 0) {
    root.append(svg('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'axis-label' }, 'no session has both values'))
    return root
  }
  const xs = xScale(ok.map(p => p.x))
  let lo = Math.min(...ok.map(p => p.y)); let hi = Math.max(...ok.map(p => p.y))
  if (lo === hi) { lo -= Math.abs(lo) * 0.1 || 1; hi += Math.abs(hi) * 0.1 || 1 }
  const pad = (hi - lo) * 0.08; lo -= pad; hi += pad
  const ypos = (v: number): number => PAD.t + (H - PAD.t - PAD.b) * (hi - v) / (hi - lo)
  for (const [x, label] of xs.ticks) root.append(svg('text', { x, y: H - PAD.b + 14, 'text-anchor': 'middle', class: 'tick' }, label))
  for (const k of [0, 0.5, 1]) {
    const v = lo + pad + (hi - lo - 2 * pad) * k
    root.append(svg('text', { x: PAD.l - 6, y: ypos(v) + 4, 'text-anchor': 'end', class: 'tick' }, formatValue(v, 4)))
  }
  for (const p of ok) {
    const c = svg('circle', { cx: xs.pos(p.x).toFixed(1), cy: ypos(p.y).toFixed(1), r: 5, fill: colourOf(p.run), 'data-run': p.run, class: 'hp-dot' })
    c.append(svg('title', {}, `${p.run}\n${xLabel} = ${String(p.x)}\n${yLabel} = ${formatValue(p.y)}`))
    root.append(c)
  }
  return root
}
