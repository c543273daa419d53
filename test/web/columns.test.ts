/** web/columns.ts without a DOM: decoding API bodies, restart handling, uPlot tables, legend, overlays, filters, settings. */

import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  annotationMarks, annotationWhere, ascendingIndices, assignColours, buildChartModel, clampSmoothing, decodeColumn, decodeScalars,
  decodeSettings, DEFAULT_SETTINGS, encodeSettings, familyLabel, formatBytes, formatDesmoothed, formatDuration, formatStep, formatTick, formatValue,
  groupTags, latestWinsIndices, legendRows, logRange, makeMatcher, marksAt, nearestIndex, parseStreamEvent, plotColumn,
  pointsForWidth, pointsPerRun, rolesFor, runView, scalarsQuery, stepRangeFor, styleFor, unionRange, wantsDesmoothed, wireToNumber,
  type Annotation, type Display, type Role, type ScalarsBody, type TagEntry
} from '../../web/columns.js'

const SHOW_ALL: Display = { raw: true, desmoothed: true, smoothing: 0.6, logY: false }

function body (over: Partial<ScalarsBody> & Pick<ScalarsBody, 'step'>): ScalarsBody {
  return {
    run: 'r',
    tag: 't',
    wallTime: over.step.map(s => 1000 + s),
    value: over.step.map(s => s / 10),
    ...over
  }
}

function ann (over: Partial<Annotation>): Annotation {
  return {
    id: 'a1',
    run: 'r',
    tag: 't',
    kind: 'spike',
    severity: 'warning',
    startStep: 5,
    endStep: 6,
    wallTime: 1005,
    magnitude: { ratio: 8, robustZ: 12 },
    baseline: 0.5,
    peak: 4,
    causes: [{ cause: 'bad batch', evidence: 'returns to baseline after 1 step' }],
    explanation: 'A single batch had a much higher loss.',
    ...over
  }
}

test('wire numbers: the API spellings of non-finite values decode to NaN/±Infinity', () => {
  assert.equal(wireToNumber(1.5), 1.5)
  assert.ok(Number.isNaN(wireToNumber('NaN')))
  assert.equal(wireToNumber('Infinity'), Infinity)
  assert.equal(wireToNumber('-Infinity'), -Infinity)
  assert.equal(wireToNumber('inf'), Infinity)
  assert.ok(Number.isNaN(wireToNumber(null)))
  assert.ok(Number.isNaN(wireToNumber('')))
})

test('a column that is absent or not aligned with step is null, never a misaligned array', () => {
  assert.equal(decodeColumn(undefined, 3), null)
  assert.equal(decodeColumn([1, 2], 3), null)
  assert.deepEqual(Array.from(decodeColumn([1, 'NaN', '-Infinity'], 3)!), [1, NaN, -Infinity])
})

test('decodeScalars keeps optional columns only when aligned and fills totals from the body or the length', () => {
  const s = decodeScalars(body({ step: [0, 1, 2], smoothed: [1, 2], desmoothed: [0.1, 0.2, 'NaN'], totalPoints: 10, pointsInRange: 7, downsampled: { method: 'minmax', maxPoints: 3 } }))
  assert.equal(s.smoothed, null)
  assert.deepEqual(Array.from(s.desmoothed!), [0.1, 0.2, NaN])
  assert.deepEqual(Array.from(s.values), [0, 0.1, 0.2])
  assert.equal(s.totalPoints, 10)
  assert.equal(s.pointsInRange, 7)
  assert.equal(s.downsampled, true)
  const bare = decodeScalars(body({ step: [3, 4] }))
  assert.equal(bare.totalPoints, 2)
  assert.equal(bare.downsampled, false)
})

test('latest wins: a restart at step 2 supersedes the earlier steps 2..4, as TensorBoard shows it', () => {
  // arrival: 0 1 2 3 4 | 2 3 5   (index 5 restarts at step 2)
  const keep = latestWinsIndices([0, 1, 2, 3, 4, 2, 3, 5])
  assert.deepEqual(Array.from(keep), [0, 1, 5, 6, 7])
  assert.deepEqual(Array.from(latestWinsIndices([])), [])
  // a repeated step replaces the earlier point
  assert.deepEqual(Array.from(latestWinsIndices([0, 1, 1, 2])), [0, 2, 3])
})

