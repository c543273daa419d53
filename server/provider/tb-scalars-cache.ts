/**
 * Bodies of TensorBoard's /data/plugin/scalars/scalars (JSON and CSV), built in slices that yield
 * to the event loop and cached per series version: concurrent requests for one tag share one
 * build, a live append only formats the new points and writes them after the bytes already there
 * (in place, or into a recycled buffer while responses are still reading the old version: see
 * tb-body.ts), and no request blocks the server for long.
 */

import type { ScalarStore, TagInfo } from '../store/scalar-store.js'
import { tbVisibleIndices, type ScalarSeries } from '../store/scalar-series.js'
import { findScalarTag } from './tb-compat.js'
import { pyJsonNumber, pyJsonString, pyCsvNumber, pyFloatRepr } from './py-format.js'
import { lease, ownedLease, writeVersion, type BodyLease, type Published, type Slab } from './tb-body.js'

/** The event loop gets a turn after this much formatting (checked every CHECK_POINTS points). */
const SLICE_MS = 10
const CHECK_POINTS = 500
/** Cached bodies are evicted (least recently used first) beyond this many bytes in total. */
const MAX_CACHE_BYTES = 256 << 20

type Kind = 'json' | 'csv'

interface Entry {
  series: WeakRef<ScalarSeries>
  /** The body of `version`, complete. */
  body: Published
  /** An idle slab kept for the next version, so that an append does not allocate. */
  spare: Slab | null
  version: number
  /** What the body was built from: an append-only change keeps these and extends the body. */
  points: number
  purges: number
  allInt: boolean
}

/** Requests waiting for a build: each gets a lease on its body, raised when the build writes it. */
interface Takers {
  count: number
  /** Set once the build has written its body and raised the takers' leases: nobody may join after. */
  settled: boolean
}

/** A build in progress. */
interface Pending {
  version: number
  takers: Takers
  promise: Promise<Published>
}

export interface TbScalarsCache {
  /**
   * JSON body of /data/plugin/scalars/scalars for a scalar tag (`findScalarTag` non-null). The
   * caller releases the lease once the response is written (or abandoned).
   */
  json: (t: TagInfo) => Promise<BodyLease>
  /** CSV body of the same. */
  csv: (t: TagInfo) => Promise<BodyLease>
  /** Body of POST scalars_multirun: runs that have the tag, in the order given. */
  multirun: (tag: string, runs: string[]) => Promise<BodyLease>
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
  const entries = new Map<string, Entry>()
  const pending = new Map<string, Pending>()
  const ids = new WeakMap<ScalarSeries, number>()
  let nextId = 0
  let total = 0

  const keyOf = (s: ScalarSeries, kind: Kind): string => {
    let id = ids.get(s)
    if (id === undefined) { id = nextId++; ids.set(s, id) }
    return `${kind}:${id}`
  }

  const held = (e: Entry): number => e.body.slab.buf.length + (e.spare?.buf.length ?? 0)

  /** A slab whose last lease ended: kept as the entry's spare when it is not the current body's and bigger than the spare. */
  const idleFor = (key: string) => (slab: Slab): void => {
    const e = entries.get(key)
    if (e === undefined || e.body.slab === slab || (e.spare !== null && e.spare.buf.length >= slab.buf.length)) return
    total += slab.buf.length - (e.spare?.buf.length ?? 0)
    e.spare = slab
  }

  const remember = (key: string, e: Entry): void => {
    const old = entries.get(key)
    if (old !== undefined) { total -= held(old); entries.delete(key) }
    entries.set(key, e)
    total += held(e)
    for (const [k, v] of entries) {
      if (total <= MAX_CACHE_BYTES && v.series.deref() !== undefined) continue
      if (k === key) continue
      total -= held(v)
      entries.delete(k)
      if (total <= MAX_CACHE_BYTES) break
    }
  }

