/** The wire decoder reads every scalar encoding TensorBoard's Python loader accepts, and skips the rest. */

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { EventDecoder, type EventSink, type ValueMetadata, halfToNumber, bfloat16ToNumber } from '../../server/records/event-decoder.js'
import { encodeEvent, decodeEvent } from '../../server/records/proto.js'
import { scalarValue } from '../../server/records/event-writer.js'

type Call = [string, ...unknown[]]

/** Records every sink call; tag handles are the tag names. */
function recorder (): { sink: EventSink<string>, calls: Call[] } {
  const calls: Call[] = []
  const withMd = new Set<string>()
  const sink: EventSink<string> = {
    tag: (n) => n,
    wantsMetadata: (h) => !withMd.has(h),
    begin: (w, s) => calls.push(['begin', w, s]),
    fileVersion: (v) => calls.push(['fileVersion', v]),
    sessionStart: () => calls.push(['sessionStart']),
    metadata: (h, md: ValueMetadata) => { withMd.add(h); calls.push(['metadata', h, md.pluginName, md.displayName, md.dataClass]) },
    scalar: (h, v, dt) => calls.push(['scalar', h, v, dt]),
    nonScalar: (h, hint) => calls.push(['nonScalar', h, hint]),
    graph: () => calls.push(['graph']),
    end: (had) => calls.push(['end', had])
  }
  return { sink, calls }
}

function decode (event: Record<string, unknown>): Call[] {
  const { sink, calls } = recorder()
  const bytes = encodeEvent(event)
  assert.equal(new EventDecoder(sink).decode(bytes, 0, bytes.length), null)
  return calls
}

function tensorEvent (tensor: Record<string, unknown>, tag = 't'): Record<string, unknown> {
  return { wallTime: 10.5, step: 3, summary: { value: [{ tag, tensor, metadata: { pluginData: { pluginName: 'scalars' } } }] } }
}

function scalarOf (calls: Call[]): unknown[] | undefined {
  return calls.find(c => c[0] === 'scalar')?.slice(2)
}

test('file_version event: wall time, step 0, version string, no summary', () => {
  assert.deepEqual(decode({ wallTime: 1599759586.0, fileVersion: 'brain.Event:2', sourceMetadata: { writer: 'x' } }), [
    ['begin', 1599759586.0, 0], ['fileVersion', 'brain.Event:2'], ['end', false]
  ])
})

test('simple_value gets TB\'s migrated metadata (plugin scalars, display name = tag)', () => {
  const calls = decode({ wallTime: 1, step: 7, summary: { value: [scalarValue({ tag: 'loss', value: 0.25 })] } })
  assert.deepEqual(calls, [
    ['begin', 1, 7], ['metadata', 'loss', 'scalars', 'loss', 1], ['scalar', 'loss', 0.25, 'float32'], ['end', true]
  ])
})

