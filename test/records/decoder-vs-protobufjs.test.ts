/** Every record of every corpus file decodes to the same fields with protobufjs's generic decode and with the hand-written decoder (generic and fast paths). */

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { CORPUS } from '../helpers/paths.js'
import { TfRecordScanner } from '../../server/records/tfrecord-reader.js'
import { EventDecoder, type EventSink, halfToNumber, bfloat16ToNumber } from '../../server/records/event-decoder.js'
import { decodeEvent, longToNumber, root } from '../../server/records/proto.js'

type Call = [string, ...unknown[]]

function eventFiles (dir: string): string[] {
  const out: string[] = []
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) out.push(...eventFiles(p))
    else if (e.name.includes('tfevents')) out.push(p)
  }
  return out.sort()
}

/** A sink recording every call; `firstMetadataOnly` lets a tag skip metadata after its first (the fast path then runs). */
function recorder (firstMetadataOnly: boolean): { sink: EventSink<string>, calls: Call[] } {
  const calls: Call[] = []
  const had = new Set<string>()
  const sink: EventSink<string> = {
    tag: (n) => n,
    wantsMetadata: (h) => !firstMetadataOnly || !had.has(h),
    begin: (w, s) => calls.push(['begin', w, s]),
    fileVersion: (v) => calls.push(['fileVersion', v]),
    sessionStart: () => calls.push(['sessionStart']),
    metadata: (h, md) => { had.add(h); calls.push(['metadata', h, md.pluginName, md.displayName, md.description, md.dataClass]) },
    scalar: (h, v, dt) => { had.add(h); calls.push(['scalar', h, v, dt]) },
    nonScalar: (h, hint) => calls.push(['nonScalar', h, hint]),
    graph: () => calls.push(['graph']),
    end: (hadSummary) => calls.push(['end', hadSummary])
  }
  return { sink, calls }
}

const DT = root.lookupEnum('lossboard.DataType').values as Record<string, number>

/** One element of a TensorProto as protobufjs decoded it, for the dtypes writers use; undefined: not compared. */
function tensorValue (t: any): number | undefined {
  const content: Uint8Array | undefined = t.tensorContent?.length ? t.tensorContent : undefined
  const dv = content !== undefined ? new DataView(content.buffer, content.byteOffset, content.length) : undefined
  switch (t.dtype) {
    case DT.DT_FLOAT: return dv ? dv.getFloat32(0, true) : (t.floatVal?.[0] ?? 0)
    case DT.DT_DOUBLE: return dv ? dv.getFloat64(0, true) : (t.doubleVal?.[0] ?? 0)
    case DT.DT_INT32: return dv ? dv.getInt32(0, true) : (t.intVal?.[0] ?? 0)
    case DT.DT_INT64: return dv ? Number(dv.getBigInt64(0, true)) : longToNumber(t.int64Val?.[0])
    case DT.DT_BOOL: return dv ? (dv.getUint8(0) ? 1 : 0) : (t.boolVal?.[0] ? 1 : 0)
    case DT.DT_HALF: return dv ? halfToNumber(dv.getUint16(0, true)) : halfToNumber((t.halfVal?.[0] ?? 0) & 0xffff)
    case DT.DT_BFLOAT16: return dv ? bfloat16ToNumber(dv.getUint16(0, true)) : bfloat16ToNumber((t.halfVal?.[0] ?? 0) & 0xffff)
    default: return undefined
  }
}

/** Element-wise equality of call lists; numbers by Object.is (NaN equals NaN, 0 and -0 differ). */
function callsEqual (a: Call[], b: Call[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!; const y = b[i]!
    if (x.length !== y.length) return false
    for (let j = 0; j < x.length; j++) if (!Object.is(x[j], y[j])) return false
  }
  return true
}

