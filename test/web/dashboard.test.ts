/** The dashboard in a real browser (Debian's chromium via playwright-core) against a real lossboard over a real logdir. */

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { appendLoss, buildWeb, rawLoss, startServer, writeFixture, NAN_STEP, RAW_STEPS, SPIKE_STEP, type Fixture, type Server } from './fixtures.js'
import { tempDir } from '../helpers/paths.js'
import { formatValue } from '../../web/columns.js'

const CHROMIUM = '/usr/bin/chromium'
const SCREENSHOT = '/tmp/lossboard-dashboard.png'

let browser: Browser
let server: Server
let fx: Fixture
let webRoot: string
const cleanups: Array<() => void | Promise<void>> = []

before(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`The dashboard tests drive a real browser and need Chromium at ${CHROMIUM}. Install it with \`apt-get install -y chromium\` (CI installs it); these tests are never skipped.`)
  }
  const tmp = tempDir('lossboard-web-')
  cleanups.push(tmp.cleanup)
  webRoot = path.join(tmp.dir, 'dist-web')
  buildWeb(webRoot)
  const logdir = path.join(tmp.dir, 'logs')
  mkdirSync(logdir)
  fx = writeFixture(logdir)
  server = await startServer({ logdir, webRoot })
  cleanups.push(() => server.close())
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']
  })
  cleanups.push(() => browser.close())
})

after(async () => {
  for (const c of cleanups.reverse()) await c()
})

/** A fresh page on `url` that fails the test on any uncaught page error. */
async function open (url: string, t: { after: (fn: () => Promise<void>) => void }): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
  const errors: string[] = []
  page.on('pageerror', e => errors.push(e.message))
  t.after(async () => {
    await page.close()
    assert.deepEqual(errors, [], 'uncaught errors in the page')
  })
  await page.goto(url)
  return page
}

const card = (tag: string): string => `article.card[data-tag="${tag}"]`

/** Legend cells (step, value) of `run` on the card of `tag`. */
async function legend (page: Page, tag: string, run: string): Promise<{ step: string, value: string, desmoothed: string, smoothed: string }> {
  const row = page.locator(`${card(tag)} tr[data-run="${run}"]`)
  return {
    step: await row.locator('.legend-step').innerText(),
    value: await row.locator('.legend-value').innerText(),
    desmoothed: await row.locator('.legend-desmoothed').innerText(),
    smoothed: await row.locator('.legend-smoothed').innerText()
  }
}

async function getJson (url: string): Promise<{ status: number, body: unknown }> {
  const res = await fetch(url)
  return { status: res.status, body: res.headers.get('content-type')?.includes('json') ? await res.json() : await res.text() }
}

test('shows every run and scalar tag, one chart card per tag with canvas and legend values', async (t) => {
  const page = await open(server.url, t)
  await page.waitForFunction(() => document.querySelectorAll('#run-list li.run').length === 4)
  const runs = await page.locator('#run-list li.run').evaluateAll(els => els.map(e => (e as HTMLElement).dataset.run))
  assert.deepEqual(runs, ['keras/train', 'keras/validation', 'torch/a', 'torch/b'])
  const tags = await page.locator('article.card').evaluateAll(els => els.map(e => (e as HTMLElement).dataset.tag))
  assert.deepEqual(tags, ['batch_loss', 'epoch_loss', 'loss', 'lr', 'val/acc'])
  assert.deepEqual(await page.locator('.group-title').evaluateAll(els => els.map(e => e.firstChild?.textContent)), ['scalars', 'val'])
  for (const tag of tags) await page.locator(`${card(tag!)} canvas`).first().waitFor()
  await page.waitForFunction(sel => document.querySelector(sel)?.getAttribute('data-runs') === '2', card('loss'))
  // With the cursor away, the legend shows each run's last point: step 299, the fixture's value as stored (float32).
  const a = await legend(page, 'loss', 'torch/a')
  assert.equal(a.step, String(RAW_STEPS - 1))
  assert.equal(a.value, formatValue(Math.fround(rawLoss(1, RAW_STEPS - 1))))
  assert.equal((await legend(page, 'loss', 'torch/b')).value, formatValue(Math.fround(rawLoss(2, RAW_STEPS - 1))))
  // The NaN at step NAN_STEP is kept as a marker per run, not dropped or drawn as a number.
  assert.equal(await page.locator(card('loss')).getAttribute('data-nonfinite'), '2')
  // The restarted series: one restart mark, and TensorBoard's latest-wins view on the step axis
  // (steps 0..49 of the first attempt, then 50..149 of the second: 150 points).
  await page.waitForFunction(sel => document.querySelector(sel)?.getAttribute('data-runs') === '1', card('val/acc'))
  assert.equal(await page.locator(card('val/acc')).getAttribute('data-restarts'), '1')
  assert.equal(await page.locator(card('val/acc')).getAttribute('data-points'), '150')
  assert.match(await page.locator('#logdir').innerText(), /logs$/)
  assert.match(await page.locator('#load-status').innerText(), /4 runs · 4 files/)
  // Hovering the plot moves the legend to the point under the cursor.
  const over = page.locator(`${card('loss')} .u-over`)
  const box = (await over.boundingBox())!
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5)
  await page.waitForFunction(sel => document.querySelector(`${sel} tr[data-run="torch/a"] .legend-step`)?.textContent !== '299', card('loss'))
  const hovered = await legend(page, 'loss', 'torch/a')
  const step = Number(hovered.step.replace(/,/g, ''))
  assert.ok(step > 100 && step < 200, `hovered step ${hovered.step} is mid-chart`)
  assert.match(hovered.value, /^\d/)
})