test('ascendingIndices is the identity on sorted input and a stable sort otherwise', () => {
  assert.deepEqual(Array.from(ascendingIndices([1, 2, 2, 3])), [0, 1, 2, 3])
  assert.deepEqual(Array.from(ascendingIndices([3, 1, 2, 1])), [1, 3, 2, 0])
})

test('runView on the step axis: increasing x, restart marked, non-finite values listed with their kind', () => {
  const s = decodeScalars(body({
    step: [0, 1, 2, 3, 1, 2],
    value: [1, 'NaN', 3, 4, 'Infinity', '-Infinity'],
    restarts: [{ index: 4, step: 1, previousStep: 3, wallTime: 2001, file: 'f', reason: 'step-regression' }]
  }))
  const v = runView(s, 'step')
  assert.deepEqual(Array.from(v.x), [0, 1, 2])
  assert.deepEqual(Array.from(v.values), [1, Infinity, -Infinity])
  assert.deepEqual(v.nonFinite, [{ x: 1, step: 1, kind: 'inf' }, { x: 2, step: 2, kind: '-inf' }])
  assert.deepEqual(v.restarts, [{ x: 1, step: 1, reason: 'step-regression' }])
})

test('runView on the relative axis measures seconds from the run\'s first wall time and keeps every point', () => {
  const s = decodeScalars(body({ step: [0, 1, 2, 0], wallTime: [100, 101, 103, 110] }))
  const v = runView(s, 'relative')
  assert.deepEqual(Array.from(v.x), [0, 1, 3, 10])
  assert.deepEqual(Array.from(v.steps), [0, 1, 2, 0])
  const w = runView(s, 'wall')
  assert.deepEqual(Array.from(w.x), [100, 101, 103, 110])
})

test('epoch starts come from the epoch column: the x of each first point of a new epoch', () => {
  const s = decodeScalars(body({ step: [1, 2, 3, 4, 5, 6], epoch: [0, 0, 0, 1, 1, 2] }))
  assert.deepEqual(runView(s, 'step').epochStarts, [4, 6])
})

test('roles and emphasis: de-smoothed values lead when drawn, else TensorBoard\'s bold smoothed over faint logged values', () => {
  const v = runView(decodeScalars(body({ step: [1, 2], desmoothed: [1, 2], smoothed: [1, 2] })), 'step')
  assert.deepEqual(rolesFor(v, SHOW_ALL), ['value', 'desmoothed', 'smoothed'])
  assert.deepEqual(rolesFor(v, { ...SHOW_ALL, smoothing: 0 }), ['value', 'desmoothed'])
  assert.deepEqual(rolesFor(v, { raw: false, desmoothed: false, smoothing: 0, logY: false }), ['value'])
  const plain = runView(decodeScalars(body({ step: [1, 2] })), 'step')
  assert.deepEqual(rolesFor(plain, SHOW_ALL), ['value'], 'no server columns: only the logged values')
  const all: Role[] = ['value', 'desmoothed', 'smoothed']
  assert.deepEqual(styleFor('desmoothed', all), { width: 1.5, alpha: 1, dash: null })
  assert.deepEqual(styleFor('value', all), { width: 1.25, alpha: 0.7, dash: [5, 3] }, 'the running mean is dashed beside its de-smoothed values')
  assert.deepEqual(styleFor('smoothed', all), { width: 1.25, alpha: 0.55, dash: null })
  assert.deepEqual(styleFor('smoothed', ['value', 'smoothed']), { width: 2, alpha: 1, dash: null })
  assert.deepEqual(styleFor('value', ['value', 'smoothed']), { width: 1, alpha: 0.3, dash: null })
  assert.deepEqual(styleFor('value', ['value']), { width: 1.5, alpha: 1, dash: null })
  // uPlot draws series in order: the emphasised line comes last so it is on top.
  const m = buildChartModel([v], assignColours(['r']), SHOW_ALL)
  assert.deepEqual(m.series.map(s => s.role), ['smoothed', 'value', 'desmoothed'])
})

