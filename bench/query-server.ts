/**
 * Child process of bench/query.bench.ts: fills a store in memory with one run ("run") holding one
 * tag ("loss") of N points, serves it on 127.0.0.1 with buildApp, and prints one JSON line with
 * its URL; it answers any IPC message with its process.cpuUsage(). Usage: tsx bench/query-server.ts N [ROOT]. ROOT is the checkout whose server modules
 * are imported (default: this one), so that the same benchmark measures another revision too.
 */

import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { REPO } from './lib.js'

const N = Number(process.argv[2])
const ROOT = path.resolve(process.argv[3] ?? REPO)

async function main (): Promise<void> {
  const { ScalarStore } = await import(pathToFileURL(path.join(ROOT, 'server/store/scalar-store.ts')).href)
  const { buildApp } = await import(pathToFileURL(path.join(ROOT, 'server/app.ts')).href)
  const store = new ScalarStore()
  const run = store.getOrCreateRun('run')
  const tag = run.tag('loss')
  run.metadata(tag, 'scalars', 'loss', '', 1)
  const rssBefore = process.memoryUsage().rss
  const t0 = performance.now()
  // A noisy decaying loss with a spike every 1,000,003 points; every value a float32.
  let x = 0x9e3779b9
  for (let i = 0; i < N; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0
    const v = Math.fround(2 / (1 + i / 1e5) + (x / 2 ** 32) * 0.1 + (i % 1_000_003 === 500_000 ? 5 : 0))
    run.scalarEvent(tag, 1_700_000_000 + i * 0.05, i, v, 'float32')
  }
  const fillMs = performance.now() - t0
  const app = await buildApp({ store, logdir: '/nonexistent', totals: () => ({}) as never, logger: false })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const port = (app.server.address() as { port: number }).port
  process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${port}`, fillMs, rssBytes: process.memoryUsage().rss - rssBefore }) + '\n')
}

process.on('SIGTERM', () => process.exit(0))
// The parent asks for this process's CPU time around a measurement (server CPU per request).
process.on('message', () => { process.send?.(process.cpuUsage()) })

main().catch((err) => { process.stderr.write(String(err?.stack ?? err) + '\n'); process.exit(1) })
