/**
 * Reads hyper-parameters for /api/v1/hparams through the logdir sources (local directories and
 * object storage alike, one or several parts of a `--logdir-spec`): the hparams plugin's session
 * data and JSON text configs of event files, and Lightning's `hparams.yaml` beside them. The scalar
 * pipeline skips plugin contents, so this is a separate pass of side reads, cached per file by its
 * version (size and mtime, or ETag). Only the first HPARAMS_SCAN_BYTES of an event file are read:
 * the data is written when a session starts.
 */

import { fileHParams, type FileHParamsData } from '../records/hparams-decoder.js'
import type { HParamValue } from '../records/config-flatten.js'
import { parseHParamsYaml } from './hparams-yaml.js'
import type { LogdirSource } from './source.js'

export const HPARAMS_SCAN_BYTES = 16 * 1024 * 1024
/** An hparams.yaml larger than this is not hyper-parameters (and is not read). */
const MAX_YAML_BYTES = 1 << 20

export interface HParamsReaders {
  /** One event file of a run (named as the store lists it: relative to its part's location). */
  readFile: (run: string, file: string) => Promise<FileHParamsData | null>
  /** The run's `hparams.yaml`, flattened; null when it has none. */
  readYaml: (run: string) => Promise<Record<string, HParamValue> | null>
}

/** The parts that may hold a run: those whose run prefix starts its name, the longest prefix first. */
function partsOf (sources: readonly LogdirSource[], run: string): LogdirSource[] {
  return sources.filter(s => run.startsWith(s.runPrefix)).sort((a, b) => b.runPrefix.length - a.runPrefix.length)
}

/** Readers over `sources`, each with its own cache (an app's lifetime). */
export function hparamsReaders (sources: readonly LogdirSource[]): HParamsReaders {
  const cache = new Map<string, { version: string, result: unknown }>()
  /** Parses a file of the first part that has it, cached by the part, name and version. */
  async function side<T> (run: string, rel: (s: LogdirSource) => string, maxBytes: number, parse: (b: Buffer) => T): Promise<T | null> {
    for (const s of partsOf(sources, run)) {
      const name = rel(s)
      const version = await s.sideVersion(name)
      if (version === null) continue
      const key = `${s.location}\0${name}`
      const hit = cache.get(key)
      if (hit !== undefined && hit.version === version) return hit.result as T
      const bytes = await s.readSide(name, maxBytes)
      if (bytes === null) return null // unreadable now: not cached, asked again next time
      const result = parse(bytes)
      cache.set(key, { version, result })
      return result
    }
    return null
  }
  return {
    readFile: async (run, file) => await side(run, () => file, HPARAMS_SCAN_BYTES, b => fileHParams(b, b.length)),
    readYaml: async (run) => {
      const dirOf = (s: LogdirSource): string => {
        const dir = run.slice(s.runPrefix.length)
        return dir === '.' || dir === '' ? 'hparams.yaml' : `${dir}/hparams.yaml`
      }
      return await side(run, dirOf, MAX_YAML_BYTES + 1, b => b.length > MAX_YAML_BYTES ? null : parseHParamsYaml(b.toString('utf8')))
    }
  }
}
