/** TensorBoard on the same 2 M-event file in the same session: its Python loader and RustBoard (tensorboard-data-server) in three modes, against lossboard load. */

import { spawn } from 'node:child_process'
import os from 'node:os'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { ingestLogdir } from './make-logdir.js'
import { QUICK, report, progress, median, lossboardLoad } from './lib.js'

/*
 * Needs a virtualenv with tensorboard and tensorboard-data-server (bash bench/setup-tensorboard.sh
 * makes one under /tmp; LOSSBOARD_TB_VENV points elsewhere). Without it the benchmark says so and
 * reports nothing, and BENCHMARKS.md quotes the reference figures instead.
 *  - Python loader: plugin_event_accumulator.EventAccumulator with every tensor kept (size
 *    guidance 0), the path TensorBoard's Python server reads scalars through (simple_value is
 *    migrated to a tensor by data_compat); one run, it is slow.
 *  - RustBoard 0.7.2: `server --logdir DIR --reload once -v`; its own "Finished load cycle (Ns)"
 *    line is the time; peak RSS from /proc/PID/status (VmHWM). Modes: default (keeps 1,000
 *    points per tag, checksums only when parsing fails), `--samples-per-plugin scalars=all`
 *    (every point), and every point plus `--checksum` (every CRC verified, as lossboard does).
 * Each round runs lossboard and the three RustBoard modes in fresh processes, order rotated.
 */

const EVENTS = QUICK ? 500_000 : 2_000_000
const ROUNDS = QUICK ? 2 : 3
const VENV = process.env.LOSSBOARD_TB_VENV ?? '/tmp/lossboard-tb-venv'
const PYTHON = path.join(VENV, 'bin', 'python')

const PY_LOADER = `
import json, resource, sys, time
from tensorboard.backend.event_processing import plugin_event_accumulator as pea
acc = pea.EventAccumulator(sys.argv[1], size_guidance={pea.TENSORS: 0})
t0 = time.perf_counter()
acc.Reload()
secs = time.perf_counter() - t0
points = sum(len(acc.Tensors(t)) for t in acc.Tags()['tensors'])
print(json.dumps({"seconds": secs, "points": points, "maxRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
`

function run (cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''; let err = ''
    c.stdout.setEncoding('utf8').on('data', (d: string) => { out += d })
    c.stderr.setEncoding('utf8').on('data', (d: string) => { err += d })
    c.on('error', reject)
    c.on('close', code => code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}: ${err.slice(-1500)}`)))
  })
}

/** Runs RustBoard once over `dir`; resolves with its load-cycle seconds and peak RSS. */
function rustboard (binary: string, dir: string, flags: string[]): Promise<{ seconds: number, peakRssBytes: number }> {
  return new Promise((resolve, reject) => {
    const c = spawn(binary, ['--logdir', dir, '--reload', 'once', '-v', '--port', '0', '--host', '127.0.0.1', '--die-after-stdin', ...flags], { stdio: ['pipe', 'ignore', 'pipe'] })
    let err = ''
    const timer = setTimeout(() => { c.kill('SIGKILL'); reject(new Error('RustBoard did not finish its load cycle in 300 s')) }, 300_000)
    c.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d
      const m = /Finished load cycle \(([\d.]+)(m?s)\)/.exec(err)
      if (m) {
        clearTimeout(timer)
        let peak = NaN
        try { peak = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${c.pid}/status`, 'utf8'))![1]) * 1024 } catch {}
        c.stdin.end()
        c.once('close', () => resolve({ seconds: Number(m[1]) / (m[2] === 'ms' ? 1000 : 1), peakRssBytes: peak }))
        err = ''
      }
    })
    c.on('error', reject)
  })
}

