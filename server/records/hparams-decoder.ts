/**
 * The hparams plugin's session data in a buffer of TFRecords: the SessionStartInfo (hyper-parameter
 * values, group name, start time) and SessionEndInfo (status) that tf.summary's hparams API,
 * Keras' hparams callback and tensorboardX write as summaries whose metadata names plugin
 * "hparams". Pure: the logdir layer reads the bytes.
 */

import { TfRecordScanner } from './tfrecord-reader.js'
import { decodeEvent, decodeHParamsPluginData } from './proto.js'

export type HParamValue = number | string | boolean | null

export interface SessionHParams {
  hparams: Record<string, HParamValue>
  groupName: string
  startTime: number | null
  /** unknown | success | failure | running, when a SessionEndInfo was written. */
  status: string | null
  endTime: number | null
}

const STATUS = ['unknown', 'success', 'failure', 'running']
const NEEDLE = new TextEncoder().encode('hparams')

/** True when `needle` occurs in buf[start, end). */
function contains (buf: Uint8Array, start: number, end: number, needle: Uint8Array): boolean {
  const first = needle[0]!
  for (let i = buf.indexOf(first, start); i >= 0 && i + needle.length <= end; i = buf.indexOf(first, i + 1)) {
    let j = 1
    while (j < needle.length && buf[i + j] === needle[j]) j++
    if (j === needle.length) return true
  }
  return false
}

/** The hparams session data in `buf[0, len)` (whole records only), or null when there is none. */
export function sessionHParams (buf: Uint8Array, len: number): SessionHParams | null {
  let result: SessionHParams | null = null
  const scanner = new TfRecordScanner(true)
  scanner.scan(buf, len, 0, (b, start, end) => {
    // Cheap filter first: only records that mention the plugin are decoded.
    if (!contains(b, start, end, NEEDLE)) return
    try {
      const ev = decodeEvent(b.subarray(start, end))
      for (const v of ev.summary?.value ?? []) {
        const pd = v.metadata?.pluginData
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
  return result
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
