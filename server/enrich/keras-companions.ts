/**
 * Where a Keras run keeps its epoch-end evidence besides epoch_*: the validation run's
 * `evaluation_<metric>_vs_iterations`, written at optimizer.iterations after every validated epoch
 * even when update_freq gates the epoch_* tags (KERAS_LOGGING.md §1.1, frameworks MANIFEST).
 */

/** The validation run beside a Keras train run (`…/train` → `…/validation`), or null. */
export function validationRunFor (run: string): string | null {
  if (run === 'train') return 'validation'
  return run.endsWith('/train') ? run.slice(0, -'train'.length) + 'validation' : null
}

const EVAL = /^evaluation_(.+)_vs_iterations$/

/**
 * The evaluation tag to read epoch ends from: the one of the same metric as `tag` if written,
 * else any (they all share the steps), preferring the loss. Null when there is none.
 */
export function evaluationTagFor (tag: string, validationTags: Iterable<string>): string | null {
  const metric = tag.replace(/^batch_/, '')
  let any: string | null = null
  for (const t of validationTags) {
    const m = EVAL.exec(t)
    if (m === null) continue
    if (m[1] === metric) return t
    if (any === null || m[1] === 'loss') any = t
  }
  return any
}

/**
 * The running accuracy whose whole-number counts give the samples seen (sample-counts.ts):
 * `batch_accuracy` or another `batch_*accuracy` tag of the run, or null.
 */
export function accuracyTagFor (runTags: Iterable<string>): string | null {
  let any: string | null = null
  for (const t of runTags) {
    if (t === 'batch_accuracy' || t === 'batch_acc') return t
    if (any === null && /^batch_.*acc(uracy)?$/.test(t)) any = t
  }
  return any
}
