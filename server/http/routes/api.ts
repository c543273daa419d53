/** /api/v1: lossboard's own API — columnar JSON, every point, restarts marked. */

import type { FastifyInstance } from 'fastify'
import type { ScalarStore } from '../../store/scalar-store.js'
import { listRuns, scalarTagsOf, tagDto } from '../../provider/scalars.js'
import { findScalarTag } from '../../provider/tb-compat.js'
import { runNotFound, tagNotFound, badParam } from '../errors.js'

export interface ApiOptions { store: ScalarStore }

/** Non-finite values in JSON: strings (default, TB's spelling) or null. */
export function jsonValue (x: number, nonFinite: 'string' | 'null'): number | string | null {
  if (Number.isFinite(x)) return x
  if (nonFinite === 'null') return null
  return x !== x ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity'
}

export async function apiRoutes (app: FastifyInstance, opts: ApiOptions): Promise<void> {
  const { store } = opts
  app.get('/api/v1/runs', async () => ({ runs: listRuns(store) }))

  app.get('/api/v1/tags', async (req) => {
    const q = req.query as Record<string, string | undefined>
    const runs = q.run !== undefined ? [q.run] : store.runNamesTbOrder()
    if (q.run !== undefined && !store.runs.has(q.run)) throw runNotFound(q.run)
    const out = []
    for (const name of runs) for (const t of scalarTagsOf(store.runs.get(name)!)) out.push(tagDto(name, t))
    return { tags: out }
  })

  app.get('/api/v1/scalars', async (req) => {
    const q = req.query as Record<string, string | undefined>
    if (q.run === undefined) throw badParam('run', 'required')
    if (q.tag === undefined) throw badParam('tag', 'required')
    const nonFinite = (q.nonFinite ?? 'string')
    if (nonFinite !== 'string' && nonFinite !== 'null') throw badParam('nonFinite', "must be 'string' or 'null'")
    if (!store.runs.has(q.run)) throw runNotFound(q.run)
    const t = findScalarTag(store, q.run, q.tag)
    if (t === null) throw tagNotFound(q.run, q.tag)
    const s = t.series!
    const c = s.columns()
    const value = new Array<number | string | null>(s.length)
    for (let i = 0; i < s.length; i++) value[i] = jsonValue(c.values[i]!, nonFinite)
    return {
      run: q.run,
      tag: q.tag,
      step: Array.from(c.steps),
      wallTime: Array.from(c.wallTimes),
      value,
      restarts: s.restarts
    }
  })
}
