/** One typed Config for the server, parsed and validated once from the command line. */

import { parseArgs } from 'node:util'
import { PACKAGE_ROOT } from './locations.js'
import path from 'node:path'
import { readFileSync } from 'node:fs'
import { parseLogdirSpec, type LogdirPart } from './logdir/logdir-spec.js'

export interface Config {
  /** The logdir as given (absolute path or s3:// URL), or the --logdir-spec string. */
  logdir: string
  /** The logdirs served: one unnamed part for --logdir, the parts of --logdir-spec. */
  parts: LogdirPart[]
  /** Object storage: endpoint (MinIO…; else AWS_ENDPOINT_URL / AWS), path-style addressing, poll interval (ms), GETs in flight. */
  s3: { endpoint: string | undefined, forcePathStyle: boolean, pollMs: number, maxConcurrency: number }
  /** Directory of the restart cache (never inside a logdir); null = off. */
  cacheDir: string | null
  /** Alert webhooks; empty = off. */
  alerts: { webhooks: string[], on: 'critical' | 'warning', runRe: RegExp | null, tagRe: RegExp | null, format: 'slack' | 'generic' }
  /** Public base URL of this lossboard, for links in alerts ('' = none). */
  publicUrl: string
  host: string
  port: number
  /** Poll the file system instead of using native events (network filesystems). */
  poll: boolean
  /** Safety-net full rescan period, ms; 0 disables it. */
  rescanIntervalMs: number
  /** Verify data CRCs (length CRCs are always verified). */
  verifyDataCrc: boolean
  /** URL prefix when served behind a reverse proxy, '' or '/something'. */
  basePath: string
  /** Allowed CORS origins ('*' or a comma-separated list); '' = CORS off. */
  cors: string
  logLevel: string
  /** Watch the logdir for changes (false: load once). */
  watch: boolean
  /** Per-run de-smoothing overrides (`--desmooth [PATTERN=]MODE`), first match wins; PATTERN is a regex searched in the run name. */
  desmoothRules: Array<{ pattern: RegExp, mode: 'auto' | 'running-mean' | 'none' }>
  /** Dataset and batch size for exact last-batch de-smoothing (`--dataset-size [PATTERN=]N --batch-size [PATTERN=]N`), paired by pattern. */
  batchSizes: Array<{ pattern: RegExp | null, sizes: { datasetSize: number, batchSize: number } }>
  /** Access token (`--auth-token` or LOSSBOARD_TOKEN); '' = no authentication. */
  authToken: string
  /** Host names accepted besides loopback (DNS-rebinding guard); empty = any Host. */
  allowedHosts: string[]
  /** PEM files for HTTPS; both or neither. */
  tlsCert: string | null
  tlsKey: string | null
  /** Follow symlinks that lead outside the logdir. */
  followSymlinks: boolean
  /** Seconds a graceful shutdown may take before the process exits anyway. */
  shutdownTimeoutMs: number
  /** Limits: concurrent connections, SSE streams in total and per client address. */
  maxConnections: number
  maxStreams: number
  maxStreamsPerClient: number
}

/**
 * Default connection cap: three quarters of the soft descriptor limit and at least 64 below it
 * (the rest stays for Node itself, event files and the watcher, so many clients cannot starve
 * the loader into EMFILE), at most 4096.
 */
export function defaultMaxConnections (): number {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'))
    if (m !== null && m[1] !== 'unlimited') { const n = Number(m[1]); return Math.max(8, Math.min(4096, Math.floor(n * 0.75), n - 64)) }
  } catch {}
  return 1024
}

/** True when binding `host` exposes the server only to this machine. */
export function isLoopbackBind (host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(?:\.\d{1,3}){3}$/.test(host)
}

/** The demo logdir shipped in the package (written by our own event writer). */
export function demoLogdir (): string {
  return path.join(PACKAGE_ROOT, 'demo-logs')
}

