/**
 * Hyper-parameters per run (the hparams plugin's session data, JSON configs logged as text,
 * Lightning's hparams.yaml) beside each session's metrics:
 * the last, smallest and largest value of every scalar tag of the session's run and of the runs
 * under it (Keras writes `<session>/train`, `<session>/validation`), as /api/v1/hparams serves them.
 */

import type { ScalarStore } from '../store/scalar-store.js'
import { isScalarTag } from '../store/scalar-store.js'

export type HParamValue = number | string | boolean | null

/** One event file's hyper-parameters, as the logdir layer's reader returns them. */
export interface FileHParams {
  /** The hparams plugin's session data; null when the file has none. */
  session: { hparams: Record<string, HParamValue>, groupName: string, startTime: number | null, status: string | null } | null
  /** Flattened JSON configs logged as text summaries (HF Trainer's `args`, `model_config`); null when none. */
  config: Record<string, HParamValue> | null
}

/** Reads one event file of a run (named as the store lists it); injected by the app. */
export type HParamsFileReader = (run: string, file: string) => Promise<FileHParams | null>

/** Where a hyper-parameter value comes from. */
export type HParamSource = 'hparams-plugin' | 'text-config' | 'hparams-yaml'

export interface MetricSummary { last: number | null, lastStep: number | null, min: number | null, max: number | null }

export interface HParamsSessionDto {
  run: string
  hparams: Record<string, HParamValue>
  /** The source of each value of `hparams`, by name. */
  sources: Record<string, HParamSource>
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
export type HParamsYamlReader = (run: string) => Promise<Record<string, HParamValue> | null>

interface Found {
  hparams: Record<string, HParamValue>
  sources: Record<string, HParamSource>
  groupName: string
  startTime: number | null
  status: string | null
}

/**
 * Sessions of the logdir: every run one of whose event files carries hparams session data or a
 * JSON config logged as text, and every other run with a Lightning `hparams.yaml`. On a name
 * given twice the plugin data wins over a text config; the yaml is read only for runs without
 * plugin data (Lightning logs the same values to both, with other separators).
 */
export async function hparamsTable (store: ScalarStore, read: HParamsFileReader, readYaml?: HParamsYamlReader): Promise<HParamsDto> {
  const runs = [...store.runs].map(([name, r]) => ({ name, files: r.files.map(f => f.file) }))
  const found = await Promise.all(runs.map(async r => await runHParams(r.name, r.files, read, readYaml)))
  const sessions: HParamsSessionDto[] = []
  for (const [i, f] of found.entries()) {
    if (f === null) continue
    const name = runs[i]!.name
    sessions.push({ run: name, hparams: f.hparams, sources: f.sources, groupName: f.groupName, startTime: f.startTime, status: f.status, metrics: sessionMetrics(store, name) })
  }
  sessions.sort((a, b) => a.run < b.run ? -1 : a.run > b.run ? 1 : 0)
  const hp = new Set<string>(); const mt = new Set<string>()
  for (const s of sessions) { for (const k of Object.keys(s.hparams)) hp.add(k); for (const k of Object.keys(s.metrics)) mt.add(k) }
  return { hparams: [...hp].sort(), metrics: [...mt].sort(), sessions }
}

async function runHParams (run: string, files: string[], read: HParamsFileReader, readYaml?: HParamsYamlReader): Promise<Found | null> {
  const plugin: Found = { hparams: {}, sources: {}, groupName: '', startTime: null, status: null }
  const text: Record<string, HParamValue> = {}
  let hasPlugin = false; let hasText = false
  for (const file of files) {
    const got = await read(run, file)
    if (got === null) continue
    if (got.config !== null) { hasText = true; Object.assign(text, got.config) }
    const s = got.session
    if (s === null) continue
    hasPlugin = true
    Object.assign(plugin.hparams, s.hparams)
    plugin.groupName ||= s.groupName
    plugin.startTime ??= s.startTime
    plugin.status = s.status ?? plugin.status
  }
  const yaml = hasPlugin ? null : (await readYaml?.(run)) ?? null
  if (!hasPlugin && !hasText && yaml === null) return null
  const out: Found = { ...plugin, hparams: {}, sources: {} }
  // Lowest precedence first: each layer overwrites the names it shares with those below.
  const layers: Array<[Record<string, HParamValue> | null, HParamSource]> = [[yaml, 'hparams-yaml'], [text, 'text-config'], [plugin.hparams, 'hparams-plugin']]
  for (const [values, source] of layers) {
    for (const [k, v] of Object.entries(values ?? {})) { out.hparams[k] = v; out.sources[k] = source }
  }
  return out
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
