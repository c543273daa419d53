/**
 * The field numbers, wire keys and enum values the hand-written decoder reads, taken from
 * proto/event.proto through protobufjs reflection, once, when this module loads. The decoder
 * imports them as module constants, so its hot loop compares against plain numbers; the schema
 * stays the one source of truth for the wire format.
 */

import { root } from './proto.js'

/** Protobuf wire types. */
export const WT_VARINT = 0
export const WT_I64 = 1
export const WT_LEN = 2
export const WT_I32 = 5

interface ReflectedField { id: number, type: string, repeated: boolean }
interface ReflectedType { fields: Record<string, ReflectedField> }

/** protobufjs loads names in camelCase: `wall_time` is `wallTime`. */
function camel (name: string): string {
  return name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase())
}

/**
 * Field number of `message.field`, checked against the protobuf type the decoder reads it as (so a
 * schema change that would change the wire type fails at start-up instead of misreading bytes).
 */
function field (message: string, name: string, type: string): number {
  const t = root.lookupType(`lossboard.${message}`) as unknown as ReflectedType
  const f = t.fields[camel(name)]
  if (f === undefined) throw new Error(`proto/event.proto: ${message} has no field ${name}`)
  if (f.type !== type && !f.type.endsWith(`.${type}`) && f.type !== type.split('.').pop()) {
    throw new Error(`proto/event.proto: ${message}.${name} is ${f.type}, the decoder reads ${type}`)
  }
  return f.id
}

function enumValue (name: string, value: string): number {
  const v = root.lookupEnum(`lossboard.${name}`).values[value]
  if (v === undefined) throw new Error(`proto/event.proto: ${name} has no value ${value}`)
  return v
}

/** A field's key (tag) as it appears on the wire: (number << 3) | wire type. */
export function key (fieldNumber: number, wireType: number): number {
  return ((fieldNumber << 3) | wireType) >>> 0
}

// Event
export const EVENT_WALL_TIME = field('Event', 'wall_time', 'double')
export const EVENT_STEP = field('Event', 'step', 'int64')
export const EVENT_FILE_VERSION = field('Event', 'file_version', 'string')
export const EVENT_GRAPH_DEF = field('Event', 'graph_def', 'bytes')
export const EVENT_SUMMARY = field('Event', 'summary', 'Summary')
export const EVENT_SESSION_LOG = field('Event', 'session_log', 'SessionLog')
export const EVENT_TAGGED_RUN_METADATA = field('Event', 'tagged_run_metadata', 'TaggedRunMetadata')
export const EVENT_META_GRAPH_DEF = field('Event', 'meta_graph_def', 'bytes')
// SessionLog
export const SESSION_LOG_STATUS = field('SessionLog', 'status', 'SessionStatus')
export const SESSION_STATUS_START = root.lookupEnum('lossboard.SessionLog.SessionStatus').values.START!
// Summary and Summary.Value
export const SUMMARY_VALUE = field('Summary', 'value', 'Value')
export const VALUE_TAG = field('Summary.Value', 'tag', 'string')
export const VALUE_SIMPLE_VALUE = field('Summary.Value', 'simple_value', 'float')
export const VALUE_OLD_HISTOGRAM = field('Summary.Value', 'obsolete_old_style_histogram', 'bytes')
export const VALUE_IMAGE = field('Summary.Value', 'image', 'Image')
export const VALUE_HISTO = field('Summary.Value', 'histo', 'HistogramProto')
export const VALUE_AUDIO = field('Summary.Value', 'audio', 'Audio')
export const VALUE_TENSOR = field('Summary.Value', 'tensor', 'TensorProto')
export const VALUE_METADATA = field('Summary.Value', 'metadata', 'SummaryMetadata')
// SummaryMetadata
export const METADATA_PLUGIN_DATA = field('SummaryMetadata', 'plugin_data', 'PluginData')
export const PLUGIN_DATA_PLUGIN_NAME = field('SummaryMetadata.PluginData', 'plugin_name', 'string')
export const METADATA_DISPLAY_NAME = field('SummaryMetadata', 'display_name', 'string')
export const METADATA_DESCRIPTION = field('SummaryMetadata', 'summary_description', 'string')
export const METADATA_DATA_CLASS = field('SummaryMetadata', 'data_class', 'DataClass')
// TensorProto and its shape
export const TENSOR_DTYPE = field('TensorProto', 'dtype', 'DataType')
export const TENSOR_SHAPE = field('TensorProto', 'tensor_shape', 'TensorShapeProto')
export const TENSOR_CONTENT = field('TensorProto', 'tensor_content', 'bytes')
export const TENSOR_FLOAT_VAL = field('TensorProto', 'float_val', 'float')
export const TENSOR_DOUBLE_VAL = field('TensorProto', 'double_val', 'double')
export const TENSOR_INT_VAL = field('TensorProto', 'int_val', 'int32')
export const TENSOR_STRING_VAL = field('TensorProto', 'string_val', 'bytes')
export const TENSOR_SCOMPLEX_VAL = field('TensorProto', 'scomplex_val', 'float')
export const TENSOR_INT64_VAL = field('TensorProto', 'int64_val', 'int64')
export const TENSOR_BOOL_VAL = field('TensorProto', 'bool_val', 'bool')
export const TENSOR_DCOMPLEX_VAL = field('TensorProto', 'dcomplex_val', 'double')
export const TENSOR_HALF_VAL = field('TensorProto', 'half_val', 'int32')
export const TENSOR_UINT32_VAL = field('TensorProto', 'uint32_val', 'uint32')
export const TENSOR_UINT64_VAL = field('TensorProto', 'uint64_val', 'uint64')
export const SHAPE_DIM = field('TensorShapeProto', 'dim', 'Dim')
export const DIM_SIZE = field('TensorShapeProto.Dim', 'size', 'int64')

