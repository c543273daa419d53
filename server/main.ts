/** Entry point: parse the command line, load and watch the logdir, serve. The only file that exits the process. */

import { parseConfig, HELP } from './config.js'
import { createLogger } from './log.js'
import { ScalarStore } from './store/scalar-store.js'
import { LogdirSet } from './logdir/logdir-set.js'
import { sourceFor } from './logdir/logdir-spec.js'
import { SnapshotCache } from './cache/snapshot-cache.js'
import { Alerter } from './alerts/alerter.js'
import path from 'node:path'
import { runLoadCommand } from './load-command.js'
import { createEnrichmentProvider } from './provider/enrichment.js'

async function main (argv: string[]): Promise<void> {
  if (argv[0] === 'load') {
    process.exitCode = await runLoadCommand(argv.slice(1))
    return
  }
  let config
  try {
    config = parseConfig(argv)
  } catch (err) {
    process.stderr.write(`lossboard: ${(err as Error).message}\n\n${HELP}`)
    process.exit(2)
  }
  if (config === 'help') {
    process.stdout.write(HELP)
    return
  }
  const log = createLogger(config.logLevel)
  const store = new ScalarStore()
  const sources = config.parts.map(p => sourceFor(p, { endpoint: config.s3.endpoint, forcePathStyle: config.s3.forcePathStyle, maxConcurrency: config.s3.maxConcurrency, log }))
  const cache = config.cacheDir === null ? undefined : new SnapshotCache(path.join(config.cacheDir, 'runs'), log)
  const loader = new LogdirSet(sources, store, log, { verifyDataCrc: config.verifyDataCrc, cache })
  // Imported here, not at the top, so that `lossboard load` starts without Fastify and chokidar.
  const { buildApp } = await import('./app.js')
  const enrichment = createEnrichmentProvider(store, { desmoothRules: config.desmoothRules, sizes: config.batchSizes })
  // Subscribed before the first load, so that annotations found while loading are considered too.
  const alerter = config.alerts.webhooks.length === 0
    ? null
    : new Alerter(enrichment, { ...config.alerts, publicUrl: config.publicUrl, stateDir: config.cacheDir, log })
  const app = await buildApp({ store, logdir: config.logdir, totals: () => loader.totals(), logger: log, basePath: config.basePath, cors: config.cors, enrichment, alerts: alerter })
  // Listen first: the server answers health and listing requests while the initial load runs.
  await app.listen({ host: config.host, port: config.port })
  log.info({ logdir: config.logdir, url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${(app.server.address() as { port: number }).port}${config.basePath}/` }, 'lossboard listening')
  const stopWatching = await loader.watch({ watch: config.watch, poll: config.poll, rescanIntervalMs: config.rescanIntervalMs, objectPollMs: config.s3.pollMs })
  void loader.reload()
  const shutdown = async (signal: string): Promise<void> => {
    log.info({ signal }, 'shutting down')
    await stopWatching?.()
    alerter?.close()
    await app.close()
    process.exit(0)
  }
  process.once('SIGINT', () => { void shutdown('SIGINT') })
  process.once('SIGTERM', () => { void shutdown('SIGTERM') })
}

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`lossboard: fatal: ${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
})