  async function build (s: ScalarSeries, kind: Kind, key: string, takers: Takers): Promise<Published> {
    const version = s.version
    const allInt = s.allInt
    const purges = s.purges.length
    const old = entries.get(key)
    const idx = tbVisibleIndices(s)
    const count = idx === null ? s.length : idx.length
    // Appends only (no purge since, same number formatting): keep the old bytes, format the new points after them.
    const extend = old !== undefined && old.purges === purges && old.allInt === allInt && old.points <= count && old.points > 0
    const add: string[] = []
    let from = 0
    if (extend) {
      from = old.points
    } else {
      add.push(kind === 'json' ? '[' : CSV_HEADER)
    }
    let sliceStart = performance.now()
    for (let k = from; k < count; k += CHECK_POINTS) {
      if (performance.now() - sliceStart >= SLICE_MS) {
        await yieldTurn()
        sliceStart = performance.now()
      }
      add.push(formatRange(s, kind, idx, k, Math.min(count, k + CHECK_POINTS), k === 0))
    }
    if (kind === 'json') add.push(']')
    // From here on synchronous: which slab is free is decided and written in one turn.
    const base = extend ? entries.get(key) : undefined
    const prev = base !== undefined && base === old ? base : undefined
    // The body to extend was evicted meanwhile: build again from scratch.
    if (extend && prev === undefined) return await build(s, kind, key, takers)
    const keep = prev === undefined ? 0 : prev.body.length - (kind === 'json' ? 1 : 0)
    const body = writeVersion(prev?.body ?? null, keep, add, prev?.spare ?? null)
    const spare = prev === undefined || prev.spare === body.slab ? null : prev.spare
    remember(key, { series: new WeakRef(s), body, spare, version, points: count, purges, allInt })
    // Every request waiting for this build holds a lease from now on.
    body.slab.users += takers.count
    takers.settled = true
    return body
  }

  async function get (t: TagInfo, kind: Kind): Promise<BodyLease> {
    const s = t.series!
    const key = keyOf(s, kind)
    const onIdle = idleFor(key)
    const take = async (rec: Pending): Promise<BodyLease> => {
      rec.takers.count++
      return lease(await rec.promise, onIdle, true)
    }
    const hit = entries.get(key)
    if (hit !== undefined && hit.version === s.version) {
      // most recently used last
      entries.delete(key)
      entries.set(key, hit)
      return lease(hit.body, onIdle)
    }
    const p = pending.get(key)
    if (p !== undefined && p.version === s.version && !p.takers.settled) return await take(p)
    // A build for an older version still runs: wait for it (it is the base to extend), then build on.
    if (p !== undefined) await p.promise.catch(() => {})
    const done = entries.get(key)
    if (done !== undefined && done.version === s.version) return lease(done.body, onIdle)
    const again = pending.get(key)
    if (again !== undefined && again.version === s.version && !again.takers.settled) return await take(again)
    // This request is the first taker (counted before the build runs: it may finish without yielding).
    const takers: Takers = { count: 1, settled: false }
    const promise = build(s, kind, key, takers).finally(() => { if (pending.get(key)?.promise === promise) pending.delete(key) })
    pending.set(key, { version: s.version, takers, promise })
    return lease(await promise, onIdle, true)
  }

  return {
    json: async (t) => await get(t, 'json'),
    csv: async (t) => await get(t, 'csv'),
    multirun: async (tag, runs) => {
      const leases: BodyLease[] = []
      const parts: Buffer[] = [Buffer.from('{')]
      try {
        let first = true
        for (const r of runs) {
          const t = findScalarTag(store, r, tag)
          if (t === null) continue
          const l = await get(t, 'json')
          leases.push(l)
          parts.push(Buffer.from((first ? '' : ', ') + pyJsonString(r) + ': '), l.data)
          first = false
        }
        parts.push(Buffer.from('}'))
        return ownedLease(Buffer.concat(parts))
      } finally {
        for (const l of leases) l.release()
      }
    },
    bytes: () => total
  }
}