test('every numeric dtype in its *_val field and in tensor_content', () => {
  const f32 = (x: number): Uint8Array => { const b = new Uint8Array(4); new DataView(b.buffer).setFloat32(0, x, true); return b }
  const f64 = (x: number): Uint8Array => { const b = new Uint8Array(8); new DataView(b.buffer).setFloat64(0, x, true); return b }
  const i64 = (x: bigint): Uint8Array => { const b = new Uint8Array(8); new DataView(b.buffer).setBigInt64(0, x, true); return b }
  const cases: Array<[Record<string, unknown>, number, string]> = [
    [{ dtype: 1, tensorShape: {}, floatVal: [0.5] }, 0.5, 'float32'],
    [{ dtype: 1, tensorContent: f32(-1.5) }, -1.5, 'float32'],
    [{ dtype: 2, doubleVal: [0.1] }, 0.1, 'float64'],
    [{ dtype: 2, tensorContent: f64(1e300) }, 1e300, 'float64'],
    [{ dtype: 3, intVal: [-7] }, -7, 'int'],
    [{ dtype: 9, int64Val: [1234567890123] }, 1234567890123, 'int'],
    [{ dtype: 9, int64Val: [-5] }, -5, 'int'],
    [{ dtype: 9, tensorContent: i64(-42n) }, -42, 'int'],
    [{ dtype: 4, intVal: [255] }, 255, 'int'], // DT_UINT8
    [{ dtype: 6, intVal: [-128] }, -128, 'int'], // DT_INT8
    [{ dtype: 10, boolVal: [true] }, 1, 'bool'],
    [{ dtype: 22, uint32Val: [4000000000] }, 4000000000, 'int'],
    // half 0x3bbf = 0.9682617..; bfloat16 0x3f80 = 1.0
    [{ dtype: 19, halfVal: [0x3bbf] }, halfToNumber(0x3bbf), 'float16'],
    [{ dtype: 14, halfVal: [0x3f80] }, 1, 'bfloat16'],
    // an empty value list reads as 0, as numpy's make_ndarray pads it
    [{ dtype: 1, tensorShape: {} }, 0, 'float32'],
    // a one-element shape [1, 1] is still one number (make_ndarray(t).item())
    [{ dtype: 1, tensorShape: { dim: [{ size: 1 }, { size: 1 }] }, floatVal: [2] }, 2, 'float32']
  ]
  for (const [tensor, value, dtype] of cases) {
    assert.deepEqual(scalarOf(decode(tensorEvent(tensor))), [value, dtype], JSON.stringify(tensor))
  }
})

test('half and bfloat16 bit patterns convert like numpy', () => {
  assert.equal(halfToNumber(0x3c00), 1)
  assert.equal(halfToNumber(0xc000), -2)
  assert.equal(halfToNumber(0x0001), 2 ** -24) // smallest subnormal
  assert.equal(halfToNumber(0x7c00), Infinity)
  assert.ok(Number.isNaN(halfToNumber(0x7e00)))
  assert.equal(bfloat16ToNumber(0xc040), -3)
})

test('tensors that are not one number are non-scalar values', () => {
  const many = decode(tensorEvent({ dtype: 1, tensorShape: { dim: [{ size: 3 }] }, floatVal: [1, 2, 3] }))
  assert.deepEqual(many.find(c => c[0] === 'nonScalar'), ['nonScalar', 't', ''])
  const str = decode(tensorEvent({ dtype: 7, stringVal: [new Uint8Array([65])] }))
  assert.ok(str.some(c => c[0] === 'nonScalar'))
  assert.equal(scalarOf(str), undefined)
  const badContent = decode(tensorEvent({ dtype: 1, tensorContent: new Uint8Array(8) }))
  assert.equal(scalarOf(badContent), undefined)
})

test('legacy histogram, image and audio values name their plugin', () => {
  const calls = decode({
    wallTime: 1,
    step: 1,
    summary: {
      value: [
        { tag: 'h', histo: { min: 0, max: 1, num: 2, bucketLimit: [1], bucket: [2] } },
        { tag: 'i', image: { height: 1, width: 1, colorspace: 1, encodedImageString: new Uint8Array([1]) } },
        { tag: 'a', audio: { sampleRate: 8000, encodedAudioString: new Uint8Array([1]) } }
      ]
    }
  })
  assert.deepEqual(calls.filter(c => c[0] === 'nonScalar'), [['nonScalar', 'h', 'histograms'], ['nonScalar', 'i', 'images'], ['nonScalar', 'a', 'audio']])
})

test('metadata is parsed once per tag; later values of the tag are read under it', () => {
  const { sink, calls } = recorder()
  const dec = new EventDecoder(sink)
  for (let step = 0; step < 3; step++) {
    const b = encodeEvent(tensorEvent({ dtype: 1, floatVal: [step] }, 'x'))
    dec.decode(b, 0, b.length)
  }
  assert.equal(calls.filter(c => c[0] === 'metadata').length, 1)
  assert.deepEqual(calls.filter(c => c[0] === 'scalar').map(c => c[2]), [0, 1, 2])
})

