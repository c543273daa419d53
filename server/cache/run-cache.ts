/** The restart cache's side of one run loader: the bytes before each file's offset (to check on restart that it still starts the same). */

/** Bytes before a file's offset kept per file. */
const TAIL_BYTES = 16

export class TailTracker {
  readonly tails = new Map<string, Buffer>()

  /** The reader consumed the first `consumed` bytes of `buf` (which starts at the file's old offset). */
  consumed (file: string, buf: Buffer, consumed: number): void {
    if (consumed === 0) return
    if (consumed >= TAIL_BYTES) this.tails.set(file, Buffer.from(buf.subarray(consumed - TAIL_BYTES, consumed)))
    else this.tails.set(file, Buffer.concat([this.tails.get(file) ?? Buffer.alloc(0), buf.subarray(0, consumed)]).subarray(-TAIL_BYTES))
  }

  /** The bytes just before a file's offset, read by the fs source after a read (pipelined reads pass no chunks here). */
  set (file: string, before: Buffer): void {
    this.tails.set(file, Buffer.from(before.subarray(-TAIL_BYTES)))
  }
}
