/**
 * Many runs and triage in a real browser: 14 runs under one long common prefix, one of them with a
 * point 1000× the rest. Short legend names, distinct colours, highlight across charts, legend
 * sort and pin, the tag filter narrowing the run list, outlier-robust scaling and y-zoom, zoom in
 * the URL, the Problems view against the API, downloads and the API docs link.
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
import { rng } from '../helpers/rng.js'

const RUNS = 14
const PREFIX = 'keras-tf2x-tbreview/logs/hparam_tuning'
const OUTLIER_RUN = `${PREFIX}/run-3`
const OUTLIER_STEP = 100
const runName = (i: number): string => `${PREFIX}/run-${i}`

let browser: Browser
let server: Server
const cleanups: Array<() => void | Promise<void>> = []

before(async () => {
  const tmp = tempDir('lossboard-web-many-')
  cleanups.push(tmp.cleanup)
  const webRoot = path.join(tmp.dir, 'dist-web')
  buildWeb(webRoot)
  const logdir = path.join(tmp.dir, 'logs')
  for (let i = 0; i < RUNS; i++) {
    const dir = path.join(logdir, runName(i))
    mkdirSync(dir, { recursive: true })
    const b = new EventFileBuilder().fileVersion(T0)
    const r = rng(i + 1)
    for (let s = 0; s < 200; s++) {
      const v = (1 + i * 0.05) * (1.5 * Math.exp(-s / 80) + 0.5) * (1 + 0.02 * (r() - 0.5))
      b.scalar('loss', s, T0 + s, runName(i) === OUTLIER_RUN && s === OUTLIER_STEP ? v * 1000 : v, 'simple_value')
      if (i < 3 && s % 10 === 0) b.scalar('acc', s, T0 + s, 0.5 + s / 500 + i * 0.01, 'simple_value')
    }
    writeFileSync(path.join(dir, eventFileName(T0, 'many', i)), b.bytes())
  }
  server = await startServer({ logdir, webRoot })
  cleanups.push(() => server.close())
  browser = await launch()
  cleanups.push(() => browser.close())
})

after(async () => {
  for (const c of cleanups.reverse()) await c()
})

async function ready (page: Page): Promise<void> {
  await page.waitForFunction(n => document.querySelectorAll('#run-list li.run').length === n, RUNS)
  await page.waitForFunction(sel => document.querySelector(sel)?.getAttribute('data-runs') === '14', card('loss'))
  await page.waitForFunction(sel => document.querySelector(sel)?.getAttribute('data-runs') === '3', card('acc'))
}

const yRange = async (page: Page, tag: string): Promise<[number, number]> =>
  (await page.locator(`${card(tag)} .chart-host`).getAttribute('data-y'))!.split(' ').map(Number) as [number, number]

test('legend names drop the common prefix and stay unique; 14 runs get 14 colours; the tag filter narrows the run list', async (t) => {
  const page = await openPage(browser, server.url, t)
  await ready(page)
  const rows = page.locator(`${card('loss')} tbody tr`)
  const names = await rows.locator('.legend-name').allInnerTexts()
  assert.deepEqual([...names].sort(), Array.from({ length: RUNS }, (_, i) => `run-${i}`).sort())
  assert.equal(await rows.first().getAttribute('title').then(t => t?.startsWith(PREFIX)), true, 'the full name on hover')
  const colours = await page.locator('#run-list .swatch-picker').evaluateAll(els => els.map(e => (e as HTMLInputElement).value))
  assert.equal(new Set(colours).size, RUNS, `distinct colours: ${colours.join(' ')}`)
  await page.fill('#tag-filter', '^acc$')
  await page.waitForFunction(() => document.querySelectorAll('#run-list li.run').length === 3)
  assert.match(await page.locator('#run-count').innerText(), /^3 of 14$/)
})

test('hovering a legend row highlights the run on every chart; clicking pins it; the legend sorts by value', async (t) => {
  const page = await openPage(browser, server.url, t)
  await ready(page)
  const run = runName(1)
  await page.hover(`${card('loss')} tr[data-run="${run}"]`)
  await page.waitForFunction(r => document.body.dataset.highlight === r, run)
  assert.equal(await page.locator(`${card('acc')} tr[data-run="${run}"]`).evaluate(e => e.classList.contains('hl')), true, 'highlighted on the other chart too')
  assert.equal(await page.locator(`#run-list li.run[data-run="${run}"]`).evaluate(e => e.classList.contains('hl')), true)
  await page.click(`${card('loss')} tr[data-run="${run}"]`)
  await page.mouse.move(3, 3)
  await page.waitForFunction(r => document.querySelector('#run-list li.run.pinned')?.getAttribute('data-run') === r && document.body.dataset.highlight === r, run)
  // Sort by value: the rows follow the last values, largest first.
  await page.click(`${card('loss')} thead .sort-btn >> text=/value/`)
  await page.waitForFunction(() => location.hash.includes('sort=value-desc'))
  const values = (await page.locator(`${card('loss')} tbody .legend-value`).allInnerTexts()).map(Number)
  assert.deepEqual(values, [...values].sort((a, b) => b - a))
  assert.equal(await page.locator(`${card('loss')} tbody tr`).first().getAttribute('data-run'), runName(RUNS - 1), 'the run with the largest loss first')
})

test('one point 1000× the rest: the chart is scaled to the rest with the outlier marked; y-zoom by dragging up or down', async (t) => {
  const page = await openPage(browser, server.url, t)
  await ready(page)
  await page.waitForFunction(sel => Number(document.querySelector(sel)?.getAttribute('data-outliers')) >= 1, card('loss'))
  const [lo, hi] = await yRange(page, 'loss')
  assert.ok(hi < 5 && lo > 0, `y range ${lo}..${hi} fits the bulk (the outlier is ~2000)`)
  assert.match(await page.locator(`${card('loss')} .card-notes`).innerText(), /outlier/)
  // Switched off: the outlier sets the scale again.
  await page.locator('#ignore-outliers').uncheck()
  await page.waitForFunction(sel => Number(document.querySelector(sel)?.getAttribute('data-y')?.split(' ')[1]) > 1000, `${card('loss')} .chart-host`)
  await page.locator('#ignore-outliers').check()
  await page.waitForFunction(sel => Number(document.querySelector(sel)?.getAttribute('data-y')?.split(' ')[1]) < 5, `${card('loss')} .chart-host`)
  // A vertical drag zooms y only.
  const box = (await page.locator(`${card('loss')} .u-over`).boundingBox())!
  const before = await yRange(page, 'loss')
  await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.4)
  await page.mouse.down()
  await page.mouse.move(box.x + box.width / 2 + 3, box.y + box.height * 0.6, { steps: 5 })
  await page.mouse.up()
  await page.waitForFunction(([sel, w]) => Number(document.querySelector(sel as string)?.getAttribute('data-y')?.split(' ')[1]) - Number(document.querySelector(sel as string)?.getAttribute('data-y')?.split(' ')[0]) < (w as number) * 0.5, [`${card('loss')} .chart-host`, before[1] - before[0]] as const)
  assert.doesNotMatch(page.url(), /zoom=/, 'a y-zoom does not re-query')
  // Double-click resets it.
  await page.mouse.dblclick(box.x + box.width / 2, box.y + box.height / 2)
  await page.waitForFunction(([sel, w]) => Number(document.querySelector(sel as string)?.getAttribute('data-y')?.split(' ')[1]) - Number(document.querySelector(sel as string)?.getAttribute('data-y')?.split(' ')[0]) > (w as number) * 0.9, [`${card('loss')} .chart-host`, before[1] - before[0]] as const)
})

test('an x-zoom is saved in the URL and restored from it', async (t) => {
  const page = await openPage(browser, server.url, t)
  await ready(page)
  const box = (await page.locator(`${card('acc')} .u-over`).boundingBox())!
  await page.mouse.move(box.x + box.width * 0.2, box.y + box.height / 2)
  await page.mouse.down()
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2 + 2, { steps: 5 })
  await page.mouse.up()
  await page.waitForFunction(() => location.hash.includes('zoom='))
  const url = page.url()
  const zoom = JSON.parse(new URLSearchParams(new URL(url).hash.slice(1)).get('zoom')!) as Record<string, [number, number]>
  assert.ok(zoom.acc !== undefined && zoom.acc[0] > 20 && zoom.acc[1] < 120, JSON.stringify(zoom))
  const again = await openPage(browser, url, t)
  await again.waitForFunction(sel => document.querySelector(sel)?.textContent?.includes('zoomed'), `${card('acc')} .card-notes`)
  const [x0, x1] = (await again.locator(`${card('acc')} .chart-host`).getAttribute('data-x'))!.split(' ').map(Number)
  assert.ok(Math.abs(x0! - zoom.acc[0]) < 1 && Math.abs(x1! - zoom.acc[1]) < 1, `restored window ${x0}..${x1}`)
})

test('the Problems view lists every warning and critical of the API, and a click shows it on its chart', async (t) => {
  const api = await (await fetch(`${server.url}api/v1/annotations`)).json() as Array<{ run: string, tag: string, severity: string, kind: string }>
  const serious = api.filter(a => a.severity !== 'info')
  assert.ok(serious.some(a => a.run === OUTLIER_RUN), 'the outlier is annotated')
  const page = await openPage(browser, server.url, t, { viewport: { width: 1280, height: 700 } })
  await ready(page)
  await page.waitForFunction(n => document.querySelector('#problems-btn')?.textContent === `Problems ${n}`, serious.length)
  await page.click('#problems-btn')
  assert.equal(await page.locator('#problems .problem').count(), serious.length)
  // Most severe first.
  const sev = await page.locator('#problems .problem').evaluateAll(els => els.map(e => e.className.includes('critical') ? 2 : 1))
  assert.deepEqual(sev, [...sev].sort((a, b) => b - a))
  // Filter by run, then jump.
  await page.fill('#problems input[type=search]', 'run-3$')
  const item = page.locator(`#problems .problem[data-run="${OUTLIER_RUN}"]`).first()
  await item.waitFor()
  const tag = (await item.getAttribute('data-tag'))!
  await item.click()
  const target = page.locator(card(tag))
  await target.locator('.ann-detail').waitFor({ state: 'visible' })
  assert.ok(await target.evaluate(e => { const r = e.getBoundingClientRect(); return r.top < innerHeight && r.bottom > 0 }), 'the card is scrolled into view')
  assert.match(await target.locator('.ann-detail').innerText(), /run-3/)
  // The band is on screen: the chart's x range covers the annotation's step.
  const [x0, x1] = (await target.locator('.chart-host').getAttribute('data-x'))!.split(' ').map(Number)
  assert.ok(x0! <= OUTLIER_STEP && x1! >= OUTLIER_STEP)
  // The run list shows the run's health badge.
  assert.ok(Number(await page.locator(`#run-list li.run[data-run="${OUTLIER_RUN}"]`).getAttribute('data-critical')) + Number(await page.locator(`#run-list li.run[data-run="${OUTLIER_RUN}"]`).getAttribute('data-warning')) >= 1)
})

test('grouping by a path level draws the group\'s mean with its band; a click on the group shows its runs too', async (t) => {
  const page = await openPage(browser, server.url, t)
  await ready(page)
  await page.fill('#group-by', '3')
  await page.waitForFunction(sel => document.querySelector(sel)?.getAttribute('data-groups') === '1' && document.querySelector(sel)?.getAttribute('data-runs') === '1', card('loss'))
  assert.match(page.url(), /group=level%3A3/)
  const row = page.locator(`${card('loss')} tbody tr`).first()
  assert.match(await row.innerText(), /\(14\)/)
  await row.click()
  await page.waitForFunction(sel => document.querySelector(sel)?.getAttribute('data-runs') === '15', card('loss'))
  await page.screenshot({ path: '/tmp/lossboard-groups.png' })
  await page.fill('#group-by', '')
  await page.waitForFunction(sel => document.querySelector(sel)?.getAttribute('data-groups') === '0' && document.querySelector(sel)?.getAttribute('data-runs') === '14', card('loss'))
})

test('downloads: CSV and JSON are the API\'s export of the card\'s runs, PNG is the chart; the API docs are linked', async (t) => {
  const page = await openPage(browser, server.url, t, { acceptDownloads: true })
  await ready(page)
  await page.click(`${card('acc')} .dl-menu summary`)
  const csvHref = (await page.locator(`${card('acc')} .dl-csv`).getAttribute('href'))!
  const csv = await fetch(new URL(csvHref, server.url))
  assert.equal(csv.status, 200)
  const text = await csv.text()
  assert.match(text.split('\n')[0]!, /run/)
  assert.equal(text.trim().split('\n').length, 1 + 3 * 20, 'header + 3 runs × 20 points')
  const json = await fetch(new URL((await page.locator(`${card('acc')} .dl-json`).getAttribute('href'))!, server.url))
  assert.equal(json.status, 200)
  const [download] = await Promise.all([page.waitForEvent('download'), page.click(`${card('acc')} .dl-png`)])
  assert.equal(download.suggestedFilename(), 'acc.png')
  const docs = await fetch(new URL((await page.locator('a.top-btn[href*="docs"]').getAttribute('href'))!, server.url))
  assert.equal(docs.status, 200)
})
