/**
 * Hyper-parameters per run (the hparams plugin's session data) beside each session's metrics:
 * the last, smallest and largest value of every scalar tag of the session's run and of the runs
 * under it (Keras writes `<session>/train`, `<session>/validation`), as /api/v1/hparams serves them.
 */

import type { ScalarStore } from '../store/scalar-store.js'
import { isScalarTag } from '../store/scalar-store.js'

export type HParamValue = number | string | boolean | null

/** One event file's hparams session data, as the logdir layer's reader returns it. */
export interface FileHParams { hparams: Record<string, HParamValue>, groupName: string, startTime: number | null, status: string | null }

/** Reads a file (named as the store lists it, relative to the logdir); injected by the app. */
export type HParamsFileReader = (file: string) => FileHParams | null

export interface MetricSummary { last: number | null, lastStep: number | null, min: number | null, max: number | null }

export interface HParamsSessionDto {
  run: string
  hparams: Record<string, HParamValue>
  groupName: string
  startTime: number | null
  status: string | null
  /** Metric name: the tag, prefixed by the sub-run below the session (`validation/epoch_loss`). */
  metrics: Record<string, MetricSummary>
}

export interface HParamsDto {
  /** Every hyper-parameter name and metric name, sorted, for table columns. */
  hparams: string[]
  metrics: string[]
  sessions: HParamsSessionDto[]
}

const finite = (v: number): number | null => Number.isFinite(v) ? v : null

/** Reads a run's Lightning `hparams.yaml` (flattened), or null; injected by the app. */
export type HParamsYamlReader = (run: string) => Record<string, HParamValue> | null

/**
 * Sessions of the logdir: every run one of whose event files carries hparams session data, and
 * every other run with a Lightning `hparams.yaml` (the plugin data wins when a run has both).
 */
export function hparamsTable (store: ScalarStore, read: HParamsFileReader, readYaml?: HParamsYamlReader): HParamsDto {
  const sessions: HParamsSessionDto[] = []
  for (const [name, r] of store.runs) {
    let found: FileHParams | null = null
    for (const f of r.files) {
      const got = read(f.file)
      if (got === null) continue
      found ??= { hparams: {}, groupName: '', startTime: null, status: null }
      Object.assign(found.hparams, got.hparams)
      found.groupName ||= got.groupName
      found.startTime ??= got.startTime
      found.status = got.status ?? found.status
    }
    if (found === null) {
      const yaml = readYaml?.(name) ?? null
      if (yaml !== null) found = { hparams: yaml, groupName: '', startTime: null, status: null }
    }
    if (found === null) continue
    sessions.push({ run: name, hparams: found.hparams, groupName: found.groupName, startTime: found.startTime, status: found.status, metrics: sessionMetrics(store, name) })
  }
  sessions.sort((a, b) => a.run < b.run ? -1 : a.run > b.run ? 1 : 0)
  const hp = new Set<string>(); const mt = new Set<string>()
  for (const s of sessions) { for (const k of Object.keys(s.hparams)) hp.add(k); for (const k of Object.keys(s.metrics)) mt.add(k) }
  return { hparams: [...hp].sort(), metrics: [...mt].sort(), sessions }
}

function sessionMetrics (store: ScalarStore, session: string): Record<string, MetricSummary> {
  const out: Record<string, MetricSummary> = {}
  for (const [name, r] of store.runs) {
    if (name !== session && !name.startsWith(`${session}/`)) continue
    const sub = name === session ? '' : `${name.slice(session.length + 1)}/`
    for (const t of r.tags.values()) {
      if (!isScalarTag(t) || t.series === null || t.series.length === 0) continue
      const { steps, values } = t.series.columns()
      let min = Infinity; let max = -Infinity; let last = NaN; let lastStep = NaN
      for (let i = 0; i < values.length; i++) {
        const v = values[i]!
        if (!Number.isFinite(v)) continue
        if (v < min) min = v
        if (v > max) max = v
        last = v
        lastStep = steps[i]!
      }
      out[`${sub}${t.name}`] = { last: finite(last), lastStep: finite(lastStep), min: finite(min), max: finite(max) }
    }
  }
  return out
}
