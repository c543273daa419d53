/**
 * Lightning's `hparams.yaml`: PyTorch Lightning's TensorBoardLogger writes the module's
 * `save_hyperparameters()` as `<run>/hparams.yaml` next to the event files. Parsed with the `yaml`
 * package, nested maps flattened to dotted names (`optimizer.lr`); hparams-reader.ts reads the
 * bytes through the logdir source.
 */

import { parseDocument } from 'yaml'
import { flattenConfig, type HParamValue } from '../records/config-flatten.js'

/** The flattened hyper-parameters of an hparams.yaml's text; null when it is unparsable or not a map. */
export function parseHParamsYaml (text: string): Record<string, HParamValue> | null {
  try {
    // Lightning may tag values with Python types (!!python/object): unknown tags are warnings and
    // the values are read as plain YAML; syntax errors make the file unusable.
    const parsed = parseDocument(text, { logLevel: 'silent' })
    const doc: unknown = parsed.errors.length > 0 ? null : parsed.toJS({ maxAliasCount: 100 })
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return null
    const result: Record<string, HParamValue> = {}
    flattenConfig(doc as Record<string, unknown>, '', result)
    return result
  } catch { return null }
}