/** DataType enum values. */
export const DT_FLOAT = enumValue('DataType', 'DT_FLOAT')
export const DT_DOUBLE = enumValue('DataType', 'DT_DOUBLE')
export const DT_INT32 = enumValue('DataType', 'DT_INT32')
export const DT_UINT8 = enumValue('DataType', 'DT_UINT8')
export const DT_INT16 = enumValue('DataType', 'DT_INT16')
export const DT_INT8 = enumValue('DataType', 'DT_INT8')
export const DT_INT64 = enumValue('DataType', 'DT_INT64')
export const DT_BOOL = enumValue('DataType', 'DT_BOOL')
export const DT_BFLOAT16 = enumValue('DataType', 'DT_BFLOAT16')
export const DT_UINT16 = enumValue('DataType', 'DT_UINT16')
export const DT_HALF = enumValue('DataType', 'DT_HALF')
export const DT_UINT32 = enumValue('DataType', 'DT_UINT32')
export const DT_UINT64 = enumValue('DataType', 'DT_UINT64')

/** Wire keys the decoder switches on. */
export const K_WALL_TIME = key(EVENT_WALL_TIME, WT_I64)
export const K_STEP = key(EVENT_STEP, WT_VARINT)
export const K_SUMMARY = key(EVENT_SUMMARY, WT_LEN)
export const K_SUMMARY_VALUE = key(SUMMARY_VALUE, WT_LEN)
export const K_VALUE_TAG = key(VALUE_TAG, WT_LEN)
export const K_VALUE_SIMPLE = key(VALUE_SIMPLE_VALUE, WT_I32)
export const K_VALUE_TENSOR = key(VALUE_TENSOR, WT_LEN)
export const K_VALUE_METADATA = key(VALUE_METADATA, WT_LEN)
export const K_VALUE_OLD_HISTOGRAM = key(VALUE_OLD_HISTOGRAM, WT_LEN)
export const K_VALUE_IMAGE = key(VALUE_IMAGE, WT_LEN)
export const K_VALUE_HISTO = key(VALUE_HISTO, WT_LEN)
export const K_VALUE_AUDIO = key(VALUE_AUDIO, WT_LEN)
export const K_SESSION_STATUS = key(SESSION_LOG_STATUS, WT_VARINT)
export const K_PLUGIN_DATA = key(METADATA_PLUGIN_DATA, WT_LEN)
export const K_PLUGIN_NAME = key(PLUGIN_DATA_PLUGIN_NAME, WT_LEN)
export const K_DISPLAY_NAME = key(METADATA_DISPLAY_NAME, WT_LEN)
export const K_DESCRIPTION = key(METADATA_DESCRIPTION, WT_LEN)
export const K_DATA_CLASS = key(METADATA_DATA_CLASS, WT_VARINT)
export const K_TENSOR_DTYPE = key(TENSOR_DTYPE, WT_VARINT)
export const K_TENSOR_SHAPE = key(TENSOR_SHAPE, WT_LEN)
export const K_TENSOR_CONTENT = key(TENSOR_CONTENT, WT_LEN)
export const K_TENSOR_FLOAT_VAL = key(TENSOR_FLOAT_VAL, WT_LEN)
export const K_SHAPE_DIM = key(SHAPE_DIM, WT_LEN)
export const K_DIM_SIZE = key(DIM_SIZE, WT_VARINT)

// The scalar fast path matches keys and the DT_FLOAT dtype as single bytes.
for (const [name, k] of Object.entries({ K_WALL_TIME, K_STEP, K_SUMMARY, K_SUMMARY_VALUE, K_VALUE_TAG, K_VALUE_SIMPLE, K_VALUE_TENSOR, K_VALUE_METADATA, K_TENSOR_DTYPE, K_TENSOR_SHAPE, K_TENSOR_CONTENT, K_TENSOR_FLOAT_VAL, DT_FLOAT })) {
  if (k > 0x7f) throw new Error(`proto/event.proto: ${name} = ${k} no longer fits the decoder's one-byte fast path`)
}