export const HELP = `lossboard — TensorBoard-compatible scalar server with de-smoothing and jump annotations

Usage:
  lossboard [--logdir DIR] [options]        serve a logdir (default: the bundled demo logdir)
  lossboard load DIR [--json]               ingest DIR once, print statistics, exit

Options:
  --logdir DIR|s3://B/P  directory of event files (runs are its subdirectories), or a bucket
                         prefix in S3-compatible object storage                     [demo-logs]
  --logdir-spec SPEC     several logdirs: name1:/path/a,name2:s3://b/p (runs are name/run;
                         TensorBoard's --logdir_spec rules); instead of --logdir
  --s3-endpoint URL      S3-compatible endpoint (MinIO, Ceph, R2…)         [AWS_ENDPOINT_URL]
  --s3-path-style        path-style addressing (http://host/bucket/key), for most self-hosted stores
  --s3-poll-interval SEC how often object storage is listed for new bytes             [5]
  --s3-max-requests N    most GET requests in flight at once                            [8]
  --cache-dir DIR        persist decoded files here for instant restarts (off by default;
                         never inside a logdir)
  --alert-webhook URL    POST new annotations here (repeatable; Slack/Discord-style 'text')
  --alert-on LEVEL       critical|warning: least severity that alerts                 [critical]
  --alert-run REGEX      alert only for runs matching REGEX
  --alert-tag REGEX      alert only for tags matching REGEX
  --alert-format FORMAT  slack (a 'text' field plus the fields) | generic (the fields)  [slack]
  --public-url URL       this lossboard's URL as users reach it, for chart links in alerts
  --host HOST            interface to bind                                          [127.0.0.1]
  --port PORT            port to listen on (0 = any free port)                      [6006]
  --poll                 poll the file system instead of native events (NFS, SMB, sshfs)
  --rescan-interval SEC  safety-net full rescan period; 0 disables                  [30]
  --once                 load the logdir once, do not watch it
  --no-crc               skip data-CRC checks (length CRCs are always checked)
  --base-path PATH       serve under a URL prefix, e.g. /lossboard (reverse proxies, JupyterHub)
  --cors ORIGINS         allow browser notebooks from ORIGINS ('*' or comma-separated)
  --log-level LEVEL      trace|debug|info|warn|error                                [info]
  --auth-token TOKEN     require TOKEN on every route but /healthz and /readyz: a bearer header
                         for API clients, a login page (HttpOnly cookie) for browsers. Prefer the
                         LOSSBOARD_TOKEN environment variable: arguments show up in ps
  --allowed-hosts HOSTS  comma-separated Host names accepted besides loopback ones (DNS-rebinding
                         guard; '.example.com' accepts subdomains)                     [any]
  --tls-cert FILE        serve HTTPS with this PEM certificate (needs --tls-key)
  --tls-key FILE         private key of --tls-cert (PEM)
  --follow-symlinks      also follow symlinks that lead outside the logdir
  --shutdown-timeout SEC on SIGTERM/SIGINT, close streams and connections within SEC, then exit [10]
  --max-connections N    concurrent connections; more get 503  [3/4 of the descriptor limit and ≥ 64 below it, ≤ 4096]
  --max-streams N        concurrent /api/v1/stream clients in total; more get 503   [1000]
  --max-streams-per-client N  the same per client address; more get 429            [500]
  --desmooth [PAT=]MODE  de-smoothing of runs whose name matches the regex PAT (all runs without
                         PAT): auto (invert recognised Keras running means), running-mean
                         (always invert), none (never); repeatable, first match wins     [auto]
  --dataset-size [PAT=]N training samples per epoch and batch size: with both, the short
  --batch-size [PAT=]N   last batch of each epoch is de-smoothed exactly (else flagged approximate)
  -h, --help             show this help
`

/** Thrown for bad command lines; main prints the message and the help, and exits 2. */
export class ConfigError extends Error {}

