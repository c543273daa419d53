/** The command line: --help, clear errors for bad flags, `load --json`, and a server that answers while it loads. */

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { REPO, GENERATED, tempDir } from './helpers/paths.js'
import { EventFileBuilder, eventFileName } from '../server/records/event-writer.js'

const BIN = path.join(REPO, 'bin', 'lossboard.js')

function run (args: string[]): { status: number | null, stdout: string, stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

test('--help documents every flag and exits 0', () => {
  const r = run(['--help'])
  assert.equal(r.status, 0)
  for (const flag of ['--logdir', '--host', '--port', '--poll', '--rescan-interval', '--once', '--no-crc', '--base-path', '--cors', '--log-level', 'load DIR']) {
    assert.ok(r.stdout.includes(flag), flag)
  }
})

test('a bad flag value is a clear error and exit code 2', () => {
  const r = run(['--port', '70000'])
  assert.equal(r.status, 2)
  assert.match(r.stderr, /--port must be an integer 0\.\.65535, got '70000'/)
  const u = run(['--frobnicate'])
  assert.equal(u.status, 2)
  assert.match(u.stderr, /frobnicate/)
})

test('load --json prints one JSON object with the ingest statistics', () => {
  const r = run(['load', GENERATED, '--json'])
  assert.equal(r.status, 0, r.stderr)
  const o = JSON.parse(r.stdout)
  for (const k of ['files', 'bytes', 'records', 'scalarPoints', 'skippedRecords', 'seconds', 'eventsPerSecond', 'mbPerSecond', 'rssBytes', 'heapUsedBytes']) assert.equal(typeof o[k], 'number', k)
  assert.equal(o.files, 34)
  assert.equal(o.scalarPoints, 10321) // every scalar value of corpus/generated, restarts included
  assert.equal(o.skippedRecords, 2) // the two corrupt records of edge/
})

test('the server listens at once, answers /healthz while loading, and logs progress and a summary', async () => {
  const { dir, cleanup } = tempDir()
  // 40 runs × 20,000 points: enough to take a moment to load
  for (let r = 0; r < 40; r++) {
    mkdirSync(path.join(dir, `run${r}`))
    const b = new EventFileBuilder().fileVersion(1700000000)
    for (let s = 0; s < 20_000; s++) b.scalar('loss', s, 1700000000 + s, Math.exp(-s / 5000))
    writeFileSync(path.join(dir, `run${r}`, eventFileName(1700000000)), b.bytes())
  }
  const child = spawn(process.execPath, [BIN, '--logdir', dir, '--port', '0', '--once', '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'pipe'] })
  try {
    const lines: Array<Record<string, unknown>> = []
    let url = ''
    let buf = ''
    child.stdout.setEncoding('utf8')
    const listening = new Promise<void>((resolve) => {
      child.stdout.on('data', (d: string) => {
        buf += d
        let nl
        while ((nl = buf.indexOf('\n')) >= 0) {
          const l = JSON.parse(buf.slice(0, nl)) as Record<string, unknown>
          lines.push(l)
          buf = buf.slice(nl + 1)
          if (l.msg === 'lossboard listening') { url = String(l.url); resolve() }
        }
      })
    })
    await listening
    const h = await (await fetch(`${url}healthz`)).json() as { status: string, loading: boolean }
    assert.equal(h.status, 'ok')
    const deadline = Date.now() + 60_000
    let done = false
    while (!done && Date.now() < deadline) {
      const s = await (await fetch(`${url}healthz`)).json() as { loading: boolean, points: number }
      done = !s.loading
      if (!done) await new Promise(resolve => setTimeout(resolve, 20))
    }
    assert.ok(done, 'initial load finished')
    // the log line travels through a pipe and may arrive after the /healthz answer
    while (!lines.some(l => l.msg === 'initial load done') && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20))
    const summary = lines.find(l => l.msg === 'initial load done')
    assert.ok(summary, 'summary logged')
    assert.equal(summary.runs, 40)
    assert.equal(summary.points, 800_000)
    assert.equal(typeof summary.eventsPerSecond, 'number')
    const runs = await (await fetch(`${url}data/runs`)).json() as string[]
    assert.equal(runs.length, 40)
  } finally {
    child.kill()
    cleanup()
  }
})