test('SessionLog START, graph_def and several values in one event', () => {
  assert.deepEqual(decode({ wallTime: 2, step: 5, sessionLog: { status: 1 } }), [['begin', 2, 5], ['sessionStart'], ['end', false]])
  assert.deepEqual(decode({ wallTime: 2, step: 5, sessionLog: { status: 2 } }), [['begin', 2, 5], ['end', false]])
  assert.deepEqual(decode({ wallTime: 2, graphDef: new Uint8Array([1, 2]) }), [['begin', 2, 0], ['graph'], ['end', false]])
  const multi = decode({ wallTime: 1, step: 1, summary: { value: [scalarValue({ tag: 'a', value: 1 }), scalarValue({ tag: 'b', value: 2, encoding: 'tensor_content' })] } })
  assert.deepEqual(multi.filter(c => c[0] === 'scalar'), [['scalar', 'a', 1, 'float32'], ['scalar', 'b', 2, 'float32']])
})

test('a negative step and a step beyond 2^31 survive', () => {
  assert.deepEqual(decode({ wallTime: 1, step: -3, summary: { value: [scalarValue({ tag: 'a', value: 1 })] } })[0], ['begin', 1, -3])
  assert.deepEqual(decode({ wallTime: 1, step: 2 ** 40 + 1, summary: { value: [scalarValue({ tag: 'a', value: 1 })] } })[0], ['begin', 1, 2 ** 40 + 1])
})

test('malformed bytes and NaN wall times are reported, never thrown', () => {
  const { sink, calls } = recorder()
  const dec = new EventDecoder(sink)
  const good = encodeEvent({ wallTime: 1, step: 1, summary: { value: [scalarValue({ tag: 'a', value: 1 })] } })
  for (let cut = 1; cut < good.length; cut++) {
    // a truncated payload may still parse as a shorter valid message; it must never throw
    const r = dec.decode(good, 0, cut)
    assert.ok(r === null || r === 'invalid-proto', `cut ${cut}: ${r}`)
  }
  assert.equal(dec.decode(new Uint8Array([0x0a, 0xff]), 0, 2), 'invalid-proto')
  const nan = encodeEvent({ wallTime: NaN, step: 1 })
  assert.equal(dec.decode(nan, 0, nan.length), 'nan-wall-time')
  void calls
})

test('the reflected protobufjs schema decodes what the wire decoder reads', () => {
  const bytes = encodeEvent(tensorEvent({ dtype: 1, floatVal: [0.75] }, 'loss'))
  const e = decodeEvent(bytes)
  assert.equal(e.summary.value[0].tag, 'loss')
  assert.deepEqual(scalarOf(decode(tensorEvent({ dtype: 1, floatVal: [0.75] }, 'loss'))), [e.summary.value[0].tensor.floatVal[0], 'float32'])
})

test('a read buffer refilled with other records (as every chunk of a big file is) does not change the tags the decoder knows', () => {
  const { sink, calls } = recorder()
  const dec = new EventDecoder(sink)
  // Two tags of the same length: `epoch_loss`'s cached bytes must not become `batch_loss` when the buffer is reused.
  const a = encodeEvent({ wallTime: 1, step: 1, summary: { value: [scalarValue({ tag: 'batch_loss', value: 0.5 })] } })
  const b = encodeEvent({ wallTime: 2, step: 2, summary: { value: [scalarValue({ tag: 'epoch_loss', value: 0.25 })] } })
  const buf = Buffer.alloc(256)
  buf.set(a); dec.decode(buf, 0, a.length)
  buf.set(b); dec.decode(buf, 0, b.length)
  buf.set(a); dec.decode(buf, 0, a.length)
  const tags = calls.filter(c => c[0] === 'scalar').map(c => c[1])
  assert.deepEqual(tags, ['batch_loss', 'epoch_loss', 'batch_loss'])
})
