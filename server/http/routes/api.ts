/** /api/v1 listings and scalars: runs, tags, scalars (columnar JSON, CSV, NDJSON). */

import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '../type-provider.js'
import type { DataSource } from '../../provider/data-source.js'
import { REQUEST_ANALYSIS_BUDGET_POINTS, type EnrichmentProvider } from '../../provider/enrichment.js'
import { listRuns, tagDto } from '../../provider/scalars.js'
import { selectRuns, selectSeries, selectionStamp } from '../../provider/selection.js'
import { buildSlice, extraColumnsWanted } from '../../provider/series-slice.js'
import { seriesJsonChunks, csvChunks, ndjsonChunks, sliceColumns, type Chunk } from '../../provider/encode.js'
import { runNotFound, badParam } from '../errors.js'
import { ERROR_RESPONSES, dataResponse, prepareData, throwIfNotFound } from '../route-helpers.js'
import { parseSelection, isSingleSeries, parseRegex } from '../query.js'
import { RunsQuery, TagsQuery, ScalarsQuery, RunsResponse, TagsResponse, ScalarsResponse } from '../schemas.js'
import { negotiateFormat, sendData, sendCachedData, stampEtag, type Format } from '../respond.js'
import { ResponseCache, responseKey } from '../response-cache.js'
import { closestName } from '../suggest.js'
import { runNames } from '../../provider/data-source.js'

/** The store to read and the enrichment provider shared with the annotations route. */
export interface ApiOptions {
  store: DataSource
  enrichment: EnrichmentProvider
  /** Whole /scalars bodies kept while their series are unchanged. */
  responses: ResponseCache
}

/** Registers /runs, /tags and /scalars (api-scope.ts mounts it at /api/v1, with the scope's error handler). */
export async function apiRoutes (untyped: FastifyInstance, opts: ApiOptions): Promise<void> {
  const app = untyped.withTypeProvider<TypeBoxTypeProvider>()
  const { store, enrichment, responses } = opts
  app.get('/runs', {
    schema: {
      summary: 'List runs',
      description: 'Every run (a directory of event files, named by its path relative to the logdir, "." for the logdir itself), ' +
        'in TensorBoard\'s order (start time, then name), with file statistics and data-loss counters.',
      tags: ['api'],
      querystring: RunsQuery,
      response: { 200: { description: 'Runs', ...RunsResponse }, ...ERROR_RESPONSES }
    }
  }, async (req, reply) => {
    const q = req.query
    const rs = selectRuns(store, { runs: q.run, runRe: parseRegex('runRe', q.runRe) })
    if (rs.kind !== 'ok') throw runNotFound(rs.run, closestName(rs.run, runNames(store)))
    const keep = new Set(rs.runs)
    return reply.type('application/json; charset=utf-8').send(JSON.stringify({ runs: listRuns(store, r => keep.has(r)) }))
  })

  app.get('/tags', {
    schema: {
      summary: 'List scalar tags',
      description: 'Scalar tags of the selected runs (all by default) with point counts, step range, restarts, smoothing family and annotation counts.',
      tags: ['api'],
      querystring: TagsQuery,
      response: { 200: { description: 'Tags', ...TagsResponse }, ...ERROR_RESPONSES }
    }
  }, async (req, reply) => {
    const q = req.query
    const sel = selectSeries(store, parseSelection(q))
    throwIfNotFound(sel, store)
    // Counts come from the analyses: brought up to date here when that is cheap, else the counts
    // found so far, marked incomplete (a many-run logdir's first listing must not wait for them).
    const progress = enrichment.prepare(sel.items.map(it => ({ run: it.run, tag: it.info.name })), REQUEST_ANALYSIS_BUDGET_POINTS)
    const tags = sel.items.map(it => tagDto(it.run, it.info, enrichment, { computedOnly: progress.status === 'computing' }))
    return reply.type('application/json; charset=utf-8').send(JSON.stringify({ tags, enrichment: progress }))
  })

  app.get('/scalars', {
    schema: {
      summary: 'Scalar series, columnar',
      description: 'Every point of the selected series (full resolution by default), as columnar JSON, CSV or NDJSON. ' +
        'Several runs × tags per request by repeating run=/tag= or with runRe=/tagRe=. points=N thins each series for display.',
      tags: ['api'],
      querystring: ScalarsQuery,
      response: { 200: dataResponse('Series', ScalarsResponse), 304: { description: 'Not modified (If-None-Match matched the ETag)', type: 'null' }, ...ERROR_RESPONSES }
    }
  }, async (req, reply) => {
    const q = req.query
    const format = negotiateFormat(q.format as Format | undefined, req.headers.accept)
    const single = isSingleSeries(q)
    if (!single && q.run === undefined && q.runRe === undefined && q.tag === undefined && q.tagRe === undefined) {
      throw badParam('run', 'name a run (run=) or a pattern (runRe=), and a tag (tag=) or tagRe=; /api/v1/export gives everything')
    }
    const points = q.points ?? 0
    if (points === 1) throw badParam('points', 'must be 0 (every point) or ≥ 2')
    const { sliceOpts, policy, sel } = prepareData(store, q, 'scalars', format, { points, method: q.method ?? 'minmax' })
    const extras = extraColumnsWanted(sliceOpts.wanted)
    // Enrichment columns are analyses that may read other runs: their answers are stamped with the whole store.
    const key = responseKey('scalars', format, q)
    const stamp = selectionStamp(store, sel, extras.length > 0)
    const entry = responses.get(key, stamp)
    if (entry !== undefined) return await sendCachedData(req, reply, { format, cache: responses, key, entry })
    const etag = stampEtag(key, stamp)
    const slices = function * () { for (const it of sel.items) yield buildSlice(it, enrichment, sliceOpts) }
    let body: Iterable<Chunk>
    if (format === 'json') {
      body = single
        ? (function * () { for (const s of slices()) yield * seriesJsonChunks(s, sliceOpts.wanted.raw, extras, policy) })()
        : (function * () {
            yield '{"series":['
            let first = true
            for (const s of slices()) {
              if (!first) yield ','
              first = false
              yield * seriesJsonChunks(s, sliceOpts.wanted.raw, extras, policy)
            }
            yield ']}'
          })()
    } else {
      const columns = sliceColumns(sliceOpts.wanted.raw, extras)
      const f = { columns, names: ['run', 'tag', ...columns.map(c => c.key)], policy }
      body = format === 'csv' ? csvChunks(slices(), f) : ndjsonChunks(slices(), f)
    }
    return sendData(req, reply, { etag, format, body, keep: whole => responses.put(key, stamp, whole, etag) })
  })
}
