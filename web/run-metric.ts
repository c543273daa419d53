/** Runs by a metric: each run's last or best value of one tag (from /api/v1/tags' value summaries), the better direction of a metric, and the run list's value filter. */

import type { AppState } from './state.js'

/** Names of metrics where higher is better; everything else (losses, errors, perplexity) is read as lower-is-better. */
const HIGHER_IS_BETTER = /acc|auc|f1|precision|recall|score|reward|return|iou|\bmap\b|bleu|rouge|r2|dice|correct|top[-_]?\d/i

/** True when a larger value of `tag` is better (accuracy, reward …). */
export function higherIsBetter (tag: string): boolean {
  return HIGHER_IS_BETTER.test(tag)
}

export type MetricStat = 'last' | 'best'

/** The run's last or best finite value of `tag`, NaN when the run does not log it (or logged nothing finite). */
export function runMetricValue (app: AppState, run: string, tag: string, stat: MetricStat): number {
  const e = app.tagIndex.get(tag)?.get(run)
  if (e === undefined) return NaN
  const v = stat === 'last' ? e.lastValue : higherIsBetter(tag) ? e.maxValue : e.minValue
  return typeof v === 'number' ? v : NaN
}

export interface MetricFilter { valid: boolean, test: (v: number) => boolean }

/**
 * A value filter typed as `< 0.5`, `>= 0.9`, `= 1` or a bare number (read as `<=` for a
 * lower-is-better metric, `>=` otherwise). Empty: everything passes. Malformed: invalid, and
 * everything passes.
 */
export function parseMetricFilter (text: string, tag: string): MetricFilter {
  const t = text.trim()
  if (t === '') return { valid: true, test: () => true }
  const m = /^(<=|>=|<|>|=|≤|≥)?\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)$/i.exec(t)
  if (m === null) return { valid: false, test: () => true }
  const x = Number(m[2])
  const op = m[1] ?? (higherIsBetter(tag) ? '>=' : '<=')
  const cmp: Record<string, (v: number) => boolean> = {
    '<': v => v < x, '<=': v => v <= x, '≤': v => v <= x, '>': v => v > x, '>=': v => v >= x, '≥': v => v >= x, '=': v => v === x
  }
  return { valid: true, test: cmp[op]! }
}

/** Which statistic the run list uses: the sort's, else the last value. */
export function listStat (app: AppState): MetricStat {
  return app.settings.runSort === 'metric-best' ? 'best' : 'last'
}

/** True when `run` passes the metric value filter (always when no metric or no filter is set). */
export function passesMetricFilter (app: AppState, run: string): boolean {
  const { runMetric, metricFilter } = app.settings
  if (runMetric === '' || metricFilter.trim() === '') return true
  const f = parseMetricFilter(metricFilter, runMetric)
  if (!f.valid) return true
  const v = runMetricValue(app, run, runMetric, listStat(app))
  return !Number.isNaN(v) && f.test(v)
}
