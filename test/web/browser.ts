/** A real headless Chromium for the dashboard tests (Debian's /usr/bin/chromium via playwright-core), and pages that fail the test on page errors. */

import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core'

export const CHROMIUM = '/usr/bin/chromium'

export async function launch (): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`The dashboard tests drive a real browser and need Chromium at ${CHROMIUM}. Install it with \`apt-get install -y chromium\` (CI installs it); these tests are never skipped.`)
  }
  return await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']
  })
}

/** A fresh page (own context) on `url` that fails the test on any uncaught page error. */
export async function openPage (browser: Browser, url: string, t: { after: (fn: () => Promise<void>) => void }, opts: BrowserContextOptions = {}): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, ...opts })
  const page = await ctx.newPage()
  const errors: string[] = []
  page.on('pageerror', e => errors.push(e.message))
  t.after(async () => {
    await ctx.close()
    assert.deepEqual(errors, [], 'uncaught errors in the page')
  })
  await page.goto(url)
  return page
}

export const card = (tag: string): string => `article.card[data-tag="${tag}"]`
