/**
 * Alerts, end to end with real servers on 127.0.0.1: lossboard (the command line) watching a
 * logdir, and webhook receivers. A NaN and a divergence appended live give exactly one POST per
 * confirmed critical annotation, a clean run none; a restart with --cache-dir repeats none; a
 * receiver that answers 500 twice gets the alerts in the end.
 */

import { test } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import { mkdirSync, writeFileSync, appendFileSync } from 'node:fs'
import path from 'node:path'
import { tempDir } from '../helpers/paths.js'
import { startLossboard } from '../helpers/cli-server.js'
import { EventFileBuilder, eventFileName } from '../../server/records/event-writer.js'
import { alertPayload, chatBody } from '../../server/alerts/payload.js'

interface Receiver { url: string, posts: Array<Record<string, unknown>>, statuses: number[], close: () => Promise<void> }

/** A webhook receiver: records every POST body; answers 500 to the first `failFirst` requests. */
async function receiver (failFirst = 0): Promise<Receiver> {
  const posts: Array<Record<string, unknown>> = []
  const statuses: number[] = []
  let seen = 0
  const srv = http.createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (d: string) => { body += d })
    req.on('end', () => {
      seen++
      const status = seen <= failFirst ? 500 : 200
      statuses.push(status)
      if (status === 200) posts.push(JSON.parse(body))
      res.writeHead(status).end()
    })
  })
  await new Promise<void>(resolve => srv.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(srv.address() as { port: number }).port}/hook`, posts, statuses, close: () => new Promise(resolve => srv.close(() => resolve())) }
}

/** Deterministic noise. */
function rng (seed: number): () => number {
  let s = seed
  return () => { s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648 }
}

function series (n: number, from: number, value: (t: number) => number): Uint8Array {
  const b = new EventFileBuilder()
  if (from === 0) b.fileVersion(1_700_000_000)
  for (let t = from; t < from + n; t++) b.scalar('loss', t, 1_700_000_000 + t, value(t))
  return b.bytes()
}

const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

async function until (what: string, ms: number, cond: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(50)
  }
}

test('the chat payload has a text line for Slack/Discord and the generic fields', () => {
  const p = alertPayload({ id: 'x', run: 'r', tag: 'loss', kind: 'divergence', severity: 'critical', startStep: 10, endStep: 12, wallTime: 1_700_000_000, magnitude: { ratio: 3, robustZ: 9 }, baseline: 1, peak: 3, causes: [{ cause: 'learning rate too high', evidence: 'e' }], explanation: 'x', series: 'raw', open: true, tentative: false }, 'https://lb.example.org/team')
  const body = chatBody(p)
  assert.match(String(body.text), /^\[critical\] divergence in run r, tag loss, at step 10 .*learning rate too high.*<https:\/\/lb\.example\.org\/team\/#runs=.*\|chart>$/)
  assert.equal(body.run, 'r')
  assert.equal(body.step, 10)
  assert.deepEqual(body.causes, [{ cause: 'learning rate too high', evidence: 'e' }])
})

test('live NaN and divergence: one POST per confirmed critical annotation, none for a clean run, none again after a restart, retried after 500s', async () => {
  const { dir, cleanup } = tempDir()
  const ok = await receiver(0)
  const flaky = await receiver(2)
  const logdir = path.join(dir, 'logs')
  const cacheDir = path.join(dir, 'cache')
  const files: Record<string, string> = {}
  const noise = rng(7)
  const clean = (t: number): number => (0.05 + Math.exp(-t / 400)) * Math.exp(0.1 * (noise() - 0.5))
  for (const run of ['clean', 'nan', 'diverge']) {
    mkdirSync(path.join(logdir, run), { recursive: true })
    files[run] = path.join(logdir, run, eventFileName(1_700_000_000))
    writeFileSync(files[run]!, series(600, 0, clean))
  }
  const args = ['--logdir', logdir, '--cache-dir', cacheDir, '--alert-webhook', ok.url, '--alert-webhook', flaky.url, '--alert-on', 'critical', '--public-url', 'http://127.0.0.1:1/lb']
  let srv = await startLossboard(args)
  try {
    await srv.ready()
    await sleep(300)
    assert.equal(ok.posts.length, 0, 'nothing critical in three clean runs')
    // live appends: a clean continuation, a NaN, a divergence
    appendFileSync(files.clean!, series(200, 600, clean))
    appendFileSync(files.nan!, series(50, 600, clean))
    appendFileSync(files.nan!, series(1, 650, () => NaN))
    // main's detector (issue 8e) leaves a 1.2x-per-step climb of 100 points a tentative level shift;
    // a steady 1.1x-per-step climb over 200 points is the divergence it confirms
    appendFileSync(files.diverge!, series(200, 600, t => clean(t) * Math.pow(1.1, t - 599)))
    const critical = async (): Promise<Array<{ run: string, kind: string, startStep: number }>> =>
      (await (await fetch(`${srv.url}api/v1/annotations?severity=critical`)).json() as Array<{ run: string, kind: string, startStep: number, tentative: boolean }>).filter(a => !a.tentative)
    await until('a NaN and a divergence alert', 15_000, () => ok.posts.some(p => p.run === 'nan' && p.kind === 'non-finite') && ok.posts.some(p => p.run === 'diverge' && p.kind === 'divergence'))
    await sleep(500)
    const annotations = await critical()
    assert.equal(ok.posts.length, annotations.length, 'one POST per confirmed critical annotation')
    assert.deepEqual(ok.posts.map(p => `${p.run} ${p.kind} ${p.step}`).sort(), annotations.map(a => `${a.run} ${a.kind} ${a.startStep}`).sort())
    assert.ok(!ok.posts.some(p => p.run === 'clean'), 'no alert for the clean run')
    for (const p of ok.posts) {
      assert.equal(typeof p.text, 'string')
      assert.equal(p.severity, 'critical')
      assert.ok(Array.isArray(p.causes) && p.causes.length > 0)
      assert.match(String(p.link), /^http:\/\/127\.0\.0\.1:1\/lb\/#runs=/)
    }
    // the receiver that failed twice gets every alert in the end (backoff 1 s, 2 s)
    await until('the flaky receiver to catch up', 15_000, () => flaky.posts.length === ok.posts.length)
    assert.deepEqual(flaky.statuses.slice(0, 2), [500, 500])
    assert.deepEqual(flaky.posts.map(p => p.step).sort(), ok.posts.map(p => p.step).sort())
    const listed = await (await fetch(`${srv.url}api/v1/alerts`)).json() as { enabled: boolean, alerts: Array<{ deliveries: Array<{ webhook: string, status: string, attempts: number }> }> }
    assert.equal(listed.enabled, true)
    assert.equal(listed.alerts.length, ok.posts.length)
    assert.ok(listed.alerts.every(a => a.deliveries.every(d => d.status === 'delivered' && !d.webhook.includes('/hook'))))
    assert.ok(listed.alerts.some(a => a.deliveries.some(d => d.attempts >= 2)))
    // restart with the same cache: the same events are found again, and nothing is re-sent
    const before = ok.posts.length
    await srv.stop()
    srv = await startLossboard(args)
    await srv.ready()
    await sleep(1500)
    assert.equal((await critical()).length, annotations.length, 'the restarted server sees the same critical annotations')
    assert.equal(ok.posts.length, before, 'no alert repeated after the restart')
  } finally {
    await srv.stop()
    await ok.close()
    await flaky.close()
    cleanup()
  }
})
