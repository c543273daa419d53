/** CRC-32C and the TFRecord mask against independent vectors (RFC 3720, TensorBoard's masked_crc.rs tests). */

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { crc32c, maskedCrc32c, maskCrc } from '../../server/records/masked-crc.js'

test('CRC-32C check value of "123456789" is 0xE3069283', () => {
  assert.equal(crc32c(new TextEncoder().encode('123456789')), 0xe3069283)
})

test('CRC-32C of 32 zero bytes is 0x8a9136aa (RFC 3720 B.4)', () => {
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa)
})

test('CRC-32C of 32 0xff bytes is 0x62a8ab43 (RFC 3720 B.4)', () => {
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43)
})

test('masked CRC of 1a 11 "CRC test, one two" is 0x5794d08a', () => {
  const bytes = new Uint8Array([0x1a, 0x11, ...new TextEncoder().encode('CRC test, one two')])
  assert.equal(maskedCrc32c(bytes), 0x5794d08a)
})

test('slicing-by-8 agrees with the bitwise definition at every length and alignment', () => {
  const bitwise = (b: Uint8Array, s: number, e: number): number => {
    let c = 0xffffffff
    for (let i = s; i < e; i++) {
      c ^= b[i]!
      for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1
    }
    return (c ^ 0xffffffff) >>> 0
  }
  const data = new Uint8Array(100)
  let x = 12345
  for (let i = 0; i < data.length; i++) { x = (x * 1103515245 + 12345) >>> 0; data[i] = x >>> 24 }
  for (let s = 0; s < 9; s++) {
    for (let e = s; e <= data.length; e++) assert.equal(crc32c(data, s, e), bitwise(data, s, e), `[${s}, ${e})`)
  }
})

test('the mask rotates right by 15 and adds 0xa282ead8 modulo 2^32', () => {
  // rotr(0x00000001, 15) = 0x00020000; + 0xa282ead8 = 0xa284ead8
  assert.equal(maskCrc(1), 0xa284ead8)
  // rotr(0xffffffff, 15) = 0xffffffff; + 0xa282ead8 wraps to 0xa282ead7
  assert.equal(maskCrc(0xffffffff), 0xa282ead7)
})
