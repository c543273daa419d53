/**
 * Reads the hparams plugin's session data of event files for /api/v1/hparams. The scalar pipeline
 * skips plugin contents, so this is a separate pass, cached per file by size and mtime. Only the
 * first HPARAMS_SCAN_BYTES of a file are read: the data is written when a session starts.
 */

import { openSync, readSync, closeSync, statSync } from 'node:fs'
import path from 'node:path'
import { sessionHParams, type SessionHParams } from '../records/hparams-decoder.js'

export const HPARAMS_SCAN_BYTES = 16 * 1024 * 1024

const cache = new Map<string, { size: number, mtimeMs: number, result: SessionHParams | null }>()

/** A reader for files named relative to `logdir` (as the store lists them). */
export function hparamsFileReader (logdir: string): (rel: string) => SessionHParams | null {
  return (rel) => readFileHParams(path.resolve(logdir, rel))
}

/** The hparams session data of one event file (null when it has none or cannot be read). */
export function readFileHParams (file: string): SessionHParams | null {
  let st
  try { st = statSync(file) } catch { return null }
  const hit = cache.get(file)
  if (hit !== undefined && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return hit.result
  const len = Math.min(st.size, HPARAMS_SCAN_BYTES)
  const buf = Buffer.alloc(len)
  try {
    const fd = openSync(file, 'r')
    try { readSync(fd, buf, 0, len, 0) } finally { closeSync(fd) }
  } catch { return null }
  const result = sessionHParams(buf, len)
  cache.set(file, { size: st.size, mtimeMs: st.mtimeMs, result })
  return result
}
