/**
 * The diagnosis scorer: matches the annotations a provider serves to labelled truth events, and
 * checks the de-smoothed columns against the raw losses. It reads the detector only through the
 * public provider interface (annotations(filter), columns(run, tag, opts)), so it scores whatever
 * detector is on the branch.
 *
 * Matching rules (the same for the corpus, the synthetic runs and the tests):
 * - Steps are on the step axis of the truth event's tag. `u` = the sorted distinct steps logged for
 *   that (tb_run, tag); i0 = the first index with u[i0] ≥ startStep (the first logged point that
 *   can show the event).
 * - Point-like events (spike, level-shift, non-finite, restart, and an lr-schedule step with
 *   startStep = endStep) are FOUND when an annotation of the same kind on that run/tag starts
 *   within ±2 logged points: u[i0−2] ≤ a.startStep ≤ u[i0+2] (clamped to the series).
 * - Gradual events (divergence, oscillation, plateau, overfitting, and an lr-schedule interval such
 *   as a warm-up) are FOUND when an annotation of the same kind overlaps the truth interval and
 *   starts in [u[i0 − max(2, ⌈L/4⌉)], endStep], L = logged points inside [startStep, endStep]:
 *   the start of a gradual change is fuzzy, so up to a quarter of its length early, or anywhere
 *   inside it late, counts.
 * - Severity: restart, lr-schedule and plateau count at any severity; every other kind needs
 *   warning or critical.
 * - Precision: a warning/critical annotation is TRUE when it has the kind of a truth event of the
 *   same series and overlaps that event's window [u[i0 − tolerance], max(endStep, u[i0+2])]; it is
 *   FALSE otherwise. Counted on series that carry a labelled event or are expect_clean; series the
 *   truth says nothing about (e.g. a validation loss that diverges too, unlabelled) are left out.
 * - False warnings per 10,000 clean points: warning/critical annotations on expect_clean series,
 *   per 10,000 logged points of those series.
 * - Cause ranks first: for a found event, the closest-starting matching annotation's causes[0]
 *   (cause + evidence text) must name the truth cause's family: the family whose keyword comes
 *   first in the truth cause (CAUSE_FAMILIES). The first family named in the annotation's cause
 *   text must be that family; and when the truth says the LR was changed by a factor or from x to y
 *   (raised, multiplied, x10, ->), the cause must also carry a number (the LR values from the LR
 *   series), not only a generic "learning-rate change, instability or data" list.
 */

import type { ScalarStore } from '../../server/store/scalar-store.js'
import type { Annotation, EnrichmentProvider } from '../../server/provider/enrichment.js'
import { type Truth, type TruthEvent, loggedOf } from './truth.js'

/** Cause families and the keywords that name them (case-insensitive). Order only breaks ties. */
export const CAUSE_FAMILIES: Record<string, RegExp> = {
  'learning rate': /learning[-_ ]?rate|\blr\b|\blr-|warm-?up|cosine|anneal|schedul|decay/i,
  gradient: /gradient|grad[-_ ]?norm/i,
  overflow: /overflow/i,
  overfitting: /overfit|memoris|memoriz|generalis|generaliz|fits the training/i,
  restart: /restart|fit\(\)|rewind|step counter|resum/i,
  'bad batch / data': /bad batch|bad data|corrupt|mislabel|outlier|\bdata\b|batches/i
}

/** The family named first in `text` (by position), or null. */
export function firstFamily (text: string): string | null {
  let best: string | null = null
  let at = Infinity
  for (const [fam, re] of Object.entries(CAUSE_FAMILIES)) {
    const m = re.exec(text)
    if (m !== null && m.index < at) { at = m.index; best = fam }
  }
  return best
}

/** True when the truth cause says the LR was changed by a stated amount (then the annotation must give numbers). */
export function truthNamesLrChange (cause: string): boolean {
  return firstFamily(cause) === 'learning rate' && /raised|multiplied|\bx\d|->|→|drops?\b/i.test(cause)
}

