/**
 * Hyper-parameters: a logdir whose sessions carry TensorBoard hparams plugin data (SessionStartInfo,
 * SessionEndInfo), written by our writer from the proto schema as tf.summary's hparams API lays it
 * out (the session run holds the plugin data, `<run>/validation` its metrics). /api/v1/hparams
 * decodes it, and the dashboard shows the sessions table with the right values, sortable.
 */

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { EventFileBuilder, eventFileName } from '../../server/records/event-writer.js'
import { encodeHParamsPluginData } from '../../server/records/proto.js'
import { buildWeb, startServer, T0, type Server } from './fixtures.js'
import { launch, openPage } from './browser.js'
import { tempDir } from '../helpers/paths.js'
import { writeHfSweep } from '../helpers/hf-sweep-logdir.js'

const SESSIONS = [
  { run: 'hparam_tuning/run-0', lr: 0.1, optimizer: 'sgd', dropout: 0.1, acc: 0.71 },
  { run: 'hparam_tuning/run-1', lr: 0.01, optimizer: 'adam', dropout: 0.2, acc: 0.83 },
  { run: 'hparam_tuning/run-2', lr: 0.001, optimizer: 'adam', dropout: 0.3, acc: 0.78 }
]

let browser: Browser
let server: Server
/** A logdir of Hugging Face Trainer runs: 200+ config names from text summaries, of which three differ. */
let hfServer: Server
const cleanups: Array<() => void | Promise<void>> = []

/** A summary event whose single value carries hparams plugin data. */
function hparamsEvent (tag: string, data: Record<string, unknown>, wallTime: number): Record<string, unknown> {
  return {
    wallTime,
    step: 0,
    summary: { value: [{ tag, metadata: { pluginData: { pluginName: 'hparams', content: encodeHParamsPluginData({ version: 0, ...data }) } } }] }
  }
}

before(async () => {
  const tmp = tempDir('lossboard-web-hparams-')
  cleanups.push(tmp.cleanup)
  const webRoot = path.join(tmp.dir, 'dist-web')
  buildWeb(webRoot)
  const logdir = path.join(tmp.dir, 'logs')
  for (const [i, s] of SESSIONS.entries()) {
    mkdirSync(path.join(logdir, s.run, 'validation'), { recursive: true })
    const b = new EventFileBuilder().fileVersion(T0)
      .event(hparamsEvent('_hparams_/session_start_info', {
        sessionStartInfo: { hparams: { lr: { numberValue: s.lr }, optimizer: { stringValue: s.optimizer }, dropout: { numberValue: s.dropout }, augment: { boolValue: i % 2 === 0 } }, startTimeSecs: T0 + i }
      }, T0 + i))
      .event(hparamsEvent('_hparams_/session_end_info', { sessionEndInfo: { status: 1, endTimeSecs: T0 + 100 } }, T0 + 100))
    writeFileSync(path.join(logdir, s.run, eventFileName(T0, 'hp', i)), b.bytes())
    const v = new EventFileBuilder().fileVersion(T0)
    for (let e = 0; e < 5; e++) v.scalar('epoch_accuracy', e, T0 + e, s.acc - (4 - e) * 0.05, 'tensor_content')
    writeFileSync(path.join(logdir, s.run, 'validation', eventFileName(T0, 'hp', 10 + i)), v.bytes())
  }
  server = await startServer({ logdir, webRoot })
  cleanups.push(() => server.close())
  const hfDir = path.join(tmp.dir, 'hf')
  writeHfSweep(hfDir, T0)
  hfServer = await startServer({ logdir: hfDir, webRoot })
  cleanups.push(() => hfServer.close())
  browser = await launch()
  cleanups.push(() => browser.close())
})

after(async () => {
  for (const c of cleanups.reverse()) await c()
})

test('/api/v1/hparams decodes the sessions\' hparams with protobufjs and pairs them with their metrics', async () => {
  const res = await fetch(`${server.url}api/v1/hparams`)
  assert.equal(res.status, 200)
  const body = await res.json() as { hparams: string[], metrics: string[], sessions: Array<{ run: string, hparams: Record<string, unknown>, status: string, metrics: Record<string, { last: number, max: number }> }> }
  assert.deepEqual(body.hparams, ['augment', 'dropout', 'lr', 'optimizer'])
  assert.deepEqual(body.metrics, ['validation/epoch_accuracy'])
  assert.deepEqual(body.sessions.map(s => s.run), SESSIONS.map(s => s.run))
  for (const [i, s] of SESSIONS.entries()) {
    const got = body.sessions[i]!
    assert.deepEqual(got.hparams, { lr: s.lr, optimizer: s.optimizer, dropout: s.dropout, augment: i % 2 === 0 })
    assert.equal(got.status, 'success')
    assert.ok(Math.abs(got.metrics['validation/epoch_accuracy']!.last - s.acc) < 1e-6)
  }
})

