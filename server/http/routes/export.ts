/** /api/v1/export: the long ("tidy") table of many runs × tags, or its pivot, streamed with bounded memory. */

import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '../type-provider.js'
import type { DataSource } from '../../provider/data-source.js'
import type { EnrichmentProvider } from '../../provider/enrichment.js'
import type { SelectedSeries } from '../../provider/selection.js'
import { buildSlice, extraColumnsWanted, type SeriesSlice } from '../../provider/series-slice.js'
import { csvChunks, ndjsonChunks, columnarJsonChunks, sliceColumns, SNAKE_NAMES, type RowFormat, type Chunk } from '../../provider/encode.js'
import { pivotColumns, pivotCsvChunks, pivotNdjsonChunks, pivotColumnarJsonChunks, type PivotColumn, type PivotRun } from '../../provider/pivot.js'
import { ExportQuery } from '../schemas.js'
import { negotiateFormat, sendData, type Format } from '../respond.js'
import { ERROR_RESPONSES, dataResponse, prepareData } from '../route-helpers.js'

const EXPORT_JSON_SCHEMA = {
  type: 'object',
  description: 'Columnar: one array per column, all of equal length (pandas.DataFrame(body) takes it as is). ' +
    'Long: run, tag, step, wall_time, value, then desmoothed, desmoothed_bound, epoch, smoothed as asked. ' +
    'Pivot: run, step, wall_time, then one column per tag (and <tag>:desmoothed, <tag>:smoothed).',
  additionalProperties: { type: 'array', items: {} }
}

/** Registers GET /export. Bodies are generated as they are sent: one series' slice (and enrichment) at a time. */
export async function exportRoutes (untyped: FastifyInstance, opts: { store: DataSource, enrichment: EnrichmentProvider }): Promise<void> {
  const app = untyped.withTypeProvider<TypeBoxTypeProvider>()
  const { store, enrichment } = opts
  app.get('/export', {
    schema: {
      summary: 'Export a long (tidy) or wide table',
      description: 'Every point of every selected series (all runs and tags by default), one row per point with the column names tbparse users know ' +
        '(step, tag, value, wall_time; the run is `run`, or tbparse\'s `dir_name` with runColumn=dir_name). pivot=true: one row per (run, step). ' +
        'Streamed in chunks, so memory stays bounded whatever the size. Never downsampled.',
      tags: ['api'],
      querystring: ExportQuery,
      response: { 200: dataResponse('Table', EXPORT_JSON_SCHEMA), 304: { description: 'Not modified', type: 'null' }, ...ERROR_RESPONSES }
    }
  }, async (req, reply) => {
    const q = req.query
    const format = negotiateFormat(q.format as Format | undefined, req.headers.accept)
    // never thinned: an export is every point in range
    const { sliceOpts, policy, sel, etag } = prepareData(store, q, 'export', format, { points: 0, method: 'minmax' })
    const runColumn = q.runColumn ?? 'run'
    const rootRunAs = runColumn === 'dir_name' ? '' : undefined
    const label = (run: string): string => run === '.' && rootRunAs !== undefined ? rootRunAs : run
    // Slices are built one at a time as the body streams: only one series' enrichment is held at once.
    const slicesOf = (items: SelectedSeries[]) => function * (): Generator<SeriesSlice> {
      for (const it of items) yield buildSlice(it, enrichment, sliceOpts)
    }
    let body: Iterable<Chunk>
    if (q.pivot === true) {
      const series: Array<PivotColumn['series']> = []
      if (sliceOpts.wanted.raw) series.push('value')
      if (sliceOpts.wanted.desmoothed) series.push('desmoothed')
      if (sliceOpts.wanted.smoothed) series.push('smoothed')
      const names = { run: runColumn, step: 'step', wallTime: 'wall_time' }
      const columns = pivotColumns(sel.items.map(i => i.tag), series, names)
      const byRun = new Map<string, SelectedSeries[]>()
      for (const it of sel.items) { const l = byRun.get(it.run); if (l) l.push(it); else byRun.set(it.run, [it]) }
      const runs = function * (): Generator<PivotRun> {
        for (const [run, items] of byRun) yield { label: label(run), slices: [...slicesOf(items)()] }
      }
      body = format === 'csv'
        ? pivotCsvChunks(runs(), columns, names, policy)
        : format === 'ndjson' ? pivotNdjsonChunks(runs(), columns, names, policy) : pivotColumnarJsonChunks(runs, columns, names, policy)
    } else {
      const columns = sliceColumns(sliceOpts.wanted.raw, extraColumnsWanted(sliceOpts.wanted))
      const f: RowFormat = { columns, names: [runColumn, 'tag', ...columns.map(c => SNAKE_NAMES[c.key])], policy, rootRunAs }
      const slices = slicesOf(sel.items)
      body = format === 'csv' ? csvChunks(slices(), f) : format === 'ndjson' ? ndjsonChunks(slices(), f) : columnarJsonChunks(slices, f)
    }
    return sendData(req, reply, { etag: etag(), format, body, filename: `lossboard-export.${format}` })
  })
}
