/**
 * Labelled truth for the diagnosis benchmark: the format of ../shared/corpus/frameworks/truth/*.json
 * (see its MANIFEST), which the synthetic generators (synth/) also produce.
 */

import { readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'

/** Truth kinds, exactly as the corpus names them. */
export type TruthKind = 'spike' | 'level-shift' | 'divergence' | 'non-finite' | 'oscillation' | 'plateau' | 'overfitting' | 'restart' | 'lr-schedule'
export const TRUTH_KINDS: TruthKind[] = ['spike', 'level-shift', 'divergence', 'non-finite', 'oscillation', 'plateau', 'overfitting', 'restart', 'lr-schedule']

export interface TruthEvent {
  kind: TruthKind
  /** On the step axis of `tag` in `tb_run` (what the event file says, not an optimizer step). */
  startStep: number
  endStep: number
  cause: string
  tb_run: string
  tag: string
  [extra: string]: unknown
}

/** Every scalar point read back from the files, per (tb_run, tag), in file order. */
export interface TruthLogged {
  tb_run: string
  tag: string
  step: number[]
  value: number[]
  /** Index into `steps` (null for epoch-level points). */
  truth_index?: Array<number | null>
}

export interface Truth {
  /** `<family>/<run>` (the corpus) or `synthetic/<framework>/<name>`. */
  run: string
  family: string
  tb_runs: string[]
  events: TruthEvent[]
  expect_clean: Record<string, Record<string, boolean>>
  /** Column arrays, one entry per optimizer step (raw_loss, batch_size, tb_step, fit_call, epoch, …). */
  steps: Record<string, number[]>
  logged: TruthLogged[]
  must_say?: string[]
  must_not_say?: string[]
  config?: Record<string, unknown>
}

/** JSON numbers, with the corpus' "NaN" / "Infinity" / "-Infinity" strings turned into numbers. */
function revive (_k: string, v: unknown): unknown {
  if (v === 'NaN') return NaN
  if (v === 'Infinity') return Infinity
  if (v === '-Infinity') return -Infinity
  return v
}

export function parseTruth (text: string): Truth {
  const t = JSON.parse(text, revive) as Truth
  for (const e of t.events) toFileAxis(t, e)
  return t
}

/**
 * An event whose `step_axis` is the epoch index while the file steps are not (Lightning's
 * `train_loss_epoch` is written at the last global step of each epoch) is moved onto the file's
 * axis: epoch k is the k-th logged point.
 */
function toFileAxis (t: Truth, e: TruthEvent): void {
  if (typeof e.step_axis !== 'string' || !/epoch index/.test(e.step_axis)) return
  const steps = t.logged.find(l => l.tb_run === e.tb_run && l.tag === e.tag)?.step
  if (steps === undefined || steps.every((s, k) => s === k)) return
  const at = (k: number): number => steps[Math.min(steps.length - 1, Math.max(0, k))]!
  e.startStep = at(e.startStep)
  e.endStep = at(e.endStep)
}

/** Every truth file of a frameworks-style corpus directory (`<dir>/truth/<family>__<run>.json`), sorted by name. */
export function readTruthDir (dir: string): Truth[] {
  const td = path.join(dir, 'truth')
  return readdirSync(td).filter(f => f.endsWith('.json')).sort().map(f => parseTruth(readFileSync(path.join(td, f), 'utf8')))
}

/** The logged points of one series, or undefined. */
export function loggedOf (t: Truth, tbRun: string, tag: string): TruthLogged | undefined {
  return t.logged.find(l => l.tb_run === tbRun && l.tag === tag)
}
