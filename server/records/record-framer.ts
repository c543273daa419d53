/** Frames TFRecords in a byte window by their length CRCs only, stopping at the first problem: the split of work that lets another thread verify the data CRCs. BYTES ONLY. */

import { maskedCrc32cOf8, maskCrc, crc32c } from './masked-crc.js'
import { HEADER_LENGTH, FOOTER_LENGTH, MAX_RECORD_LENGTH } from './tfrecord-reader.js'

/** The records of a window: record i starts at `starts[i]` (its header) and holds `lengths[i]` payload bytes. */
export interface Framed {
  count: number
  starts: Int32Array
  lengths: Int32Array
  /** Offset of the first byte not framed. */
  consumed: number
  /**
   * True when framing stopped at a header whose length CRC fails or whose length is absurd: the
   * sequential scanner must take over there (it resynchronises); false when the window just ended.
   */
  problem: boolean
}

/**
 * Frames `buf[0, end)` exactly as TfRecordScanner walks a clean window (same header checks, same
 * order), but never checks a data CRC and never resynchronises: it stops instead. `starts` and
 * `lengths` are reused when large enough.
 */
export function frameRecords (buf: Uint8Array, end: number, starts: Int32Array, lengths: Int32Array): Framed {
  let pos = 0
  let count = 0
  let problem = false
  for (;;) {
    const avail = end - pos
    if (avail < HEADER_LENGTH) break
    const lenLo = (buf[pos]! | (buf[pos + 1]! << 8) | (buf[pos + 2]! << 16) | (buf[pos + 3]! << 24)) >>> 0
    const lenHi = (buf[pos + 4]! | (buf[pos + 5]! << 8) | (buf[pos + 6]! << 16) | (buf[pos + 7]! << 24)) >>> 0
    const storedLenCrc = (buf[pos + 8]! | (buf[pos + 9]! << 8) | (buf[pos + 10]! << 16) | (buf[pos + 11]! << 24)) >>> 0
    if (maskedCrc32cOf8(buf, pos) !== storedLenCrc || lenHi !== 0 || lenLo > MAX_RECORD_LENGTH) { problem = true; break }
    const total = HEADER_LENGTH + lenLo + FOOTER_LENGTH
    if (avail < total) break
    if (count === starts.length) {
      const s2 = new Int32Array(count * 2); s2.set(starts); starts = s2
      const l2 = new Int32Array(count * 2); l2.set(lengths); lengths = l2
    }
    starts[count] = pos
    lengths[count] = lenLo
    count++
    pos += total
  }
  return { count, starts, lengths, consumed: pos, problem }
}

/** For each framed record, 1 when its data CRC verifies, 0 when not (into `ok`, grown if needed). */
export function verifyDataCrcs (buf: Uint8Array, count: number, starts: Int32Array, lengths: Int32Array, ok: Uint8Array): Uint8Array {
  if (ok.length < count) ok = new Uint8Array(starts.length)
  for (let i = 0; i < count; i++) {
    const s = starts[i]! + HEADER_LENGTH
    const e = s + lengths[i]!
    const stored = (buf[e]! | (buf[e + 1]! << 8) | (buf[e + 2]! << 16) | (buf[e + 3]! << 24)) >>> 0
    ok[i] = maskCrc(crc32c(buf, s, e)) === stored ? 1 : 0
  }
  return ok
}
