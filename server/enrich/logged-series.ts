/** A logged series as the analysis reads it: the shape of the store's series, without depending on the store. */

import type { SeriesData } from './desmooth-types.js'
import type { RestartPoint } from './restart-events.js'

export interface LoggedSeries {
  /** Points logged so far. */
  readonly length: number
  /** Changes with every append: an unchanged version means nothing new to analyse. */
  readonly version: number
  /** Where the step counter went back (a writer restarted), in arrival order. */
  readonly restarts: readonly RestartPoint[]
  /** The columns, `length` points each. */
  columns (): { steps: ArrayLike<number>, wallTimes: ArrayLike<number>, values: ArrayLike<number> }
}

/** The series as the de-smoothing reads it. */
export function seriesData (s: LoggedSeries): SeriesData {
  const c = s.columns()
  return { length: s.length, steps: c.steps, wallTimes: c.wallTimes, values: c.values, restarts: s.restarts }
}
