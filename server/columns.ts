/**
 * Growable typed columns: how a full column grows, and growing it (in place in a resizable buffer
 * once large). Shared by the store's series and the enrichment's per-point arrays; a leaf.
 */

/** Growth factor: 1.5 keeps the slack (and so bytes per point) lower than doubling. */
const GROWTH = 1.5
/**
 * Below this capacity columns grow ×4: allocating fresh memory, not copying, is what a grow costs
 * (measured: 3,000 series of 1,000 points take 3× longer at ×1.5 than at ×4, in 33,000 allocations
 * instead of 9,000), and a logdir of many short runs is made of such series. The slack is at most
 * 3 × 4096 points, and the initial load trims it.
 */
const SMALL_CAPACITY = 4096
const SMALL_GROWTH = 4
/**
 * From this capacity on, a column lives in a resizable ArrayBuffer that grows in place: no copy,
 * and no fresh pages touched twice. Copy-on-grow costs more than the copy itself suggests: every
 * grow writes into never-touched memory, and first-touch page faults (≈3 ms per MB on the VMs we
 * measured, bench/README.md) made a 1.5× growth schedule cost more than decoding the records.
 * Below it, plain arrays: small series are the many, and each resizable buffer is a mapping of
 * its own (the kernel caps a process's mappings, vm.max_map_count).
 */
const IN_PLACE_MIN_CAPACITY = 1 << 15
/**
 * A resizable column reserves address space (not memory) for this many times its size, and at
 * least IN_PLACE_MIN_RESERVE_BYTES, so that series up to 16 M points never move (a move copies
 * into fresh memory: ~0.2 s at 2 M points, bench/memory.bench.ts).
 */
const IN_PLACE_RESERVE_FACTOR = 64
const IN_PLACE_MIN_RESERVE_BYTES = 128 * 1024 * 1024
/** Grow factor of in-place columns: growing costs no copy, and untouched pages cost no memory. */
const IN_PLACE_GROWTH = 2

/** A growable column (Uint8Array: per-point codes of the enrichment's columns). */
export type Column = Int32Array | Float32Array | Float64Array | Uint8Array

/** ES2024 resizable ArrayBuffer members, typed here because the project targets ES2022's lib. */
interface ResizableBuffer extends ArrayBuffer {
  readonly resizable: boolean
  readonly maxByteLength: number
  resize (byteLength: number): void
}

const ResizableArrayBuffer = ArrayBuffer as unknown as new (byteLength: number, opts: { maxByteLength: number }) => ResizableBuffer

/** True when the column lives in a resizable buffer (it grows in place). */
export function isResizable (col: Column): boolean { return (col.buffer as ResizableBuffer).resizable }

/** How much a full column grows: fast while small, then by 1.5, then (in place) by 2. */
export function growthFactor (col: Column): number {
  if ((col.buffer as ResizableBuffer).resizable) return IN_PLACE_GROWTH
  return col.length < SMALL_CAPACITY ? SMALL_GROWTH : GROWTH
}

/**
 * `col` with room for `capacity` elements and its first `n` kept, as the same array type or, with
 * `Ctor`, widened to it. Grows in place when the column's buffer is resizable and has the room;
 * otherwise copies into a new buffer, resizable once the capacity is large enough (falling back
 * to a plain one if the address space reservation is refused).
 */
export function resizeColumn<T extends Column> (col: Column, n: number, capacity: number, Ctor: new (b: ArrayBuffer, off: number, len: number) => T): T {
  const bytes = capacity * Ctor.prototype.BYTES_PER_ELEMENT
  const buf = col.buffer as ResizableBuffer
  let inPlace = capacity >= IN_PLACE_MIN_CAPACITY
  if (col.constructor === Ctor && buf.resizable && bytes <= buf.maxByteLength) {
    try {
      buf.resize(bytes)
      return new Ctor(buf, 0, capacity)
    } catch {
      inPlace = false // the kernel refused to commit the pages (e.g. its mapping limit): copy into a plain column
    }
  }
  let next: ArrayBuffer
  if (inPlace) {
    try {
      next = new ResizableArrayBuffer(bytes, { maxByteLength: Math.max(bytes * IN_PLACE_RESERVE_FACTOR, IN_PLACE_MIN_RESERVE_BYTES) })
    } catch {
      next = new ArrayBuffer(bytes)
    }
  } else {
    next = new ArrayBuffer(bytes)
  }
  const out = new Ctor(next, 0, capacity)
  out.set(col.subarray(0, n))
  return out
}
