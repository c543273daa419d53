/**
 * Contiguous response bodies that a live append extends without a fresh allocation. A body
 * handed to a request is a lease on a slab: while any lease on a slab is out (its response is
 * still being written), the slab's bytes are never changed, and the next version is copied into an
 * idle slab instead (recycled, so the copy touches warm memory); with no lease out, the next
 * version is written in place. Sending one Buffer is markedly cheaper per request than streaming
 * parts, and allocating a fresh multi-megabyte Buffer on every append stalled the event loop for
 * 5-40 ms each time under 50 clients (page faults on new memory).
 */

/** A buffer whose prefix holds one body, with the number of leases out on it. */
export class Slab {
  users = 0
  constructor (readonly buf: Buffer) {}
}

/** One version of a body: `length` bytes at the start of `slab`. */
export interface Published {
  readonly slab: Slab
  readonly length: number
}

/** A request's hold on a body: `data` stays unchanged until `release()` (idempotent). */
export interface BodyLease {
  readonly data: Buffer
  /** The version leased (shared by every lease of it: a key for caches of derived bytes). */
  readonly body: Published | null
  release: () => void
  /** Another lease on the same bytes (for work that may outlive this one's response). */
  share: () => BodyLease
}

/**
 * A lease on `p`. With `taken` the slab's count was already raised for it (by whoever resolved
 * the build this lease comes from), so it is not raised again.
 */
export function lease (p: Published, onIdle: (s: Slab) => void, taken = false): BodyLease {
  if (!taken) p.slab.users++
  let out = true
  return {
    data: p.slab.buf.subarray(0, p.length),
    body: p,
    release: () => {
      if (!out) return
      out = false
      if (--p.slab.users === 0) onIdle(p.slab)
    },
    share: () => lease(p, onIdle)
  }
}

/** A lease on bytes nobody else holds (nothing to release). */
export function ownedLease (data: Buffer): BodyLease {
  const l: BodyLease = { data, body: null, release: () => {}, share: () => l }
  return l
}

/**
 * Writes the next version of a body: the first `keep` bytes of `from` (when given), then `add`
 * (strings of ASCII), into `from`'s own slab when no lease is out on it (or nothing in it is
 * overwritten) and it has room, else into
 * `spare` when idle and big enough, else into a new slab with room to grow. Synchronous: the
 * lease check and the write happen in one turn of the event loop.
 */
export function writeVersion (from: Published | null, keep: number, add: string[], spare: Slab | null): Published {
  let addBytes = 0
  for (const s of add) addBytes += s.length
  const length = keep + addBytes
  let slab: Slab
  // In place when nobody holds the slab, or when only bytes past every version in it are written
  // (the slab's versions are all prefixes of `from`, the latest: a CSV append).
  if (from !== null && (from.slab.users === 0 || keep >= from.length) && from.slab.buf.length >= length) {
    slab = from.slab
  } else {
    slab = spare !== null && spare.users === 0 && spare.buf.length >= length && spare !== from?.slab
      ? spare
      : new Slab(Buffer.allocUnsafe(length + Math.max(64 << 10, length >>> 3)))
    if (from !== null && keep > 0) from.slab.buf.copy(slab.buf, 0, 0, keep)
  }
  let at = keep
  for (const s of add) at += slab.buf.write(s, at, 'latin1')
  return { slab, length }
}
