/** The Problems view: every warning and critical annotation across runs, sorted by severity and recency, filterable by kind and run; each jumps to its chart. */

import { annotationWhere, compareNames, SEVERITY_RANK, type Annotation } from './columns.js'
import { $, h } from './dom.js'
import { matcher } from './state.js'

/** Annotations the Problems view lists: warnings and criticals (tentative ones included, and marked). */
export function problemsOf (anns: Annotation[]): Annotation[] {
  return anns.filter(a => a.severity === 'warning' || a.severity === 'critical')
}

/** Most severe first, then most recent (wall time of the start), then by run and tag. */
export function sortProblems (anns: Annotation[]): Annotation[] {
  return [...anns].sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
    (b.wallTime ?? 0) - (a.wallTime ?? 0) || compareNames(a.run, b.run) || compareNames(a.tag, b.tag) || a.startStep - b.startStep)
}

export const TENTATIVE_HELP = 'tentative: a recent jump not confirmed yet — the next points may still show it to be an oscillation, and it may be withdrawn'

/** The Problems panel; `onJump` shows an annotation on its chart. */
export class ProblemsView {
  private anns: Annotation[] = []
  private kind = ''
  private runText = ''
  readonly el = $('problems')
  private readonly listEl: HTMLElement
  private readonly kindEl: HTMLSelectElement
  private readonly countEl: HTMLElement

  constructor (private readonly onJump: (a: Annotation) => void) {
    this.kindEl = h('select', { 'aria-label': 'Filter by kind' })
    this.kindEl.addEventListener('change', () => { this.kind = this.kindEl.value; this.renderList() })
    const runEl = h('input', { type: 'search', placeholder: 'filter runs (regex)', 'aria-label': 'Filter problems by run', autocomplete: 'off', spellcheck: 'false' })
    runEl.addEventListener('input', () => { this.runText = runEl.value; this.renderList() })
    const close = h('button', { type: 'button', class: 'icon-btn', 'aria-label': 'Close problems' }, '×')
    close.addEventListener('click', () => this.toggle(false))
    this.countEl = h('span', { class: 'problems-count' })
    this.listEl = h('ol', { class: 'problems-list' })
    this.el.replaceChildren(
      h('div', { class: 'problems-head' }, h('h2', {}, 'Problems '), this.countEl, this.kindEl, runEl, close),
      h('p', { class: 'problems-help' }, 'Warnings and criticals of every run, most severe and most recent first. ', h('abbr', { title: TENTATIVE_HELP }, 'Tentative'), ' ones are recent and not confirmed yet.'),
      this.listEl)
  }

  get open (): boolean { return !this.el.hidden }

  toggle (open = this.el.hidden): void {
    this.el.hidden = !open
    $('problems-btn').setAttribute('aria-expanded', String(open))
    if (open) this.el.scrollIntoView({ block: 'start' })
  }

  /** New annotations of the whole logdir. */
  set (all: Annotation[]): void {
    this.anns = sortProblems(problemsOf(all))
    const kinds = [...new Set(this.anns.map(a => a.kind))].sort()
    this.kindEl.replaceChildren(h('option', { value: '' }, 'all kinds'), ...kinds.map(k => h('option', { value: k }, k)))
    this.kindEl.value = (kinds as string[]).includes(this.kind) ? this.kind : ''
    const btn = $('problems-btn')
    const crit = this.anns.filter(a => a.severity === 'critical').length
    btn.textContent = `Problems ${this.anns.length}`
    btn.classList.toggle('has-critical', crit > 0)
    btn.title = `${crit} critical, ${this.anns.length - crit} warning annotation(s) across runs`
    this.renderList()
  }

  private renderList (): void {
    const m = matcher(this.runText)
    const shown = this.anns.filter(a => (this.kind === '' || a.kind === this.kind) && m.test(a.run))
    this.countEl.textContent = shown.length === this.anns.length ? `${this.anns.length}` : `${shown.length} of ${this.anns.length}`
    this.listEl.replaceChildren(...shown.slice(0, 500).map(a => {
      const tentative = (a as { tentative?: boolean }).tentative === true
      const b = h('button', { type: 'button', class: `problem sev-${a.severity}`, 'data-run': a.run, 'data-tag': a.tag, 'data-kind': a.kind },
        h('i', { class: 'dot' }),
        h('b', {}, a.kind),
        h('span', { class: 'problem-tag' }, a.tag),
        h('span', { class: 'problem-where' }, annotationWhere(a)),
        h('span', { class: 'problem-cause' }, a.causes?.[0]?.cause ?? ''))
      if (tentative) b.title = TENTATIVE_HELP
      b.addEventListener('click', () => this.onJump(a))
      return h('li', {}, b)
    }))
    if (shown.length > 500) this.listEl.append(h('li', { class: 'more-note' }, `${shown.length - 500} more: narrow the filters`))
  }
}
