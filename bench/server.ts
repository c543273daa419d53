/** Starts the real `lossboard` server (server/main.ts) in a child process on 127.0.0.1 and finds its URL. */

import { spawn, type ChildProcess } from 'node:child_process'
import { REPO } from './lib.js'

export interface RunningServer {
  url: string
  child: ChildProcess
  /** Milliseconds from spawn to the "listening" log line. */
  listenMs: number
  stop: () => Promise<void>
}

/**
 * Spawns `node --import tsx server/main.ts --logdir DIR --host 127.0.0.1 --port 0 …` and resolves
 * once it logs its URL (it listens before its initial load, so this is also the first moment a
 * request can be answered). `t0` (hrtime ns) lets the caller time from before the spawn.
 */
export function startServer (logdir: string, extra: string[] = [], t0 = process.hrtime.bigint()): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts', '--logdir', logdir, '--host', '127.0.0.1', '--port', '0', '--log-level', 'info', ...extra], {
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
