/** Run names as the page shows them: the part that tells runs apart, the full name on hover. */

/** Names longer than this are cut in the middle ("head…tail"), never at the end where runs differ. */
const MAX_CHARS = 34

/**
 * Display names for a set of runs shown together: the path segments every name shares at the
 * front are dropped (so `proj/logs/hparam/run-1` and `…/run-2` read `run-1`, `run-2`), and a name
 * still too long keeps its head and its tail with an ellipsis between. Names stay unique: where
 * cutting would make two equal, more of the tail is kept, up to the whole name.
 */
export function shortNames (runs: string[], maxChars = MAX_CHARS, keep: Iterable<string> = []): Map<string, string> {
  const out = new Map<string, string>()
  // Names shown as they are (run groups), beside the shortened ones.
  for (const k of keep) out.set(k, middleCut(k, maxChars + 8, Math.floor(maxChars * 0.6)))
  if (runs.length === 0) return out
  const split = runs.map(r => r.split('/'))
  let common = 0
  if (runs.length > 1) {
    const first = split[0]!
    const minLen = Math.min(...split.map(s => s.length))
    // Keep at least the last segment of the shortest name.
    while (common < minLen - 1 && split.every(s => s[common] === first[common])) common++
  }
  const stripped = split.map(s => s.slice(common).join('/'))
  let tail = Math.max(8, Math.floor(maxChars * 0.6))
  for (;;) {
    const names = stripped.map(n => middleCut(n, maxChars, tail))
    const unique = new Set(names).size === names.length
    if (unique || tail >= maxChars * 4) {
      runs.forEach((r, i) => out.set(r, unique ? names[i]! : stripped[i]!))
      return out
    }
    tail += 6
    maxChars += 6
  }
}

/** `name` cut to `max` characters keeping `tail` characters of its end: "head…tail". */
export function middleCut (name: string, max: number, tail: number): string {
  if (name.length <= max) return name
  const t = Math.min(tail, max - 2)
  return `${name.slice(0, Math.max(1, max - t - 1))}…${name.slice(name.length - t)}`
}
