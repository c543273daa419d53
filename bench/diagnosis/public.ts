/**
 * The public corpus (../shared/corpus/public: real event files from GitHub, no truth): warning and
 * critical annotations per 10,000 scalar points, per source folder, and the alarms themselves so
 * that a sample can be checked by eye (bench/diagnosis/plot.ts renders one).
 */

import path from 'node:path'
import { isScalarTag } from '../../server/store/scalar-store.js'
import type { Annotation } from '../../server/provider/enrichment.js'
import { loadStore } from './frameworks.js'

export interface PublicSource { source: string, points: number, alarms: Annotation[] }

/** Loads the whole public corpus as one logdir; groups by the first path segment of the run (the source folder). */
export async function scorePublic (dir: string): Promise<{ sources: PublicSource[], points: number, alarms: number }> {
  const { store, provider } = await loadStore(dir)
  const by = new Map<string, PublicSource>()
  const src = (run: string): PublicSource => {
    const s = run.split('/')[0] ?? run
    let e = by.get(s)
    if (e === undefined) by.set(s, e = { source: s, points: 0, alarms: [] })
    return e
  }
  for (const [run, r] of store.runs) {
    for (const t of r.tags.values()) if (isScalarTag(t) && t.series !== null) src(run).points += t.series.length
  }
  for (const a of provider.annotations({})) if (!a.tentative && a.severity !== 'info') src(a.run).alarms.push(a)
  const sources = [...by.values()].sort((a, b) => a.source < b.source ? -1 : 1)
  return { sources, points: sources.reduce((a, s) => a + s.points, 0), alarms: sources.reduce((a, s) => a + s.alarms.length, 0) }
}

export const PUBLIC_DIR = (shared: string): string => path.join(shared, 'corpus', 'public')
