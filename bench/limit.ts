/** The ingest "limit": read a logdir's event files from the page cache and CRC32C every byte, nothing else. */

import { openSync, readSync, closeSync, fstatSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { crc32c, NATIVE_CRC, NATIVE_MIN_BYTES } from '../server/records/masked-crc.js'
import { CHUNK_BYTES } from '../server/logdir/run-loader.js'

/*
 * The same 4 MiB readSync loop as the run loader, then CRC32C over every byte, and nothing else
 * (no framing, no decoding, no storing):
 *   --crc js      JavaScript slicing-by-8 (the code that verifies every small record), called on
 *                 1016-byte pieces so that it never hands off to the native addon (default);
 *   --crc native  the native addon (what records of 1 KiB and more use) over whole 4 MiB chunks.
 * For files of small records `js` is what ingest cannot beat (a native call per 49-byte record is
 * slower, bench/crc.bench.ts); `native` is an absolute bound no per-record verification reaches.
 * Prints one JSON line: {crc, files, bytes, seconds, mbPerSecond}. Usage: tsx bench/limit.ts DIR [--crc js|native]
 */

function eventFiles (dir: string): string[] {
  const out: string[] = []
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) out.push(...eventFiles(p))
    else if (e.name.includes('tfevents')) out.push(p)
  }
  return out.sort()
}

const dir = process.argv[2]
if (dir === undefined || !statSync(dir).isDirectory()) {
  process.stderr.write('usage: tsx bench/limit.ts DIR\n')
  process.exit(2)
}
const mode = process.argv.includes('--crc') ? process.argv[process.argv.indexOf('--crc') + 1] : 'js'
if (mode !== 'js' && mode !== 'native') {
  process.stderr.write('--crc must be js or native\n')
  process.exit(2)
}
if (mode === 'native' && !NATIVE_CRC) {
  process.stderr.write('the native CRC32C addon (@node-rs/crc32) is not installed\n')
  process.exit(3)
}
/** Largest multiple of 8 below the native switch-over: the JS path in whole slicing-by-8 steps. */
const JS_PIECE = (NATIVE_MIN_BYTES - 1) & ~7
const files = eventFiles(dir)
const buf = Buffer.allocUnsafe(CHUNK_BYTES)
let bytes = 0
let sink = 0
const t0 = process.hrtime.bigint()
for (const f of files) {
  const fd = openSync(f, 'r')
  const size = fstatSync(fd).size
  let off = 0
  while (off < size) {
    const n = readSync(fd, buf, 0, Math.min(buf.length, size - off), off)
    if (n <= 0) break
    if (mode === 'native') {
      sink ^= crc32c(buf, 0, n)
    } else {
      for (let p = 0; p < n; p += JS_PIECE) sink ^= crc32c(buf, p, Math.min(n, p + JS_PIECE))
    }
    off += n
  }
  closeSync(fd)
  bytes += off
}
const seconds = Number(process.hrtime.bigint() - t0) / 1e9
process.stdout.write(JSON.stringify({ crc: mode, files: files.length, bytes, seconds, mbPerSecond: bytes / 1e6 / seconds, crcXor: sink >>> 0 }) + '\n')
