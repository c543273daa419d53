/** Loads proto/event.proto once with protobufjs. The only file that imports protobufjs. */

import protobuf from 'protobufjs'
import path from 'node:path'
import { PACKAGE_ROOT } from '../locations.js'

/** proto/event.proto, whether we run from server/ (tsx) or dist/server/ (compiled). */
function protoPath (): string {
  return path.join(PACKAGE_ROOT, 'proto', 'event.proto')
}

/** The reflected schema; `Event`, `Summary`, `TensorProto`, … resolved under package `lossboard`. */
export const root = protobuf.loadSync(protoPath())
export const EventType = root.lookupType('lossboard.Event')
export const TensorProtoType = root.lookupType('lossboard.TensorProto')
export const SummaryType = root.lookupType('lossboard.Summary')

/** Long-or-number as protobufjs yields int64 fields; converted once, here. */
export type LongLike = number | { low: number, high: number, unsigned?: boolean, toNumber (): number }

/** Converts a protobufjs int64 value to a JS number (exact up to 2^53). */
export function longToNumber (v: LongLike | null | undefined): number {
  if (v == null) return 0
  if (typeof v === 'number') return v
  return v.toNumber()
}

/** Serialises a plain Event object (protobufjs field names in camelCase) to wire bytes. */
export function encodeEvent (event: Record<string, unknown>): Uint8Array {
  const err = EventType.verify(event)
  if (err) throw new Error(`invalid Event: ${err}`)
  return EventType.encode(EventType.fromObject(event)).finish()
}

/** Decodes a whole Event with the reflected schema (slow path); throws on malformed bytes. */
export function decodeEvent (bytes: Uint8Array): protobuf.Message & Record<string, any> {
  return EventType.decode(bytes) as protobuf.Message & Record<string, any>
}

export { protobuf }

/** proto/hparams.proto: the hparams plugin's SessionStartInfo/SessionEndInfo, read from summary plugin data. */
const hparamsRoot = protobuf.loadSync(protoPath().replace(/event\.proto$/, 'hparams.proto'))
export const HParamsPluginDataType = hparamsRoot.lookupType('lossboard.hparams.HParamsPluginData')

/** Decodes the content of an "hparams" plugin_data; throws on malformed bytes. */
export function decodeHParamsPluginData (bytes: Uint8Array): protobuf.Message & Record<string, any> {
  return HParamsPluginDataType.decode(bytes) as protobuf.Message & Record<string, any>
}

/** Encodes an HParamsPluginData from a plain object (our writer, for tests and demos). */
export function encodeHParamsPluginData (data: Record<string, unknown>): Uint8Array {
  const err = HParamsPluginDataType.verify(data)
  if (err) throw new Error(`invalid HParamsPluginData: ${err}`)
  return HParamsPluginDataType.encode(HParamsPluginDataType.fromObject(data)).finish()
}
