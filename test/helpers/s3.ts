/**
 * A real S3-protocol server for the tests: s3rver (an npm S3 API implementation, in its own
 * process, files in a temp directory) behind a small HTTP proxy on 127.0.0.1 that counts requests
 * and injects faults on demand: 503 SlowDown answers, and a connection dropped in the middle of
 * a ranged GET's body. Clients are the real AWS SDK v3.
 */

import { spawn, type ChildProcess } from 'node:child_process'
import http from 'node:http'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { S3Client, PutObjectCommand, DeleteObjectCommand, type S3ClientConfig } from '@aws-sdk/client-s3'
import { tempDir } from './paths.js'

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'

const MAIN = fileURLToPath(new URL('./s3rver-main.cjs', import.meta.url))

/** Static test credentials (s3rver accepts these) and settings the old server understands. */
export const S3_TEST_CLIENT: S3ClientConfig = {
  credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  region: 'us-east-1'
}

export interface RequestRecord { method: string, url: string, range: string | undefined, status: number }

export interface S3TestServer {
  /** The proxy's URL: what lossboard is pointed at. */
  endpoint: string
  bucket: string
  /** Every request that reached the proxy, in order. */
  requests: RequestRecord[]
  /** The next `n` requests (matching `filter`) get a 503 SlowDown. */
  fail503: (n: number, filter?: (method: string, url: string) => boolean) => void
  /** The next ranged GET gets its headers and half its body, then the connection is destroyed. */
  cutNextRangedGet: () => void
  put: (key: string, body: Buffer | string) => Promise<void>
  remove: (key: string) => Promise<void>
  /** Uploads every file under `dir` (symlinks followed) as `prefix/relative/path`. */
  uploadDir: (dir: string, prefix: string) => Promise<number>
  close: () => Promise<void>
}

export async function startS3 (bucket = 'logs'): Promise<S3TestServer> {
  const store = tempDir('lossboard-s3rver-')
  const child: ChildProcess = spawn(process.execPath, ['--openssl-legacy-provider', MAIN, store.dir, bucket], { stdio: ['ignore', 'pipe', 'inherit'] })
  const port = await new Promise<number>((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /^(\d+)\n/.exec(out)
      if (m !== null) resolve(Number(m[1]))
    })
    child.once('exit', code => reject(new Error(`s3rver exited with ${code}`)))
  })
  const requests: RequestRecord[] = []
  let fail: { n: number, filter: (method: string, url: string) => boolean } = { n: 0, filter: () => true }
  let cut = false
  const proxy = http.createServer((req, res) => {
    const rec: RequestRecord = { method: req.method ?? '', url: req.url ?? '', range: req.headers.range, status: 0 }
    requests.push(rec)
    if (fail.n > 0 && fail.filter(rec.method, rec.url)) {
      fail.n--
      rec.status = 503
      req.resume()
      res.writeHead(503, { 'content-type': 'application/xml' })
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>')
      return
    }
    const cutThis = cut && rec.method === 'GET' && rec.range !== undefined
    if (cutThis) cut = false
    const up = http.request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers }, upRes => {
      rec.status = upRes.statusCode ?? 0
      res.writeHead(upRes.statusCode ?? 502, upRes.headers)
      if (!cutThis) { upRes.pipe(res); return }
      const total = Number(upRes.headers['content-length'] ?? 0)
      let sent = 0
      upRes.on('data', (d: Buffer) => {
        if (sent >= total / 2) return
        const part = d.subarray(0, Math.max(1, Math.floor(total / 2) - sent))
        sent += part.length
        res.write(part)
        if (sent >= total / 2) res.socket?.destroy()
      })
    })
    up.on('error', () => res.destroy())
    req.pipe(up)
  })
  await new Promise<void>(resolve => proxy.listen(0, '127.0.0.1', resolve))
  const endpoint = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`
  const client = new S3Client({ ...S3_TEST_CLIENT, endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' })
  const put = async (key: string, body: Buffer | string): Promise<void> => {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: typeof body === 'string' ? Buffer.from(body) : body }))
  }
  return {
    endpoint,
    bucket,
    requests,
    fail503: (n, filter = () => true) => { fail = { n, filter } },
    cutNextRangedGet: () => { cut = true },
    put,
    remove: async (key) => { await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })) },
    uploadDir: async (dir, prefix) => {
      const files: string[] = []
      const walk = (d: string): void => {
        for (const e of readdirSync(d)) {
          const full = path.join(d, e)
          if (statSync(full).isDirectory()) walk(full)
          else files.push(full)
        }
      }
      walk(dir)
      for (let i = 0; i < files.length; i += 8) {
        await Promise.all(files.slice(i, i + 8).map(f => put(`${prefix}/${path.relative(dir, f).split(path.sep).join('/')}`, readFileSync(f))))
      }
      return files.length
    },
    close: async () => {
      client.destroy()
      await new Promise<void>(resolve => { proxy.closeAllConnections(); proxy.close(() => resolve()) })
      const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
      child.kill('SIGTERM')
      await exited
      store.cleanup()
    }
  }
}
