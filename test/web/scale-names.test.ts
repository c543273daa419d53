/** Pure parts of the many-runs and chart work, without a browser: short names, the palette, the outlier-robust y range, tick labels at every magnitude, run health and order. */

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { middleCut, shortNames } from '../../web/names.js'
import { assignColours, paletteColour, PALETTE } from '../../web/catalog.js'
import { formatTicks, robustRange } from '../../web/scale.js'
import { runHealth, sortRuns } from '../../web/run-list.js'
import { problemsOf, sortProblems } from '../../web/problems.js'
import { higherIsBetter, parseMetricFilter } from '../../web/run-metric.js'
import type { Annotation } from '../../web/wire.js'
import type { RunView as RunViewT } from '../../web/run-view.js'

test('short names drop the path segments all runs share, keep them unique, and cut long names in the middle', () => {
  const runs = Array.from({ length: 8 }, (_, i) => `keras-tf2x-tbreview/logs/hparam_tuning/run-${i}`)
  const names = shortNames(runs)
  assert.deepEqual([...names.values()], runs.map((_, i) => `run-${i}`))
  // Different projects: nothing in common, long names cut in the middle, still unique.
  const mixed = ['proj-a/logs/very_long_experiment_name_with_details/lr_0.001_batch_32', 'proj-a/logs/very_long_experiment_name_with_details/lr_0.010_batch_32', 'other/train']
  const m = shortNames(mixed)
  assert.equal(new Set(m.values()).size, 3)
  for (const [full, short] of m) {
    assert.ok(short.length <= 40, `${short} is short`)
    assert.ok(full.endsWith(short.split('…').pop()!), `${short} keeps the end of ${full}, where runs differ`)
  }
  assert.equal(shortNames(['only/one']).get('only/one'), 'only/one')
  assert.equal(middleCut('abcdefghij', 6, 3), 'ab…hij')
  // Names that differ only in the middle stay distinct: more is kept.
  const mid = [`${'x'.repeat(30)}A${'y'.repeat(30)}`, `${'x'.repeat(30)}B${'y'.repeat(30)}`]
  assert.equal(new Set(shortNames(mid).values()).size, 2)
})

