/** A real lossboard process (bin/lossboard.js) for tests that need signals, resource limits or another user. */

import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { readFileSync } from 'node:fs'
import { REPO } from './paths.js'

export const BIN = path.join(REPO, 'bin', 'lossboard.js')

export interface Child {
  proc: ChildProcess
  /** Base URL with a trailing slash, from the 'lossboard listening' line. */
  url: string
  /** Every JSON log line so far. */
  lines: Array<Record<string, unknown>>
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  exited: Promise<number | string>
  /** Sends a signal and waits for the exit. */
  stop: (signal?: NodeJS.Signals) => Promise<number | string>
  /** Resident set size in bytes (Linux /proc). */
  rss: () => number
}

/**
 * Starts `[...prefix, node, bin/lossboard.js, ...args]` (prefix: e.g. prlimit or setpriv) and
 * waits until it listens. `onLine` sees each log line as it arrives.
 */
export async function startChild (args: string[], opts: { prefix?: string[], env?: Record<string, string>, timeoutMs?: number } = {}): Promise<Child> {
  const prefix = opts.prefix ?? []
  const cmd = [...prefix, process.execPath, BIN, '--port', '0', '--log-level', 'info', ...args]
  const proc = spawn(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } })
  const lines: Array<Record<string, unknown>> = []
  let buf = ''
  let stderr = ''
  proc.stderr!.setEncoding('utf8')
  proc.stderr!.on('data', (d: string) => { stderr += d })
  const exited = new Promise<number | string>(resolve => proc.once('exit', (code, sig) => resolve(code ?? sig ?? -1)))
  proc.stdout!.setEncoding('utf8')
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no 'lossboard listening' within ${opts.timeoutMs ?? 30_000} ms; stderr: ${stderr}`)), opts.timeoutMs ?? 30_000)
    proc.stdout!.on('data', (d: string) => {
      buf += d
      let nl
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl)
        buf = buf.slice(nl + 1)
        let l: Record<string, unknown>
        try { l = JSON.parse(line) } catch { continue }
        lines.push(l)
        if (l.msg === 'lossboard listening') { clearTimeout(timer); resolve(String(l.url)) }
      }
    })
    void exited.then(code => { clearTimeout(timer); reject(new Error(`exited ${code} before listening; stderr: ${stderr}`)) })
  })
  return {
    proc,
    url,
    lines,
    exited,
    stop: async (signal = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal)
      return await exited
    },
    rss: () => {
      // with a prefix (prlimit, setpriv) the node process is the same pid: both exec it
      try {
        const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'))
        return m === null ? 0 : Number(m[1]) * 1024
      } catch { return 0 }
    }
  }
}

/** Polls `fn` every 50 ms until it returns true or `ms` pass; returns whether it did. */
export async function until (fn: () => Promise<boolean> | boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms
  for (;;) {
    try { if (await fn()) return true } catch {}
    if (Date.now() > end) return false
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}