test('plotColumn turns non-finite values (and non-positive ones on a log axis) into null gaps', () => {
  const col = Float64Array.from([1, NaN, -2, 0, Infinity])
  assert.deepEqual(plotColumn(col, false), [1, null, -2, 0, null])
  assert.deepEqual(plotColumn(col, true), [1, null, null, null, null])
})

test('buildChartModel aligns runs on x with uPlot.join: union of x, holes undefined, NaN as null', () => {
  const a = runView(decodeScalars(body({ run: 'a', step: [0, 2, 4], value: [1, 'NaN', 3] })), 'step')
  const b = runView(decodeScalars(body({ run: 'b', step: [1, 2], value: [10, 20] })), 'step')
  const colours = assignColours(['a', 'b'])
  const m = buildChartModel([a, b], colours, { raw: true, desmoothed: true, smoothing: 0, logY: false })
  assert.deepEqual(Array.from(m.data[0]), [0, 1, 2, 4])
  assert.deepEqual(Array.from(m.data[1]!), [1, undefined, null, 3])
  assert.deepEqual(Array.from(m.data[2]!), [undefined, 10, 20, undefined])
  assert.deepEqual(m.series.map(s => [s.run, s.role, s.colour]), [['a', 'value', '#4e79a7'], ['b', 'value', '#f28e2b']])
  const again = buildChartModel([a, b], colours, { raw: true, desmoothed: true, smoothing: 0.5, logY: false })
  assert.equal(again.signature, m.signature, 'no smoothed column from the server: same series, same uPlot instance')
  const logY = buildChartModel([a, b], colours, { raw: true, desmoothed: true, smoothing: 0, logY: true })
  assert.notEqual(logY.signature, m.signature)
})

test('buildChartModel skips runs without points and gives an empty table when nothing is left', () => {
  const empty = runView(decodeScalars(body({ step: [] })), 'step')
  const m = buildChartModel([empty], new Map(), SHOW_ALL)
  assert.deepEqual(m.series, [])
  assert.deepEqual(m.runs, [])
  assert.deepEqual(m.data, [[]])
})

test('logRange pads the data range in log space instead of widening it to whole decades', () => {
  // log10(0.5) = -0.301, log10(1.5) = 0.176: width 0.477, pad 0.0239
  const [lo, hi] = logRange(0.5, 1.5)
  assert.ok(Math.abs(Math.log10(lo) - (-0.301 - 0.0239)) < 1e-3 && lo > 0.4, `lo ${lo}`)
  assert.ok(Math.abs(Math.log10(hi) - (0.176 + 0.0239)) < 1e-3 && hi < 2, `hi ${hi}`)
  // a flat series still gets a visible range: ±0.02 decades
  const [flo, fhi] = logRange(1, 1)
  assert.ok(Math.abs(flo - 10 ** -0.02) < 1e-12 && Math.abs(fhi - 10 ** 0.02) < 1e-12)
  assert.deepEqual(logRange(null, 1), [0.1, 10])
  assert.deepEqual(logRange(-1, 1), [0.1, 10])
})

test('nearestIndex finds the closest x (ties go left) and -1 for an empty array', () => {
  const xs = [0, 10, 20]
  assert.equal(nearestIndex(xs, -5), 0)
  assert.equal(nearestIndex(xs, 4), 0)
  assert.equal(nearestIndex(xs, 5), 0)
  assert.equal(nearestIndex(xs, 6), 1)
  assert.equal(nearestIndex(xs, 99), 2)
  assert.equal(nearestIndex([], 1), -1)
})

test('legend rows give each run its nearest point to the cursor, or its last point', () => {
  const a = runView(decodeScalars(body({ run: 'a', step: [0, 10, 20], value: [1, 2, 'NaN'], desmoothed: [1.5, 2.5, 3.5], desmoothedBound: [0, 0.001, 2e-6] })), 'step')
  const m = buildChartModel([a], assignColours(['a']), { raw: true, desmoothed: true, smoothing: 0, logY: false })
  assert.deepEqual(legendRows(m, 11), [{ run: 'a', colour: '#4e79a7', step: '10', value: '2', desmoothed: '2.5 ±0.001', smoothed: null }])
  const last = legendRows(m, null)[0]!
  assert.equal(last.step, '20')
  assert.equal(last.value, 'NaN')
  assert.equal(last.desmoothed, '3.5 ±2e-6', 'bounds below 1e-3 in exponent form')
})

