/** One tag's chart: a uPlot instance fed with setData, canvas overlays (annotations, restarts, NaN markers, error bands) and a per-run legend. */

import UPlot from 'uplot'
import type { AnnotationMark, ChartModel, XAxis } from './columns.js'
import { annotationWhere, formatDuration, formatTick, legendRows, logRange, marksAt } from './columns.js'

/** What the chart tells its owner. */
export interface ChartEvents {
  /** The user zoomed to x ∈ [lo, hi], or reset the zoom (null). */
  onZoom: (range: [number, number] | null) => void
  /** The user clicked on annotation bands (most severe first). */
  onPick: (marks: AnnotationMark[]) => void
}

const HEIGHT = 230
const AXIS_STROKE = '#5b6472'
const GRID_STROKE = 'rgba(15, 23, 42, 0.07)'
/** Tick spacings for the step axis: 1, 2, 5 × 10^k. */
const STEP_INCRS = Array.from({ length: 13 }, (_, k) => [1, 2, 5].map(m => m * 10 ** k)).flat()

function withAlpha (hex: string, alpha: number): string {
  const m = /^#([0-9a-f]{6})$/i.exec(hex)
  if (m === null) return hex
  const n = parseInt(m[1]!, 16)
  return `rgba(${n >> 16}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`
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
  private dragEndedAt = -Infinity
  private readonly plotEl: HTMLDivElement
  private readonly legendEl: HTMLTableElement
  private readonly tipEl: HTMLDivElement
  private readonly emptyEl: HTMLDivElement
  private readonly resizeObserver: ResizeObserver
  private legendCells: Array<{ step: HTMLElement, value: HTMLElement, desmoothed: HTMLElement, smoothed: HTMLElement }> = []

  constructor (private readonly host: HTMLElement, private readonly events: ChartEvents) {
    this.plotEl = document.createElement('div')
    this.plotEl.className = 'plot'
    this.emptyEl = document.createElement('div')
    this.emptyEl.className = 'plot-empty'
    this.tipEl = document.createElement('div')
    this.tipEl.className = 'ann-tip'
    this.tipEl.hidden = true
    this.legendEl = document.createElement('table')
    this.legendEl.className = 'legend'
    this.plotEl.append(this.emptyEl, this.tipEl)
    // Many runs: the legend scrolls instead of pushing the next row of cards away.
    const legendWrap = document.createElement('div')
    legendWrap.className = 'legend-wrap'
    legendWrap.append(this.legendEl)
    host.append(this.plotEl, legendWrap)
    this.resizeObserver = new ResizeObserver(() => this.fit())
    this.resizeObserver.observe(host)
  }

  /** The x range the user zoomed to, if any. */
  get zoomRange (): [number, number] | null { return this.zoom }

  /** Shows a message instead of the plot (no data, or an error). */
  showMessage (text: string): void {
    this.emptyEl.textContent = text
    this.emptyEl.hidden = false
  }

  /** Draws `model`; keeps the user's zoom when `keepZoom` (live updates, zoomed re-queries). */
  render (model: ChartModel, marks: AnnotationMark[], axis: XAxis, keepZoom: boolean): void {
    const rebuild = this.u === null || this.model?.signature !== model.signature || this.axis !== axis
    this.model = model
    this.marks = marks
    if (this.axis !== axis || !keepZoom) this.zoom = null
    this.axis = axis
    if (model.series.length === 0) {
      this.u?.destroy()
      this.u = null
      this.showMessage('no points')
      this.renderLegend()
      return
    }
    this.emptyEl.hidden = true
    if (rebuild) {
      this.u?.destroy()
      this.u = new UPlot(this.options(model), model.data, this.plotEl)
      this.u.over.addEventListener('dblclick', () => { this.zoom = null; this.events.onZoom(null) })
      this.u.over.addEventListener('click', () => this.click())
      this.u.over.addEventListener('mouseleave', () => { this.tipEl.hidden = true })
      this.renderLegend()
      if (this.zoom) this.u.setScale('x', { min: this.zoom[0], max: this.zoom[1] })
    } else {
      this.renderLegend()
      this.u!.setData(model.data, this.zoom === null)
      if (this.zoom) this.u!.setScale('x', { min: this.zoom[0], max: this.zoom[1] })
    }
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

  private fit (): void {
    const w = Math.floor(this.host.clientWidth)
    if (this.u && w > 0 && Math.abs(this.u.width - w) > 1) this.u.setSize({ width: w, height: HEIGHT })
  }

  private options (model: ChartModel): UPlot.Options {
    const axis = this.axis
    const xValues = axis === 'wall'
      ? undefined
      : (_u: UPlot, splits: Array<number | null>) => splits.map(v => v === null ? '' : axis === 'relative' ? formatDuration(v) : formatTick(v))
    return {
      width: Math.max(200, Math.floor(this.host.clientWidth)),
      height: HEIGHT,
      legend: { show: false },
      cursor: { drag: { x: true, y: false, setScale: true }, points: { size: 6 } },
      scales: {
        x: { time: axis === 'wall' },
        // Log: range to the data, not to whole decades (uPlot's default), so a loss between 0.4 and 1.5 fills the plot.
        y: model.logY ? { distr: 3, range: (_u, min, max) => logRange(min, max) } : { distr: 1 }
      },
      axes: [
        {
          stroke: AXIS_STROKE,
          grid: { stroke: GRID_STROKE, width: 1 },
          ticks: { stroke: GRID_STROKE, width: 1 },
          values: xValues,
          // Steps are integers: never put a tick at step 0.25.
          incrs: axis === 'step' ? STEP_INCRS : undefined,
          font: '11px system-ui, sans-serif'
        },
        {
          stroke: AXIS_STROKE,
          grid: { stroke: GRID_STROKE, width: 1 },
          ticks: { stroke: GRID_STROKE, width: 1 },
          // On a log axis uPlot passes null for the ticks it leaves unlabelled.
          values: (_u, splits: Array<number | null>) => splits.map(v => v === null ? '' : formatTick(v)),
          size: (_u, values) => Math.max(40, 12 + 7 * Math.max(0, ...(values ?? []).map(v => String(v).length))),
          font: '11px system-ui, sans-serif'
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

  private selected (u: UPlot): void {
    if (u.select.width < 3) return
    // The mouseup that ends a drag also clicks: do not open annotation details for it.
    this.dragEndedAt = performance.now()
    const lo = u.posToVal(u.select.left, 'x')
    const hi = u.posToVal(u.select.left + u.select.width, 'x')
    this.zoom = [lo, hi]
    this.events.onZoom(this.zoom)
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

  private cursorMoved (u: UPlot): void {
    const idx = u.cursor.idx
    this.updateLegend(idx === null || idx === undefined ? null : (u.data[0][idx] ?? null))
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

  private renderLegend (): void {
    const model = this.model
    this.legendEl.replaceChildren()
    this.legendCells = []
    if (model === null || model.runs.length === 0) return
    const roles = new Set(model.series.map(s => s.role))
    const head = this.legendEl.createTHead().insertRow()
    const cols = ['run', 'step', roles.has('value') || roles.size === 0 ? 'value' : '', roles.has('desmoothed') ? 'de-smoothed' : '', roles.has('smoothed') ? 'smoothed' : '']
    for (const c of cols) {
      const th = document.createElement('th')
      th.textContent = c
      if (c === '') th.className = 'col-hidden'
      head.append(th)
    }
    const body = this.legendEl.createTBody()
    for (const v of model.runs) {
      const tr = body.insertRow()
      tr.dataset.run = v.run
      const name = tr.insertCell()
      const sw = document.createElement('i')
      sw.className = 'swatch'
      sw.style.background = model.colours.get(v.run) ?? '#888'
      const label = document.createElement('span')
      label.textContent = v.run
      name.className = 'legend-run'
      name.append(sw, label)
      const cell = (cls: string, hidden: boolean): HTMLElement => {
        const td = tr.insertCell()
        td.className = hidden ? `${cls} col-hidden` : cls
        return td
      }
      this.legendCells.push({
        step: cell('legend-step', false),
        value: cell('legend-value', cols[2] === ''),
        desmoothed: cell('legend-desmoothed', cols[3] === ''),
        smoothed: cell('legend-smoothed', cols[4] === '')
      })
    }
    this.updateLegend(null)
  }

  private updateLegend (x: number | null): void {
    if (this.model === null) return
    const rows = legendRows(this.model, x)
    rows.forEach((r, i) => {
      const c = this.legendCells[i]
      if (c === undefined) return
      c.step.textContent = r.step
      c.value.textContent = r.value ?? ''
      c.desmoothed.textContent = r.desmoothed ?? ''
      c.smoothed.textContent = r.smoothed ?? ''
    })
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
    const withBand = new Set(model.series.filter(s => s.role === 'desmoothed').map(s => s.run))
    for (const v of model.runs) {
      if (!withBand.has(v.run) || v.desmoothed === null || v.bound === null) continue
      this.fillBand(u, v.x, v.desmoothed, v.bound, withAlpha(model.colours.get(v.run) ?? '#888888', 0.18), model.logY)
    }
    ctx.restore()
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
    ctx.strokeStyle = 'rgba(15, 23, 42, 0.18)'
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
      ctx.strokeStyle = '#ffffff'
      ctx.stroke()
    }
  }
}
