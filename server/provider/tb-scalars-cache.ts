/**
 * Bodies of TensorBoard's /data/plugin/scalars/scalars (JSON and CSV), built in slices that yield
 * to the event loop and cached per series version: concurrent requests for one tag share one
 * build, a live append only formats the new points, and no request blocks the server for long.
 */

import type { ScalarStore, TagInfo } from '../store/scalar-store.js'
import { tbVisibleIndices, type ScalarSeries } from '../store/scalar-series.js'
import { findScalarTag } from './tb-compat.js'
import { pyJsonNumber, pyJsonString, pyCsvNumber, pyFloatRepr } from './py-format.js'

/** The event loop gets a turn after this much formatting (checked every CHECK_POINTS points). */
const SLICE_MS = 10
const CHECK_POINTS = 500
/** Cached bodies are evicted (least recently used first) beyond this many bytes in total. */
const MAX_CACHE_BYTES = 256 << 20

type Kind = 'json' | 'csv'

interface Entry {
  /** The body for `version`, complete. */
  body: Buffer
  version: number
  /** What the body was built from: an append-only change keeps these and extends the body. */
  points: number
  purges: number
  allInt: boolean
}

export interface TbScalarsCache {
  /** JSON body of /data/plugin/scalars/scalars for a scalar tag (`findScalarTag` non-null). */
  json: (t: TagInfo) => Promise<Buffer>
  /** CSV body of the same. */
  csv: (t: TagInfo) => Promise<Buffer>
  /** Body of POST scalars_multirun: runs that have the tag, in the order given. */
  multirun: (tag: string, runs: string[]) => Promise<Buffer>
  /** Bytes held (for tests and metrics). */
  bytes: () => number
}

const yieldTurn = async (): Promise<void> => await new Promise(resolve => setImmediate(resolve))

const CSV_HEADER = 'Wall time,Step,Value\r\n'

/** Formats points [from, to) of the visible index list (or of the series when `idx` is null). */
function formatRange (s: ScalarSeries, kind: Kind, idx: Uint32Array | null, from: number, to: number, first: boolean): string {
  const { steps, wallTimes, values } = s.columns()
  const parts: string[] = new Array(to - from)
  for (let k = from; k < to; k++) {
    const i = idx === null ? k : idx[k]!
    parts[k - from] = kind === 'json'
      ? '[' + pyJsonNumber(wallTimes[i]!, false) + ', ' + String(steps[i]) + ', ' + pyJsonNumber(values[i]!, s.allInt) + ']'
      : pyFloatRepr(wallTimes[i]!) + ',' + String(steps[i]) + ',' + pyCsvNumber(values[i]!, s.allInt) + '\r\n'
  }
  if (kind === 'csv') return parts.join('')
  return (first ? '' : ', ') + parts.join(', ')
}

export function createTbScalarsCache (store: ScalarStore): TbScalarsCache {
  const entries = new Map<string, { series: WeakRef<ScalarSeries>, entry: Entry }>()
  const pending = new Map<string, { version: number, promise: Promise<Buffer> }>()
  const ids = new WeakMap<ScalarSeries, number>()
  let nextId = 0
  let total = 0

  const keyOf = (s: ScalarSeries, kind: Kind): string => {
    let id = ids.get(s)
    if (id === undefined) { id = nextId++; ids.set(s, id) }
    return `${kind}:${id}`
  }

  const remember = (key: string, s: ScalarSeries, e: Entry): void => {
    const old = entries.get(key)
    if (old !== undefined) { total -= old.entry.body.length; entries.delete(key) }
    entries.set(key, { series: new WeakRef(s), entry: e })
    total += e.body.length
    for (const [k, v] of entries) {
      if (total <= MAX_CACHE_BYTES && v.series.deref() !== undefined) continue
      if (k === key) continue
      total -= v.entry.body.length
      entries.delete(k)
      if (total <= MAX_CACHE_BYTES) break
    }
  }

  async function build (s: ScalarSeries, kind: Kind, key: string): Promise<Buffer> {
    const version = s.version
    const allInt = s.allInt
    const purges = s.purges.length
    const old = entries.get(key)?.entry
    const idx = tbVisibleIndices(s)
    const count = idx === null ? s.length : idx.length
    // Appends only (no purge since, same number formatting): keep the old body, format the new points.
    const extend = old !== undefined && old.purges === purges && old.allInt === allInt && old.points <= count && old.points > 0
    const chunks: Buffer[] = []
    let from = 0
    if (extend) {
      chunks.push(old.body.subarray(0, old.body.length - (kind === 'json' ? 1 : 0)))
      from = old.points
    } else {
      chunks.push(Buffer.from(kind === 'json' ? '[' : CSV_HEADER))
    }
    let sliceStart = performance.now()
    for (let k = from; k < count; k += CHECK_POINTS) {
      if (performance.now() - sliceStart >= SLICE_MS) {
        await yieldTurn()
        sliceStart = performance.now()
      }
      chunks.push(Buffer.from(formatRange(s, kind, idx, k, Math.min(count, k + CHECK_POINTS), k === 0)))
    }
    if (kind === 'json') chunks.push(Buffer.from(']'))
    const body = Buffer.concat(chunks)
    remember(key, s, { body, version, points: count, purges, allInt })
    return body
  }

  async function get (t: TagInfo, kind: Kind): Promise<Buffer> {
    const s = t.series!
    const key = keyOf(s, kind)
    const hit = entries.get(key)
    if (hit !== undefined && hit.entry.version === s.version) {
      // most recently used last
      entries.delete(key)
      entries.set(key, hit)
      return hit.entry.body
    }
    const p = pending.get(key)
    if (p !== undefined && p.version === s.version) return await p.promise
    // A build for an older version still runs: wait for it (it is the base to extend), then build on.
    if (p !== undefined) await p.promise.catch(() => {})
    const again = pending.get(key)
    if (again !== undefined && again.version === s.version) return await again.promise
    const done = entries.get(key)
    if (done !== undefined && done.entry.version === s.version) return done.entry.body
    const promise = build(s, kind, key).finally(() => { if (pending.get(key)?.promise === promise) pending.delete(key) })
    pending.set(key, { version: s.version, promise })
    return await promise
  }

  return {
    json: async (t) => await get(t, 'json'),
    csv: async (t) => await get(t, 'csv'),
    multirun: async (tag, runs) => {
      const parts: Buffer[] = [Buffer.from('{')]
      let first = true
      for (const r of runs) {
        const t = findScalarTag(store, r, tag)
        if (t === null) continue
        parts.push(Buffer.from((first ? '' : ', ') + pyJsonString(r) + ': '), await get(t, 'json'))
        first = false
      }
      parts.push(Buffer.from('}'))
      return Buffer.concat(parts)
    },
    bytes: () => total
  }
}
