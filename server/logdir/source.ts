/**
 * Where event files come from. The logdir loader and run loader read through this interface only,
 * so the same reader, store and enrichment serve a local directory (fs-source.ts) and an
 * S3-compatible bucket prefix (s3-source.ts).
 */

import type { DiscoverResult } from './discover.js'

/** An open event file: its size when opened, and positioned reads. */
export interface SourceFile {
  readonly size: number
  /** Reads up to `length` bytes at `position` into `buf[offset…]`; resolves to the count read (0 at the end). */
  read (buf: Buffer, offset: number, length: number, position: number): number | Promise<number>
  close (): void
  /**
   * Local files only (fs-source.ts), for the checks that a file read before is still that file:
   * its identity (device, inode, birth time), a synchronous read of a few bytes, and the descriptor
   * (for the pipelined reader's worker thread). Object storage checks rewrites itself, by ETag.
   */
  readonly identity?: string
  readonly fd?: number
  readAt? (at: number, length: number): Buffer
  sameBytes? (bytes: Buffer, at: number): boolean
}

export interface LogdirSource {
  /** 'fs' sources can be watched with native events and read by the worker thread; others are polled. */
  readonly kind: 'fs' | 's3'
  /** The logdir as the user named it: an absolute path or `s3://bucket/prefix`. */
  readonly location: string
  /** Prepended to every run name (`--logdir-spec name:…` gives `name/`), '' otherwise. */
  readonly runPrefix: string
  /** Lists runs and their event files. File ids are absolute paths or `s3://bucket/key` URLs. */
  discover (onError: (dir: string, err: unknown) => void): Promise<DiscoverResult>
  /**
   * Opens a file. Throws a {@link FileGoneError} when it no longer exists, {@link NotRegularFileError}
   * when it is a FIFO, socket or device (never opened), {@link ObjectRewrittenError} when its bytes
   * already read changed; other errors (EACCES, EMFILE…) keep their `code`.
   */
  open (file: string): Promise<SourceFile>
  /** A file's id relative to the location, with '/' separators (logs, API). */
  relative (file: string): string
  /** Run name of a directory id (with the run prefix). */
  runNameOf (dir: string): string
  /** Identity of a file's current version: mtime+size+inode, or the ETag. Used by the cache. */
  identity (file: string): string | null
  /**
   * Restart cache: true if the file's first `offset` bytes are still those that were read before
   * (same identity, or an append: `tail`, the bytes just before `offset`, unchanged). The source
   * may check lazily (S3: on the next GET, which then throws {@link ObjectRewrittenError}).
   */
  resume (file: string, offset: number, tail: Buffer, identity: string | null): Promise<boolean>
  /**
   * Side reads (hyper-parameters): a file named relative to the location ('/' separators), an
   * event file or a sidecar such as Lightning's `hparams.yaml`. Its version, a string that changes
   * whenever its content does, without reading it; null when it is absent. Never touches the
   * incremental reading state of event files.
   */
  sideVersion (rel: string): Promise<string | null>
  /** Up to `maxBytes` from the start of such a file; null when it is absent or cannot be read. */
  readSide (rel: string, maxBytes: number): Promise<Buffer | null>
  /** Forgets what was read of these files (their run is read again from the start). */
  forget (files: string[]): void
  close (): void
}

/** The file vanished between discovery and reading (ENOENT, NoSuchKey). */
export class FileGoneError extends Error {
  readonly code = 'ENOENT'
}

/** A local file name that holds a FIFO, socket or device now: it is not opened (that could block). */
export class NotRegularFileError extends Error {
  readonly code = 'not-regular'
}

/**
 * The bytes already read of a file are not its bytes any more (an object re-uploaded with other
 * content, or shorter than what was read). Its run has to be read again from the start.
 */
export class ObjectRewrittenError extends Error {
  constructor (readonly file: string, readonly why: string) { super(`${file} was rewritten: ${why}`) }
}
