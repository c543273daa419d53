/**
 * Framework configs as flat hyper-parameters: nested maps become dotted names (`optimizer.lr`),
 * lists are kept as their JSON text, and scalars keep their JSON type. Used for Lightning's
 * `hparams.yaml` and for the JSON configs that Hugging Face's Trainer logs as text summaries
 * (`args/text_summary`, `model_config/text_summary`). Pure.
 */

export type HParamValue = number | string | boolean | null

/** Flattens `obj` into `out`, every name prefixed by `prefix` (`''` or ending in '.'). */
export function flattenConfig (obj: Record<string, unknown>, prefix: string, out: Record<string, HParamValue>): void {
  for (const [k, v] of Object.entries(obj)) {
    const name = prefix + k
    if (v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') out[name] = v
    else if (v instanceof Date) out[name] = v.toISOString()
    else if (Array.isArray(v)) out[name] = JSON.stringify(v)
    else if (typeof v === 'object') flattenConfig(v as Record<string, unknown>, `${name}.`, out)
    else out[name] = String(v)
  }
}

/** Text larger than this is not read as a config. */
export const MAX_CONFIG_CHARS = 1 << 20

/**
 * The flattened entries of a text that is a JSON object (what `json.dumps(config, indent=2)`
 * gives), each name prefixed by `prefix`; null for any other text (prose, markdown, a list).
 */
export function parseJsonConfig (text: string, prefix: string): Record<string, HParamValue> | null {
  const t = text.trim()
  if (!t.startsWith('{') || !t.endsWith('}') || t.length > MAX_CONFIG_CHARS) return null
  let doc: unknown
  // Python's json.dumps writes NaN and Infinity bare: read them as strings rather than lose the config.
  try { doc = JSON.parse(t) } catch {
    try { doc = JSON.parse(t.replace(/(?<=[:[,]\s*)(-?Infinity|NaN)(?=\s*[,}\]])/g, '"$1"')) } catch { return null }
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return null
  const out: Record<string, HParamValue> = {}
  flattenConfig(doc as Record<string, unknown>, prefix, out)
  return out
}
