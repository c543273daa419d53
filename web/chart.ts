/** One tag's chart: a uPlot instance fed with setData, canvas overlays (annotations, restarts, NaN markers, outliers, error bands), y-zoom, highlight, and its legend. */

import UPlot from 'uplot'
import type { AnnotationMark, ChartModel, XAxis } from './columns.js'
import { annotationWhere, formatDuration, logRange, marksAt, nearestIndex, primaryColumn } from './columns.js'
import { LegendTable } from './legend-table.js'
import { robustRange, tickValues } from './scale.js'
import type { LegendSort } from './settings.js'

/** What the chart tells its owner. */
export interface ChartEvents {
  /** The user zoomed x to [lo, hi], or reset the zoom (null). */
  onZoom: (range: [number, number] | null) => void
  /** The user clicked on annotation bands (most severe first). */
  onPick: (marks: AnnotationMark[]) => void
  /** The pointer is on a run's line or legend row (null: on none). */
  onHover: (run: string | null) => void
  /** A legend row was clicked: pin (or unpin) the run's highlight. */
  onLegendPick: (run: string) => void
  /** The user asked for another legend order. */
  onSort: (sort: LegendSort) => void
  /** The number of points drawn as outliers at the edge changed (known only once uPlot has drawn). */
  onOutliers: (n: number) => void
}

/** How the owner wants the chart drawn, beside the data. */
export interface ChartView {
  ignoreOutliers: boolean
  legendSort: LegendSort
  /** Shown name per run (shortened), full names on hover. */
  names: Map<string, string>
  /** Run highlighted on every chart, or null. */
  highlight: string | null
}

const HEIGHT = 230
/** Lines of runs other than the highlighted one keep this much of their opacity. */
const DIMMED = 0.15
/** The pointer counts as on a line within this many CSS pixels of it. */
const HOVER_PX = 8
/** Tick spacings for the step axis: 1, 2, 5 × 10^k. */
const STEP_INCRS = Array.from({ length: 13 }, (_, k) => [1, 2, 5].map(m => m * 10 ** k)).flat()
const AXIS_FONT = '11px system-ui, sans-serif'

function withAlpha (hex: string, alpha: number): string {
  const m = /^#([0-9a-f]{6})$/i.exec(hex)
  if (m === null) return hex
  const n = parseInt(m[1]!, 16)
  return `rgba(${n >> 16}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`
}

/** A CSS custom property of the page (theme colours), with a fallback. */
function cssVar (name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim()
  return v === '' ? fallback : v
}

let measureCtx: CanvasRenderingContext2D | null = null
/** Width in CSS pixels of tick labels in the axis font (so the y axis never cuts a label's first digit). */
function textWidth (text: string): number {
  measureCtx ??= document.createElement('canvas').getContext('2d')
  if (measureCtx === null) return text.length * 7
  measureCtx.font = AXIS_FONT
  return measureCtx.measureText(text).width
}

/**
 * Owns one uPlot instance inside `host`. `render` swaps data with setData while the series list
 * is unchanged and rebuilds the instance when it changes (uPlot cannot change its series in place
 * cheaply). The overlays are drawn in uPlot's draw hooks from the model's per-run views.
 */
export class TagChart {
  private u: UPlot | null = null
  private model: ChartModel | null = null
  private marks: AnnotationMark[] = []
  private axis: XAxis = 'step'
  private zoom: [number, number] | null = null
  private yZoom: [number, number] | null = null
  private robust: ReturnType<typeof robustRange> = null
  private dragEndedAt = -Infinity
  private hovered: string | null = null
  private view: ChartView = { ignoreOutliers: true, legendSort: 'name', names: new Map(), highlight: null }
  /** Points drawn at the plot's edge because they lie outside the y range (last draw). */
  outliers = 0
  private readonly plotEl: HTMLDivElement
  private readonly legend: LegendTable
  private readonly tipEl: HTMLDivElement
  private readonly emptyEl: HTMLDivElement
  private readonly resizeObserver: ResizeObserver

