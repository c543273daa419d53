/** Reading one file with the data CRCs verified in a worker thread (pipelined) leaves the store exactly as the sequential scan does, on every corpus and on fuzzed files. */

import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import pino from 'pino'
import { CORPUS, GENERATED, PUBLIC, tempDir } from '../helpers/paths.js'
import { rng } from '../helpers/rng.js'
import { ScalarStore } from '../../server/store/scalar-store.js'
import { LogdirLoader } from '../../server/logdir/logdir-loader.js'
import { setPipelineMinBytes, pipelinedWindows } from '../../server/logdir/pipelined-read.js'

after(() => setPipelineMinBytes(Infinity))

/** What a reader of the store can see (series by their materialised columns; NaN spelled out). */
function contents (store: ScalarStore): string {
  return JSON.stringify([...store.runs.values()].map(r => ({
    name: r.name,
    startTime: r.startTime,
    fileVersion: r.fileVersion,
    hasGraph: r.hasGraph,
    plugins: [...r.plugins].sort(),
    issues: r.issues,
    files: r.files,
    points: r.points,
    tags: [...r.tags.values()].map(t => ({
      ...t,
      series: t.series === null
        ? null
        : {
            length: t.series.length,
            allInt: t.series.allInt,
            dtypes: t.series.dtypes,
            restarts: t.series.restarts,
            purges: t.series.purges,
            nonFinite: t.series.nonFinite,
            steps: Array.from(t.series.columns().steps),
            wallTimes: Array.from(t.series.columns().wallTimes),
            values: Array.from(t.series.columns().values, v => Number.isFinite(v) ? v : String(v))
          }
    }))
  })))
}

/** Loads `dir` on this thread, pipelined (windows of `window` bytes, every file) or sequentially. */
async function load (dir: string, pipelined: boolean, window = 4096): Promise<{ contents: string, totals: unknown }> {
  setPipelineMinBytes(pipelined ? 0 : Infinity, window)
  const store = new ScalarStore()
  const loader = new LogdirLoader(dir, store, pino({ level: 'silent' }), { parallel: false })
  await loader.reload()
  const { initialLoadSeconds: _s, ...totals } = loader.totals()
  return { contents: contents(store), totals }
}

// Small windows put many record boundaries across windows (and records longer than a window, which hand over to the sequential scanner).
for (const [name, dir, windows] of [['generated corpus', GENERATED, [4096, 1 << 20]], ['public corpus', PUBLIC, [1 << 16]], ['frameworks corpus', path.join(CORPUS, 'frameworks'), [1 << 14]]] as const) {
  test(`${name}: pipelined and sequential reads give the same store`, async () => {
    const seq = await load(dir, false)
    const before = pipelinedWindows
    for (const window of windows) {
      const pip = await load(dir, true, window)
      assert.ok(pipelinedWindows > before, 'the pipeline ran')
      assert.equal(pip.contents, seq.contents, `window ${window}`)
      assert.deepEqual(pip.totals, seq.totals)
    }
  })
}

test('fuzzed files (bit flips in headers and payloads, truncation, garbage, zeroed ranges): pipelined equals sequential', async (t) => {
  const { dir, cleanup } = tempDir()
  t.after(cleanup)
  const sources: Buffer[] = []
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name))
      else if (e.name.includes('tfevents') && sources.length < 12) sources.push(readFileSync(path.join(d, e.name)))
    }
  }
  walk(path.join(GENERATED, 'pytorch'))
  walk(path.join(GENERATED, 'edge'))
  const r = rng(1212)
  for (let i = 0; i < 60; i++) {
    const src = sources[i % sources.length]!
    let out = Buffer.from(src)
    const at = Math.floor(r() * out.length)
    switch (i % 5) {
      case 0: for (let k = 0; k < 1 + Math.floor(r() * 6); k++) out[Math.floor(r() * out.length)]! ^= 1 << Math.floor(r() * 8); break
      case 1: out = out.subarray(0, at); break
      case 2: out = Buffer.concat([out.subarray(0, at), Buffer.from(Array.from({ length: 1 + Math.floor(r() * 200) }, () => Math.floor(r() * 256))), out.subarray(at)]); break
      case 3: out.fill(0, at, Math.min(out.length, at + 1 + Math.floor(r() * 300))); break
      case 4: out = Buffer.concat([out.subarray(0, at), out.subarray(Math.floor(r() * out.length))]); break
    }
    mkdirSync(path.join(dir, `run${i}`))
    writeFileSync(path.join(dir, `run${i}`, `events.out.tfevents.${1700000000 + i}.fuzz`), out)
  }
  const seq = await load(dir, false)
  for (const window of [512, 4096]) {
    const pip = await load(dir, true, window)
    assert.equal(pip.contents, seq.contents, `window ${window}`)
    assert.deepEqual(pip.totals, seq.totals)
  }
})