test('run and tag filters are regular expressions and narrow the run list and the cards', async (t) => {
  const page = await open(server.url, t)
  await page.waitForFunction(() => document.querySelectorAll('article.card').length === 5)
  await page.fill('#run-filter', '^torch/')
  await page.waitForFunction(() => document.querySelectorAll('#run-list li.run').length === 2)
  await page.waitForFunction(() => document.querySelectorAll('article.card').length === 3)
  assert.deepEqual(await page.locator('article.card').evaluateAll(els => els.map(e => (e as HTMLElement).dataset.tag)), ['loss', 'lr', 'val/acc'])
  await page.fill('#tag-filter', '^lo')
  await page.waitForFunction(() => document.querySelectorAll('article.card').length === 1)
  assert.match(page.url(), /runs=%5Etorch%2F/)
  // Switching a run off removes it from the charts.
  await page.locator('#run-list li.run[data-run="torch/b"] input[type=checkbox]').uncheck()
  await page.waitForFunction(sel => document.querySelector(sel)?.getAttribute('data-runs') === '1', card('loss'))
  // An invalid expression is flagged and matched as plain text instead.
  await page.fill('#tag-filter', 'lo(')
  await page.waitForFunction(() => document.querySelector('#tag-filter')?.classList.contains('invalid'))
  await page.waitForFunction(() => document.querySelector('#empty')?.textContent?.includes('No scalar tags match'))
})