export function parseConfig (argv: string[], env: Record<string, string | undefined> = process.env): Config | 'help' {
  const { values } = parseArgs({
    args: argv,
    allowPositionals: false,
    options: {
      logdir: { type: 'string' },
      'logdir-spec': { type: 'string' },
      's3-endpoint': { type: 'string' },
      's3-path-style': { type: 'boolean' },
      's3-poll-interval': { type: 'string' },
      's3-max-requests': { type: 'string' },
      'cache-dir': { type: 'string' },
      'alert-webhook': { type: 'string', multiple: true },
      'alert-on': { type: 'string' },
      'alert-run': { type: 'string' },
      'alert-tag': { type: 'string' },
      'alert-format': { type: 'string' },
      'public-url': { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      poll: { type: 'boolean' },
      'rescan-interval': { type: 'string' },
      once: { type: 'boolean' },
      'no-crc': { type: 'boolean' },
      'base-path': { type: 'string' },
      cors: { type: 'string' },
      'log-level': { type: 'string' },
      desmooth: { type: 'string', multiple: true },
      'dataset-size': { type: 'string', multiple: true },
      'batch-size': { type: 'string', multiple: true },
      'auth-token': { type: 'string' },
      'allowed-hosts': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'follow-symlinks': { type: 'boolean' },
      'shutdown-timeout': { type: 'string' },
      'max-connections': { type: 'string' },
      'max-streams': { type: 'string' },
      'max-streams-per-client': { type: 'string' },
      help: { type: 'boolean', short: 'h' }
    }
  })
  if (values.help) return 'help'
  const port = Number(values.port ?? '6006')
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`--port must be an integer 0..65535, got '${values.port}'`)
  const rescan = Number(values['rescan-interval'] ?? '30')
  if (!Number.isFinite(rescan) || rescan < 0) throw new ConfigError(`--rescan-interval must be a number of seconds ≥ 0, got '${values['rescan-interval']}'`)
  let basePath = values['base-path'] ?? ''
  if (basePath !== '') {
    if (!basePath.startsWith('/')) throw new ConfigError(`--base-path must start with '/', got '${basePath}'`)
    basePath = basePath.replace(/\/+$/, '')
  }
  const tlsCert = values['tls-cert'] ?? null
  const tlsKey = values['tls-key'] ?? null
  if ((tlsCert === null) !== (tlsKey === null)) throw new ConfigError('--tls-cert and --tls-key go together')
  const shutdown = Number(values['shutdown-timeout'] ?? '10')
  if (!Number.isFinite(shutdown) || shutdown <= 0) throw new ConfigError(`--shutdown-timeout must be a number of seconds > 0, got '${values['shutdown-timeout']}'`)
  const count = (flag: string, v: string | undefined, dflt: number): number => {
    if (v === undefined) return dflt
    const n = Number(v)
    if (!Number.isInteger(n) || n < 1) throw new ConfigError(`--${flag} must be a positive integer, got '${v}'`)
    return n
  }
  const level = values['log-level'] ?? 'info'
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(level)) throw new ConfigError(`--log-level must be one of trace|debug|info|warn|error, got '${level}'`)
  if (values.logdir !== undefined && values['logdir-spec'] !== undefined) throw new ConfigError('--logdir and --logdir-spec cannot be used together')
  let parts: LogdirPart[]
  let logdir: string
  if (values['logdir-spec'] !== undefined) {
    parts = parseLogdirSpec(values['logdir-spec'])
    if (parts.length === 0) throw new ConfigError('--logdir-spec names no logdir')
    logdir = values['logdir-spec']
  } else {
    const given = values.logdir ?? demoLogdir()
    logdir = given.startsWith('s3://') ? given : path.resolve(given)
    parts = [{ name: null, location: logdir }]
  }
  const pollSec = Number(values['s3-poll-interval'] ?? '5')
  if (!Number.isFinite(pollSec) || pollSec <= 0) throw new ConfigError(`--s3-poll-interval must be a number of seconds > 0, got '${values['s3-poll-interval']}'`)
  const maxReq = Number(values['s3-max-requests'] ?? '8')
  if (!Number.isInteger(maxReq) || maxReq < 1) throw new ConfigError(`--s3-max-requests must be an integer ≥ 1, got '${values['s3-max-requests']}'`)
  const cacheDir = values['cache-dir'] === undefined ? null : path.resolve(values['cache-dir'])
  if (cacheDir !== null) {
    for (const p of parts) {
      if (p.location.includes('://')) continue
      const rel = path.relative(p.location, cacheDir)
      if (rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))) throw new ConfigError(`--cache-dir must not be inside a logdir (${p.location} stays read-only)`)
    }
  }
  const alertOn = values['alert-on'] ?? 'critical'
  if (alertOn !== 'critical' && alertOn !== 'warning') throw new ConfigError(`--alert-on must be critical or warning, got '${alertOn}'`)
  const alertFormat = values['alert-format'] ?? 'slack'
  if (alertFormat !== 'slack' && alertFormat !== 'generic') throw new ConfigError(`--alert-format must be slack or generic, got '${alertFormat}'`)
  const regex = (flag: string, v: string | undefined): RegExp | null => {
    if (v === undefined) return null
    try { return new RegExp(v) } catch (err) { throw new ConfigError(`${flag}: '${v}' is not a valid regular expression (${(err as Error).message})`) }
  }
  const webhooks = values['alert-webhook'] ?? []
  for (const w of webhooks) if (!/^https?:\/\//.test(w)) throw new ConfigError(`--alert-webhook must be an http(s) URL, got '${w}'`)
  return {
    logdir,
    parts,
    s3: { endpoint: values['s3-endpoint'], forcePathStyle: values['s3-path-style'] ?? false, pollMs: pollSec * 1000, maxConcurrency: maxReq },
    cacheDir,
    alerts: { webhooks, on: alertOn, runRe: regex('--alert-run', values['alert-run']), tagRe: regex('--alert-tag', values['alert-tag']), format: alertFormat },
    publicUrl: (values['public-url'] ?? '').replace(/\/+$/, ''),
    host: values.host ?? '127.0.0.1',
    port,
    poll: values.poll ?? false,
    rescanIntervalMs: rescan * 1000,
    verifyDataCrc: !(values['no-crc'] ?? false),
    basePath,
    cors: values.cors ?? '',
    logLevel: level,
    watch: !(values.once ?? false),
    desmoothRules: parseDesmoothRules(values.desmooth ?? []),
    batchSizes: parseBatchSizes(values['dataset-size'] ?? [], values['batch-size'] ?? []),
    authToken: values['auth-token'] ?? env.LOSSBOARD_TOKEN ?? '',
    allowedHosts: (values['allowed-hosts'] ?? '').split(',').map(h => h.trim()).filter(h => h !== ''),
    tlsCert,
    tlsKey,
    followSymlinks: values['follow-symlinks'] ?? false,
    shutdownTimeoutMs: shutdown * 1000,
    maxConnections: count('max-connections', values['max-connections'], defaultMaxConnections()),
    maxStreams: count('max-streams', values['max-streams'], 1000),
    maxStreamsPerClient: count('max-streams-per-client', values['max-streams-per-client'], 500)
  }
}