/** Whether annotation causes rank the truth's cause first (see the header). */
export function causeRanksFirst (truthCause: string, causes: Annotation['causes']): boolean {
  const want = firstFamily(truthCause)
  if (want === null) return true
  const c = causes[0]
  if (c === undefined) return false
  if (firstFamily(c.cause) !== want) return false
  if (truthNamesLrChange(truthCause) && !/\d/.test(c.cause + ' ' + c.evidence)) return false
  return true
}

const ANY_SEVERITY = new Set<string>(['restart', 'lr-schedule', 'plateau'])
const GRADUAL = new Set<string>(['divergence', 'oscillation', 'plateau', 'overfitting'])

export function isGradual (e: Pick<TruthEvent, 'kind' | 'startStep' | 'endStep'>): boolean {
  return GRADUAL.has(e.kind) || (e.kind === 'lr-schedule' && e.endStep > e.startStep)
}

function severityCounts (e: TruthEvent, a: Annotation): boolean {
  return ANY_SEVERITY.has(e.kind) || a.severity !== 'info'
}

/** The step window an annotation of the event's kind must start in, and the wider window a true alarm may overlap. */
/** Sorted distinct steps of a series (what {@link eventWindow} takes). */
export function distinctSteps (steps: ArrayLike<number>): number[] {
  return [...new Set(Array.from(steps))].sort((a, b) => a - b)
}

/** `u` = {@link distinctSteps} of the event's series. */
export function eventWindow (e: TruthEvent, u: readonly number[]): { startLo: number, startHi: number, overlapLo: number, overlapHi: number } {
  if (u.length === 0) return { startLo: e.startStep, startHi: e.endStep, overlapLo: e.startStep, overlapHi: e.endStep }
  let i0 = u.findIndex(s => s >= e.startStep)
  if (i0 < 0) i0 = u.length - 1
  const at = (i: number): number => u[Math.max(0, Math.min(u.length - 1, i))]!
  if (isGradual(e)) {
    const inside = u.filter(s => s >= e.startStep && s <= e.endStep).length
    const early = Math.max(2, Math.ceil(inside / 4))
    return { startLo: at(i0 - early), startHi: Math.max(e.endStep, at(i0 + 2)), overlapLo: at(i0 - early), overlapHi: Math.max(e.endStep, at(i0 + 2)) }
  }
  return { startLo: at(i0 - 2), startHi: at(i0 + 2), overlapLo: at(i0 - 2), overlapHi: Math.max(e.endStep, at(i0 + 2)) }
}

export interface EventResult {
  truth: TruthEvent
  /** Store run name (tb_run with the logdir prefix). */
  run: string
  found: boolean
  /** The matching annotation closest to the truth start, if any. */
  match: Annotation | null
  /** null when found is false. */
  causeFirst: boolean | null
  /** What was there instead, for the report: annotations of that series near the event. */
  near: string[]
}

export interface SeriesResult {
  run: string
  tag: string
  clean: boolean
  labelled: boolean
  points: number
  /** warning/critical annotations. */
  alarms: Annotation[]
  /** Of `alarms`, those that match no truth event of the series. */
  falseAlarms: Annotation[]
}

export interface DesmoothResult {
  run: string
  tag: string
  /** Points with desmoothedKind 0 and a finite bound that have a raw truth. */
  exactPoints: number
  maxRelErr: number
  /** max |error| / bound over those points (≤ 1 means within the bound). */
  maxErrOverBound: number
  /** Points whose error exceeds bound + float32 slack. */
  outsideBound: number
  /** Gap means (kind 1) with a finite bound, checked against the true batch-size-weighted mean of the gap (within its epoch). */
  gapPoints: number
  gapOutsideBound: number
  /** max |error| / bound over the gap means. */
  gapMaxErrOverBound: number
  /** Finite de-smoothed values out of their domain: a loss below 0, an accuracy outside [0, 1]. */
  impossible: number
  /** Epoch labels (≥ 0) that differ from the truth epoch; and points labelled −1. */
  wrongEpochs: number
  unknownEpochs: number
}

export interface TruthScore {
  truth: Truth
  events: EventResult[]
  series: SeriesResult[]
  desmooth: DesmoothResult[]
}

