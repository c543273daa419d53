/** CRC-32C of ranges long enough for the native addon agrees with the bitwise definition, at and around the switch-over length. */

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { crc32c, NATIVE_MIN_BYTES, NATIVE_CRC } from '../../server/records/masked-crc.js'

/** CRC-32C by its definition, one bit at a time (independent of both implementations). */
function bitwise (b: Uint8Array, s: number, e: number): number {
  let c = 0xffffffff
  for (let i = s; i < e; i++) {
    c ^= b[i]!
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1
  }
  return (c ^ 0xffffffff) >>> 0
}

test(`ranges from ${NATIVE_MIN_BYTES - 3} bytes to 70 KiB, at odd offsets, match the bitwise CRC (native addon loaded: ${NATIVE_CRC})`, () => {
  const data = new Uint8Array(80_000)
  let x = 99
  for (let i = 0; i < data.length; i++) { x = (x * 1103515245 + 12345) >>> 0; data[i] = x >>> 24 }
  for (const len of [NATIVE_MIN_BYTES - 3, NATIVE_MIN_BYTES - 1, NATIVE_MIN_BYTES, NATIVE_MIN_BYTES + 1, 4099, 65_536, 70_001]) {
    for (const start of [0, 1, 7]) assert.equal(crc32c(data, start, start + len), bitwise(data, start, start + len), `${len} bytes at ${start}`)
  }
  // a Buffer view into a larger pool, as the run loader passes it
  const buf = Buffer.from(data.buffer, 1000, 20_000)
  assert.equal(crc32c(buf, 5, 5 + 10_000), bitwise(buf, 5, 5 + 10_000))
})