test('the dashboard shows the hparams table with the right values, sortable by a column', async (t) => {
  const page = await openPage(browser, server.url, t)
  await page.waitForFunction(() => document.querySelector('#hparams-btn')?.textContent === 'HParams 3')
  await page.click('#hparams-btn')
  const rows = page.locator('#hparams tbody tr')
  await rows.first().waitFor()
  assert.equal(await rows.count(), 3)
  const lr = await page.locator('#hparams td[data-col="h:lr"]').allInnerTexts()
  assert.deepEqual(lr, ['0.1', '0.01', '0.001'])
  assert.deepEqual(await page.locator('#hparams td[data-col="h:optimizer"]').allInnerTexts(), ['sgd', 'adam', 'adam'])
  assert.deepEqual(await page.locator('#hparams td[data-col="m:validation/epoch_accuracy"]').allInnerTexts(), ['0.71', '0.83', '0.78'])
  // Sort by the metric: ascending, then descending.
  await page.click('#hparams th[data-col="m:validation/epoch_accuracy"] button')
  assert.deepEqual(await page.locator('#hparams tbody tr').evaluateAll(els => els.map(e => (e as HTMLElement).dataset.run)), ['hparam_tuning/run-0', 'hparam_tuning/run-2', 'hparam_tuning/run-1'])
  await page.click('#hparams th[data-col="m:validation/epoch_accuracy"] button')
  assert.equal(await page.locator('#hparams tbody tr').first().getAttribute('data-run'), 'hparam_tuning/run-1')
  // The scatter: the metric (y) against lr (x, log scale: 0.001 … 0.1 spans ×100), one dot per session.
  assert.equal(await page.inputValue('#hp-scatter-y'), 'validation/epoch_accuracy')
  assert.equal(await page.inputValue('#hp-scatter-x'), 'dropout')
  await page.selectOption('#hp-scatter-x', 'lr')
  const dots = async (): Promise<Array<{ run: string, cx: number, cy: number }>> => await page.locator('#hparams circle.hp-dot').evaluateAll(els =>
    els.map(e => ({ run: e.getAttribute('data-run')!, cx: Number(e.getAttribute('cx')), cy: Number(e.getAttribute('cy')) })))
  const byLr = (await dots()).sort((a, b) => a.cx - b.cx)
  assert.deepEqual(byLr.map(d => d.run), ['hparam_tuning/run-2', 'hparam_tuning/run-1', 'hparam_tuning/run-0'])
  // Equal steps on a log axis: 0.001 → 0.01 and 0.01 → 0.1.
  assert.ok(Math.abs((byLr[1]!.cx - byLr[0]!.cx) - (byLr[2]!.cx - byLr[1]!.cx)) < 1, JSON.stringify(byLr))
  // Higher accuracy is drawn higher (smaller y): run-1 (0.83) above run-2 (0.78) above run-0 (0.71).
  assert.deepEqual((await dots()).sort((a, b) => a.cy - b.cy).map(d => d.run), ['hparam_tuning/run-1', 'hparam_tuning/run-2', 'hparam_tuning/run-0'])
  // A categorical hparam: the two adam sessions share an x.
  await page.selectOption('#hp-scatter-x', 'optimizer')
  const opt = await dots()
  assert.equal(opt.find(d => d.run === 'hparam_tuning/run-1')!.cx, opt.find(d => d.run === 'hparam_tuning/run-2')!.cx)
  await page.selectOption('#hp-scatter-x', 'lr')
  await page.screenshot({ path: '/tmp/lossboard-hparams.png' })
  // A session's name narrows the runs to it and the runs under it.
  await page.click('#hparams tbody tr[data-run="hparam_tuning/run-1"] button')
  await page.waitForFunction(() => document.querySelectorAll('#run-list li.run').length === 2)
  assert.deepEqual(await page.locator('#run-list li.run').evaluateAll(els => els.map(e => (e as HTMLElement).dataset.run)), ['hparam_tuning/run-1', 'hparam_tuning/run-1/validation'])
})

const hpCols = async (page: Page): Promise<string[]> => await page.locator('#hparams th.hp-h').evaluateAll(els => els.map(e => (e as HTMLElement).dataset.col!))