test('protobufjs and the hand-written decoder read the same fields from every corpus record', () => {
  const files = eventFiles(CORPUS)
  assert.ok(files.length > 100, `${files.length} event files`)
  let records = 0; let scalars = 0; let fastScalars = 0; let tensors = 0
  for (const file of files) {
    const buf = new Uint8Array(readFileSync(file))
    const generic = recorder(false)
    const fast = recorder(true)
    const dg = new EventDecoder(generic.sink)
    const df = new EventDecoder(fast.sink)
    const where = path.relative(CORPUS, file)
    new TfRecordScanner().scan(buf, buf.length, 0, (b, s, e, off) => {
      records++
      let ev: any
      try { ev = decodeEvent(b.subarray(s, e)) } catch { ev = null }
      generic.calls.length = 0; fast.calls.length = 0
      const issueG = dg.decode(b, s, e)
      const issueF = df.decode(b, s, e)
      const at = `${where} @${off}`
      assert.equal(issueF, issueG, at)
      if (ev === null) { assert.equal(issueG, 'invalid-proto', `${at}: protobufjs rejects it`); return }
      if (issueG !== null) { assert.ok(issueG === 'nan-wall-time' && Number.isNaN(ev.wallTime), `${at}: ${issueG}`); return }
      const g = generic.calls
      const f = fast.calls
      // What the hand-written decoder must have called, derived from protobufjs's object.
      const want: Call[] = [['begin', ev.wallTime ?? 0, longToNumber(ev.step)]]
      if (ev.what === 'fileVersion') want.push(['fileVersion', ev.fileVersion])
      if (ev.what === 'sessionLog' && ev.sessionLog.status === 1) want.push(['sessionStart'])
      if (ev.what === 'graphDef' || ev.what === 'metaGraphDef' || ev.what === 'taggedRunMetadata') want.push(['graph'])
      for (const v of ev.what === 'summary' ? ev.summary.value ?? [] : []) {
        const md = v.metadata
        if (v.value === 'simpleValue') {
          want.push(['metadata', v.tag, 'scalars', md?.displayName || v.tag, md?.summaryDescription ?? '', 1], ['scalar', v.tag, v.simpleValue, 'float32'])
          scalars++
        } else if (v.value === 'tensor') {
          tensors++
          if (md) want.push(['metadata', v.tag, md.pluginData?.pluginName ?? '', md.displayName ?? '', md.summaryDescription ?? '', md.dataClass ?? 0])
          const t = v.tensor
          const elements = (t.tensorShape?.dim ?? []).reduce((a: number, d: any) => a * longToNumber(d.size), 1)
          if (elements !== 1) { want.push(['nonScalar', v.tag, '']); continue }
          const x = tensorValue(t)
          // dtypes this test does not convert itself: the call is taken as it is, the rest still compared
          want.push(x === undefined ? g[want.length]! : ['scalar', v.tag, x, g[want.length]?.[3]])
        } else if (v.value !== undefined) {
          const hint = v.value === 'image' ? 'images' : v.value === 'audio' ? 'audio' : 'histograms'
          want.push(['metadata', v.tag, hint, md?.displayName || v.tag, md?.summaryDescription ?? '', hint === 'histograms' ? 2 : 3], ['nonScalar', v.tag, hint])
        } else if (md) {
          want.push(['metadata', v.tag, md.pluginData?.pluginName ?? '', md.displayName ?? '', md.summaryDescription ?? '', md.dataClass ?? 0])
        }
      }
      want.push(['end', ev.what === 'summary'])
      if (!callsEqual(g, want)) assert.deepEqual(g, want, at)
      // The fast path (tags past their first metadata) gives the same calls without the metadata ones.
      const gNoMeta = g.filter(c => c[0] !== 'metadata')
      const fNoMeta = f.filter(c => c[0] !== 'metadata')
      if (!callsEqual(fNoMeta, gNoMeta)) assert.deepEqual(fNoMeta, gNoMeta, at)
      fastScalars += fNoMeta.length - 2
    }, () => {})
  }
  assert.ok(records > 100_000 && scalars > 10_000 && tensors > 1000, `${records} records, ${scalars} simple values, ${tensors} tensors`)
  assert.ok(fastScalars > 0)
})
