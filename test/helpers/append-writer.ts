/**
 * Child-process writer for live tests: appends one scalar event at a time to an event file, like a
 * training process flushing its writer, and prints `wrote <step> <epoch ms>` after each append.
 * Usage: tsx append-writer.ts FILE TAG FIRST_STEP COUNT INTERVAL_MS
 */

import { appendFileSync, existsSync } from 'node:fs'
import { EventFileBuilder } from '../../server/records/event-writer.js'

const [file, tag, first, count, interval] = process.argv.slice(2)
const start = Number(first)
const n = Number(count)
const every = Number(interval)
if (!existsSync(file!)) appendFileSync(file!, new EventFileBuilder().fileVersion(Date.now() / 1000).bytes())
let k = 0
const timer = setInterval(() => {
  const step = start + k
  appendFileSync(file!, new EventFileBuilder().scalar(tag!, step, Date.now() / 1000, Math.sin(step)).bytes())
  process.stdout.write(`wrote ${step} ${Date.now()}\n`)
  if (++k >= n) clearInterval(timer)
}, every)
