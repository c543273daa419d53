/** CRC-32C (Castagnoli) and the TFRecord mask, computed in JavaScript with slicing-by-8 tables. */

/*
 * Why JavaScript and not a native addon: event records are tens of bytes, and one call into a
 * native CRC costs hundreds of nanoseconds, more than the whole CRC of such a record in JS
 * (../shared/reference/PERFORMANCE_NOTES.md; bench/ measures both). Reflected polynomial
 * 0x82F63B78, init and final XOR 0xFFFFFFFF, as in RFC 3720 and TensorFlow's crc32c.
 */

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