test('de-smoothed legend values carry their bound: ± when finite, ≈ when the server could not bound them', () => {
  assert.equal(formatDesmoothed(0.5, 2e-6), '0.5 ±2e-6')
  assert.equal(formatDesmoothed(0.5, Infinity), '≈0.5')
  assert.equal(formatDesmoothed(0.5, 0), '0.5')
  assert.equal(formatDesmoothed(0.5, null), '0.5')
  assert.equal(formatDesmoothed(NaN, Infinity), 'NaN')
})

test('annotation marks: placed on the x axis, runs not shown dropped, least severe first so the worst is drawn on top', () => {
  const v = runView(decodeScalars(body({ step: [0, 5, 6, 10], wallTime: [100, 105, 106, 110] })), 'relative')
  const anns = [ann({ id: 'c', severity: 'critical', startStep: 10, endStep: 10 }), ann({ id: 'w' }), ann({ id: 'x', run: 'other' })]
  const marks = annotationMarks(anns, [v], 'relative')
  assert.deepEqual(marks.map(m => [m.annotation.id, m.x0, m.x1]), [['w', 5, 6], ['c', 10, 10]])
  const onSteps = annotationMarks(anns, [runView(decodeScalars(body({ step: [0, 5, 6, 10] })), 'step')], 'step')
  assert.deepEqual(onSteps.map(m => [m.x0, m.x1]), [[5, 6], [10, 10]])
  assert.deepEqual(marksAt(marks, 9, 0.5).map(m => m.annotation.id), [])
  assert.deepEqual(marksAt(marks, 9.6, 0.5).map(m => m.annotation.id), ['c'])
  assert.deepEqual(marksAt(marks, 5.5, 5).map(m => m.annotation.id), ['c', 'w'], 'most severe first')
})

test('annotationWhere names the run and the step or step range, flagging ongoing and tentative ones', () => {
  assert.equal(annotationWhere(ann({ startStep: 150, endStep: 150 })), 'r · step 150')
  assert.equal(annotationWhere(ann({ startStep: 1000, endStep: 1200 })), 'r · steps 1,000–1,200')
  assert.equal(annotationWhere({ ...ann({}), open: true, tentative: true } as Annotation), 'r · steps 5–6 · ongoing · tentative')
})

test('stepRangeFor widens the zoom window by one point on each side, in steps', () => {
  const v = runView(decodeScalars(body({ step: [0, 10, 20, 30, 40], wallTime: [0, 1, 2, 3, 4] })), 'wall')
  assert.deepEqual(stepRangeFor(v, 1.5, 2.5), [10, 30])
  assert.deepEqual(stepRangeFor(v, 2, 3), [20, 30])
  assert.equal(stepRangeFor(runView(decodeScalars(body({ step: [] })), 'step'), 0, 1), null)
})

test('scalarsQuery asks for what is displayed: runs, series list, smoothing only when on, step range when zoomed', () => {
  const q = new URLSearchParams(scalarsQuery({ runs: ['a/b', 'c'], tag: 'loss', points: 900, smoothing: 0.6, desmoothed: true, steps: [10, 20] }))
  assert.deepEqual(q.getAll('run'), ['a/b', 'c'])
  assert.equal(q.get('tag'), 'loss')
  assert.equal(q.get('series'), 'raw,desmoothed,smoothed')
  assert.equal(q.get('smoothing'), '0.6')
  assert.equal(q.get('points'), '900')
  assert.equal(q.get('startStep'), '10')
  assert.equal(q.get('endStep'), '20')
  const plain = new URLSearchParams(scalarsQuery({ runs: ['a'], tag: 'loss', points: 200, smoothing: 0, desmoothed: false }))
  assert.equal(plain.get('series'), 'raw')
  assert.equal(plain.has('smoothing'), false)
  assert.equal(plain.has('startStep'), false)
})

