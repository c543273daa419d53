/**
 * Sample counts from an accuracy running mean. Keras accumulates accuracy as float32 `total`
 * (a whole number of correct predictions, exact below 2²⁴) over `count` samples, and logs
 * m = fl32(total / count). So m·N is within N·2⁻²⁴ of a whole number for the true count N and,
 * for an informative m, for almost no other N. That pins the batch size, a short last batch and a
 * short batch in the middle of an epoch (KERAS_LOGGING.md §3.2) where the loss alone cannot.
 */

/** Largest batch size (samples per counter step) searched. */
export const MAX_BATCH = 8192

/** True when m = correct / n as float32 for some whole number of correct predictions. */
export function countFits (m: number, n: number): boolean {
  if (!(n > 0) || !Number.isFinite(m)) return false
  const c = m * n
  return Math.abs(c - Math.round(c)) <= n * 2 ** -23 + 1e-9
}

/** Whether m carries information about the count: 0 and 1 fit every count. */
export function informative (m: number): boolean {
  return Number.isFinite(m) && m > 0 && m < 1
}

/**
 * The smallest number of samples per counter step B such that every informative running
 * accuracy m at epoch-local counter k fits k·B samples, or null. Needs `minPoints` informative
 * points (a multiple of B fits too, and a divisor of it rarely fits them all).
 */
export function inferBatchSize (ms: ArrayLike<number>, ks: ArrayLike<number>, minPoints = 8): number | null {
  const idx: number[] = []
  for (let i = 0; i < ms.length && idx.length < 16; i++) if (informative(ms[i]!) && ks[i]! >= 1) idx.push(i)
  if (idx.length < minPoints) return null
  for (let B = 1; B <= MAX_BATCH; B++) {
    let ok = true
    for (const i of idx) if (!countFits(ms[i]!, ks[i]! * B)) { ok = false; break }
    if (ok) return B
  }
  return null
}

/**
 * Samples seen at a point of an epoch: `expected` (batches of B so far, minus the shortfall of the
 * short batches before) when the running accuracy fits it, else the one count in
 * (expected − B, expected) that fits (one short batch in between). NaN when none or several fit.
 * `mayBeLast`: the point may be the epoch's last batch, which is short whenever the dataset size is
 * not a multiple of B, so `expected` is no likelier than a smaller count: the count must then be
 * the only one in (expected − B, expected] that fits (an uninformative 0 or 1 fits them all).
 */
export function countAt (m: number, expected: number, B: number, mayBeLast = false): number {
  if (mayBeLast) {
    if (!informative(m)) return NaN
    let found = NaN
    for (let n = expected; n > expected - B && n > 0; n--) {
      if (countFits(m, n)) {
        if (!Number.isNaN(found)) return NaN
        found = n
      }
    }
    return found
  }
  if (!informative(m)) return expected
  if (countFits(m, expected)) return expected
  let found = NaN
  for (let n = expected - 1; n > expected - B && n > 0; n--) {
    if (countFits(m, n)) {
      if (!Number.isNaN(found)) return NaN
      found = n
    }
  }
  return found
}
