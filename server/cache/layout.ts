/**
 * The restart cache's binary layout (documented in docs/cache.md). Per event file, two files in
 * the cache directory, named by a hash of (logdir location, file id):
 *
 *   <key>.head  'LBCH' | u32 FORMAT_VERSION | u32 n | n bytes of UTF-8 JSON (HeadBody) | u32 crc32c of all before
 *   <key>.ops   blocks, each u32 payload length | u32 crc32c(payload) | payload (ops)
 *
 * All integers little-endian. The head is replaced atomically (write + rename) after the ops it
 * counts are on disk, so a crash leaves either the old or the new head; ops past `opsLength` are
 * cut off on load. An op replays one decoder→store call (see OP below).
 */

import { crc32c } from '../records/masked-crc.js'

export const MAGIC = 'LBCH'
/** Bumped whenever the layout or the meaning of an op changes: older caches are rebuilt. */
export const FORMAT_VERSION = 1

/** Op codes of the ops stream. Strings are u16 byte length + UTF-8 unless noted. */
export const OP = {
  /** string name: defines the next tag index (per file, from 0) */
  TAG: 1,
  /** f64 wallTime, f64 step */
  BEGIN: 2,
  /** string version */
  FILE_VERSION: 3,
  SESSION_START: 4,
  /** u32 tag, u8 dataClass, then pluginName, displayName, description as u32 length + UTF-8 */
  METADATA: 5,
  /** u32 tag, f64 value, u8 dtype */
  SCALAR: 6,
  /** u32 tag, f64 wallTime, f64 step, f64 value, u8 dtype: begin + scalar + end(true) */
  SCALAR_EVENT: 7,
  /** u32 tag, string pluginHint */
  NON_SCALAR: 8,
  GRAPH: 9,
  /** u8 hadSummary */
  END: 10,
  /** f64 file offset, string kind: an issue the run reported for this file */
  ISSUE: 11
} as const

export const DTYPES = ['float32', 'float64', 'float16', 'bfloat16', 'int', 'bool'] as const

/** What the head says about its event file. */
export interface HeadBody {
  location: string
  file: string
  /** Source identity when written (inode+birth time, or ETag). */
  identity: string | null
  /** Bytes of the event file the ops cover. */
  offset: number
  /** Up to 16 bytes of the event file before `offset`, base64: re-read and compared on load. */
  tail: string
  /** Bytes of complete blocks in the .ops file. */
  opsLength: number
  state: 'active' | 'dead' | 'not-an-event-file'
  decodeIssues: number
  loggedResyncAt: number
  scanner: { resyncing: boolean, resyncFrom: number, records: number, badDataCrc: number, resyncs: number, skippedBytes: number, everValid: boolean }
}

export function encodeHead (body: HeadBody): Buffer {
  const json = Buffer.from(JSON.stringify(body), 'utf8')
  const out = Buffer.allocUnsafe(12 + json.length + 4)
  out.write(MAGIC, 0, 'latin1')
  out.writeUInt32LE(FORMAT_VERSION, 4)
  out.writeUInt32LE(json.length, 8)
  json.copy(out, 12)
  out.writeUInt32LE(crc32c(out, 0, 12 + json.length), 12 + json.length)
  return out
}

/** The head's body, or why it is not usable. */
export function decodeHead (buf: Buffer): HeadBody | string {
  if (buf.length < 16) return 'truncated head'
  if (buf.toString('latin1', 0, 4) !== MAGIC) return 'not a cache head'
  const version = buf.readUInt32LE(4)
  if (version !== FORMAT_VERSION) return `format version ${version}, expected ${FORMAT_VERSION}`
  const n = buf.readUInt32LE(8)
  if (buf.length !== 12 + n + 4) return 'truncated head'
  if (crc32c(buf, 0, 12 + n) !== buf.readUInt32LE(12 + n)) return 'head checksum mismatch'
  try {
    return JSON.parse(buf.toString('utf8', 12, 12 + n)) as HeadBody
  } catch {
    return 'head JSON unreadable'
  }
}

/** One block of the .ops file around `payload`. */
export function frameBlock (payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(8 + payload.length)
  out.writeUInt32LE(payload.length, 0)
  out.writeUInt32LE(crc32c(payload), 4)
  payload.copy(out, 8)
  return out
}

/** The payloads of the first `length` bytes of an .ops file, each checksum verified; a string says what is wrong. */
export function unframeBlocks (buf: Buffer, length: number): Buffer[] | string {
  if (buf.length < length) return 'ops file shorter than its head says'
  const out: Buffer[] = []
  let o = 0
  while (o < length) {
    if (o + 8 > length) return 'truncated block header'
    const n = buf.readUInt32LE(o)
    if (o + 8 + n > length) return 'truncated block'
    const payload = buf.subarray(o + 8, o + 8 + n)
    if (crc32c(payload) !== buf.readUInt32LE(o + 4)) return `block checksum mismatch at ${o}`
    out.push(payload)
    o += 8 + n
  }
  return out
}
