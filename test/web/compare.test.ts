/**
 * Runs by a metric, and run comparison, in a real browser on one page: the run list sorted by a
 * metric's last and best value (lower is better for a loss; runs without it last), narrowed by a
 * value filter (the charts too), then two runs compared: the charts show only them and a table
 * gives each one's last and best value with the difference to the first, as /api/v1/tags reports them.
 */

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { EventFileBuilder, eventFileName } from '../../server/records/event-writer.js'
import { buildWeb, startServer, T0, type Server } from './fixtures.js'
import { card, launch, openPage } from './browser.js'
import { tempDir } from '../helpers/paths.js'

/** exp/a: loss 2 → 0.5; exp/b: 2 → 0.3 at step 50, then up to 0.9; exp/c: 2 → 0.7; exp/d logs only acc. */
const LOSS: Record<string, (s: number) => number> = {
  'exp/a': s => 2 - 1.5 * s / 99,
  'exp/b': s => s <= 50 ? 2 - 1.7 * s / 50 : 0.3 + 0.6 * (s - 50) / 49,
  'exp/c': s => 2 - 1.3 * s / 99
}
const RUNS = ['exp/a', 'exp/b', 'exp/c', 'exp/d']

let browser: Browser
let server: Server
const cleanups: Array<() => void | Promise<void>> = []

before(async () => {
  const tmp = tempDir('lossboard-web-compare-')
  cleanups.push(tmp.cleanup)
  const webRoot = path.join(tmp.dir, 'dist-web')
  buildWeb(webRoot)
  const logdir = path.join(tmp.dir, 'logs')
  for (const [i, run] of RUNS.entries()) {
    mkdirSync(path.join(logdir, run), { recursive: true })
    const b = new EventFileBuilder().fileVersion(T0)
    for (let s = 0; s < 100; s++) {
      const f = LOSS[run]
      if (f !== undefined) b.scalar('loss', s, T0 + s, f(s), 'simple_value')
      if (s % 10 === 0) b.scalar('acc', s, T0 + s, 0.5 + s / 400 + i * 0.02, 'simple_value')
    }
    writeFileSync(path.join(logdir, run, eventFileName(T0, 'cmp', i)), b.bytes())
  }
  server = await startServer({ logdir, webRoot })
  cleanups.push(() => server.close())
  browser = await launch()
  cleanups.push(() => browser.close())
})

after(async () => {
  for (const c of cleanups.reverse()) await c()
})

const listed = async (page: Page): Promise<string[]> => await page.$$eval('#run-list li.run', els => els.map(e => (e as HTMLElement).dataset.run!))

test('sort and filter runs by a metric, then compare two of them', async (t) => {
  const tags = (await (await fetch(`${server.url}api/v1/tags`)).json()) as { tags: Array<{ run: string, tag: string, lastValue: number, minValue: number, maxValue: number }> }
  const loss = new Map(tags.tags.filter(x => x.tag === 'loss').map(x => [x.run, x]))
  assert.equal(loss.size, 3)
  const byLast = [...loss.values()].sort((x, y) => x.lastValue - y.lastValue).map(x => x.run)
  const byBest = [...loss.values()].sort((x, y) => x.minValue - y.minValue).map(x => x.run)
  assert.deepEqual(byLast, ['exp/a', 'exp/c', 'exp/b'])
  assert.deepEqual(byBest, ['exp/b', 'exp/a', 'exp/c'])

  const page = await openPage(browser, `${server.url}#metric=loss&runsort=metric-last`, t)
  await page.waitForFunction(() => document.querySelectorAll('#run-list li.run').length === 4)
  await page.waitForFunction(sel => document.querySelector(sel)?.getAttribute('data-runs') === '3', card('loss'))
  assert.deepEqual(await listed(page), [...byLast, 'exp/d'])
  // Each row shows the metric's value (the last one here).
  const shown = await page.$eval('#run-list li.run[data-run="exp/b"] .run-metric', e => Number((e as HTMLElement).dataset.value))
  assert.equal(shown, loss.get('exp/b')!.lastValue)

  await page.selectOption('#run-sort', 'metric-best')
  await page.waitForFunction(() => document.querySelector('#run-list li.run')?.getAttribute('data-run') === 'exp/b')
  assert.deepEqual(await listed(page), [...byBest, 'exp/d'])
  assert.match(page.url(), /runsort=metric-best/)

  // A value filter on the best loss: exp/b (0.3) and exp/a (0.5) pass, exp/c (0.7) and exp/d (no loss) do not; the charts follow.
  await page.fill('#metric-filter', '< 0.6')
  await page.waitForFunction(() => document.querySelectorAll('#run-list li.run').length === 2)
  assert.deepEqual(await listed(page), ['exp/b', 'exp/a'])
  await page.waitForFunction(sel => document.querySelector(sel)?.getAttribute('data-runs') === '2', card('loss'))
  await page.fill('#metric-filter', 'nonsense')
  await page.waitForFunction(() => document.querySelector('#metric-filter')?.classList.contains('invalid') === true)
  await page.waitForFunction(() => document.querySelectorAll('#run-list li.run').length === 4)
  await page.fill('#metric-filter', '')

  // Compare exp/a with exp/b: only they are drawn, and the table holds last, best and the differences.
  await page.click('#run-list li.run[data-run="exp/a"] .compare-btn')
  await page.click('#run-list li.run[data-run="exp/b"] .compare-btn')
  await page.waitForFunction(() => document.getElementById('compare')?.hidden === false)
  await page.waitForFunction(sel => document.querySelector(sel)?.getAttribute('data-runs') === '2', card('loss'))
  await page.waitForFunction(sel => document.querySelector(sel)?.getAttribute('data-runs') === '2', card('acc'))
  assert.match(decodeURIComponent(page.url()), /compare=\["exp\/a","exp\/b"\]/)
  const cell = async (tag: string, run: string, stat: string): Promise<string> => await page.$eval(`#compare tr[data-tag="${tag}"] td[data-run="${run}"][data-stat="${stat}"]`, e => e.textContent ?? '')
  const a = loss.get('exp/a')!; const b = loss.get('exp/b')!
  assert.equal(Number(await cell('loss', 'exp/a', 'last')), Number(a.lastValue.toPrecision(5)))
  assert.equal(Number(await cell('loss', 'exp/b', 'best')), Number(b.minValue.toPrecision(5)))
  // b ended worse (higher loss) than a but reached a better best: + and − differences.
  assert.match(await cell('loss', 'exp/b', 'dlast'), /^\+0\.4/)
  assert.match(await cell('loss', 'exp/b', 'dbest'), /^−0\.2/)
  // For acc, best is the largest value.
  const acc = tags.tags.find(x => x.tag === 'acc' && x.run === 'exp/b')!
  assert.equal(Number(await cell('acc', 'exp/b', 'best')), Number(acc.maxValue.toPrecision(5)))
  await page.screenshot({ path: path.join('/tmp', 'lossboard-compare.png'), fullPage: false })
  await page.click('#compare-clear')
  await page.waitForFunction(() => document.getElementById('compare')?.hidden === true)
  await page.waitForFunction(sel => document.querySelector(sel)?.getAttribute('data-runs') === '3', card('loss'))
})
