/** CRC-32C (Castagnoli) and the TFRecord mask: JavaScript slicing-by-8 tables, a native addon for long ranges. */

import { createRequire } from 'node:module'

/*
 * Why JavaScript first: event records are tens of bytes, and one call into a native CRC costs
 * hundreds of nanoseconds, more than the whole CRC of such a record in JS
 * (../shared/reference/PERFORMANCE_NOTES.md; bench/crc.bench.ts measures both). Reflected
 * polynomial 0x82F63B78, init and final XOR 0xFFFFFFFF, as in RFC 3720 and TensorFlow's crc32c.
 */

/**
 * Ranges at least this long go to the native CRC32C (@node-rs/crc32, hardware CRC instructions)
 * when it loads. bench/crc.bench.ts puts the crossover between 128 B and 1 KiB: below it the call
 * into the addon costs more than the JS loop; at 4 KiB the addon is ~4× faster, at 64 KiB ~6×.
 * Scalar records (tens of bytes) never reach it; images and histograms do.
 */
export const NATIVE_MIN_BYTES = 1024

/** The addon's CRC32C, or null when it is not installed for this platform (then JS does everything). */
const nativeCrc32c: ((data: Uint8Array) => number) | null = (() => {
  try {
    const mod = createRequire(import.meta.url)('@node-rs/crc32') as { crc32c (data: Uint8Array): number }
    // RFC 3720 B.4: 32 zero bytes → 0x8a9136aa; refuse an addon that disagrees
    return mod.crc32c(new Uint8Array(32)) === 0x8a9136aa ? (data) => mod.crc32c(data) : null
  } catch {
    return null
  }
})()

/** True when large ranges are CRC'd natively (reported by `lossboard load --json`). */
export const NATIVE_CRC = nativeCrc32c !== null

const POLY = 0x82f63b78
/** 8 tables of 256 entries, flattened: TABLE[k * 256 + b]. */
const TABLE = new Int32Array(8 * 256)
for (let b = 0; b < 256; b++) {
  let c = b
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1
  TABLE[b] = c
}
for (let b = 0; b < 256; b++) {
  let c = TABLE[b]!
  for (let k = 1; k < 8; k++) {
    c = TABLE[c & 0xff]! ^ (c >>> 8)
    TABLE[k * 256 + b] = c
  }
}

/** CRC-32C of `buf[start, end)`, as an unsigned 32-bit number. */
export function crc32c (buf: Uint8Array, start = 0, end = buf.length): number {
  if (end - start >= NATIVE_MIN_BYTES && nativeCrc32c !== null) return nativeCrc32c(buf.subarray(start, end)) >>> 0
  const t = TABLE
  let crc = -1
  let i = start
  const end8 = end - ((end - start) & 7)
  while (i < end8) {
    const lo = crc ^ (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24))
    crc = t[1792 + (lo & 0xff)]! ^ t[1536 + ((lo >>> 8) & 0xff)]! ^
      t[1280 + ((lo >>> 16) & 0xff)]! ^ t[1024 + (lo >>> 24)]! ^
      t[768 + buf[i + 4]!]! ^ t[512 + buf[i + 5]!]! ^ t[256 + buf[i + 6]!]! ^ t[buf[i + 7]!]!
    i += 8
  }
  while (i < end) crc = t[(crc ^ buf[i++]!) & 0xff]! ^ (crc >>> 8)
  return (crc ^ -1) >>> 0
}

/**
 * Masked CRC-32C of the 8 bytes at `buf[pos]`: a TFRecord's length field. One slicing-by-8 step,
 * unrolled, because the scanner checks one per record; the caller guarantees 8 bytes are there.
 */
export function maskedCrc32cOf8 (buf: Uint8Array, pos: number): number {
  const t = TABLE
  const lo = ~(buf[pos]! | (buf[pos + 1]! << 8) | (buf[pos + 2]! << 16) | (buf[pos + 3]! << 24))
  const crc = ~(t[1792 + (lo & 0xff)]! ^ t[1536 + ((lo >>> 8) & 0xff)]! ^
    t[1280 + ((lo >>> 16) & 0xff)]! ^ t[1024 + (lo >>> 24)]! ^
    t[768 + buf[pos + 4]!]! ^ t[512 + buf[pos + 5]!]! ^ t[256 + buf[pos + 6]!]! ^ t[buf[pos + 7]!]!)
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0
}

/** TFRecord's mask over a CRC (LevelDB's): rotate right by 15 bits, add 0xA282EAD8 mod 2^32. */
export function maskCrc (crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0
}

/** Masked CRC-32C of `buf[start, end)`, the value a TFRecord stores after its length and data. */
export function maskedCrc32c (buf: Uint8Array, start = 0, end = buf.length): number {
  return maskCrc(crc32c(buf, start, end))
}
