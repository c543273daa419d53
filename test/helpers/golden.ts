/** The golden-answer suite (../shared/corpus/golden), shared by every way of loading the corpus. */

import { test, describe, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import { GOLDEN } from './paths.js'
import { buildApp } from '../../server/app.js'
import type { ScalarStore } from '../../server/store/scalar-store.js'
import type { LoaderTotals } from '../../server/logdir/logdir-loader.js'

export interface Loaded { store: ScalarStore, totals: () => LoaderTotals }

interface GoldenEntry { run: string, tag: string, url: string, file: string, csv_file?: string, status: number, content_type: string, csv_content_type?: string, n_points: number }
interface GoldenIndex {
  endpoints: Record<string, { file: string, status: number, content_type: string }>
  scalars: GoldenEntry[]
  error_samples?: Record<string, { status: number, content_type: string, body: string }>
}

/**
 * Deliberate improvements over TensorBoard (README, "Where lossboard differs"): a record whose data
 * CRC fails costs that record only, where TensorBoard stops reading the file. The steps we serve
 * instead come from the MANIFEST of corpus/generated: record 31 (step 30) of corrupt_middle and
 * step 20 of corrupt_then_next_file's first file are the corrupt ones.
 */
const IMPROVED: Record<string, number[]> = {
  'edge/corrupt_middle': [...range(0, 29), ...range(31, 59)],
  'edge/corrupt_then_next_file': [...range(0, 19), ...range(21, 79)]
}

function range (a: number, b: number): number[] {
  return Array.from({ length: b - a + 1 }, (_, i) => a + i)
}

/**
 * Every golden answer of corpus/<corpus>, asserted against the app built on what `load` loaded
 * (the local logdir, the same corpus in a bucket, or one part of a --logdir-spec).
 */
export function goldenSuite (corpus: 'generated' | 'public', label: string, load: () => Promise<Loaded>, prefix = ''): void {
  describe(`golden answers for corpus/${corpus}${label}`, () => {
    const gdir = path.join(GOLDEN, corpus)
    const index = JSON.parse(readFileSync(path.join(gdir, 'index.json'), 'utf8')) as GoldenIndex
    const golden = (f: string): string => readFileSync(path.join(gdir, f), 'utf8')
    let app: FastifyInstance

    // With a run prefix (one part of a --logdir-spec) the part's runs are compared, prefix removed.
    const own = (name: string): boolean => name.startsWith(prefix)
    const strip = (name: string): string => name.slice(prefix.length)

    before(async () => {
      const { store, totals } = await load()
      app = await buildApp({ store, logdir: '<LOGDIR>', totals })
    })
    after(async () => { await app.close() })

    test('/data/runs lists the same runs in the same order, byte for byte', async () => {
      const r = await app.inject('/data/runs')
      assert.equal(r.statusCode, 200)
      assert.equal(r.headers['content-type'], 'application/json')
      if (prefix === '') assert.equal(r.body, golden(index.endpoints['/data/runs']!.file))
      else assert.deepEqual((JSON.parse(r.body) as string[]).filter(own).map(strip), JSON.parse(golden(index.endpoints['/data/runs']!.file)))
    })

    if (prefix === '') {
      test('/data/plugins_listing enables the same plugins, byte for byte', async () => {
        const r = await app.inject('/data/plugins_listing')
        assert.equal(r.body, golden(index.endpoints['/data/plugins_listing']!.file))
      })
    }

    test('/data/plugin/scalars/tags lists the same tags with the same display names', async () => {
      const r = await app.inject('/data/plugin/scalars/tags')
      // TensorBoard orders the runs of this object by directory-walk order, which is not stable
      // across file systems; the content is compared, not the key order.
      const ours = Object.fromEntries(Object.entries(JSON.parse(r.body) as Record<string, unknown>).filter(([k]) => own(k)).map(([k, v]) => [strip(k), v]))
      assert.deepEqual(ours, JSON.parse(golden(index.endpoints['/data/plugin/scalars/tags']!.file)))
    })

    if (prefix === '' && index.endpoints['/data/environment'] !== undefined) {
      test('/data/environment has TensorBoard\'s fields', async () => {
        const r = await app.inject('/data/environment')
        assert.deepEqual(JSON.parse(r.body), JSON.parse(golden(index.endpoints['/data/environment']!.file)))
      })
    }

    test(`every scalar series (${index.scalars.length}) answers byte for byte in JSON and CSV`, async () => {
      let compared = 0
      for (const e of index.scalars) {
        const improved = IMPROVED[e.run]
        const url = prefix === '' ? e.url : withRun(e.url, prefix + e.run)
        const json = await app.inject(url)
        assert.equal(json.statusCode, e.status, e.url)
        assert.equal(json.headers['content-type'], e.content_type, e.url)
        const csv = await app.inject(url + '&format=csv')
        assert.equal(csv.headers['content-type'], e.csv_content_type, e.url)
        if (improved !== undefined) {
          // every point TensorBoard served is ours too, identical and in the same order; the rest
          // are exactly the records after the corrupt one
          const ours = JSON.parse(json.body) as unknown[][]
          const theirs = JSON.parse(golden(e.file)) as unknown[][]
          assert.deepEqual(ours.map(p => p[1]), improved, e.url)
          assert.deepEqual(ours.filter(p => theirs.some(q => q[1] === p[1])), theirs, e.url)
          const csvLines = csv.body.split('\r\n')
          for (const line of golden(e.csv_file!).split('\r\n')) assert.ok(csvLines.includes(line), `${e.url} csv line ${line}`)
        } else {
          assert.equal(json.body, golden(e.file), e.url)
          assert.equal(csv.body, golden(e.csv_file!), e.url + ' (csv)')
        }
        compared++
      }
      assert.equal(compared, index.scalars.length)
    })

    if (prefix === '' && index.error_samples !== undefined) {
      test('error answers match TensorBoard\'s status, type and text', async () => {
        for (const [url, e] of Object.entries(index.error_samples!)) {
          const r = await app.inject(url)
          assert.equal(r.statusCode, e.status, url)
          assert.equal(r.headers['content-type'], e.content_type, url)
          assert.equal(r.body, e.body, url)
        }
      })
    }
  })
}

/** `url` with its `run` parameter replaced. */
function withRun (url: string, run: string): string {
  const u = new URL(url, 'http://x')
  u.searchParams.set('run', run)
  return u.pathname + u.search
}
