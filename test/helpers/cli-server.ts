/** Starts the real `lossboard` command on 127.0.0.1 (port 0) and waits until it listens. */

import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { REPO } from './paths.js'

const BIN = path.join(REPO, 'bin', 'lossboard.js')

export interface RunningServer {
  /** Base URL ending in '/'. */
  url: string
  /** Every JSON log line so far. */
  lines: Array<Record<string, unknown>>
  child: ChildProcess
  /** Polls /healthz until the initial load is done; resolves to the ms it took from the spawn. */
  ready: (timeoutMs?: number) => Promise<number>
  stop: () => Promise<void>
}

export async function startLossboard (args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunningServer> {
  const t0 = performance.now()
  const child = spawn(process.execPath, [BIN, '--port', '0', '--log-level', 'info', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env }
  })
  const lines: Array<Record<string, unknown>> = []
  let stderr = ''
  child.stderr!.setEncoding('utf8')
  child.stderr!.on('data', (d: string) => { stderr += d })
  let buf = ''
  child.stdout!.setEncoding('utf8')
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: string) => {
      buf += d
      let nl
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl)
        buf = buf.slice(nl + 1)
        let l: Record<string, unknown>
        try { l = JSON.parse(line) } catch { continue }
        lines.push(l)
        if (l.msg === 'lossboard listening') resolve(String(l.url))
      }
    })
    child.once('exit', code => reject(new Error(`lossboard exited with ${code}: ${stderr}`)))
  })
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
  return {
    url,
    lines,
    child,
    ready: async (timeoutMs = 60_000) => {
      const deadline = Date.now() + timeoutMs
      while (Date.now() < deadline) {
        const h = await (await fetch(`${url}healthz`)).json() as { loading: boolean }
        if (!h.loading) return performance.now() - t0
        await new Promise(resolve => setTimeout(resolve, 10))
      }
      throw new Error('not ready in time')
    },
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM')
      await exited
    }
  }
}