test('unionRange covers every run\'s zoom range, null when there is none', () => {
  assert.deepEqual(unionRange([[10, 20], undefined, [5, 15]]), [5, 20])
  assert.equal(unionRange([undefined]), null)
  assert.equal(unionRange([]), null)
})

test('pointsForWidth asks for two points per pixel, within [200, 4000]', () => {
  assert.equal(pointsForWidth(50), 200)
  assert.equal(pointsForWidth(500), 1000)
  assert.equal(pointsForWidth(1e5), 4000)
})

test('pointsPerRun keeps the joined table small when many runs share a chart', () => {
  // 3 runs × 3 lines: 3e6 / 27 = 111,111 cells per point budget → the width decides (2 per pixel).
  assert.equal(pointsPerRun(500, 3, 3), 1000)
  // 50 runs × 3 lines: 3e6 / (2500 × 3) = 400 points per run.
  assert.equal(pointsPerRun(500, 50, 3), 400)
  // 200 runs: the floor of 100 points per run.
  assert.equal(pointsPerRun(500, 200, 3), 100)
  assert.equal(pointsPerRun(500, 0, 0), 1000)
})

test('filters are case-insensitive regular expressions; invalid ones fall back to a substring match and say why', () => {
  const m = makeMatcher('^Torch/')
  assert.equal(m.valid, true)
  assert.equal(m.test('torch/a'), true)
  assert.equal(m.test('keras/torch/'), false)
  const bad = makeMatcher('lr[')
  assert.equal(bad.valid, false)
  assert.match(bad.error!, /Invalid regular expression/)
  assert.equal(bad.test('my_lr[0]'), true)
  assert.equal(bad.test('loss'), false)
  assert.equal(makeMatcher('  ').test('anything'), true)
})

test('groupTags: distinct tags of shown runs, grouped by the prefix before "/", in natural order', () => {
  const e = (run: string, tag: string): TagEntry => ({ run, tag, points: 1 })
  const tags = [e('a', 'loss'), e('b', 'loss'), e('a', 'train/acc10'), e('a', 'train/acc9'), e('b', 'eval/x'), e('hidden', 'secret')]
  const g = groupTags(tags, r => r !== 'hidden', () => true)
  assert.deepEqual(g, [{ name: '', tags: ['loss'] }, { name: 'eval', tags: ['eval/x'] }, { name: 'train', tags: ['train/acc9', 'train/acc10'] }])
  assert.deepEqual(groupTags(tags, () => true, t => t.startsWith('train')), [{ name: 'train', tags: ['train/acc9', 'train/acc10'] }])
})

test('family chips only for smoothing families worth knowing; de-smoothed is asked for running means and unknown families', () => {
  assert.equal(familyLabel('keras-running-mean'), 'Keras running mean')
  assert.equal(familyLabel('raw'), null)
  assert.equal(familyLabel('unknown'), null)
  assert.equal(familyLabel(undefined), null)
  assert.equal(wantsDesmoothed('keras-running-mean'), true)
  assert.equal(wantsDesmoothed(undefined), true, 'a server without families: ask, it answers what it can')
  assert.equal(wantsDesmoothed('raw'), false)
  assert.equal(wantsDesmoothed('lightning-step'), false)
})

test('stream events: points name their run and tag; annotations carry theirs inside; others reload the catalog or are ignored', () => {
  assert.deepEqual(parseStreamEvent('points', JSON.stringify({ type: 'points', run: 'a', tag: 'loss', firstStep: 3, lastStep: 4, count: 2 })), { kind: 'points', run: 'a', tags: ['loss'], count: 2 })
  assert.deepEqual(parseStreamEvent('message', JSON.stringify({ type: 'points', run: 'a', tags: ['x', 'y'] })), { kind: 'points', run: 'a', tags: ['x', 'y'], count: 0 })
  assert.deepEqual(parseStreamEvent('annotation', JSON.stringify({ type: 'annotation', annotation: ann({ run: 'b', tag: 'loss' }) })), { kind: 'annotation', run: 'b', tag: 'loss' })
  assert.deepEqual(parseStreamEvent('run-added', '{"type":"run-added","run":"c"}'), { kind: 'catalog', run: 'c' })
  assert.deepEqual(parseStreamEvent('tag-added', '{"run":"c","tag":"t"}'), { kind: 'catalog', run: 'c', tag: 't' })
  assert.deepEqual(parseStreamEvent('run-removed', '{"run":"c"}'), { kind: 'catalog' })
  assert.deepEqual(parseStreamEvent('reset', '{"reason":"overflow"}'), { kind: 'reset' })
  assert.deepEqual(parseStreamEvent('hello', '{"bootId":"x"}'), { kind: 'ignore' })
  assert.deepEqual(parseStreamEvent('points', 'not json'), { kind: 'ignore' })
})

