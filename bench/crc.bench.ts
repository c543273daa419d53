/** CRC32C in JavaScript (slicing-by-8, server/records/masked-crc.ts) against a native addon (@node-rs/crc32), per record size. */

import { createRequire } from 'node:module'
import { crc32c, NATIVE_MIN_BYTES } from '../server/records/masked-crc.js'
import { QUICK, report, progress } from './lib.js'

/*
 * Decides where a native CRC could pay: one call per record of each size, over a buffer of many
 * such records, as the scanner would make them. The addon is not a dependency of lossboard; it is
 * loaded from node_modules if present, else from LOSSBOARD_NATIVE_CRC_DIR (a folder where
 * `npm install @node-rs/crc32` was run), else this benchmark reports the JS figures only.
 */

type Crc = (buf: Uint8Array, initial?: number) => number

function loadNative (): Crc | null {
  for (const base of [import.meta.url, process.env.LOSSBOARD_NATIVE_CRC_DIR ? `${process.env.LOSSBOARD_NATIVE_CRC_DIR}/` : null]) {
    if (base === null) continue
    try {
      const req = createRequire(base.startsWith('file:') ? base : `file://${base}`)
      const mod = req('@node-rs/crc32') as { crc32c: (b: Uint8Array | Buffer, init?: number) => number }
      return (b) => mod.crc32c(b as Buffer)
    } catch {}
  }
  return null
}

const SIZES = [8, 33, 128, 1024, 4096, 16_384, 65_536, 1_048_576]
const TOTAL = QUICK ? 16 << 20 : 64 << 20

/** Largest multiple of 8 below the native switch-over: longer ranges are done in such pieces, all in JS. */
const JS_PIECE = (NATIVE_MIN_BYTES - 1) & ~7

/** CRC work of `buf[s, e)` in JavaScript only (pieces below the native switch-over; the value is not chained, the cost is the same). */
function jsOnly (buf: Uint8Array, s: number, e: number): number {
  if (e - s < NATIVE_MIN_BYTES) return crc32c(buf, s, e)
  let x = 0
  for (let p = s; p < e; p += JS_PIECE) x ^= crc32c(buf, p, Math.min(e, p + JS_PIECE))
  return x
}

function timeIt (fn: () => number): number {
  let best = Infinity
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint()
    fn()
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9)
  }
  return best
}

function main (): void {
  const native = loadNative()
  if (native === null) progress('@node-rs/crc32 not found: JS figures only (set LOSSBOARD_NATIVE_CRC_DIR)')
  const buf = Buffer.alloc(TOTAL)
  for (let i = 0; i < buf.length; i++) buf[i] = (i * 2654435761) >>> 24
  if (native !== null && native(buf.subarray(0, 1000)) !== crc32c(buf, 0, 1000)) throw new Error('native and JS CRC32C disagree')
  const metrics: Record<string, number> = {}
  for (const size of SIZES) {
    const count = Math.floor(TOTAL / size)
    const js = timeIt(() => { let x = 0; for (let k = 0; k < count; k++) x ^= jsOnly(buf, k * size, (k + 1) * size); return x })
    metrics[`js_${size}B_MBps`] = count * size / 1e6 / js
    if (native !== null) {
      const nat = timeIt(() => { let x = 0; for (let k = 0; k < count; k++) x ^= native(buf.subarray(k * size, (k + 1) * size)); return x })
      metrics[`native_${size}B_MBps`] = count * size / 1e6 / nat
    }
  }
  report({
    scenario: 'crc32c/js-vs-native',
    metrics,
    notes: ['one call per record of the given size, best of 5 passes over a buffer of such records']
  })
}

main()
