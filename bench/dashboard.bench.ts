/** Dashboard in headless Chromium: time to the first chart and to all charts on 20 runs × 10 tags, and frame times while 20 runs stream live. */

import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import os from 'node:os'
import path from 'node:path'
import { chromium } from 'playwright-core'
import { EventFileBuilder, eventFileName } from '../server/records/event-writer.js'
import { manyRunsLogdir } from './make-logdir.js'
import { QUICK, REPO, report, progress, quantile } from './lib.js'
import { startServer } from './server.js'

/*
 * 1. Load: RUNS runs × 10 tags × POINTS points (full: 100,000; quick: 10,000), loaded by the real
 *    server (--once), the page opened in a 1440 × 3000 window so every card is on screen. Timed
 *    from page.goto: the first card with points drawn, and every card drawn.
 * 2. Live: a fresh logdir of 20 runs; the page open on it; then 20 writers append one event of 10
 *    tags every 100 ms each (200 events/s, 2,000 points/s) for LIVE_S seconds. The page records
 *    every requestAnimationFrame interval; reported are the median, p95 and max frame time and
 *    the number of frames over 50 ms.
 */

const RUNS = 20
const POINTS = QUICK ? 10_000 : 100_000
const LIVE_S = QUICK ? 5 : 15

async function main (): Promise<void> {
  progress('building the dashboard (dist/web) …')
  execFileSync(process.execPath, ['scripts/build-web.mjs'], { cwd: REPO, stdio: 'ignore' })
  progress(`generating ${RUNS} runs × 10 tags × ${POINTS} points (cached under bench/.data) …`)
  const dir = manyRunsLogdir(RUNS, POINTS)
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] })
  const metrics: Record<string, number> = {}
  try {
    const server = await startServer(dir, ['--once'])
    try {
      // Wait for the initial load: the page is timed, not the ingest.
      for (;;) {
        const h = await (await fetch(`${server.url}/healthz`)).json() as { initialLoadDone: boolean }
        if (h.initialLoadDone) break
        await new Promise(resolve => setTimeout(resolve, 100))
      }
      const page = await browser.newPage({ viewport: { width: 1440, height: 3000 } })
      const t0 = performance.now()
      await page.goto(`${server.url}/`)
      await page.waitForFunction(() => [...document.querySelectorAll('article.card')].some(c => Number((c as HTMLElement).dataset.points ?? 0) > 0), undefined, { timeout: 120_000 })
      metrics.firstChartMs = performance.now() - t0
      await page.waitForFunction(() => { const cs = [...document.querySelectorAll('article.card')]; return cs.length === 10 && cs.every(c => (c as HTMLElement).dataset.runs === '20') }, undefined, { timeout: 120_000 })
      metrics.allChartsMs = performance.now() - t0
      await page.close()
    } finally { await server.stop() }

    const live = path.join(os.tmpdir(), `lossboard-bench-dash-${process.pid}`)
    rmSync(live, { recursive: true, force: true })
    const files: string[] = []
    const tags = Array.from({ length: 10 }, (_, i) => `metric_${i}`)
    for (let r = 0; r < RUNS; r++) {
      mkdirSync(path.join(live, `run_${r}`), { recursive: true })
      const f = path.join(live, `run_${r}`, eventFileName(1_700_000_000, 'live', r))
      const b = new EventFileBuilder().fileVersion(1_700_000_000)
      for (let s = 0; s < 100; s++) b.scalars(s, 1_700_000_000 + s, tags.map((tag, i) => ({ tag, value: 1 + i + Math.sin(s / 9 + r), encoding: 'simple_value' as const })))
      writeFileSync(f, b.bytes())
      files.push(f)
    }
    const server2 = await startServer(live)
    try {
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
      await page.goto(`${server2.url}/`)
      await page.waitForFunction(() => [...document.querySelectorAll('article.card')].filter(c => (c as HTMLElement).dataset.runs === '20').length >= 2, undefined, { timeout: 60_000 })
      // A string, not a function: tsx would wrap a named inner function in a helper the page does not have.
      await page.evaluate(`(() => {
        window.__frames = []
        let last = performance.now()
        const tick = (t) => { window.__frames.push(t - last); last = t; requestAnimationFrame(tick) }
        requestAnimationFrame(tick)
      })()`)
      let step = 100
      const timer = setInterval(() => {
        for (const [r, f] of files.entries()) {
          const b = new EventFileBuilder()
          b.scalars(step, 1_700_000_000 + step, tags.map((tag, i) => ({ tag, value: 1 + i + Math.sin(step / 9 + r), encoding: 'simple_value' as const })))
          appendFileSync(f, b.bytes())
        }
        step++
      }, 100)
      await new Promise(resolve => setTimeout(resolve, LIVE_S * 1000))
      clearInterval(timer)
      const frames = (await page.evaluate(() => (window as unknown as { __frames: number[] }).__frames)).slice(1)
      const last = Number((await page.locator('article.card[data-tag="metric_0"] tr[data-run="run_0"] .legend-step').innerText()).replace(/,/g, ''))
      metrics.liveFrames = frames.length
      metrics.frameP50Ms = quantile(frames, 0.5)
      metrics.frameP95Ms = quantile(frames, 0.95)
      metrics.frameMaxMs = Math.max(...frames)
      metrics.framesOver50Ms = frames.filter(f => f > 50).length
      metrics.liveStepsWritten = step - 100
      metrics.liveStepsShownBehindMs = (step - 1 - last) * 100
    } finally {
      await server2.stop()
      rmSync(live, { recursive: true, force: true })
    }
  } finally { await browser.close() }
  report({
    scenario: `dashboard ${RUNS} runs × 10 tags × ${POINTS.toLocaleString('en-US')} points; live ${RUNS} writers × 10 tags at 10 events/s for ${LIVE_S} s`,
    metrics,
    notes: ['headless Chromium (--disable-gpu: software rendering); frame times are requestAnimationFrame intervals']
  })
}

await main()