async function main (): Promise<void> {
  if (!existsSync(PYTHON)) {
    progress(`no TensorBoard virtualenv at ${VENV} (bash bench/setup-tensorboard.sh): skipped`)
    report({ scenario: 'tensorboard/compare', metrics: {}, notes: [`skipped: no TensorBoard virtualenv at ${VENV}; run bash bench/setup-tensorboard.sh`] })
    return
  }
  const binary = (await run(PYTHON, ['-c', 'import tensorboard_data_server as s; print(s.server_binary())'])).trim()
  const version = (await run(PYTHON, ['-c', 'import tensorboard; print(tensorboard.__version__)'])).trim()
  const dir = ingestLogdir('simple_value', EVENTS)
  const modes: Array<[string, string[]]> = [['default', []], ['all', ['--samples-per-plugin', 'scalars=all']], ['allChecksum', ['--samples-per-plugin', 'scalars=all', '--checksum']]]
  const secs: Record<string, number[]> = { lossboard: [], default: [], all: [], allChecksum: [] }
  const rss: Record<string, number[]> = { lossboard: [], default: [], all: [], allChecksum: [] }
  let records = 0; let bytes = 0
  for (let r = 0; r < ROUNDS; r++) {
    const order = ['lossboard', ...modes.map(m => m[0])]
    for (let k = 0; k < r % order.length; k++) order.push(order.shift()!)
    for (const what of order) {
      if (what === 'lossboard') {
        const l = await lossboardLoad(dir)
        secs.lossboard!.push(l.seconds); rss.lossboard!.push(l.rssBytes); records = l.records; bytes = l.bytes
      } else {
        const res = await rustboard(binary, dir, modes.find(m => m[0] === what)![1])
        secs[what]!.push(res.seconds); rss[what]!.push(res.peakRssBytes)
      }
    }
    progress(`round ${r + 1}/${ROUNDS}: lossboard ${secs.lossboard!.at(-1)!.toFixed(2)} s, RustBoard default ${secs.default!.at(-1)!.toFixed(2)} s, all ${secs.all!.at(-1)!.toFixed(2)} s, all+checksum ${secs.allChecksum!.at(-1)!.toFixed(2)} s`)
  }
  progress(`TensorBoard's Python loader on ${EVENTS.toLocaleString('en-US')} events (slow) …`)
  // the accumulator reads one run directory (the multiplexer would find it under the logdir)
  const py = JSON.parse((await run(PYTHON, ['-c', PY_LOADER, path.join(dir, 'run')])).trim()) as { seconds: number, points: number, maxRssBytes: number }
  const m = (k: string): number => median(secs[k]!)
  const lb = m('lossboard')
  report({
    scenario: 'tensorboard/compare',
    metrics: {
      events: records,
      bytes,
      lossboardEventsPerSecond: records / lb,
      lossboardMbPerSecond: bytes / 1e6 / lb,
      lossboardRssMB: median(rss.lossboard!) / 1e6,
      rustboardDefaultEventsPerSecond: records / m('default'),
      rustboardDefaultPeakRssMB: median(rss.default!) / 1e6,
      rustboardAllEventsPerSecond: records / m('all'),
      rustboardAllPeakRssMB: median(rss.all!) / 1e6,
      rustboardAllChecksumEventsPerSecond: records / m('allChecksum'),
      rustboardAllChecksumPeakRssMB: median(rss.allChecksum!) / 1e6,
      pythonLoaderEventsPerSecond: records / py.seconds,
      pythonLoaderMbPerSecond: bytes / 1e6 / py.seconds,
      pythonLoaderPeakRssMB: py.maxRssBytes / 1e6,
      speedupVsRustboardDefault: m('default') / lb,
      speedupVsRustboardAll: m('all') / lb,
      speedupVsRustboardAllChecksum: m('allChecksum') / lb,
      speedupVsPythonLoader: py.seconds / lb,
      loadAverage1m: os.loadavg()[0]!
    },
    targets: [
      { what: 'beats RustBoard\'s default mode (which keeps 1,000 points per tag) while keeping every point and checking every CRC', met: lb < m('default') },
      { what: 'uses less memory than RustBoard keeping every point', met: median(rss.lossboard!) < median(rss.all!) }
    ],
    notes: [`tensorboard ${version}, RustBoard ${binary.includes('data_server') ? '(tensorboard-data-server wheel)' : binary}; medians of ${ROUNDS} rounds in fresh processes, order rotated; Python loader run once; lossboard RSS is the whole process after the load`]
  })
}

main().catch((err) => { process.stderr.write(`${(err as Error).stack ?? String(err)}\n`); process.exitCode = 1 })