test('Hugging Face configs: the table shows the 3 of 200+ hyper-parameters that differ, the rest once below; a chooser shows any set', async (t) => {
  const res = await fetch(`${hfServer.url}api/v1/hparams`)
  const body = await res.json() as { hparams: string[], sessions: Array<{ run: string, sources: Record<string, string> }> }
  const N = body.hparams.length
  assert.ok(N >= 200, `${N} names`)
  assert.equal(body.sessions[0]!.sources['args.learning_rate'], 'text-config')

  const page = await openPage(browser, hfServer.url, t)
  await page.waitForFunction(() => document.querySelector('#hparams-btn')?.textContent === 'HParams 6')
  await page.click('#hparams-btn')
  await page.locator('#hparams tbody tr').first().waitFor()
  // Only what differs: the per-run logging directory is a path, not a hyper-parameter that differs.
  assert.deepEqual(await hpCols(page), ['h:args.learning_rate', 'h:args.per_device_train_batch_size', 'h:args.seed'])
  assert.match(await page.locator('#hparams .problems-count').innerText(), new RegExp(`6 sessions · 3 of ${N} hyper-parameters differ`))
  assert.equal(await page.getAttribute('#hparams th[data-col="h:args.learning_rate"] button', 'title'), 'sort by args.learning_rate (from a JSON config logged as text)')
  // The others are listed once, with their value.
  const constants = page.locator('#hparams details.hp-const')
  assert.match(await constants.locator('summary').innerText(), new RegExp(`Not in the table: ${N - 3} hyper-parameters, ${N - 4} the same in all 6 sessions`))
  await constants.locator('summary').click()
  assert.equal(await constants.locator('li[data-name="args.adam_beta1"]').innerText(), 'args.adam_beta1 = 0.9')
  assert.match(await constants.locator('li[data-name="args.logging_dir"]').innerText(), /a different path in each session/)
  // Sorting still works on the remaining columns.
  await page.click('#hparams th[data-col="h:args.learning_rate"] button')
  assert.deepEqual(await page.locator('#hparams td[data-col="h:args.learning_rate"]').allInnerTexts(), ['1e-5', '3e-5', '5e-5', '1e-4', '2e-4', '3e-4'].map(v => v))
  await page.screenshot({ path: '/tmp/lossboard-hparams-hf.png', fullPage: true })

  // The chooser: all, differing, a filtered set, one unticked.
  await page.click('#hparams details.hp-cols summary')
  await page.click('#hparams .hp-preset-all')
  assert.equal((await hpCols(page)).length, N)
  assert.equal(await page.locator('#hparams details.hp-const').count(), 0)
  await page.click('#hparams .hp-preset-differing')
  assert.equal((await hpCols(page)).length, 3)
  await page.fill('#hparams .hp-cols-filter', 'adam')
  // Typing filters the list in place: the filter keeps the focus.
  assert.equal(await page.evaluate(() => (document.activeElement as HTMLElement).className), 'hp-cols-filter')
  assert.equal(await page.locator('#hparams .hp-col-opt:not([hidden])').count(), 3)
  await page.click('#hparams .hp-preset-filtered')
  assert.deepEqual(await hpCols(page), ['h:args.adam_beta1', 'h:args.adam_beta2', 'h:args.adam_epsilon'])
  await page.locator('#hparams .hp-col-opt input[data-name="args.adam_beta2"]').uncheck()
  assert.deepEqual(await hpCols(page), ['h:args.adam_beta1', 'h:args.adam_epsilon'])
  // The scatter offers the shown columns; back to the differing ones, it plots the metric against lr.
  await page.click('#hparams .hp-preset-differing')
  assert.deepEqual(await page.locator('#hp-scatter-x option').evaluateAll(els => els.map(e => (e as HTMLOptionElement).value)), ['args.learning_rate', 'args.per_device_train_batch_size', 'args.seed'])
  await page.selectOption('#hp-scatter-y', 'eval/accuracy')
  assert.equal(await page.locator('#hparams circle.hp-dot').count(), 6)
  await page.screenshot({ path: '/tmp/lossboard-hparams-hf-chooser.png', fullPage: true })
})

for (const scheme of ['light', 'dark'] as const) {
  test(`Hugging Face hparams at 390 px, ${scheme}: the table scrolls inside its box, the page does not`, async (t) => {
    const page = await openPage(browser, hfServer.url, t, { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, colorScheme: scheme })
    await page.waitForFunction(() => document.querySelector('#hparams-btn')?.textContent === 'HParams 6')
    await page.click('#hparams-btn')
    await page.locator('#hparams tbody tr').first().waitFor()
    await page.click('#hparams details.hp-cols summary')
    await page.locator('#hparams details.hp-const summary').click()
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
    assert.ok(overflow <= 0, `page scrolls sideways by ${overflow} px`)
    const right = await page.locator('#hparams').evaluate(e => e.getBoundingClientRect().right)
    assert.ok(right <= 390, `the view ends at ${right} px`)
    await page.locator('#hparams').screenshot({ path: `/tmp/lossboard-hparams-390-${scheme}.png` })
  })
}
