/** "Did you mean" for unknown run and tag names: the known name nearest by edit distance. */

/** Levenshtein distance of a and b, or `limit + 1` as soon as it must exceed `limit`. */
export function editDistance (a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    let rowMin = i
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
      cur.push(v)
      if (v < rowMin) rowMin = v
    }
    if (rowMin > limit) return limit + 1
    prev = cur
  }
  return prev[b.length]!
}

/**
 * The known name closest to `name`: a case-insensitive exact match first, then the smallest edit
 * distance up to a third of the name's length (at least 2); null when none is that close. Names
 * longer than 1,000 characters are not compared (the cost is quadratic).
 */
export function closestName (name: string, known: Iterable<string>): string | null {
  if (name.length > 1000) return null
  const lower = name.toLowerCase()
  const limit = Math.max(2, Math.floor(name.length / 3))
  let best: string | null = null
  let bestD = limit + 1
  for (const k of known) {
    if (k.length > 1000) continue
    if (k.toLowerCase() === lower) return k
    const d = editDistance(name, k, Math.min(limit, bestD))
    if (d < bestD || (d === bestD && best !== null && k < best)) { best = k; bestD = d }
  }
  return bestD <= limit ? best : null
}