test('the palette stays distinct past 10 runs, and picked colours win', () => {
  const colours = Array.from({ length: 80 }, (_, i) => paletteColour(i))
  assert.deepEqual(colours.slice(0, 10), PALETTE)
  assert.equal(new Set(colours).size, 80, '80 runs, 80 colours')
  for (const c of colours) assert.match(c, /^#[0-9a-f]{6}$/)
  const m = assignColours(['a', 'b', 'c'], { b: '#123456', c: 'not-a-colour' })
  assert.equal(m.get('b'), '#123456')
  assert.equal(m.get('c'), PALETTE[2])
})

test('robust y range: one point 1000× the rest is left out (and reported), a clean series keeps its full range', () => {
  const ys = Array.from({ length: 300 }, (_, i) => 1 + Math.sin(i / 10) * 0.2)
  ys[150] = 1000
  const r = robustRange([ys], false)!
  assert.equal(r.clipped, true)
  assert.ok(r.max < 2 && r.min > 0.7, `range ${r.min}..${r.max} fits the bulk`)
  ys[150] = 1.1
  const full = robustRange([ys], false)!
  assert.equal(full.clipped, false)
  assert.ok(full.max >= Math.max(...ys) && full.min <= Math.min(...ys))
  // A decaying loss is not an outlier: its early high values stay in range.
  const decay = Array.from({ length: 300 }, (_, i) => 2 * Math.exp(-i / 60) + 0.3)
  assert.equal(robustRange([decay], false)!.clipped, false)
  // Log axis: works on log10; nulls and non-positive values are skipped.
  const lr = robustRange([[null, 0, -1, 1e-4, 1e-3, 1e-2]], true)!
  assert.ok(lr.min < 1e-4 && lr.max > 1e-2)
  assert.equal(robustRange([[null, undefined]], false), null)
})

test('tick labels are distinct, parse back to their values and keep their leading digits from 1e-6 to 1e9', () => {
  const SUFFIX: Record<string, number> = { k: 1e3, M: 1e6, G: 1e9, T: 1e12 }
  const parse = (s: string): number => { const m = /^(-?[\d.e+-]+)([kMGT]?)$/.exec(s)!; return Number(m[1]) * (m[2] ? SUFFIX[m[2]]! : 1) }
  for (let e = -6; e <= 9; e++) {
    for (const m of [1, 2, 5]) {
      const step = m * 10 ** (e - 1)
      for (const start of [0, 3 * step, -2 * step, 10 ** e]) {
        const splits = Array.from({ length: 6 }, (_, i) => start + i * step)
        const labels = formatTicks(splits)
        assert.equal(new Set(labels).size, labels.length, `distinct labels for ${splits.join(', ')}: ${labels.join(', ')}`)
        labels.forEach((l, i) => {
          const v = splits[i]!
          const back = parse(l)
          assert.ok(Math.abs(back - v) <= Math.abs(step) * 0.01 + 1e-300, `${l} reads as ${back}, tick was ${v}`)
        })
      }
    }
  }
  assert.deepEqual(formatTicks([0, 0.5, 1, 1.5]), ['0', '0.5', '1', '1.5'])
  assert.deepEqual(formatTicks([2e4, 4e4]), ['20k', '40k'])
  assert.deepEqual(formatTicks([-2e14, -1e14, 0]), ['-200T', '-100T', '0'])
  assert.deepEqual(formatTicks([null, 1e-5, null]), ['', '1e-5', ''])
})

const ann = (over: Partial<Annotation>): Annotation => ({ id: 'x', run: 'r', tag: 't', kind: 'spike', severity: 'warning', startStep: 1, endStep: 1, wallTime: 0, magnitude: { ratio: 2, robustZ: 5 }, baseline: 1, peak: 2, causes: [], explanation: '', series: 'raw', open: false, tentative: false, ...over } as unknown as Annotation)

test('run health counts problems per run (tentative included), and runs sort by problems or recency', () => {
  const anns = [ann({ run: 'a', severity: 'critical' }), ann({ run: 'a', severity: 'info' }), ann({ run: 'b', severity: 'warning', tentative: true } as Partial<Annotation>)]
  const tags = [{ run: 'a', tag: 't', points: 5, nonFinite: 2, lastWallTime: 100 }, { run: 'b', tag: 't', points: 5, nonFinite: 0, lastWallTime: 300 }, { run: 'c', tag: 't', points: 1, lastWallTime: 200 }]
  const h = runHealth([{ run: 'a' }, { run: 'b' }, { run: 'c', dataLoss: 1 }], tags, anns)
  assert.deepEqual(h.get('a'), { critical: 1, warning: 0, nonFinite: 2, lastWrite: 100, unreadable: 0 })
  assert.equal(h.get('b')!.warning, 1)
  assert.equal(h.get('c')!.unreadable, 1)
  assert.deepEqual(sortRuns(['c', 'b', 'a'], h, 'problems'), ['a', 'b', 'c'])
  assert.deepEqual(sortRuns(['a', 'b', 'c'], h, 'recent'), ['b', 'c', 'a'])
  assert.deepEqual(sortRuns(['c', 'b', 'a'], h, 'name'), ['a', 'b', 'c'])
  // The Problems view: warnings and criticals only, most severe first, then most recent.
  const p = sortProblems(problemsOf([...anns, ann({ run: 'd', severity: 'warning', wallTime: 50 })]))
  assert.deepEqual(p.map(a => [a.run, a.severity]), [['a', 'critical'], ['d', 'warning'], ['b', 'warning']])
})

test('run groups: by path level or regex; a group\'s view is the members\' mean with their min and max', async () => {
  const { groupKey, groupRuns, groupView } = await import('../../web/groups.js')
  assert.equal(groupKey('sweep/lr_0.1/seed_1', 'level:2'), 'sweep/lr_0.1')
  assert.equal(groupKey('sweep', 'level:2'), null)
  assert.equal(groupKey('sweep/lr_0.1/seed_1', 're:lr_([\\d.]+)'), '0.1')
  assert.equal(groupKey('other', 're:lr_([\\d.]+)'), null)
  assert.deepEqual([...groupRuns(['a/1', 'a/2', 'b/1'], 'level:1')], [['a', ['a/1', 'a/2']]], 'single runs stay alone')
  const view = (run: string, ys: number[]): RunViewT => ({ run, x: Float64Array.from(ys.map((_, i) => i * 10)), values: Float64Array.from(ys) } as unknown as RunViewT)
  const g = groupView('a (2)', [view('a/1', [1, 2, 3]), view('a/2', [3, 4, 5, 6])], 4)
  assert.deepEqual([...g.x], [0, 10, 20, 30])
  assert.deepEqual([...g.values], [2, 3, 4, 6], 'mean of the runs covering each x')
  assert.deepEqual([...g.band.lo], [1, 2, 3, 6])
  assert.deepEqual([...g.band.hi], [3, 4, 5, 6])
})

test('metric value filters and directions: explicit operators, a bare number means "at least as good", malformed is flagged', () => {
  assert.equal(higherIsBetter('val/acc'), true)
  assert.equal(higherIsBetter('epoch_loss'), false)
  const lt = parseMetricFilter('< 0.5', 'loss')
  assert.deepEqual([lt.valid, lt.test(0.4), lt.test(0.5)], [true, true, false])
  const ge = parseMetricFilter('>=1e-3', 'loss')
  assert.deepEqual([ge.test(0.001), ge.test(0.0009)], [true, false])
  assert.deepEqual([parseMetricFilter('0.9', 'acc').test(0.95), parseMetricFilter('0.9', 'acc').test(0.85)], [true, false])
  assert.deepEqual([parseMetricFilter('0.9', 'loss').test(0.95), parseMetricFilter('0.9', 'loss').test(0.85)], [false, true])
  const bad = parseMetricFilter('less than 1', 'loss')
  assert.deepEqual([bad.valid, bad.test(5)], [false, true])
  assert.equal(parseMetricFilter('  ', 'loss').test(NaN), true)
})

test('sortRuns by a metric: best first in the metric\'s direction, runs without it last', () => {
  const v: Record<string, number> = { a: 0.5, b: 0.2, c: NaN, d: 0.9 }
  assert.deepEqual(sortRuns(['a', 'b', 'c', 'd'], new Map(), 'metric-last', r => v[r]!), ['b', 'a', 'd', 'c'])
  assert.deepEqual(sortRuns(['a', 'b', 'c', 'd'], new Map(), 'metric-best', r => v[r]!, true), ['d', 'a', 'b', 'c'])
})
