/**
 * Lightning's `hparams.yaml`: PyTorch Lightning's TensorBoardLogger writes the module's
 * `save_hyperparameters()` as `<run>/hparams.yaml` next to the event files. Read read-only, parsed
 * with the `yaml` package, nested maps flattened to dotted names (`optimizer.lr`), cached by size
 * and modification time.
 */

import { readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { parseDocument } from 'yaml'
import type { HParamValue } from '../provider/hparams.js'

/** Files larger than this are not hyper-parameters (and are not read). */
const MAX_BYTES = 1 << 20

const cache = new Map<string, { size: number, mtimeMs: number, result: Record<string, HParamValue> | null }>()

/** A reader of `<logdir>/<run>/hparams.yaml` by run name. */
export function hparamsYamlReader (logdir: string): (run: string) => Record<string, HParamValue> | null {
  return (run) => readHParamsYaml(path.join(logdir, run, 'hparams.yaml'))
}

/** The flattened hyper-parameters of one hparams.yaml; null when it is absent, too big, unparsable or not a map. */
export function readHParamsYaml (file: string): Record<string, HParamValue> | null {
  let st
  try { st = statSync(file) } catch { return null }
  if (!st.isFile() || st.size > MAX_BYTES) return null
  const hit = cache.get(file)
  if (hit !== undefined && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return hit.result
  let result: Record<string, HParamValue> | null = null
  try {
    // Lightning may tag values with Python types (!!python/object): unknown tags are warnings and
    // the values are read as plain YAML; syntax errors make the file unusable.
    const parsed = parseDocument(readFileSync(file, 'utf8'), { logLevel: 'silent' })
    const doc: unknown = parsed.errors.length > 0 ? null : parsed.toJS({ maxAliasCount: 100 })
    if (doc !== null && typeof doc === 'object' && !Array.isArray(doc)) {
      result = {}
      flatten(doc as Record<string, unknown>, '', result)
    }
  } catch { result = null }
  cache.set(file, { size: st.size, mtimeMs: st.mtimeMs, result })
  return result
}

function flatten (obj: Record<string, unknown>, prefix: string, out: Record<string, HParamValue>): void {
  for (const [k, v] of Object.entries(obj)) {
    const name = prefix + k
    if (v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') out[name] = v
    else if (v instanceof Date) out[name] = v.toISOString()
    else if (Array.isArray(v)) out[name] = JSON.stringify(v)
    else if (typeof v === 'object') flatten(v as Record<string, unknown>, `${name}.`, out)
    else out[name] = String(v)
  }
}
