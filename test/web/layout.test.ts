/**
 * The page at phone size and in dark mode, used with the keyboard alone, and cards below the fold
 * after a settings change. Screenshots go to /tmp for a human to look at.
 */

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { EventFileBuilder, eventFileName } from '../../server/records/event-writer.js'
import { buildWeb, startServer, writeFixture, T0, type Server } from './fixtures.js'
import { card, launch, openPage } from './browser.js'
import { tempDir } from '../helpers/paths.js'
import { writeFileSync } from 'node:fs'

/** Extra tags of torch/a, so that cards sit below the fold. */
const EXTRA = 10

let browser: Browser
let server: Server
const cleanups: Array<() => void | Promise<void>> = []

before(async () => {
  const tmp = tempDir('lossboard-web-layout-')
  cleanups.push(tmp.cleanup)
  const webRoot = path.join(tmp.dir, 'dist-web')
  buildWeb(webRoot)
  const logdir = path.join(tmp.dir, 'logs')
  mkdirSync(logdir)
  writeFixture(logdir)
  const b = new EventFileBuilder().fileVersion(T0)
  for (let k = 0; k < EXTRA; k++) for (let s = 0; s < 100; s++) b.scalar(`metrics/m${k}`, s, T0 + s, 1 + k + Math.sin(s / 7), 'simple_value')
  mkdirSync(path.join(logdir, 'torch/extra'), { recursive: true })
  writeFileSync(path.join(logdir, 'torch/extra', eventFileName(T0, 'extra', 9)), b.bytes())
  server = await startServer({ logdir, webRoot })
  cleanups.push(() => server.close())
  browser = await launch()
  cleanups.push(() => browser.close())
})

after(async () => {
  for (const c of cleanups.reverse()) await c()
})

async function drawn (page: Page, tag: string): Promise<void> {
  await page.waitForFunction(sel => Number(document.querySelector(sel)?.getAttribute('data-points') ?? 0) > 0, card(tag))
}

const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true }

for (const scheme of ['light', 'dark'] as const) {
  test(`390 px, ${scheme}: no horizontal scroll, the charts first, the run list in a drawer`, async (t) => {
    const page = await openPage(browser, server.url, t, { ...PHONE, colorScheme: scheme })
    await drawn(page, 'loss')
    await page.waitForTimeout(300)
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
    assert.equal(overflow, 0, 'no horizontal overflow')
    const firstCardTop = await page.locator('article.card').first().evaluate(e => e.getBoundingClientRect().top)
    assert.ok(firstCardTop < 200, `the first chart starts ${firstCardTop} px down`)
    assert.equal(await page.locator('#sidebar').isVisible(), false, 'the run list waits in the drawer')
    // Every card fits the width.
    const widest = await page.locator('article.card').evaluateAll(els => Math.max(...els.map(e => e.getBoundingClientRect().right)))
    assert.ok(widest <= 390, `cards end at ${widest} px`)
    const bg = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor)
    const lum = bg.match(/\d+/g)!.slice(0, 3).map(Number).reduce((a, v) => a + v, 0) / 765
    assert.ok(scheme === 'dark' ? lum < 0.2 : lum > 0.8, `background ${bg} follows prefers-color-scheme: ${scheme}`)
    await page.screenshot({ path: `/tmp/lossboard-390-${scheme}.png` })
    await page.click('#menu-btn')
    await page.locator('#sidebar').waitFor({ state: 'visible' })
    await page.waitForTimeout(300)
    assert.equal(await page.locator('#run-list li.run').count(), 5)
    await page.screenshot({ path: `/tmp/lossboard-390-${scheme}-drawer.png` })
    await page.click('#drawer-close')
    await page.locator('#sidebar').waitFor({ state: 'hidden' })
  })
}

test('desktop dark mode: the switch overrides the system, charts are redrawn in its colours', async (t) => {
  const page = await openPage(browser, server.url, t, { colorScheme: 'light' })
  await drawn(page, 'loss')
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'light')
  await page.click('#theme-btn') // auto → dark
  await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark')
  await drawn(page, 'loss')
  await page.waitForTimeout(300)
  await page.screenshot({ path: '/tmp/lossboard-desktop-dark.png', fullPage: false })
  // The choice survives a reload.
  await page.reload()
  await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark')
})

test('keyboard only: skip link, visible focus, and an annotation\'s details opened with Enter', async (t) => {
  const page = await openPage(browser, server.url, t)
  await drawn(page, 'loss')
  await page.waitForSelector(`${card('loss')} .ann-item`)
  await page.keyboard.press('Tab')
  assert.equal(await page.evaluate(() => document.activeElement?.className), 'skip-link')
  await page.keyboard.press('Enter')
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'groups')
  let presses = 0
  while (presses < 60) {
    await page.keyboard.press('Tab')
    presses++
    if (await page.evaluate(() => document.activeElement?.classList.contains('ann-item') === true)) break
  }
  assert.ok(presses < 60, 'an annotation is reachable with Tab')
  console.log(`# keyboard: first annotation after the skip link + ${presses} Tab presses`)
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)
  assert.notEqual(outline, 'none', 'the focused item shows a focus outline')
  await page.keyboard.press('Enter')
  const detail = page.locator('.ann-detail:visible')
  await detail.waitFor()
  assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('ann-detail')), true, 'focus moves to the details')
  await page.screenshot({ path: '/tmp/lossboard-keyboard.png' })
})

test('cards below the fold draw their points when scrolled into view after a settings change', async (t) => {
  const page = await openPage(browser, server.url, t, { viewport: { width: 1280, height: 700 } })
  await drawn(page, 'loss')
  const last = `metrics/m${EXTRA - 1}`
  assert.equal(await page.locator(card(last)).evaluate(e => e.getBoundingClientRect().top > innerHeight + 400), true, 'the last card starts below the fold')
  await page.locator('#log-y').check()
  await page.fill('#smoothing-value', '0.3')
  await page.locator('#smoothing-value').dispatchEvent('change')
  await page.waitForFunction(() => location.hash.includes('smoothing=0.3'))
  await page.locator(card(last)).scrollIntoViewIfNeeded()
  await drawn(page, last)
  await page.waitForFunction(sel => document.querySelector(`${sel} .plot-empty`)?.hasAttribute('hidden') || (document.querySelector(`${sel} .plot-empty`) as HTMLElement | null)?.hidden === true, card(last))
  assert.match((await page.locator(card(last)).getAttribute('data-series'))!, /:smoothed/)
})