  constructor (private readonly host: HTMLElement, private readonly events: ChartEvents) {
    this.plotEl = document.createElement('div')
    this.plotEl.className = 'plot'
    this.emptyEl = document.createElement('div')
    this.emptyEl.className = 'plot-empty'
    this.tipEl = document.createElement('div')
    this.tipEl.className = 'ann-tip'
    this.tipEl.hidden = true
    this.legend = new LegendTable({ onHover: run => this.events.onHover(run), onPick: run => this.events.onLegendPick(run), onSort: s => this.events.onSort(s) })
    this.plotEl.append(this.emptyEl, this.tipEl)
    // Many runs: the legend scrolls instead of pushing the next row of cards away.
    const legendWrap = document.createElement('div')
    legendWrap.className = 'legend-wrap'
    legendWrap.append(this.legend.el)
    host.append(this.plotEl, legendWrap)
    this.resizeObserver = new ResizeObserver(() => this.fit())
    this.resizeObserver.observe(host)
  }

  /** The x range the user zoomed to, if any. */
  get zoomRange (): [number, number] | null { return this.zoom }

  /** The current y range drawn (after outlier handling and y-zoom), for tests and tools. */
  get yRange (): [number, number] | null {
    const sc = this.u?.scales.y
    return sc?.min === undefined || sc.min === null || sc.max === undefined || sc.max === null ? null : [sc.min, sc.max]
  }

  /** Shows a message instead of the plot (no data, or an error). */
  showMessage (text: string): void {
    this.emptyEl.textContent = text
    this.emptyEl.hidden = false
  }

  /** Sets an x zoom before the data arrives (restored from the URL). */
  presetZoom (range: [number, number] | null): void { this.zoom = range }

  /** Draws `model`; keeps the user's zoom when `keepZoom` (live updates, zoomed re-queries). */
  render (model: ChartModel, marks: AnnotationMark[], axis: XAxis, keepZoom: boolean, view: ChartView): void {
    const rebuild = this.u === null || this.model?.signature !== model.signature || this.axis !== axis
    this.model = model
    this.marks = marks
    this.view = view
    if (this.axis !== axis || !keepZoom) { this.zoom = null; this.yZoom = null }
    this.axis = axis
    this.robust = robustRange(model.data.slice(1) as Array<ArrayLike<number | null | undefined>>, model.logY)
    this.legend.render(model, view.legendSort, view.names, view.highlight)
    if (model.series.length === 0) {
      this.u?.destroy()
      this.u = null
      this.showMessage('no points')
      return
    }
    this.emptyEl.hidden = true
    if (rebuild) {
      this.u?.destroy()
      this.u = new UPlot(this.options(model), model.data, this.plotEl)
      this.u.over.addEventListener('dblclick', () => this.resetZoom())
      this.u.over.addEventListener('click', () => this.click())
      this.u.over.addEventListener('mouseleave', () => { this.tipEl.hidden = true; this.hover(null) })
      this.applyHighlight()
      if (this.zoom) this.u.setScale('x', { min: this.zoom[0], max: this.zoom[1] })
    } else {
      this.applyHighlight(false)
      this.u!.setData(model.data, this.zoom === null)
      if (this.zoom) this.u!.setScale('x', { min: this.zoom[0], max: this.zoom[1] })
    }
  }

  /** Rebuilds the uPlot instance (theme change: axis colours are baked into its options). */
  restyle (): void {
    if (this.u === null || this.model === null) return
    this.u.destroy()
    this.u = null
    this.render(this.model, this.marks, this.axis, true, this.view)
  }

  /** Highlights one run's lines (others dimmed), or none. */
  setHighlight (run: string | null): void {
    if (this.view.highlight === run) return
    this.view = { ...this.view, highlight: run }
    this.legend.highlight(run)
    this.applyHighlight()
  }

  /** The chart as a PNG data URL, on the page's background colour. */
  toPng (): string | null {
    const src = this.u?.ctx.canvas
    if (src === undefined) return null
    const c = document.createElement('canvas')
    c.width = src.width
    c.height = src.height
    const ctx = c.getContext('2d')!
    ctx.fillStyle = cssVar('--card', '#ffffff')
    ctx.fillRect(0, 0, c.width, c.height)
    ctx.drawImage(src, 0, 0)
    return c.toDataURL('image/png')
  }

  /** Replaces the annotation marks only (they arrive separately from the data). */
  setMarks (marks: AnnotationMark[]): void {
    this.marks = marks
    this.u?.redraw(false, false)
  }

