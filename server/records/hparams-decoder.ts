/**
 * Hyper-parameters in a buffer of TFRecords:
 * - the hparams plugin's session data: the SessionStartInfo (hyper-parameter values, group name,
 *   start time) and SessionEndInfo (status) that tf.summary's hparams API, Keras' hparams callback,
 *   tensorboardX / PyTorch `add_hparams` and Lightning write as summaries whose metadata names
 *   plugin "hparams";
 * - configs logged as text: a text-plugin summary whose string is a JSON object, as Hugging Face's
 *   TensorBoardCallback writes `args` (TrainingArguments) and `model_config` with `add_text`
 *   (tags `args/text_summary`, `model_config/text_summary`). Its keys are flattened under the tag
 *   without the `/text_summary` suffix: `args.learning_rate`, `model_config.n_layer`.
 * Pure: the logdir layer reads the bytes.
 */

import { TfRecordScanner } from './tfrecord-reader.js'
import { decodeEvent, decodeHParamsPluginData } from './proto.js'
import { parseJsonConfig, type HParamValue } from './config-flatten.js'

export type { HParamValue }

export interface SessionHParams {
  hparams: Record<string, HParamValue>
  groupName: string
  startTime: number | null
  /** unknown | success | failure | running, when a SessionEndInfo was written. */
  status: string | null
  endTime: number | null
}

/** What one event file says about hyper-parameters. */
export interface FileHParamsData {
  /** The hparams plugin's session data; null when the file has none. */
  session: SessionHParams | null
  /** Flattened JSON configs logged as text (later values of a name win); null when there are none. */
  config: Record<string, HParamValue> | null
}

const STATUS = ['unknown', 'success', 'failure', 'running']
const NEEDLE = new TextEncoder().encode('hparams')
/** PluginData.plugin_name = "text" as it is on the wire (field 1, length 4, the word). */
const TEXT_NEEDLE = new Uint8Array([0x0a, 0x04, ...new TextEncoder().encode('text')])
const utf8 = new TextDecoder('utf-8', { fatal: false })

/**
 * Start offsets of `needle` in buf[0, len), ascending: one native search over the buffer, so that
 * the per-record filter costs nothing where the needle is rare (a search per record could scan
 * past its record to the next occurrence, quadratic over a file).
 */
function occurrences (buf: Uint8Array, len: number, needle: Uint8Array): number[] {
  const b = Buffer.from(buf.buffer, buf.byteOffset, len)
  const out: number[] = []
  for (let i = b.indexOf(needle); i >= 0 && i + needle.length <= len; i = b.indexOf(needle, i + 1)) out.push(i)
  return out
}

/** Whether one of `at` (ascending) lies in [start, end - n]; `cursor.i` only moves forward, as records do. */
function within (at: number[], cursor: { i: number }, start: number, end: number, n: number): boolean {
  while (cursor.i < at.length && at[cursor.i]! < start) cursor.i++
  return cursor.i < at.length && at[cursor.i]! + n <= end
}

/** The hparams session data and text configs in `buf[0, len)` (whole records only). */
export function fileHParams (buf: Uint8Array, len: number): FileHParamsData {
  let result: SessionHParams | null = null
  let config: Record<string, HParamValue> | null = null
  const hp = occurrences(buf, len, NEEDLE); const hpAt = { i: 0 }
  const text = occurrences(buf, len, TEXT_NEEDLE); const textAt = { i: 0 }
  if (hp.length === 0 && text.length === 0) return { session: null, config: null }
  const scanner = new TfRecordScanner(true)
  scanner.scan(buf, len, 0, (b, start, end) => {
    // Cheap filter first: only records that mention one of the plugins are decoded.
    const mentions = within(hp, hpAt, start, end, NEEDLE.length)
    if (!within(text, textAt, start, end, TEXT_NEEDLE.length) && !mentions) return
    try {
      const ev = decodeEvent(b.subarray(start, end))
      for (const v of ev.summary?.value ?? []) {
        const pd = v.metadata?.pluginData
        if (pd?.pluginName === 'text') {
          const got = textConfig(v)
          if (got !== null) config = Object.assign(config ?? {}, got)
          continue
        }
        if (pd?.pluginName !== 'hparams' || pd.content === undefined) continue
        const data = decodeHParamsPluginData(pd.content)
        result ??= { hparams: {}, groupName: '', startTime: null, status: null, endTime: null }
        if (data.sessionStartInfo !== undefined && data.sessionStartInfo !== null) {
          const s = data.sessionStartInfo
          for (const [k, val] of Object.entries(s.hparams ?? {})) result.hparams[k] = plainValue(val as Record<string, unknown>)
          if (s.groupName) result.groupName = s.groupName
          if (s.startTimeSecs) result.startTime = s.startTimeSecs
        }
        if (data.sessionEndInfo !== undefined && data.sessionEndInfo !== null) {
          result.status = STATUS[data.sessionEndInfo.status ?? 0] ?? 'unknown'
          if (data.sessionEndInfo.endTimeSecs) result.endTime = data.sessionEndInfo.endTimeSecs
        }
      }
    } catch { /* a record that is not a decodable event: not ours to report (the scalar pass does) */ }
  }, () => undefined)
  return { session: result, config }
}

/** The hparams session data in `buf[0, len)` (whole records only), or null when there is none. */
export function sessionHParams (buf: Uint8Array, len: number): SessionHParams | null {
  return fileHParams(buf, len).session
}

/** A text summary's JSON-object config, flattened under its tag; null for other text. */
function textConfig (v: { tag?: string, tensor?: { stringVal?: Uint8Array[] } | null }): Record<string, HParamValue> | null {
  const strings = v.tensor?.stringVal ?? []
  // add_text writes one string (a scalar string tensor); a table of strings is not a config.
  if (strings.length !== 1) return null
  const prefix = (v.tag ?? '').replace(/\/text_summary$/, '')
  return parseJsonConfig(utf8.decode(strings[0]), prefix === '' ? '' : `${prefix}.`)
}

/** A google.protobuf.Value as JSON; the oneof's virtual `kind` says which field was set (the others read as defaults). */
function plainValue (v: Record<string, unknown>): HParamValue {
  switch (v.kind) {
    case 'numberValue': return v.numberValue as number
    case 'stringValue': return v.stringValue as string
    case 'boolValue': return v.boolValue as boolean
    default: return null
  }
}
