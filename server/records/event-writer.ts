/** Writes TensorBoard event files: protobufjs-encoded Events in TFRecord framing, byte-compatible with TB's writers. */

import { encodeEvent } from './proto.js'
import { maskedCrc32c } from './masked-crc.js'

/** Options that deliberately break a record, for tests of the reader. */
export interface FrameOptions {
  corruptLengthCrc?: boolean
  corruptDataCrc?: boolean
}

/** Frames one payload as a TFRecord: u64 length, masked CRC of it, payload, masked CRC of payload. */
export function frameRecord (payload: Uint8Array, opts: FrameOptions = {}): Uint8Array {
  const out = new Uint8Array(16 + payload.length)
  const dv = new DataView(out.buffer)
  dv.setBigUint64(0, BigInt(payload.length), true)
  dv.setUint32(8, (maskedCrc32c(out, 0, 8) ^ (opts.corruptLengthCrc ? 1 : 0)) >>> 0, true)
  out.set(payload, 12)
  dv.setUint32(12 + payload.length, (maskedCrc32c(payload) ^ (opts.corruptDataCrc ? 1 : 0)) >>> 0, true)
  return out
}

/** How a scalar is encoded in Summary.Value, as the various writers do (EVENT_FORMAT.md §3). */
export type ScalarEncoding =
  | 'simple_value' // TF1, PyTorch, tensorboardX
  | 'tensor_content' // TF2 tf.summary.scalar / Keras: DT_FLOAT, 4 LE bytes
  | 'float_val' // tensorboard.summary.Writer, torch new_style
  | 'double_val' // torch double_precision
  | 'int64_val'

export interface ScalarValue {
  tag: string
  value: number
  encoding?: ScalarEncoding
  /** Attach `plugin_name: "scalars"` metadata (default: on for tensor encodings). */
  metadata?: boolean
  displayName?: string
  description?: string
}

/** Builds the plain-object Summary.Value for a scalar in the requested encoding. */
export function scalarValue (v: ScalarValue): Record<string, unknown> {
  const enc = v.encoding ?? 'simple_value'
  const out: Record<string, unknown> = { tag: v.tag }
  const wantMeta = v.metadata ?? enc !== 'simple_value'
  if (wantMeta || v.displayName || v.description) {
    out.metadata = {
      pluginData: wantMeta ? { pluginName: 'scalars', content: new Uint8Array(0) } : undefined,
      displayName: v.displayName ?? '',
      summaryDescription: v.description ?? ''
    }
  }
  switch (enc) {
    case 'simple_value': out.simpleValue = v.value; break
    case 'tensor_content': {
      const b = new Uint8Array(4)
      new DataView(b.buffer).setFloat32(0, v.value, true)
      out.tensor = { dtype: 1, tensorShape: {}, tensorContent: b }
      break
    }
    case 'float_val': out.tensor = { dtype: 1, tensorShape: {}, floatVal: [v.value] }; break
    case 'double_val': out.tensor = { dtype: 2, tensorShape: {}, doubleVal: [v.value] }; break
    case 'int64_val': out.tensor = { dtype: 9, tensorShape: {}, int64Val: [Math.trunc(v.value)] }; break
  }
  return out
}

/**
 * Accumulates framed records in memory; `bytes()` gives the file content. Callers write it
 * with fs themselves, so this module stays free of I/O (tests append it in chunks).
 */
export class EventFileBuilder {
  private readonly parts: Uint8Array[] = []
  private size = 0

  /** Appends an arbitrary Event (plain protobufjs object). */
  event (event: Record<string, unknown>, opts?: FrameOptions): this {
    return this.raw(frameRecord(encodeEvent(event), opts))
  }

  /** The first record every writer puts in a file. */
  fileVersion (wallTime: number, version = 'brain.Event:2'): this {
    return this.event({ wallTime, fileVersion: version })
  }

  /** One Event carrying one or several scalar values at the same step. */
  scalars (step: number, wallTime: number, values: ScalarValue[], opts?: FrameOptions): this {
    return this.event({ wallTime, step, summary: { value: values.map(scalarValue) } }, opts)
  }

  scalar (tag: string, step: number, wallTime: number, value: number, encoding?: ScalarEncoding, opts?: FrameOptions): this {
    return this.scalars(step, wallTime, [{ tag, value, encoding }], opts)
  }

  /**
   * One text summary as PyTorch's / tensorboardX's `add_text` writes it: plugin "text", a DT_STRING
   * tensor of shape [1] holding the UTF-8 text. `tag` is written as given (`add_text` appends
   * `/text_summary` to the name it is called with).
   */
  text (tag: string, step: number, wallTime: number, text: string): this {
    return this.event({
      wallTime,
      step,
      summary: {
        value: [{
          tag,
          metadata: { pluginData: { pluginName: 'text' } },
          tensor: { dtype: 7, tensorShape: { dim: [{ size: 1 }] }, stringVal: [new TextEncoder().encode(text)] }
        }]
      }
    })
  }

  /** SessionLog START, what TF1 supervisors and torch purge_step write on (re)start. */
  sessionStart (step: number, wallTime: number): this {
    return this.event({ wallTime, step, sessionLog: { status: 1 } })
  }

  /** Raw bytes, e.g. a pre-framed or deliberately broken record. */
  raw (bytes: Uint8Array): this {
    this.parts.push(bytes)
    this.size += bytes.length
    return this
  }

  get length (): number { return this.size }

  /** The whole file so far; the builder can go on appending afterwards. */
  bytes (): Uint8Array {
    const out = new Uint8Array(this.size)
    let o = 0
    for (const p of this.parts) { out.set(p, o); o += p.length }
    return out
  }
}

/** A TB-style event file name: `events.out.tfevents.<10-digit seconds>.<host>.<pid>.<n>`. */
export function eventFileName (wallTime: number, host = 'lossboard', pid = 1, counter = 0, suffix = ''): string {
  return `events.out.tfevents.${String(Math.floor(wallTime)).padStart(10, '0')}.${host}.${pid}.${counter}${suffix}`
}
