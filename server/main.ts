/** Entry point: parse the command line, load and watch the logdir, serve. The only file that exits the process. */

import { readFileSync } from 'node:fs'
import { parseConfig, HELP, isLoopbackBind } from './config.js'
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
  const sources = config.parts.map(p => sourceFor(p, { endpoint: config.s3.endpoint, forcePathStyle: config.s3.forcePathStyle, maxConcurrency: config.s3.maxConcurrency, log }, { followSymlinks: config.followSymlinks }))
  // Constructed before the HTTP server is built: it starts reading the entries of these locations in worker threads.
  const cache = config.cacheDir === null ? undefined : new SnapshotCache(path.join(config.cacheDir, 'runs'), log, { locations: sources.map(s => s.location) })
  const loader = new LogdirSet(sources, store, log, { verifyDataCrc: config.verifyDataCrc, followSymlinks: config.followSymlinks, cache })
  let alerter: Alerter | null = null
  // Signal handlers first: a SIGTERM during start-up or the first scan still shuts down cleanly.
  let app: Awaited<ReturnType<typeof import('./app.js')['buildApp']>> | null = null
  let stopWatching: (() => Promise<void>) | null = null
  let stopping = false
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return
    stopping = true
    log.info({ signal, deadlineSeconds: config.shutdownTimeoutMs / 1000 }, 'shutting down')
    // Past the deadline, exit anyway (slow clients, a stuck read): the process must not linger.
    const deadline = setTimeout(() => {
      log.warn({ signal }, 'shutdown deadline reached; exiting with connections still open')
      process.exit(0)
    }, config.shutdownTimeoutMs)
    deadline.unref()
    loader.stop()
    // Also writes what changed to the restart cache and closes the sources.
    await stopWatching?.().catch(() => {})
    alerter?.close()
    if (app !== null) {
      // Stop accepting, end event streams (preClose), then close idle keep-alive sockets; close()
      // waits for in-flight responses until the deadline above.
      const closing = app.close()
      app.server.closeIdleConnections?.()
      await closing
    }
    clearTimeout(deadline)
    process.exit(0)
  }
  process.once('SIGINT', () => { void shutdown('SIGINT') })
  process.once('SIGTERM', () => { void shutdown('SIGTERM') })
  // Imported here, not at the top, so that `lossboard load` starts without Fastify and chokidar.
  const { buildApp } = await import('./app.js')
  const enrichment = createEnrichmentProvider(store, { desmoothRules: config.desmoothRules, sizes: config.batchSizes })
  // Subscribed before the first load, so that annotations found while loading are considered too.
  alerter = config.alerts.webhooks.length === 0
    ? null
    : new Alerter(enrichment, { ...config.alerts, publicUrl: config.publicUrl, stateDir: config.cacheDir, log })
  const https = config.tlsCert !== null && config.tlsKey !== null ? { cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey) } : undefined
  app = await buildApp({
    store,
    logdir: config.logdir,
    sources,
    totals: () => loader.totals(),
    logger: log,
    basePath: config.basePath,
    cors: config.cors,
    enrichment,
    authToken: config.authToken,
    allowedHosts: config.allowedHosts,
    https,
    limits: { maxConnections: config.maxConnections, maxStreams: config.maxStreams, maxStreamsPerClient: config.maxStreamsPerClient },
    alerts: alerter
  })
  if (stopping) return
  // Listen first: the server answers health and listing requests while the initial load runs.
  await app.listen({ host: config.host, port: config.port })
  const scheme = https !== undefined ? 'https' : 'http'
  log.info({ logdir: config.logdir, url: `${scheme}://${config.host.includes(':') ? `[${config.host}]` : config.host}:${(app.server.address() as { port: number }).port}${config.basePath}/`, auth: config.authToken !== '' }, 'lossboard listening')
  if (!isLoopbackBind(config.host) && config.authToken === '') {
    log.warn({ host: config.host }, `WARNING: listening on ${config.host}, beyond this machine, WITHOUT authentication: anyone who can reach this port can read every run. ` +
      'Set LOSSBOARD_TOKEN (or --auth-token), and consider --allowed-hosts and --tls-cert/--tls-key.')
  }
  // The analyses behind annotations (de-smoothing, jump detection) wait until the initial load is
  // done, then catch up in the background in time slices: reading or restoring the logdir is not
  // slowed by them, readiness does not wait for them, and until they are done /api/v1/annotations
  // answers 202 "computing" for the series they have not reached (the request's own series first).
  const releaseEager = enrichment.holdEager()
  void loader.reload().finally(releaseEager)
  if (!stopping) {
    // Local parts are watched (with --once: not), object-storage parts polled; the returned stop also writes the restart cache.
    stopWatching = await loader.watch({ watch: config.watch, poll: config.poll, rescanIntervalMs: config.rescanIntervalMs, followSymlinks: config.followSymlinks, objectPollMs: config.s3.pollMs })
    // What changed between the first scan's listing and the watcher being ready is picked up here.
    if (config.watch) loader.structureChanged()
  }
}

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`lossboard: fatal: ${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
})
