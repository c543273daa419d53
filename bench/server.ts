/** Starts the real `lossboard` server (server/main.ts) in a child process on 127.0.0.1 and finds its URL. */

import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { REPO, progress } from './lib.js'

/**
 * How the server is run: 'tsx' = `node --import tsx server/main.ts` (the sources, compiled at
 * start-up: what `npm run dev` and bin/lossboard.js in a checkout run); 'dist' = `node
 * dist/server/main.js` (the build, what `npm start` and an installed package run).
 */
export type ServerEntry = 'tsx' | 'dist'

/** Newest modification time (ms) of the files under `dir` whose names end with `ext`. */
function newest (dir: string, ext: string): number {
  let t = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) t = Math.max(t, newest(p, ext))
    else if (e.name.endsWith(ext)) t = Math.max(t, statSync(p).mtimeMs)
  }
  return t
}

/** Builds the server (`npm run build:server`: tsc, then the bundle of dist/server/main.js) when dist/server is missing or older than server/. */
export function ensureServerBuilt (): void {
  let built = 0
  try { built = newest(path.join(REPO, 'dist', 'server'), '.js') } catch {}
  if (built >= newest(path.join(REPO, 'server'), '.ts')) return
  progress('building dist/server (tsc -p tsconfig.json, then scripts/bundle-server.mjs) …')
  const tsc = spawnSync(process.execPath, [path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: REPO, stdio: ['ignore', 'inherit', 'inherit'] })
  if (tsc.status !== 0) throw new Error('tsc -p tsconfig.json failed')
  const bundle = spawnSync(process.execPath, [path.join(REPO, 'scripts', 'bundle-server.mjs')], { cwd: REPO, stdio: ['ignore', 'inherit', 'inherit'] })
  if (bundle.status !== 0) throw new Error('scripts/bundle-server.mjs failed')
}

export interface RunningServer {
  url: string
  child: ChildProcess
  /** Milliseconds from spawn to the "listening" log line. */
  listenMs: number
  stop: () => Promise<void>
}

/**
 * Spawns `node --import tsx server/main.ts --logdir DIR --host 127.0.0.1 --port 0 …` (or `node
 * dist/server/main.js …` with entry 'dist'; call {@link ensureServerBuilt} first) and resolves
 * once it logs its URL (it listens before its initial load, so this is also the first moment a
 * request can be answered). `t0` (hrtime ns) lets the caller time from before the spawn.
 */
export function startServer (logdir: string, extra: string[] = [], t0 = process.hrtime.bigint(), entry: ServerEntry = 'tsx'): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const main = entry === 'tsx' ? ['--import', 'tsx', 'server/main.ts'] : ['dist/server/main.js']
    const child = spawn(process.execPath, [...main, '--logdir', logdir, '--host', '127.0.0.1', '--port', '0', '--log-level', 'info', ...extra], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let buf = ''
    let err = ''
    let done = false
    const stop = (): Promise<void> => new Promise((resolve) => {
      if (child.exitCode !== null) return resolve()
      child.once('exit', () => resolve())
      child.kill('SIGTERM')
    })
    child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d })
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      buf += d
      let nl
      while (!done && (nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl)
        buf = buf.slice(nl + 1)
        try {
          const rec = JSON.parse(line) as { msg?: string, url?: string }
          if (rec.msg === 'lossboard listening' && rec.url) {
            done = true
            resolve({ url: rec.url.replace(/\/$/, ''), child, listenMs: Number(process.hrtime.bigint() - t0) / 1e6, stop })
          }
        } catch {}
      }
      if (done) buf = ''
    })
    child.on('exit', (code) => { if (!done) reject(new Error(`server exited with ${code} before listening: ${err.slice(-2000)}`)) })
  })
}
