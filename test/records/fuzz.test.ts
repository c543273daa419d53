/** Fuzz: 10,000+ seeded mutations of corpus files never crash or hang the reader, stay in bounded memory, and never yield data from a record whose CRC fails. */

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs'
import path from 'node:path'
import pino from 'pino'
import { GENERATED, tempDir } from '../helpers/paths.js'
import { TfRecordScanner, MAX_RECORD_LENGTH } from '../../server/records/tfrecord-reader.js'
import { EventDecoder, type EventSink } from '../../server/records/event-decoder.js'
import { maskedCrc32c } from '../../server/records/masked-crc.js'
import { ScalarStore } from '../../server/store/scalar-store.js'
import { LogdirLoader } from '../../server/logdir/logdir-loader.js'
import { rng } from '../helpers/rng.js'

const SOURCES = [
  'edge/encodings_zoo/events.out.tfevents.1700000000.host.600.0',
  'edge/rotation/events.out.tfevents.1700000000.host.300.0',
  'edge/session_start_purge/events.out.tfevents.1700001000.host.401.0',
  'pytorch/mixed_hist_img'
].map(p => {
  const full = path.join(GENERATED, p)
  if (p.endsWith('mixed_hist_img')) {
    const f = readdirSync(full).find(n => n.includes('tfevents'))!
    return readFileSync(path.join(full, f))
  }
  return readFileSync(full)
})

type Mutation = 'bit-flip' | 'truncate' | 'insert-garbage' | 'huge-length' | 'huge-length-valid-crc' | 'zero-range' | 'duplicate-slice'
const KINDS: Mutation[] = ['bit-flip', 'truncate', 'insert-garbage', 'huge-length', 'huge-length-valid-crc', 'zero-range', 'duplicate-slice']

/** Offsets of the records of a valid file (for mutations that target a length field). */
function recordOffsets (buf: Uint8Array): number[] {
  const out: number[] = []
  const s = new TfRecordScanner()
  s.scan(buf, buf.length, 0, (_b, _s, _e, off) => out.push(off), () => {})
  return out
}

function mutate (src: Uint8Array, kind: Mutation, r: () => number): Uint8Array {
  const n = src.length
  const at = Math.floor(r() * n)
  switch (kind) {
    case 'bit-flip': {
      const out = Uint8Array.from(src)
      const flips = 1 + Math.floor(r() * 8)
      for (let i = 0; i < flips; i++) { const p = Math.floor(r() * n); out[p]! ^= 1 << Math.floor(r() * 8) }
      return out
    }
    case 'truncate': return src.slice(0, at)
    case 'insert-garbage': {
      const g = new Uint8Array(1 + Math.floor(r() * 64)).map(() => Math.floor(r() * 256))
      return Buffer.concat([src.subarray(0, at), g, src.subarray(at)])
    }
    case 'huge-length':
    case 'huge-length-valid-crc': {
      const out = Uint8Array.from(src)
      const offs = recordOffsets(src)
      const o = offs[Math.floor(r() * offs.length)]!
      const dv = new DataView(out.buffer)
      dv.setUint32(o, Math.floor(r() * 0xffffffff), true)
      dv.setUint32(o + 4, r() < 0.5 ? 0 : Math.floor(r() * 0xffffffff), true)
      if (kind === 'huge-length-valid-crc') dv.setUint32(o + 8, maskedCrc32c(out, o, o + 8), true)
      return out
    }
    case 'zero-range': {
      const out = Uint8Array.from(src)
      out.fill(0, at, Math.min(n, at + 1 + Math.floor(r() * 32)))
      return out
    }
    case 'duplicate-slice': {
      const len = Math.floor(r() * 100)
      return Buffer.concat([src.subarray(0, at), src.subarray(at, at + len), src.subarray(at)])
    }
  }
}

/** A sink that only counts, to exercise the decoder on everything the scanner yields. */
function countingSink (): EventSink<number> & { scalars: number } {
  let nextTag = 0
  return {
    scalars: 0,
    tag: () => nextTag++,
    wantsMetadata: () => true,
    begin: () => {},
    fileVersion: () => {},
    sessionStart: () => {},
    metadata: () => {},
    scalar () { this.scalars++ },
    nonScalar: () => {},
    graph: () => {},
    end: () => {}
  }
}

/** True when the bytes at `offset` frame a record whose length CRC and data CRC both verify. */
function verifiesAt (buf: Uint8Array, offset: number, dataStart: number, dataEnd: number): boolean {
  const dv = new DataView(buf.buffer, buf.byteOffset)
  if (dv.getUint32(offset + 8, true) !== maskedCrc32c(buf, offset, offset + 8)) return false
  if (dv.getUint32(offset + 4, true) !== 0) return false
  if (dataStart !== offset + 12 || dataEnd !== dataStart + dv.getUint32(offset, true)) return false
  return dv.getUint32(dataEnd, true) === maskedCrc32c(buf, dataStart, dataEnd)
}

test('10,500 seeded mutations: no throw, no hang, no record yielded unless both its CRCs verify', () => {
  const r = rng(0)
  const heapBefore = process.memoryUsage().heapUsed
  const counts: Record<string, number> = {}
  const t0 = Date.now()
  for (let i = 0; i < 10_500; i++) {
    const kind = KINDS[i % KINDS.length]!
    const src = SOURCES[i % SOURCES.length]!
    const buf = mutate(src, kind, r)
    const scanner = new TfRecordScanner()
    const sink = countingSink()
    const decoder = new EventDecoder(sink)
    // feed in two windows split at a random point, as a growing file would arrive
    const split = Math.floor(r() * (buf.length + 1))
    let base = 0
    for (const end of [split, buf.length]) {
      const win = buf.subarray(base, end)
      const out = scanner.scan(win, win.length, base, (b, s, e, off) => {
        assert.ok(verifiesAt(buf, off, base + s, base + e), `iteration ${i} (${kind}): record at ${off} yielded without verifying`)
        assert.ok(e - s <= MAX_RECORD_LENGTH)
        decoder.decode(b, s, e)
      }, () => {})
      assert.ok(out.consumed >= 0 && out.consumed <= win.length, `iteration ${i}: consumed ${out.consumed} of ${win.length}`)
      base += out.consumed
    }
    counts[kind] = (counts[kind] ?? 0) + 1
  }
  const seconds = (Date.now() - t0) / 1000
  const heapGrowth = process.memoryUsage().heapUsed - heapBefore
  console.log(`fuzz: ${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ')}; ${seconds.toFixed(1)} s; heap growth ${(heapGrowth / 1e6).toFixed(1)} MB`)
  // nothing is retained between iterations: the heap stays far below the inputs' total size
  assert.ok(heapGrowth < 64e6, `heap grew by ${heapGrowth} bytes`)
})

test('mutated files on disk load through the real loader without crashing or hanging', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const r = rng(1)
    for (let i = 0; i < 300; i++) {
      const d = path.join(dir, `run${i}`)
      mkdirSync(d)
      writeFileSync(path.join(d, `events.out.tfevents.${1700000000 + i}.fuzz`), mutate(SOURCES[i % SOURCES.length]!, KINDS[i % KINDS.length]!, r))
    }
    const store = new ScalarStore()
    const loader = new LogdirLoader(dir, store, pino({ level: 'silent' }))
    await loader.reload()
    assert.equal(store.runs.size, 300)
    const t = loader.totals()
    assert.ok(t.records > 0 && t.points > 0)
  } finally { cleanup() }
})
