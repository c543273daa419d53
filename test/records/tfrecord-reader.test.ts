/** TFRecord framing: literal records, CRC checks, truncation, resynchronisation, absurd lengths. */

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { TfRecordScanner, type RecordIssue } from '../../server/records/tfrecord-reader.js'
import { frameRecord } from '../../server/records/event-writer.js'
import { maskedCrc32c } from '../../server/records/masked-crc.js'

function hex (s: string): Uint8Array {
  return Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!.map(b => parseInt(b, 16)))
}

/** Scans a whole buffer in one window; returns payloads, issues and the outcome. */
function scanAll (buf: Uint8Array, scanner = new TfRecordScanner()): { payloads: string[], issues: RecordIssue[], consumed: number, needBytes: number } {
  const payloads: string[] = []
  const issues: RecordIssue[] = []
  const out = scanner.scan(buf, buf.length, 0, (b, s, e) => payloads.push(Buffer.from(b.subarray(s, e)).toString('hex')), i => issues.push(i))
  return { payloads, issues, ...out }
}

// The first record of a TensorBoard event file (EVENT_FORMAT.md §1), field by field:
const FIRST_RECORD = hex(
  '18 00 00 00 00 00 00 00' + // length: 24 bytes, u64 little-endian
  'a3 7f 4b 22' + //             masked CRC-32C of the 8 length bytes
  '09 00 00 80 38 99 d6 d7 41' + // field 1 (wall_time, fixed64): 1599759586.0
  '1a 0d' + '627261696e2e4576656e743a32' + // field 3 (file_version, 13 bytes): "brain.Event:2"
  '12 4b 36 ab' //               masked CRC-32C of the 24 payload bytes
)

test('reads a literal TensorBoard record and our writer frames the payload identically', () => {
  const r = scanAll(FIRST_RECORD)
  assert.deepEqual(r.issues, [])
  assert.deepEqual(r.payloads, ['0900008038 99d6d741 1a0d627261696e2e4576656e743a32'.replace(/\s/g, '')])
  assert.equal(r.consumed, 40)
  assert.deepEqual(frameRecord(FIRST_RECORD.subarray(12, 36)), FIRST_RECORD)
})

test('a record cut off anywhere is "wait for more bytes", never an error', () => {
  for (let k = 0; k < FIRST_RECORD.length; k++) {
    const r = scanAll(FIRST_RECORD.subarray(0, k))
    assert.deepEqual(r.payloads, [], `cut at ${k}`)
    assert.deepEqual(r.issues, [], `cut at ${k}`)
    assert.equal(r.consumed, 0)
    // it asks for a whole header first, then for the whole record once the length is known
    assert.equal(r.needBytes, k === 0 ? 0 : k < 12 ? 12 : 40, `cut at ${k}`)
  }
})

test('a bad data CRC skips exactly that record and reading goes on', () => {
  const a = frameRecord(new Uint8Array([1, 2, 3]))
  const b = frameRecord(new Uint8Array([4, 5, 6]), { corruptDataCrc: true })
  const c = frameRecord(new Uint8Array([7, 8, 9]))
  const r = scanAll(Buffer.concat([a, b, c]))
  assert.deepEqual(r.payloads, ['010203', '070809'])
  assert.deepEqual(r.issues, [{ kind: 'bad-data-crc', offset: 19 }])
})

test('a bad length CRC resynchronises on the next record whose two CRCs verify', () => {
  const a = frameRecord(new Uint8Array([1, 2, 3]))
  const b = frameRecord(new Uint8Array([4, 5, 6]), { corruptLengthCrc: true })
  const c = frameRecord(new Uint8Array([7, 8, 9]))
  const scanner = new TfRecordScanner()
  const r = scanAll(Buffer.concat([a, b, c]), scanner)
  assert.deepEqual(r.payloads, ['010203', '070809'])
  assert.deepEqual(r.issues, [{ kind: 'bad-length-crc', offset: 19 }])
  assert.equal(scanner.skippedBytes, 19) // record b, all 16 + 3 bytes of it
  assert.equal(r.consumed, 57)
})

test('garbage inserted between records costs only the garbage', () => {
  const a = frameRecord(new Uint8Array([1]))
  const c = frameRecord(new Uint8Array([2]))
  const garbage = new Uint8Array(1000).map((_, i) => (i * 37) & 0xff)
  const r = scanAll(Buffer.concat([a, garbage, c]))
  assert.deepEqual(r.payloads, ['01', '02'])
  assert.equal(r.issues.length, 1)
})

test('a length field beyond the cap with a valid length CRC is reported, not allocated', () => {
  const header = new Uint8Array(12)
  const dv = new DataView(header.buffer)
  dv.setUint32(0, 0xffffffff, true); dv.setUint32(4, 0x7fffffff, true) // ~2^63 bytes
  dv.setUint32(8, maskedCrc32c(header, 0, 8), true)
  const c = frameRecord(new Uint8Array([9]))
  const r = scanAll(Buffer.concat([header, c]))
  assert.deepEqual(r.issues, [{ kind: 'too-large', offset: 0 }])
  assert.deepEqual(r.payloads, ['09'])
})

test('a window ending inside a resync keeps the bytes a header may still need', () => {
  const a = frameRecord(new Uint8Array([1, 2, 3]))
  const bad = frameRecord(new Uint8Array([4]), { corruptLengthCrc: true })
  const c = frameRecord(new Uint8Array([5, 6]))
  const all = Buffer.concat([a, bad, c])
  // feed the bytes in two windows, the second starting where the first stopped consuming
  for (let k = a.length + 1; k < all.length; k++) {
    const scanner = new TfRecordScanner()
    const payloads: string[] = []
    const first = scanner.scan(all.subarray(0, k), k, 0, (b, s, e) => payloads.push(Buffer.from(b.subarray(s, e)).toString('hex')), () => {})
    const rest = all.subarray(first.consumed)
    scanner.scan(rest, rest.length, first.consumed, (b, s, e) => payloads.push(Buffer.from(b.subarray(s, e)).toString('hex')), () => {})
    assert.deepEqual(payloads, ['010203', '0506'], `split at ${k}`)
  }
})
