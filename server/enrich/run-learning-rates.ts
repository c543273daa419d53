/** The learning-rate trackers of one run, shared by the analyses of all its series (each LR series is followed once per run, not once per analysed series). */

import { LrStepTracker, type LrChange } from './causes.js'
import { LrScheduleTracker } from './lr-schedule.js'
import type { LoggedSeries } from './logged-series.js'

interface Followed<T> { series: LoggedSeries, tracker: T }

export class RunLearningRates {
  private readonly steps = new Map<string, Followed<LrStepTracker>>()
  private readonly schedules = new Map<string, Followed<LrScheduleTracker>>()

  /** The changes of the per-step learning-rate series `lrTag`, brought up to date with `series`. */
  stepChanges (lrTag: string, series: LoggedSeries): LrChange[] {
    let f = this.steps.get(lrTag)
    // A new series object under the same tag (the run was reloaded) is followed from its start.
    if (f === undefined || f.series !== series) { f = { series, tracker: new LrStepTracker(lrTag) }; this.steps.set(lrTag, f) }
    const c = series.columns()
    f.tracker.update(c.steps, c.values, series.length)
    return f.tracker.changes
  }

  /** The schedule phases of the learning-rate series `lrTag`, brought up to date with `series`. */
  schedule (lrTag: string, series: LoggedSeries): LrScheduleTracker {
    let f = this.schedules.get(lrTag)
    if (f === undefined || f.series !== series) { f = { series, tracker: new LrScheduleTracker(lrTag) }; this.schedules.set(lrTag, f) }
    const c = series.columns()
    f.tracker.update(c.steps, c.values, series.length)
    return f.tracker
  }

  /** Every schedule tracker followed so far, in the order they were first asked for. */
  scheduleTrackers (): Iterable<LrScheduleTracker> {
    return [...this.schedules.values()].map(f => f.tracker)
  }
}
