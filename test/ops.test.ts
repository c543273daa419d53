/** Operations on a real process: graceful shutdown with a deadline (slow clients, a SIGTERM during the first scan), /readyz, /metrics, the non-loopback warning. */

import { test } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import { mkdirSync, writeFileSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { EventFileBuilder, eventFileName } from '../server/records/event-writer.js'
import { REPO, tempDir } from './helpers/paths.js'
import { startChild, until } from './helpers/child-server.js'

const T0 = 1700000000

function writeRuns (logdir: string, runs: number, points: number): void {
  for (let r = 0; r < runs; r++) {
    mkdirSync(path.join(logdir, `run${r}`), { recursive: true })
    const b = new EventFileBuilder().fileVersion(T0)
    for (let s = 0; s < points; s++) b.scalar('loss', s, T0 + s, Math.exp(-s / 5000))
    writeFileSync(path.join(logdir, `run${r}`, eventFileName(T0)), b.bytes())
  }
}

test('SIGTERM with a slow export client and an open event stream: the process exits 0 within the shutdown deadline', async () => {
  const { dir, cleanup } = tempDir()
  writeRuns(dir, 4, 30_000)
  const child = await startChild(['--logdir', dir, '--shutdown-timeout', '2', '--once'])
  try {
    assert.ok(await until(async () => (await fetch(child.url + 'readyz')).status === 200, 30_000))
    // a client that asks for everything and never reads: its response can never finish
    const slow = http.get(child.url + 'api/v1/export?format=csv', res => { res.pause() })
    slow.on('error', () => {})
    const stream = http.get(child.url + 'api/v1/stream', res => { res.resume() })
    stream.on('error', () => {})
    await new Promise(resolve => setTimeout(resolve, 500))
    const t0 = Date.now()
    const code = await child.stop('SIGTERM')
    const took = Date.now() - t0
    assert.equal(code, 0)
    assert.ok(took < 4500, `exited after ${took} ms (deadline 2 s; 43 s before)`)
    slow.destroy()
    stream.destroy()
  } finally { cleanup() }
})

test('SIGTERM during the first scan exits 0 (handlers are installed before the first scan)', async () => {
  const { dir, cleanup } = tempDir()
  writeRuns(dir, 20, 15_000)
  const child = await startChild(['--logdir', dir, '--shutdown-timeout', '3'])
  try {
    const h = await (await fetch(child.url + 'healthz')).json() as { loading: boolean }
    const r = await fetch(child.url + 'readyz')
    if (h.loading) assert.equal(r.status, 503, '/readyz is 503 while loading')
    const t0 = Date.now()
    assert.equal(await child.stop('SIGTERM'), 0)
    assert.ok(Date.now() - t0 < 5000)
  } finally { cleanup() }
})

test('/readyz turns 200 after the initial load; /metrics speaks Prometheus text with loader, request, stream and event-loop figures', async () => {
  const { dir, cleanup } = tempDir()
  writeRuns(dir, 2, 100)
  const child = await startChild(['--logdir', dir, '--host', '0.0.0.0'])
  try {
    assert.ok(await until(async () => (await fetch(child.url.replace('0.0.0.0', '127.0.0.1') + 'readyz')).status === 200, 10_000))
    const base = child.url.replace('0.0.0.0', '127.0.0.1')
    await fetch(base + 'api/v1/runs')
    await fetch(base + 'data/runs')
    const m = await fetch(base + 'metrics')
    assert.match(m.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/)
    const text = await m.text()
    for (const re of [
      /^lossboard_points_total 200$/m, /^lossboard_files 2$/m, /^lossboard_runs 2$/m, /^lossboard_read_bytes_total \d+$/m,
      /^lossboard_skipped_records 0$/m, /^lossboard_ready 1$/m, /^lossboard_stream_clients 0$/m, /^lossboard_event_loop_lag_seconds [\d.e-]+$/m,
      /^lossboard_http_request_duration_seconds_bucket\{method="GET",route="\/api\/v1\/runs",le="0\.1"\} 1$/m,
      /^lossboard_http_requests_total\{method="GET",route="\/data\/runs",status="200"\} 1$/m,
      /^# TYPE lossboard_http_request_duration_seconds histogram$/m
    ]) assert.match(text, re)
    // binding beyond loopback without a token says so
    assert.ok(child.lines.some(l => l.level === 40 && String(l.msg).includes('WITHOUT authentication')), 'warning logged')
  } finally {
    await child.stop()
    cleanup()
  }
})

test('docker-compose passes the token from the environment, runs as non-root with a healthcheck', () => {
  const yml = readFileSync(path.join(REPO, 'docker-compose.yml'), 'utf8')
  assert.match(yml, /LOSSBOARD_TOKEN: \$\{LOSSBOARD_TOKEN/)
  assert.match(yml, /user: "1000:1000"/)
  assert.match(yml, /healthcheck:/)
  assert.match(readFileSync(path.join(REPO, 'Dockerfile'), 'utf8'), /^USER node$/m)
})
