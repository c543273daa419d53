/**
 * The dashboard on the public corpus (76 runs from 22 projects): legend names are unique on
 * screen, hovering highlights, and the Problems view lists every warning and critical annotation
 * the API lists; clicking one scrolls to its chart with the band in view.
 */

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import type { Browser } from 'playwright-core'
import { buildWeb, startServer, type Server } from './fixtures.js'
import { card, launch, openPage } from './browser.js'
import { PUBLIC, tempDir } from '../helpers/paths.js'

let browser: Browser
let server: Server
const cleanups: Array<() => void | Promise<void>> = []

before(async () => {
  const tmp = tempDir('lossboard-web-corpus-')
  cleanups.push(tmp.cleanup)
  const webRoot = path.join(tmp.dir, 'dist-web')
  buildWeb(webRoot)
  server = await startServer({ logdir: PUBLIC, webRoot })
  cleanups.push(() => server.close())
  browser = await launch()
  cleanups.push(() => browser.close())
})

after(async () => {
  for (const c of cleanups.reverse()) await c()
})

interface Ann { run: string, tag: string, severity: string, kind: string, startStep: number, endStep: number }

test('public corpus: unique legend names, hover highlight, and a Problems view that matches the API', async (t) => {
  const runs = (await (await fetch(`${server.url}api/v1/runs`)).json() as { runs: unknown[] }).runs.length
  const anns = await (await fetch(`${server.url}api/v1/annotations`)).json() as Ann[]
  const serious = anns.filter(a => a.severity !== 'info')
  console.log(`# corpus: ${runs} runs, ${anns.length} annotations, ${serious.length} warning or critical`)
  const page = await openPage(browser, server.url, t)
  await page.waitForFunction(n => document.querySelectorAll('#run-list li.run').length === n, runs, { timeout: 20000 })
  // Every card on screen: its legend names are unique (the part of the name that differs shows).
  await page.waitForFunction(() => [...document.querySelectorAll('article.card')].slice(0, 4).every(c => Number((c as HTMLElement).dataset.points ?? 0) > 0), undefined, { timeout: 20000 })
  const dupes = await page.locator('article.card').evaluateAll(els => els.flatMap(c => {
    const names = [...c.querySelectorAll('.legend-name')].map(e => e.textContent)
    return names.length === new Set(names).size ? [] : [(c as HTMLElement).dataset.tag]
  }))
  assert.deepEqual(dupes, [], 'cards with repeated legend names')
  // A tag many runs share: all its rows are distinct and hovering one highlights it.
  await page.fill('#tag-filter', '^epoch_loss$')
  await page.waitForFunction(sel => Number(document.querySelector(sel)?.getAttribute('data-runs') ?? 0) >= 10, card('epoch_loss'), { timeout: 20000 })
  const names = await page.locator(`${card('epoch_loss')} .legend-name`).allInnerTexts()
  assert.equal(new Set(names).size, names.length, `unique: ${names.join(', ')}`)
  const row = page.locator(`${card('epoch_loss')} tbody tr`).nth(3)
  const run = (await row.getAttribute('data-run'))!
  await row.hover()
  await page.waitForFunction(r => document.body.dataset.highlight === r, run)
  assert.match(await page.locator('#run-count').innerText(), /of/, 'the tag filter narrows the run list')
  await page.screenshot({ path: '/tmp/lossboard-corpus-epoch_loss.png' })
  // Problems: the same count as the API; a click scrolls to the chart with the band in view.
  await page.fill('#tag-filter', '')
  await page.waitForFunction(n => document.querySelector('#problems-btn')?.textContent === `Problems ${n}`, serious.length, { timeout: 20000 })
  await page.click('#problems-btn')
  assert.equal(await page.locator('#problems .problem').count(), serious.length)
  await page.screenshot({ path: '/tmp/lossboard-corpus-problems.png' })
  const item = page.locator('#problems .problem').first()
  const tag = (await item.getAttribute('data-tag'))!
  await item.click()
  const target = page.locator(card(tag))
  await target.locator('.ann-detail').waitFor({ state: 'visible', timeout: 20000 })
  await page.waitForFunction(sel => document.querySelector(`${sel} .chart-host`)?.getAttribute('data-x') !== null, card(tag))
  assert.ok(await target.evaluate(e => { const r = e.getBoundingClientRect(); return r.top < innerHeight && r.bottom > 0 }), 'the card is on screen')
  await page.screenshot({ path: '/tmp/lossboard-corpus-jump.png' })
})