test('smoothing re-queries the server (debounced) and de-smoothed can be switched off', async (t) => {
  const page = await open(server.url, t)
  const queries: URLSearchParams[] = []
  /** Series bodies by `run|tag|series|smoothing` of the query that returned them. */
  const bodies = new Map<string, Record<string, unknown>>()
  page.on('response', async res => {
    if (!res.url().includes('/api/v1/scalars?')) return
    const q = new URL(res.url()).searchParams
    queries.push(q)
    try {
      const b = await res.json() as Record<string, unknown> & { series?: Array<Record<string, unknown>> }
      for (const one of b.series ?? [b]) bodies.set(`${String(one.run)}|${q.get('tag')}|${q.get('series')}|${q.get('smoothing')}`, one)
    } catch { /* page closed */ }
  })
  /** Runs asked for `tag` by the queries from index `from` on. */
  const runsAsked = (from: number, tag: string, pred: (q: URLSearchParams) => boolean = () => true): string[] =>
    queries.slice(from).filter(q => q.get('tag') === tag && pred(q)).flatMap(q => q.getAll('run')).sort()
  await page.waitForFunction(sel => document.querySelector(sel)?.getAttribute('data-runs') === '2', card('loss'))
  assert.ok(queries.length >= 4, 'at least one query per card')
  assert.deepEqual(runsAsked(0, 'loss'), ['torch/a', 'torch/b'], 'both runs of the loss card, fetched once')
  for (const q of queries) {
    assert.equal(q.get('smoothing'), '0.6', 'TensorBoard\'s default weight')
    assert.ok(Number(q.get('points')) >= 200, 'server-side downsampling for display')
  }
  // The batch_loss card asks for the de-smoothed series of the Keras running means.
  assert.ok(queries.some(q => q.get('tag') === 'batch_loss' && q.get('series')!.split(',').includes('desmoothed')))

  // 1. Weight 0.9 typed in: after the debounce, every card asks again with smoothing=0.9.
  const before = queries.length
  await page.fill('#smoothing-value', '0.9')
  await page.locator('#smoothing-value').dispatchEvent('change')
  await page.waitForFunction(() => location.hash.includes('smoothing=0.9'))
  await waitFor(() => runsAsked(before, 'loss', q => q.get('smoothing') === '0.9').length === 2)
  // 2. The smoothed column shows exactly when the server sent a smoothed series.
  await page.waitForTimeout(300)
  const lossBody = bodies.get('torch/a|loss|raw,desmoothed,smoothed|0.9') ?? bodies.get('torch/a|loss|raw,smoothed|0.9')
  assert.ok(lossBody, 'the loss query of torch/a was seen')
  const hasSmoothed = Array.isArray(lossBody.smoothed)
  const smoothedHeader = page.locator(`${card('loss')} .legend th`).nth(4)
  assert.equal(await smoothedHeader.evaluate(e => e.classList.contains('col-hidden')), !hasSmoothed)
  if (hasSmoothed) assert.match((await legend(page, 'loss', 'torch/a')).smoothed, /^\d/)

  // 3. Smoothing 0: no smoothing parameter, no smoothed line.
  const before0 = queries.length
  await page.fill('#smoothing-value', '0')
  await page.locator('#smoothing-value').dispatchEvent('change')
  await waitFor(() => runsAsked(before0, 'loss').length === 2)
  for (const q of queries.slice(before0)) assert.equal(q.has('smoothing'), false)
  await page.waitForFunction(sel => !document.querySelector(sel)?.getAttribute('data-series')?.includes(':smoothed'), card('loss'))

  // 4. De-smoothed off: the next queries no longer ask for it and no card draws it.
  const desmoothedShown = Array.isArray(bodies.get('keras/train|batch_loss|raw,desmoothed,smoothed|0.6')?.desmoothed)
  assert.equal(await page.locator(`${card('batch_loss')} .chip.desm`).count(), desmoothedShown ? 1 : 0)
  const beforeD = queries.length
  await page.locator('#show-desmoothed').uncheck()
  await waitFor(() => queries.slice(beforeD).some(q => q.get('tag') === 'batch_loss'))
  for (const q of queries.slice(beforeD)) assert.equal(q.get('series')!.includes('desmoothed'), false)
  await page.waitForFunction(sel => !document.querySelector(sel)?.getAttribute('data-series')?.includes(':desmoothed'), card('batch_loss'))
  assert.equal(await page.locator(`${card('batch_loss')} .chip.desm`).count(), 0)

  // 5. The x axis switches without new data for display-only changes, and survives in the URL.
  await page.click('button[data-axis="relative"]')
  await page.waitForFunction(() => location.hash.includes('x=relative'))
  await page.locator(`${card('loss')} canvas`).first().waitFor()
  await page.click('button[data-axis="wall"]')
  await page.waitForFunction(() => location.hash.includes('x=wall'))
  await page.locator(`${card('loss')} canvas`).first().waitFor()
  assert.equal((await legend(page, 'loss', 'torch/a')).step, String(RAW_STEPS - 1))

  // 6. Log scale: the same lines on a log axis (uPlot leaves some log ticks unlabelled: no errors from that).
  await page.locator('#log-y').check()
  await page.waitForFunction(() => location.hash.includes('logy=1'))
  await page.locator(`${card('loss')} canvas`).first().waitFor()
  assert.equal((await legend(page, 'loss', 'torch/a')).value, formatValue(Math.fround(rawLoss(1, RAW_STEPS - 1))))
})

test('annotations of a tag are drawn and listed; clicking one shows its causes and explanation', async (t) => {
  const res = await getJson(`${server.url}api/v1/annotations?tag=loss`)
  const page = await open(server.url, t)
  await page.waitForFunction(sel => document.querySelector(sel)?.getAttribute('data-runs') === '2', card('loss'))
  await page.waitForTimeout(200)
  if (res.status === 404) {
    // No annotation route on this server yet: the card shows none and nothing breaks.
    assert.equal(await page.locator(`${card('loss')} .ann-item`).count(), 0)
    return
  }
  assert.equal(res.status, 200)
  const all = res.body as Array<{ run: string, kind: string, severity: string, startStep: number, endStep: number, explanation: string }>
  // Info annotations (restarts, schedule notes) are quiet by default: the card draws the others.
  const anns = all.filter(a => a.severity !== 'info')
  // The fixture has a ×8 one-step spike at SPIKE_STEP in both runs: it must be annotated.
  const spike = anns.find(a => a.run === 'torch/a' && a.startStep <= SPIKE_STEP && a.endStep >= SPIKE_STEP)
  assert.ok(spike, `an annotation covers the spike at step ${SPIKE_STEP}: ${JSON.stringify(anns.map(a => [a.run, a.kind, a.startStep, a.endStep]))}`)
  await page.waitForFunction(([sel, n]) => document.querySelector(sel as string)?.getAttribute('data-annotations') === String(n), [card('loss'), anns.length] as const)
  const items = page.locator(`${card('loss')} .ann-item`)
  assert.equal(await items.count(), Math.min(4, anns.length))
  const item = page.locator(`${card('loss')} .ann-item[data-kind="${spike.kind}"]`).first()
  await item.click()
  const detail = page.locator(`${card('loss')} .ann-detail`)
  await detail.waitFor({ state: 'visible' })
  assert.match(await detail.innerText(), new RegExp(spike.kind))
})