const COLS = { desmoothed: true, smoothed: false, smoothing: 0, desmooth: 'auto' as const }

/** Annotations of one series, through the public filter. */
function annotationsOf (p: EnrichmentProvider, run: string, tag: string): Annotation[] {
  return p.annotations({ run, tag }).filter(a => !a.tentative)
}

/** Logged steps of a series as the store holds them (file order), falling back to the truth's. */
function stepsOf (store: ScalarStore | null, t: Truth, run: string, tbRun: string, tag: string): number[] {
  const s = store?.runs.get(run)?.tags.get(tag)?.series
  if (s != null) return Array.from(s.columns().steps.subarray(0, s.length))
  return loggedOf(t, tbRun, tag)?.step ?? []
}

/**
 * Scores one truth file against a provider over a store that holds its runs. `prefix` is what the
 * logdir adds in front of tb_run (e.g. '' when the family folder is the logdir, 'keras/' for frameworks/).
 */
export function scoreTruth (p: EnrichmentProvider, store: ScalarStore | null, t: Truth, prefix = ''): TruthScore {
  const events: EventResult[] = []
  const byTag = new Map<string, { run: string, tbRun: string, tag: string, evs: TruthEvent[] }>()
  for (const e of t.events) {
    const k = e.tb_run + '\0' + e.tag
    if (!byTag.has(k)) byTag.set(k, { run: prefix + e.tb_run, tbRun: e.tb_run, tag: e.tag, evs: [] })
    byTag.get(k)!.evs.push(e)
  }
  for (const [tbRun, tags] of Object.entries(t.expect_clean)) {
    for (const tag of Object.keys(tags)) {
      const k = tbRun + '\0' + tag
      if (!byTag.has(k)) byTag.set(k, { run: prefix + tbRun, tbRun, tag, evs: [] })
    }
  }
  const series: SeriesResult[] = []
  for (const { run, tbRun, tag, evs } of byTag.values()) {
    const steps = stepsOf(store, t, run, tbRun, tag)
    const u = distinctSteps(steps)
    const anns = annotationsOf(p, run, tag)
    const windows = new Map(evs.map(e => [e, eventWindow(e, u)]))
    for (const e of evs) {
      const w = windows.get(e)!
      const cands = anns.filter(a => a.kind === e.kind && severityCounts(e, a) && a.startStep >= w.startLo && a.startStep <= w.startHi && a.endStep >= Math.min(e.startStep, w.startLo))
      cands.sort((a, b) => Math.abs(a.startStep - e.startStep) - Math.abs(b.startStep - e.startStep))
      const match = cands[0] ?? null
      const near = anns.filter(a => a.endStep >= w.overlapLo - 50 && a.startStep <= w.overlapHi + 50).map(a => `${a.kind}/${a.severity}@${a.startStep}-${a.endStep}`)
      events.push({ truth: e, run, found: match !== null, match, causeFirst: match === null ? null : causeRanksFirst(e.cause, match.causes), near })
    }
    const clean = t.expect_clean[tbRun]?.[tag] === true
    const alarms = anns.filter(a => a.severity !== 'info')
    const falseAlarms = alarms.filter(a => !evs.some(e => {
      if (a.kind !== e.kind) return false
      const w = windows.get(e)!
      return a.endStep >= w.overlapLo && a.startStep <= w.overlapHi
    }))
    series.push({ run, tag, clean, labelled: evs.length > 0, points: steps.length, alarms, falseAlarms })
  }
  return { truth: t, events, series, desmooth: desmoothChecks(p, store, t, prefix) }
}