test('settings round-trip through the URL hash; defaults are omitted and malformed values fall back', () => {
  assert.equal(encodeSettings(DEFAULT_SETTINGS), '')
  const s = {
    runFilter: '^torch',
    tagFilter: 'loss',
    smoothing: 0.9,
    xAxis: 'relative' as const,
    raw: false,
    desmoothed: false,
    logY: true,
    hidden: ['a', 'b/c'],
    ignoreOutliers: false,
    showInfo: true,
    legendSort: 'value-desc' as const,
    runSort: 'problems' as const,
    colours: { a: '#123456' },
    zoom: { loss: [10, 20] as [number, number] },
    groupBy: 're:lr_([\\d.]+)' as const,
    runMetric: 'val/acc',
    metricFilter: '>= 0.9',
    compare: ['a', 'b/c']
  }
  assert.deepEqual(decodeSettings(`#${encodeSettings(s)}`), s)
  assert.deepEqual(decodeSettings(`#${encodeSettings({ ...s, runSort: 'metric-best' as const })}`).runSort, 'metric-best')
  // Malformed colours and zoom windows are dropped entry by entry.
  const bad = decodeSettings(`#colours=${encodeURIComponent('{"a":"red","b":"#00ff00"}')}&zoom=${encodeURIComponent('{"x":[3,1],"y":[1,2],"z":"no"}')}`)
  assert.deepEqual(bad.colours, { b: '#00ff00' })
  assert.deepEqual(bad.zoom, { y: [1, 2] })
  assert.deepEqual(decodeSettings('#x=sideways&smoothing=abc&hidden=%5Bnot'), { ...DEFAULT_SETTINGS, smoothing: 0 })
  assert.equal(decodeSettings('smoothing=1').smoothing, 0.999, 'weight 1 would flatten the smoothed line to 0 (TB #5370)')
})

test('clampSmoothing keeps weights in [0, 0.999] at a 0.001 resolution', () => {
  assert.equal(clampSmoothing(-1), 0)
  assert.equal(clampSmoothing(NaN), 0)
  assert.equal(clampSmoothing(0.61234), 0.612)
  assert.equal(clampSmoothing(2), 0.999)
})

test('number formats: legend values, steps, ticks, durations, bytes', () => {
  assert.equal(formatValue(0.123456789), '0.12346')
  assert.equal(formatValue(12345.678), '12346')
  assert.equal(formatValue(123456), '1.235e+5')
  assert.equal(formatValue(0.0001234), '1.234e-4')
  assert.equal(formatValue(0), '0')
  assert.equal(formatValue(NaN), 'NaN')
  assert.equal(formatValue(-Infinity), '-Inf')
  assert.equal(formatStep(1234567), '1,234,567')
  assert.equal(formatTick(25000), '25k')
  assert.equal(formatTick(3_500_000), '3.5M')
  assert.equal(formatTick(0.25), '0.25')
  assert.equal(formatTick(0.00025), '2.5e-4')
  assert.equal(formatTick(0.0005), '5e-4')
  assert.equal(formatDuration(42), '42s')
  assert.equal(formatDuration(750), '12m 30s')
  assert.equal(formatDuration(3 * 3600 + 5 * 60), '3h 05m')
  assert.equal(formatDuration(2 * 86400 + 4 * 3600), '2d 4h')
  assert.equal(formatBytes(512), '512 B')
  assert.equal(formatBytes(3.5 * 1024 * 1024), '3.5 MiB')
})
