/** Vocabulary shared by every layer: run and tag names, points, restarts. A leaf: imports nothing. */

/** A run's name: its directory relative to the logdir, `/`-separated, `.` for the logdir itself. */
export type RunName = string
/** A series' name inside a run. */
export type TagName = string

/** Where a series went back in step, or a writer restarted, as recorded by the store. */
export interface Restart {
  /** Index of the first point after the restart, in the series' arrival order. */
  index: number
  /** Step of that first point. */
  step: number
  /** Step of the last point before it. */
  previousStep: number
  /** Wall time (float seconds) of the first point after the restart. */
  wallTime: number
  /** Event file (relative to the logdir) that holds the first point after the restart. */
  file: string
  /** What showed the restart. */
  reason: 'step-regression' | 'session-start'
}

/** Source encoding of a scalar, kept so that the API can say how a value was stored. */
export type ScalarDtype = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int' | 'bool'
