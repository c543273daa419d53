/** `--logdir-spec name1:/path/a,name2:s3://b/p`: TensorBoard's `--logdir_spec` rules, and sources for each part. */

import path from 'node:path'
import os from 'node:os'
import type { Logger } from 'pino'
import { FsSource } from './fs-source.js'
import type { DiscoverOptions } from './discover.js'
import { S3Source, type S3SourceOptions } from './s3-source.js'
import type { LogdirSource } from './source.js'

export interface LogdirPart {
  /** Run-name prefix (runs are named `name/run`); null for an unnamed part (run names as in a plain --logdir). */
  name: string | null
  /** Absolute path, or a URL such as `s3://bucket/prefix`. */
  location: string
}

const URI = /^[a-zA-Z][0-9a-zA-Z.]*:\/\/.*/

/**
 * Splits a spec as TensorBoard does (tensorboard/backend/event_processing/data_ingester.py,
 * parse_event_files_spec): parts are separated by commas; `name:path` names a part unless the
 * whole part is a URI, starts with '/', or has a Windows drive; local paths are made absolute with
 * `~` expanded (TensorBoard also resolves symlinks, which changes nothing in the run names). Two
 * parts with the same path keep the last name, as in TensorBoard's dict.
 */
export function parseLogdirSpec (spec: string): LogdirPart[] {
  const byPath = new Map<string, string | null>()
  for (const part of spec.split(',')) {
    if (part === '') continue
    let name: string | null = null
    let loc = part
    if (!URI.test(part) && part.includes(':') && !part.startsWith('/') && !(process.platform === 'win32' && /^[a-zA-Z]:[\\/]/.test(part))) {
      const at = part.indexOf(':')
      name = part.slice(0, at)
      loc = part.slice(at + 1)
    }
    if (!URI.test(loc)) loc = path.resolve(loc.replace(/^~(?=$|\/)/, os.homedir()))
    byPath.set(loc, name)
  }
  return [...byPath].map(([location, name]) => ({ name, location }))
}

/** The source of one part: s3:// URLs read through the S3 client, anything else from the file system. */
export function sourceFor (part: LogdirPart, s3: Omit<S3SourceOptions, 'runPrefix'> & { log?: Logger }, fs: DiscoverOptions = {}): LogdirSource {
  const runPrefix = part.name === null || part.name === '' ? '' : `${part.name}/`
  if (part.location.startsWith('s3://')) return new S3Source(part.location, { ...s3, runPrefix })
  if (URI.test(part.location)) throw new Error(`unsupported logdir URL '${part.location}' (only s3:// and local paths)`)
  return new FsSource(part.location, runPrefix, fs)
}