  destroy (): void {
    this.resizeObserver.disconnect()
    this.u?.destroy()
    this.u = null
  }

  private applyHighlight (redraw = true): void {
    const u = this.u; const model = this.model
    if (u === null || model === null) return
    const hl = this.view.highlight
    model.series.forEach((s, i) => {
      const us = u.series[i + 1]
      if (us !== undefined) us.alpha = hl === null || s.run === hl ? s.alpha : s.alpha * DIMMED
    })
    if (redraw) u.redraw(false, false)
  }

  private resetZoom (): void {
    const hadX = this.zoom !== null
    this.zoom = null
    this.yZoom = null
    if (this.u !== null && this.model !== null) this.u.setData(this.model.data, true)
    if (hadX) this.events.onZoom(null)
  }

  private fit (): void {
    const w = Math.floor(this.host.clientWidth)
    if (this.u && w > 0 && Math.abs(this.u.width - w) > 1) this.u.setSize({ width: w, height: HEIGHT })
  }

  /** y range: the user's y-zoom, else the outlier-robust range (when asked), else the data's range. */
  private yScale (min: number | null, max: number | null): [number, number] {
    if (this.yZoom !== null) return this.yZoom
    const logY = this.model?.logY === true
    if (this.view.ignoreOutliers && this.robust !== null && this.robust.clipped) return [this.robust.min, this.robust.max]
    if (logY) return logRange(min, max)
    if (min === null || max === null) return [0, 1]
    const r = UPlot.rangeNum(min, max, 0.05, true)
    return [r[0] ?? min, r[1] ?? max]
  }

  private options (model: ChartModel): UPlot.Options {
    const axis = this.axis
    const xValues = axis === 'wall'
      ? undefined
      : axis === 'relative'
        ? (_u: UPlot, splits: Array<number | null>) => splits.map(v => v === null ? '' : formatDuration(v))
        : tickValues
    const axisStroke = cssVar('--axis', '#5b6472')
    const gridStroke = cssVar('--grid', 'rgba(15, 23, 42, 0.07)')
    return {
      width: Math.max(200, Math.floor(this.host.clientWidth)),
      height: HEIGHT,
      legend: { show: false },
      cursor: { drag: { x: true, y: true, uni: 30, setScale: false }, points: { size: 6 } },
      scales: {
        x: { time: axis === 'wall' },
        // Log: range to the data, not to whole decades (uPlot's default), so a loss between 0.4 and 1.5 fills the plot.
        y: model.logY
          ? { distr: 3, range: (_u, min, max) => this.yScale(min, max) }
          : { distr: 1, range: (_u, min, max) => this.yScale(min, max) }
      },
      axes: [
        {
          stroke: axisStroke,
          grid: { stroke: gridStroke, width: 1 },
          ticks: { stroke: gridStroke, width: 1 },
          values: xValues,
          // Steps are integers: never put a tick at step 0.25.
          incrs: axis === 'step' ? STEP_INCRS : undefined,
          font: AXIS_FONT
        },
        {
          stroke: axisStroke,
          grid: { stroke: gridStroke, width: 1 },
          ticks: { stroke: gridStroke, width: 1 },
          // On a log axis uPlot passes null for the ticks it leaves unlabelled.
          values: tickValues,
          size: (_u, values) => Math.ceil(Math.max(36, 14 + Math.max(0, ...(values ?? []).map(v => textWidth(String(v)))))),
          font: AXIS_FONT
        }
      ],
      series: [
        { label: axis === 'step' ? 'step' : 'time' },
        ...model.series.map(s => ({
          label: s.label,
          stroke: s.colour,
          width: s.width,
          alpha: s.alpha,
          dash: s.dash ?? undefined,
          spanGaps: false,
          points: s.alpha < 1 ? { show: false } : {}
        }))
      ],
      hooks: {
        drawClear: [u => this.drawUnder(u)],
        draw: [u => this.drawOver(u)],
        setCursor: [u => this.cursorMoved(u)],
        setSelect: [u => this.selected(u)]
      }
    }
  }