/** Keras batch_* series of a truth with per-step raw losses: exactness, bounds, domain, epoch labels. */
export function desmoothChecks (p: EnrichmentProvider, store: ScalarStore | null, t: Truth, prefix = ''): DesmoothResult[] {
  const out: DesmoothResult[] = []
  const raw = t.steps.raw_loss
  const tbStep = t.steps.tb_step
  if (raw === undefined || tbStep === undefined) return out
  const fit = t.steps.fit_call ?? raw.map(() => 0)
  const bs = t.steps.batch_size ?? raw.map(() => 1)
  const epochOf = t.steps.epoch
  for (const l of t.logged) {
    if (!l.tag.startsWith('batch_') || l.truth_index === undefined) continue
    const run = prefix + l.tb_run
    const c = p.columns(run, l.tag, COLS)
    if (c.desmoothed === undefined) continue
    const steps = stepsOf(store, t, run, l.tb_run, l.tag)
    const r: DesmoothResult = { run, tag: l.tag, exactPoints: 0, maxRelErr: 0, maxErrOverBound: 0, outsideBound: 0, gapPoints: 0, gapOutsideBound: 0, gapMaxErrOverBound: 0, impossible: 0, wrongEpochs: 0, unknownEpochs: 0 }
    const isLoss = /loss/i.test(l.tag)
    const isAcc = /acc/i.test(l.tag)
    const aligned = steps.length === l.step.length && steps.every((s, i) => s === l.step[i])
    for (let i = 0; i < c.desmoothed.length; i++) {
      const v = c.desmoothed[i]!
      if (Number.isFinite(v) && ((isLoss && v < 0) || (isAcc && (v < 0 || v > 1)))) r.impossible++
      if (!aligned) continue
      const ti = l.truth_index[i]
      if (ti == null) continue
      const e = c.epoch?.[i]
      if (epochOf !== undefined && e !== undefined) {
        if (e < 0) r.unknownEpochs++
        else if (e !== epochOf[ti]) r.wrongEpochs++
      }
      if (!isLoss) continue
      const kind = c.desmoothedKind?.[i]
      const bound = c.desmoothedBound?.[i] ?? Infinity
      if (!Number.isFinite(bound) || !Number.isFinite(v)) continue
      let truthVal: number
      if (kind === 0) {
        truthVal = raw[ti]!
        r.exactPoints++
      } else if (kind === 1) {
        // Mean over the batches since the previous logged point of the same epoch of the same fit
        // (the API's definition, README "Inversion and bounds"): where the running mean reset inside
        // the gap, the logged value covers only the batches since the epoch start, and the batches
        // before it belong to the previous epoch, whose unlogged final mean nobody can recover.
        // The epoch start is the truth's (`epoch`), not the served segmentation.
        const prev = i > 0 && l.truth_index[i - 1] != null && fit[l.truth_index[i - 1]!] === fit[ti] ? l.truth_index[i - 1]! : -1
        const sameEpoch = (k: number): boolean => epochOf === undefined || epochOf[k] === epochOf[ti]
        let from = ti
        while (from - 1 > prev && fit[from - 1] === fit[ti] && tbStep[from - 1]! < tbStep[ti]! && sameEpoch(from - 1)) from--
        let sw = 0; let s = 0
        for (let k = from; k <= ti; k++) { sw += bs[k]!; s += bs[k]! * raw[k]! }
        truthVal = s / sw
        r.gapPoints++
      } else continue
      if (!Number.isFinite(truthVal)) continue
      const err = Math.abs(v - truthVal)
      const slack = 4 * 2 ** -23 * Math.abs(truthVal)
      if (kind === 0) {
        r.maxRelErr = Math.max(r.maxRelErr, err / Math.max(Math.abs(truthVal), 1e-12))
        if (bound > 0) r.maxErrOverBound = Math.max(r.maxErrOverBound, err / bound)
        else if (err > slack) r.maxErrOverBound = Infinity
        if (err > bound + slack) r.outsideBound++
      } else {
        if (bound > 0) r.gapMaxErrOverBound = Math.max(r.gapMaxErrOverBound, err / bound)
        else if (err > slack) r.gapMaxErrOverBound = Infinity
        if (err > bound + slack) r.gapOutsideBound++
      }
    }
    out.push(r)
  }
  return out
}

