/** The decoder's scalar fast path gives exactly what the generic wire decoder gives, and declines every other shape. */

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { EventDecoder, type EventSink } from '../../server/records/event-decoder.js'
import { encodeEvent } from '../../server/records/proto.js'
import { scalarValue, type ScalarEncoding } from '../../server/records/event-writer.js'

type Call = [string, ...unknown[]]

/**
 * Records sink calls. Every tag already "has" its metadata (wantsMetadata → false), which is
 * when the fast path may run; `fused` adds the optional scalarEvent method.
 */
function recorder (fused: boolean): { sink: EventSink<string>, calls: Call[] } {
  const calls: Call[] = []
  const sink: EventSink<string> = {
    tag: (n) => { calls.push(['tag', n]); return n },
    wantsMetadata: () => false,
    begin: (w, s) => calls.push(['begin', w, s]),
    fileVersion: (v) => calls.push(['fileVersion', v]),
    sessionStart: () => calls.push(['sessionStart']),
    metadata: (h, md) => calls.push(['metadata', h, md.pluginName]),
    scalar: (h, v, dt) => calls.push(['scalar', h, v, dt]),
    nonScalar: (h, hint) => calls.push(['nonScalar', h, hint]),
    graph: () => calls.push(['graph']),
    end: (had) => calls.push(['end', had])
  }
  if (fused) {
    // the contract: same effects as begin + scalar + end(true)
    sink.scalarEvent = (h, w, s, v, dt) => { calls.push(['begin', w, s], ['scalar', h, v, dt], ['end', true]) }
  }
  return { sink, calls }
}

/** Decodes `bytes` three ways: fast path with a plain sink, with a fused sink, and generic only. */
function threeWays (bytes: Uint8Array): { plain: Call[], fused: Call[], generic: Call[], issues: Array<string | null> } {
  const a = recorder(false); const b = recorder(true); const c = recorder(false)
  const genericOnly = new EventDecoder(c.sink)
  // the oracle: the same decoder with its fast path switched off
  ;(genericOnly as unknown as { scalarFastPath: () => boolean }).scalarFastPath = () => false
  const issues = [new EventDecoder(a.sink).decode(bytes, 0, bytes.length), new EventDecoder(b.sink).decode(bytes, 0, bytes.length), genericOnly.decode(bytes, 0, bytes.length)]
  return { plain: a.calls, fused: b.calls, generic: c.calls, issues }
}

function event (step: number, wallTime: number, tag: string, value: number, encoding: ScalarEncoding, extra: Record<string, unknown> = {}): Uint8Array {
  return encodeEvent({ wallTime, step, summary: { value: [{ ...scalarValue({ tag, value, encoding }), ...extra }] } })
}

test('every step size, encoding and value decodes identically on the fast and the generic path', () => {
  const steps = [0, 1, 127, 128, 16_383, 16_384, 2 ** 21 - 1, 2 ** 21, 2 ** 28 - 1, 2 ** 28, 2 ** 40, -1, -300]
  const values = [0, 0.25, -1.5, 3.4e38, Number.MIN_VALUE, NaN, Infinity, -Infinity]
  let n = 0
  for (const encoding of ['simple_value', 'tensor_content', 'float_val', 'double_val', 'int64_val'] as const) {
    for (const step of steps) {
      for (const value of values) {
        if (encoding === 'int64_val' && !Number.isFinite(value)) continue
        const bytes = event(step, 1_700_000_000.125 + step, 'loss/train', value, encoding)
        const r = threeWays(bytes)
        assert.deepEqual(r.plain, r.generic, `${encoding} step ${step} value ${value}`)
        assert.deepEqual(r.fused, r.generic, `${encoding} step ${step} value ${value} (fused sink)`)
        assert.deepEqual(r.issues, [null, null, null])
        n++
      }
    }
  }
  assert.equal(n, 5 * 13 * 8 - 13 * 3)
})

test('shapes the fast path must decline still decode through the generic path', () => {
  const longTag = 'x'.repeat(200) // a tag length needs a two-byte varint
  const cases: Array<[string, Uint8Array]> = [
    ['long tag', event(5, 10, longTag, 1, 'simple_value')],
    ['two values in one event', encodeEvent({ wallTime: 1, step: 2, summary: { value: [scalarValue({ tag: 'a', value: 1 }), scalarValue({ tag: 'b', value: 2 })] } })],
    ['NaN wall time', event(1, NaN, 'a', 1, 'simple_value')],
    ['wall time 0 (field absent)', event(1, 0, 'a', 1, 'simple_value')],
    ['metadata with a long description', event(1, 1, 'a', 1, 'simple_value', { metadata: { pluginData: { pluginName: 'scalars' }, summaryDescription: 'd'.repeat(300) } })],
    ['a tensor with a shape of one element', encodeEvent({ wallTime: 1, step: 1, summary: { value: [{ tag: 't', tensor: { dtype: 1, tensorShape: { dim: [{ size: 1 }] }, floatVal: [2] } }] } })],
    ['a multi-element tensor', encodeEvent({ wallTime: 1, step: 1, summary: { value: [{ tag: 't', tensor: { dtype: 1, tensorShape: { dim: [{ size: 2 }] }, floatVal: [2, 3] } }] } })],
    ['a histogram', encodeEvent({ wallTime: 1, step: 1, summary: { value: [{ tag: 'h', histo: { min: 0, max: 1, num: 1, bucketLimit: [1], bucket: [1] } }] } })],
    ['file_version', encodeEvent({ wallTime: 1, fileVersion: 'brain.Event:2' })],
    ['session log', encodeEvent({ wallTime: 1, step: 3, sessionLog: { status: 1 } })],
    ['an empty summary', encodeEvent({ wallTime: 1, step: 3, summary: {} })]
  ]
  for (const [what, bytes] of cases) {
    const r = threeWays(bytes)
    assert.deepEqual(r.plain, r.generic, what)
    assert.deepEqual(r.fused, r.generic, `${what} (fused sink)`)
    assert.deepEqual(r.issues[0], r.issues[2], what)
  }
})

test('a record cut short or with trailing garbage is rejected as the generic path rejects it', () => {
  const whole = event(300, 1_700_000_000, 'loss', 0.5, 'tensor_content')
  for (let cut = 1; cut < whole.length; cut++) {
    const r = threeWays(whole.subarray(0, cut))
    assert.deepEqual(r.plain, r.generic, `cut at ${cut}`)
    assert.deepEqual(r.issues[0], r.issues[2], `cut at ${cut}`)
  }
  const padded = new Uint8Array(whole.length + 1)
  padded.set(whole)
  padded[whole.length] = 0x4a // a metadata key with no length
  const r = threeWays(padded)
  assert.deepEqual(r.plain, r.generic)
  assert.deepEqual(r.issues[0], r.issues[2])
})

test('tags are looked up by their bytes whatever order they come in', () => {
  const { sink, calls } = recorder(true)
  const dec = new EventDecoder(sink)
  // round-robin a, b, c (the predicted-next-tag path), then out of order, then a new tag
  const order = ['a', 'b', 'c', 'a', 'b', 'c', 'c', 'a', 'b', 'b', 'd', 'a']
  order.forEach((tag, i) => { const b = event(i, 1 + i, tag, i, 'simple_value'); dec.decode(b, 0, b.length) })
  assert.deepEqual(calls.filter(c => c[0] === 'tag').map(c => c[1]), ['a', 'b', 'c', 'd'])
  assert.deepEqual(calls.filter(c => c[0] === 'scalar').map(c => c[1]), order)
})