test('points appended to an event file appear in the chart within seconds, pushed by the live stream', async (t) => {
  const page = await open(server.url, t)
  await page.waitForFunction(sel => document.querySelector(sel)?.getAttribute('data-runs') === '2', card('loss'))
  await page.waitForFunction(() => document.querySelector('#live')?.textContent === 'live', undefined, { timeout: 5000 })
  await page.mouse.move(5, 5) // cursor away: the legend shows last points
  const started = Date.now()
  appendLoss(fx.liveFile, RAW_STEPS, 20, () => 0.25)
  const last = RAW_STEPS + 19
  await page.waitForFunction(sel => document.querySelector(`${sel} tr[data-run="torch/a"] .legend-step`)?.textContent === '319', card('loss'), { timeout: 5000 })
  const ms = Date.now() - started
  console.log(`# live update: appended point at step ${last} shown after ${ms} ms`)
  assert.equal((await legend(page, 'loss', 'torch/a')).value, '0.25')
  assert.ok(ms < 5000)
  // The run list counts the new points too: 300 loss + 30 lr + 20 appended.
  await page.waitForFunction(() => document.querySelector('#run-list li.run[data-run="torch/a"] .run-meta')?.textContent === '350 pts')
})

test('screenshot of the whole dashboard for a human to look at', async (t) => {
  const page = await open(server.url, t)
  await page.waitForFunction(sel => document.querySelector(sel)?.getAttribute('data-runs') === '2', card('loss'))
  await page.waitForFunction(sel => document.querySelector(sel)?.getAttribute('data-runs') === '1', card('batch_loss'))
  await page.waitForTimeout(300)
  await page.screenshot({ path: SCREENSHOT, fullPage: true })
  assert.ok(existsSync(SCREENSHOT))
  console.log(`# screenshot: ${SCREENSHOT}`)
})

test('under --base-path the page loads from <base> (redirected to <base>/) and talks to the prefixed API', async (t) => {
  const based = await startServer({ logdir: fx.logdir, webRoot, basePath: '/tools/lossboard' })
  t.after(() => based.close())
  const page = await open(based.url.replace(/\/$/, ''), t)
  assert.ok(page.url().endsWith('/tools/lossboard/'), page.url())
  await page.waitForFunction(() => document.querySelectorAll('#run-list li.run').length === 4)
  await page.locator(`${card('loss')} canvas`).first().waitFor()
})

test('an empty logdir says so, naming the directory', async (t) => {
  const empty = tempDir('lossboard-empty-')
  t.after(empty.cleanup)
  const s = await startServer({ logdir: empty.dir, webRoot })
  t.after(() => s.close())
  const page = await open(s.url, t)
  await page.waitForFunction(() => document.querySelector('#empty')?.textContent?.includes('No runs yet in'))
  assert.match(await page.locator('#empty').innerText(), new RegExp(`No runs yet in ${empty.dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`))
})

test('while the first load runs, a progress indicator shows; the runs appear when it is done', async (t) => {
  const s = await startServer({ logdir: fx.logdir, webRoot, load: false })
  t.after(() => s.close())
  const page = await open(s.url, t)
  await page.locator('#progress').waitFor({ state: 'visible' })
  assert.match(await page.locator('#load-status').innerText(), /^Loading…/)
  await s.loader.reload()
  await page.locator('#progress').waitFor({ state: 'hidden', timeout: 5000 })
  await page.waitForFunction(() => document.querySelectorAll('#run-list li.run').length === 4, undefined, { timeout: 5000 })
  assert.doesNotMatch(await page.locator('#load-status').innerText(), /Loading/)
})

test('a NaN value at the end of the fixture is one of the non-finite markers (sanity of the fixture)', () => {
  assert.ok(Number.isNaN(rawLoss(1, NAN_STEP)))
  assert.ok(rawLoss(1, SPIKE_STEP) > 5 * rawLoss(1, SPIKE_STEP - 1))
})

async function waitFor (cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time')
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}