/** Counts impossible de-smoothed values on every series of a store (loss < 0, accuracy outside [0, 1]). */
export function impossibleValues (p: EnrichmentProvider, store: ScalarStore): { points: number, impossible: number, where: string[] } {
  let points = 0; let impossible = 0
  const where: string[] = []
  for (const [run, r] of store.runs) {
    for (const tag of r.tags.keys()) {
      const isLoss = /loss/i.test(tag)
      const isAcc = /acc/i.test(tag)
      if (!isLoss && !isAcc) continue
      const c = p.columns(run, tag, COLS)
      if (c.desmoothed === undefined) continue
      let bad = 0
      for (const v of c.desmoothed) {
        points++
        if (Number.isFinite(v) && ((isLoss && v < 0) || (isAcc && (v < 0 || v > 1)))) bad++
      }
      if (bad > 0) where.push(`${run}:${tag} ×${bad}`)
      impossible += bad
    }
  }
  return { points, impossible, where }
}

/** Aggregate of many scores, per truth kind, for the table. */
export interface KindStats {
  events: number
  found: number
  causeChecked: number
  causeFirst: number
  /** warning+ annotations of this annotation kind on scored series, and how many were true. */
  alarms: number
  trueAlarms: number
}

export interface Aggregate {
  perKind: Record<string, KindStats>
  cleanPoints: number
  cleanAlarms: number
  desmooth: { exactPoints: number, maxRelErr: number, maxErrOverBound: number, outsideBound: number, gapPoints: number, gapOutsideBound: number, gapMaxErrOverBound: number, impossible: number, wrongEpochs: number }
  misses: string[]
  falseAlarms: string[]
}

export function emptyAggregate (): Aggregate {
  return { perKind: {}, cleanPoints: 0, cleanAlarms: 0, desmooth: { exactPoints: 0, maxRelErr: 0, maxErrOverBound: 0, outsideBound: 0, gapPoints: 0, gapOutsideBound: 0, gapMaxErrOverBound: 0, impossible: 0, wrongEpochs: 0 }, misses: [], falseAlarms: [] }
}

function kindStats (agg: Aggregate, kind: string): KindStats {
  return (agg.perKind[kind] ??= { events: 0, found: 0, causeChecked: 0, causeFirst: 0, alarms: 0, trueAlarms: 0 })
}

/** Adds one score to an aggregate. Cause checks skip events on a gradient-norm series (the series is its own cause). */
export function addScore (agg: Aggregate, s: TruthScore): Aggregate {
  for (const e of s.events) {
    const k = kindStats(agg, e.truth.kind)
    k.events++
    if (e.found) {
      k.found++
      if (!/grad/i.test(e.truth.tag)) { k.causeChecked++; if (e.causeFirst === true) k.causeFirst++ }
    } else agg.misses.push(`${e.run}:${e.truth.tag} ${e.truth.kind} ${e.truth.startStep}-${e.truth.endStep} (near: ${e.near.join(', ') || 'nothing'})`)
  }
  for (const r of s.series) {
    // Series the truth says nothing about (an unlabelled ALARM series) are left out.
    if (!r.clean && !r.labelled) continue
    for (const a of r.alarms) {
      const k = kindStats(agg, a.kind)
      k.alarms++
      if (!r.falseAlarms.includes(a)) k.trueAlarms++
    }
    for (const a of r.falseAlarms) agg.falseAlarms.push(`${r.run}:${r.tag} ${a.kind}/${a.severity}@${a.startStep}-${a.endStep} ${a.causes[0]?.cause ?? ''}`)
    if (r.clean) { agg.cleanPoints += r.points; agg.cleanAlarms += r.alarms.length }
  }
  for (const d of s.desmooth) {
    const a = agg.desmooth
    a.exactPoints += d.exactPoints
    a.maxRelErr = Math.max(a.maxRelErr, d.maxRelErr)
    a.maxErrOverBound = Math.max(a.maxErrOverBound, d.maxErrOverBound)
    a.outsideBound += d.outsideBound
    a.gapPoints += d.gapPoints
    a.gapOutsideBound += d.gapOutsideBound
    a.gapMaxErrOverBound = Math.max(a.gapMaxErrOverBound, d.gapMaxErrOverBound)
    a.impossible += d.impossible
    a.wrongEpochs += d.wrongEpochs
  }
  return agg
}
