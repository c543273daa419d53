/** The range a raw per-batch value of a metric can take, from its name: losses are ≥ 0, accuracies lie in [0, 1]. */

/** Closed interval [lo, hi] of possible raw values; a de-smoothed value outside it proves a wrong assumption. */
export interface ValueDomain {
  lo: number
  hi: number
}

const ACCURACY = /(^|[_/])(acc|accuracy|[a-z_]*_accuracy|top_?\d+_accuracy)$/i
const NONNEGATIVE = /(loss|crossentropy|entropy|mse|mae|mean_squared_error|mean_absolute_error|hinge|kld|kl_divergence|poisson|logcosh)$/i

/**
 * Domain of a Keras metric from its tag (`batch_loss`, `batch_accuracy`, `batch_sparse_categorical_accuracy`…),
 * or null when the name says nothing. Callers must still drop it when a logged value falls outside
 * (a "loss" that is a negative log-likelihood bound, an accuracy in percent).
 */
export function valueDomain (tag: string): ValueDomain | null {
  const name = tag.replace(/^(batch|epoch)_/, '')
  if (ACCURACY.test(name)) return { lo: 0, hi: 1 }
  if (NONNEGATIVE.test(name)) return { lo: 0, hi: Infinity }
  return null
}
