/** Scans TFRecord framing in a byte window: verifies both CRCs, resynchronises after corruption. BYTES ONLY. */

import { crc32c, maskCrc, maskedCrc32cOf8 } from './masked-crc.js'

/** Bytes of framing around every payload: u64 length + u32 length CRC before, u32 data CRC after. */
export const HEADER_LENGTH = 12
export const FOOTER_LENGTH = 4
/**
 * A length field above this is treated as corruption. TensorBoard's writers never produce records
 * near it (the largest seen in the public corpus is 2.25 MB); the reader never allocates a length
 * it has not verified against the bytes actually present.
 */
export const MAX_RECORD_LENGTH = 256 * 1024 * 1024

/** Why bytes were skipped. Named after what happened, like TB's `ReadRecordError`. */
export type RecordIssueKind = 'bad-length-crc' | 'bad-data-crc' | 'too-large'

export interface RecordIssue {
  kind: RecordIssueKind
  /** File offset of the record (or candidate header) that failed. */
  offset: number
}

/** Where scanning stopped and why. */
export interface ScanOutcome {
  /** Offset within the window of the first byte not consumed. */
  consumed: number
  /**
   * Bytes, counted from `consumed`, that the next call needs to see before it can make progress
   * (a whole header, or a whole record whose length CRC verified). 0 when the window ended exactly.
   */
  needBytes: number
}

/** Receives each record whose length CRC and data CRC both verified. */
export type RecordHandler = (buf: Uint8Array, start: number, end: number, fileOffset: number) => void

/**
 * Resumable scanner state for one file. `resyncing` is set after a bad length CRC or an absurd
 * length: the framing is lost and the scanner looks, byte by byte, for the next offset whose
 * length CRC and data CRC both verify. A record whose *data* CRC fails has intact framing: it is
 * skipped exactly (its bytes are known) and reading goes on.
 */
export class TfRecordScanner {
  resyncing = false
  /** File offset where the current resync started (for the "skipped N bytes" log). */
  resyncFrom = 0
  records = 0
  /** Records skipped for a bad data CRC. */
  badDataCrc = 0
  /** Resyncs started (bad length CRC or too-large length). */
  resyncs = 0
  /** Bytes passed over while resyncing. */
  skippedBytes = 0
  /** Whether any record ever verified: a file that never yields one is "not an event file". */
  everValid = false

  constructor (readonly verifyDataCrc = true) {}

  /**
   * Scans `buf[0, end)`, which holds the file's bytes from `fileBase` on. Calls `onRecord` for every
   * verified record and `onIssue` once per problem. Never throws on any input.
   */
  scan (buf: Uint8Array, end: number, fileBase: number, onRecord: RecordHandler, onIssue: (i: RecordIssue) => void): ScanOutcome {
    let pos = 0
    for (;;) {
      if (this.resyncing) {
        const found = this.findNextRecord(buf, pos, end)
        if (found.kind !== 'found') {
          // 'pending': a candidate whose length CRC verified runs past the window; wait for it.
          // 'none': every offset up to the last possible header start was rejected.
          this.skippedBytes += found.at - pos
          return { consumed: found.at, needBytes: found.kind === 'pending' ? found.need : HEADER_LENGTH }
        }
        this.skippedBytes += found.at - pos
        pos = found.at
        this.resyncing = false
      }
      const avail = end - pos
      if (avail < HEADER_LENGTH) return { consumed: pos, needBytes: avail === 0 ? 0 : HEADER_LENGTH }
      const lenLo = (buf[pos]! | (buf[pos + 1]! << 8) | (buf[pos + 2]! << 16) | (buf[pos + 3]! << 24)) >>> 0
      const lenHi = (buf[pos + 4]! | (buf[pos + 5]! << 8) | (buf[pos + 6]! << 16) | (buf[pos + 7]! << 24)) >>> 0
      const storedLenCrc = (buf[pos + 8]! | (buf[pos + 9]! << 8) | (buf[pos + 10]! << 16) | (buf[pos + 11]! << 24)) >>> 0
      if (maskedCrc32cOf8(buf, pos) !== storedLenCrc) {
        onIssue({ kind: 'bad-length-crc', offset: fileBase + pos })
        this.startResync(fileBase + pos)
        this.skippedBytes++
        pos += 1
        continue
      }
      if (lenHi !== 0 || lenLo > MAX_RECORD_LENGTH) {
        onIssue({ kind: 'too-large', offset: fileBase + pos })
        this.startResync(fileBase + pos)
        this.skippedBytes++
        pos += 1
        continue
      }
      const total = HEADER_LENGTH + lenLo + FOOTER_LENGTH
      if (avail < total) return { consumed: pos, needBytes: total }
      const dataEnd = pos + HEADER_LENGTH + lenLo
      if (this.verifyDataCrc) {
        const storedDataCrc = (buf[dataEnd]! | (buf[dataEnd + 1]! << 8) | (buf[dataEnd + 2]! << 16) | (buf[dataEnd + 3]! << 24)) >>> 0
        if (maskCrc(crc32c(buf, pos + HEADER_LENGTH, dataEnd)) !== storedDataCrc) {
          onIssue({ kind: 'bad-data-crc', offset: fileBase + pos })
          this.badDataCrc++
          pos += total
          continue
        }
      }
      this.records++
      this.everValid = true
      onRecord(buf, pos + HEADER_LENGTH, dataEnd, fileBase + pos)
      pos += total
    }
    return { consumed: pos, needBytes: 0 }
  }