  /** A drag: x window (re-queried at full resolution by the owner), y window (local), or both. */
  private selected (u: UPlot): void {
    const { left, top, width, height } = u.select
    if (width < 3 && height < 3) return
    // The mouseup that ends a drag also clicks: do not open annotation details for it.
    this.dragEndedAt = performance.now()
    const plotW = u.bbox.width / UPlot.pxRatio
    const plotH = u.bbox.height / UPlot.pxRatio
    const zoomX = width >= 3 && width < plotW - 1
    const zoomY = height >= 3 && height < plotH - 1
    u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false)
    if (zoomY) {
      const lo = u.posToVal(top + height, 'y')
      const hi = u.posToVal(top, 'y')
      this.yZoom = [Math.min(lo, hi), Math.max(lo, hi)]
      u.setScale('y', { min: this.yZoom[0], max: this.yZoom[1] })
    }
    if (zoomX) {
      this.zoom = [u.posToVal(left, 'x'), u.posToVal(left + width, 'x')]
      u.setScale('x', { min: this.zoom[0], max: this.zoom[1] })
      this.events.onZoom(this.zoom)
    }
  }

  private click (): void {
    const u = this.u
    if (performance.now() - this.dragEndedAt < 300) return
    if (u === null || u.cursor.left === undefined || u.cursor.left < 0) return
    const hits = this.hits(u)
    if (hits.length > 0) this.events.onPick(hits)
  }

  private hits (u: UPlot): AnnotationMark[] {
    const left = u.cursor.left ?? -1
    if (left < 0 || this.marks.length === 0) return []
    const x = u.posToVal(left, 'x')
    const tol = Math.abs(u.posToVal(left + 5, 'x') - x)
    return marksAt(this.marks, x, tol)
  }

  private hover (run: string | null): void {
    if (run === this.hovered) return
    this.hovered = run
    this.events.onHover(run)
  }

  /** The run whose line passes closest to the pointer, within HOVER_PX. */
  private lineAt (u: UPlot): string | null {
    const model = this.model
    const left = u.cursor.left ?? -1; const top = u.cursor.top ?? -1
    if (model === null || left < 0 || top < 0) return null
    const x = u.posToVal(left, 'x')
    let best: string | null = null; let bestD = HOVER_PX
    for (const v of model.runs) {
      const i = nearestIndex(v.x, x)
      if (i < 0) continue
      const y = primaryColumn(model, v)[i]!
      if (!Number.isFinite(y)) continue
      const d = Math.abs(u.valToPos(y, 'y') - top)
      if (d < bestD) { bestD = d; best = v.run }
    }
    return best
  }

  private cursorMoved (u: UPlot): void {
    const idx = u.cursor.idx
    this.legend.update(idx === null || idx === undefined ? null : (u.data[0][idx] ?? null))
    this.hover(this.lineAt(u))
    const hits = this.hits(u)
    if (hits.length === 0) {
      this.tipEl.hidden = true
      return
    }
    this.tipEl.replaceChildren()
    for (const m of hits.slice(0, 3)) {
      const a = m.annotation
      const row = document.createElement('div')
      row.className = `ann-tip-row sev-${m.severity}`
      const head = document.createElement('b')
      head.textContent = `${a.kind} · ${a.severity}`
      const where = document.createElement('span')
      where.textContent = ` ${annotationWhere(a)}`
      const text = document.createElement('div')
      text.textContent = a.causes?.[0] ? `cause: ${a.causes[0].cause}` : (a.explanation ?? '').slice(0, 140)
      row.append(head, where, text)
      this.tipEl.append(row)
    }
    const hint = document.createElement('div')
    hint.className = 'ann-tip-hint'
    hint.textContent = 'click for details'
    this.tipEl.append(hint)
    const left = (u.cursor.left ?? 0) + u.bbox.left / UPlot.pxRatio
    this.tipEl.style.left = `${Math.min(left + 12, Math.max(0, this.plotEl.clientWidth - 260))}px`
    this.tipEl.hidden = false
  }

  /** Under the lines: annotation bands and de-smoothing error bands. */
  private drawUnder (u: UPlot): void {
    const model = this.model
    if (model === null) return
    const ctx = u.ctx
    const { left, top, width, height } = u.bbox
    ctx.save()
    ctx.beginPath()
    ctx.rect(left, top, width, height)
    ctx.clip()
    for (const m of this.marks) {
      const x0 = u.valToPos(m.x0, 'x', true)
      const x1 = u.valToPos(m.x1, 'x', true)
      const w = Math.max(x1 - x0, 3 * UPlot.pxRatio)
      ctx.fillStyle = withAlpha(m.colour, m.severity === 'info' ? 0.08 : 0.14)
      ctx.fillRect(x0 - (x1 - x0 < w ? w / 2 : 0), top, w, height)
    }
    for (const v of model.runs) {
      if (v.band !== undefined) this.fillBetween(u, v.x, v.band.lo, v.band.hi, withAlpha(model.colours.get(v.run) ?? '#888888', 0.16))
    }
    const withBand = new Set(model.series.filter(s => s.role === 'desmoothed').map(s => s.run))
    for (const v of model.runs) {
      if (!withBand.has(v.run) || v.desmoothed === null || v.bound === null) continue
      this.fillBand(u, v.x, v.desmoothed, v.bound, withAlpha(model.colours.get(v.run) ?? '#888888', 0.18), model.logY)
    }
    ctx.restore()
  }

  /** Fills the area between two aligned columns (a group's min–max band), broken where either is not finite. */
  private fillBetween (u: UPlot, xs: Float64Array, lo: Float64Array, hi: Float64Array, fill: string): void {
    const mid = new Float64Array(xs.length); const half = new Float64Array(xs.length)
    for (let i = 0; i < xs.length; i++) { mid[i] = (lo[i]! + hi[i]!) / 2; half[i] = (hi[i]! - lo[i]!) / 2 }
    this.fillBand(u, xs, mid, half, fill, this.model?.logY === true)
  }

  /** Fills y ± bound as polygons, broken wherever the bound is unknown or infinite (or the band leaves a log axis). */
  private fillBand (u: UPlot, xs: Float64Array, ys: Float64Array, bound: Float64Array, fill: string, logY: boolean): void {
    const ctx = u.ctx
    let open = false
    let start = 0
    const close = (end: number): void => {
      for (let j = end; j >= start; j--) ctx.lineTo(u.valToPos(xs[j]!, 'x', true), u.valToPos(ys[j]! - bound[j]!, 'y', true))
      ctx.closePath()
      ctx.fill()
      open = false
    }
    ctx.fillStyle = fill
    for (let i = 0; i < xs.length; i++) {
      const ok = Number.isFinite(ys[i]!) && Number.isFinite(bound[i]!) && (!logY || ys[i]! - bound[i]! > 0)
      if (ok && !open) { ctx.beginPath(); ctx.moveTo(u.valToPos(xs[i]!, 'x', true), u.valToPos(ys[i]! + bound[i]!, 'y', true)); open = true; start = i } else if (ok) ctx.lineTo(u.valToPos(xs[i]!, 'x', true), u.valToPos(ys[i]! + bound[i]!, 'y', true))
      else if (open) close(i - 1)
    }
    if (open) close(xs.length - 1)
  }

  /** Over the lines: epoch boundaries, restarts, annotation flags, non-finite markers. */
  private drawOver (u: UPlot): void {
    const model = this.model
    if (model === null) return
    const ctx = u.ctx
    const px = UPlot.pxRatio
    const { left, top, width, height } = u.bbox
    ctx.save()
    ctx.beginPath()
    ctx.rect(left - 8 * px, top - 8 * px, width + 16 * px, height + 16 * px)
    ctx.clip()
    // Epoch boundaries of de-smoothed runs: faint dotted lines (skipped when they would hatch the plot).
    const desm = new Set(model.series.filter(s => s.role === 'desmoothed').map(s => s.run))
    ctx.setLineDash([2 * px, 3 * px])
    ctx.lineWidth = px
    ctx.strokeStyle = cssVar('--faint-line', 'rgba(15, 23, 42, 0.18)')
    for (const v of model.runs) {
      if (!desm.has(v.run) || v.epochStarts.length > width / (6 * px)) continue
      for (const ex of v.epochStarts) this.vline(u, ex)
    }
    // Restarts: dashed line in the run's colour with a small label.
    ctx.setLineDash([6 * px, 4 * px])
    ctx.lineWidth = 1.5 * px
    ctx.font = `${10 * px}px system-ui, sans-serif`
    ctx.textAlign = 'left' // UPlot leaves its last axis alignment on the context
    ctx.textBaseline = 'alphabetic'
    for (const v of model.runs) {
      const c = model.colours.get(v.run) ?? '#888'
      for (const r of v.restarts) {
        ctx.strokeStyle = c
        const x = this.vline(u, r.x)
        if (x !== null) {
          ctx.fillStyle = c
          ctx.fillText('↻ restart', x + 3 * px, top + 11 * px)
        }
      }
    }
    ctx.setLineDash([])
    // Annotation flags along the top edge.
    for (const m of this.marks) {
      const x = u.valToPos(m.x0, 'x', true)
      if (x < left - 1 || x > left + width + 1) continue
      this.triangle(ctx, x, top, 6 * px, 'down', m.colour)
    }
    this.drawOutliers(u)
    // Non-finite values: triangles at the top (NaN, +Inf) or bottom (-Inf) edge, in the run's colour.
    for (const v of model.runs) {
      const c = model.colours.get(v.run) ?? '#888'
      for (const nf of v.nonFinite) {
        const x = u.valToPos(nf.x, 'x', true)
        if (x < left - 1 || x > left + width + 1) continue
        if (nf.kind === '-inf') this.triangle(ctx, x, top + height, 5 * px, 'down', c, true)
        else this.triangle(ctx, x, top + 2 * px, 5 * px, 'up', c, true)
      }
    }
    ctx.restore()
  }

  /** Values beyond the y range (outliers left out of the scale, or a y-zoom): dots on the edge they lie past. */
  private drawOutliers (u: UPlot): void {
    const model = this.model
    const before = this.outliers
    this.outliers = 0
    try { this.countOutliers(u, model) } finally { if (this.outliers !== before) this.events.onOutliers(this.outliers) }
  }

  private countOutliers (u: UPlot, model: ChartModel | null): void {
    const yMin = u.scales.y?.min; const yMax = u.scales.y?.max; const xMin = u.scales.x?.min; const xMax = u.scales.x?.max
    if (model === null || yMin == null || yMax == null || xMin == null || xMax == null) return
    // The drawn ranges, for people and tests reading the DOM.
    this.host.dataset.y = `${yMin} ${yMax}`
    this.host.dataset.x = `${xMin} ${xMax}`
    const ctx = u.ctx
    const px = UPlot.pxRatio
    const { top, height } = u.bbox
    const xs = u.data[0]
    model.series.forEach((s, i) => {
      if (s.alpha < 0.5) return
      const ys = u.data[i + 1] as ArrayLike<number | null | undefined>
      ctx.fillStyle = s.colour
      ctx.strokeStyle = cssVar('--card', '#ffffff')
      ctx.lineWidth = px
      for (let j = 0; j < ys.length; j++) {
        const y = ys[j]; const x = xs[j]!
        if (typeof y !== 'number' || x < xMin || x > xMax) continue
        if (y <= yMax && y >= yMin) continue
        this.outliers++
        const cx = u.valToPos(x, 'x', true)
        ctx.beginPath()
        ctx.arc(cx, y > yMax ? top + 4 * px : top + height - 4 * px, 3.5 * px, 0, 2 * Math.PI)
        ctx.fill()
        ctx.stroke()
      }
    })
  }

  private vline (u: UPlot, xv: number): number | null {
    const { left, top, width, height } = u.bbox
    const x = Math.round(u.valToPos(xv, 'x', true)) + 0.5
    if (x < left || x > left + width) return null
    u.ctx.beginPath()
    u.ctx.moveTo(x, top)
    u.ctx.lineTo(x, top + height)
    u.ctx.stroke()
    return x
  }

  private triangle (ctx: CanvasRenderingContext2D, x: number, y: number, r: number, dir: 'up' | 'down', fill: string, outline = false): void {
    ctx.beginPath()
    if (dir === 'down') { ctx.moveTo(x - r, y); ctx.lineTo(x + r, y); ctx.lineTo(x, y + 1.6 * r) } else { ctx.moveTo(x - r, y + 1.6 * r); ctx.lineTo(x + r, y + 1.6 * r); ctx.lineTo(x, y) }
    ctx.closePath()
    ctx.fillStyle = fill
    ctx.fill()
    if (outline) {
      ctx.lineWidth = UPlot.pxRatio
      ctx.strokeStyle = cssVar('--card', '#ffffff')
      ctx.stroke()
    }
  }
}