/** `[PATTERN=]VALUE` split at the last '='; PATTERN compiled as a regex (null when absent). */
function patternValue (flag: string, arg: string): { pattern: RegExp | null, source: string, value: string } {
  const at = arg.lastIndexOf('=')
  if (at < 0) return { pattern: null, source: '', value: arg }
  const source = arg.slice(0, at)
  try {
    return { pattern: new RegExp(source), source, value: arg.slice(at + 1) }
  } catch (err) {
    throw new ConfigError(`${flag}: '${source}' is not a valid regular expression (${(err as Error).message})`)
  }
}

function parseDesmoothRules (args: string[]): Config['desmoothRules'] {
  return args.map(arg => {
    const { pattern, value } = patternValue('--desmooth', arg)
    if (value !== 'auto' && value !== 'running-mean' && value !== 'none') throw new ConfigError(`--desmooth mode must be auto, running-mean or none, got '${value}'`)
    return { pattern: pattern ?? /(?:)/, mode: value }
  })
}

function parseBatchSizes (datasetArgs: string[], batchArgs: string[]): Config['batchSizes'] {
  const positive = (flag: string, v: string): number => {
    const n = Number(v)
    if (!Number.isInteger(n) || n <= 0) throw new ConfigError(`${flag} must be a positive integer, got '${v}'`)
    return n
  }
  const datasets = datasetArgs.map(a => patternValue('--dataset-size', a))
  const batches = batchArgs.map(a => patternValue('--batch-size', a))
  const out: Config['batchSizes'] = []
  for (const d of datasets) {
    const b = batches.find(x => x.source === d.source)
    if (b === undefined) throw new ConfigError(`--dataset-size ${d.source === '' ? '' : d.source + '='}${d.value} needs a --batch-size ${d.source === '' ? '' : d.source + '='}N for the same runs`)
    out.push({ pattern: d.pattern, sizes: { datasetSize: positive('--dataset-size', d.value), batchSize: positive('--batch-size', b.value) } })
  }
  for (const b of batches) {
    if (!datasets.some(d => d.source === b.source)) throw new ConfigError(`--batch-size ${b.source === '' ? '' : b.source + '='}${b.value} needs a --dataset-size for the same runs`)
  }
  // Patterned entries first: a specific pattern beats the global one.
  return out.sort((a, b) => (a.pattern === null ? 1 : 0) - (b.pattern === null ? 1 : 0))
}