  private startResync (fileOffset: number): void {
    this.resyncing = true
    this.resyncFrom = fileOffset
    this.resyncs++
  }

  /**
   * Looks in [from, end) for the first offset holding a complete record whose length CRC and data
   * CRC both verify. A candidate whose length CRC verifies but whose bytes run past the window is
   * `pending` (it may complete when the file grows); `none` says where the search may resume.
   */
  private findNextRecord (buf: Uint8Array, from: number, end: number):
  { kind: 'found', at: number } | { kind: 'pending', at: number, need: number } | { kind: 'none', at: number } {
    let q = from
    for (; q + HEADER_LENGTH <= end; q++) {
      // Cheap plausibility first (a real header's length has a zero high word and fits the limit),
      // the length CRC only then: random or text bytes are rejected with four loads, not a CRC.
      const lenHi = (buf[q + 4]! | (buf[q + 5]! << 8) | (buf[q + 6]! << 16) | (buf[q + 7]! << 24)) >>> 0
      if (lenHi !== 0) continue
      const len = (buf[q]! | (buf[q + 1]! << 8) | (buf[q + 2]! << 16) | (buf[q + 3]! << 24)) >>> 0
      if (len > MAX_RECORD_LENGTH) continue
      const stored = (buf[q + 8]! | (buf[q + 9]! << 8) | (buf[q + 10]! << 16) | (buf[q + 11]! << 24)) >>> 0
      if (stored === 0 && len === 0) {
        // Twelve zero bytes are never a header (the masked CRC of a zero length is not zero): skip
        // the whole run of zeros at once — a sparse file's holes are gigabytes of them.
        const z = zeroRunEnd(buf, q, end)
        if (z - HEADER_LENGTH >= q) q = z - HEADER_LENGTH
        continue
      }
      if (maskCrc(crc32c(buf, q, q + 8)) !== stored) continue
      const dataEnd = q + HEADER_LENGTH + len
      if (dataEnd + FOOTER_LENGTH > end) return { kind: 'pending', at: q, need: HEADER_LENGTH + len + FOOTER_LENGTH }
      const storedData = (buf[dataEnd]! | (buf[dataEnd + 1]! << 8) | (buf[dataEnd + 2]! << 16) | (buf[dataEnd + 3]! << 24)) >>> 0
      if (maskCrc(crc32c(buf, q + HEADER_LENGTH, dataEnd)) === storedData) return { kind: 'found', at: q }
    }
    return { kind: 'none', at: Math.max(from, q) }
  }
}

const ZERO_BLOCK = new Uint8Array(4096)

/** First index ≥ `from` (and ≤ `end`) holding a non-zero byte; compares 4 KiB blocks natively. */
function zeroRunEnd (buf: Uint8Array, from: number, end: number): number {
  let i = from
  const view = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength)
  while (i + ZERO_BLOCK.length <= end && view.compare(ZERO_BLOCK, 0, ZERO_BLOCK.length, i, i + ZERO_BLOCK.length) === 0) i += ZERO_BLOCK.length
  while (i < end && buf[i] === 0) i++
  return i
}
