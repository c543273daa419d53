/** /api/v1/stream: Server-Sent Events for new runs, tags and points, filters, and resumption with Last-Event-ID. */

import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { EventFileBuilder, eventFileName } from '../../server/records/event-writer.js'
import { tempDir } from '../helpers/paths.js'
import { startServer, type Server } from './helpers.js'

interface SseEvent { id?: string, event: string, data: any }

/** A live SSE connection: parses events as they arrive; `next(pred)` waits for a matching one. */
class SseClient {
  readonly events: SseEvent[] = []
  headers: http.IncomingHttpHeaders = {}
  status = 0
  private buf = ''
  private waiters: Array<() => void> = []
  private req: http.ClientRequest | null = null
  private seen = 0

  async open (url: string, headers: Record<string, string> = {}): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.req = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, res => {
        this.status = res.statusCode ?? 0
        this.headers = res.headers
        res.setEncoding('utf8')
        res.on('data', (c: string) => { this.buf += c; this.parse() })
        res.on('error', () => {})
        resolve()
      })
      this.req.on('error', reject)
    })
    return this
  }

  private parse (): void {
    let i
    while ((i = this.buf.indexOf('\n\n')) >= 0) {
      const block = this.buf.slice(0, i)
      this.buf = this.buf.slice(i + 2)
      const ev: Partial<SseEvent> & { dataText?: string } = {}
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue
        const [k, ...rest] = line.split(': ')
        const v = rest.join(': ')
        if (k === 'id') ev.id = v
        else if (k === 'event') ev.event = v
        else if (k === 'data') ev.dataText = v
      }
      if (ev.event !== undefined) this.events.push({ id: ev.id, event: ev.event, data: JSON.parse(ev.dataText ?? 'null') })
    }
    for (const w of this.waiters.splice(0)) w()
  }

  /** The next not-yet-consumed event matching `pred` (events before it are consumed too). */
  async next (pred: (e: SseEvent) => boolean, timeoutMs = 5000): Promise<SseEvent> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      while (this.seen < this.events.length) {
        const e = this.events[this.seen++]!
        if (pred(e)) return e
      }
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(this.events.map(e => e.event))}`)
      await new Promise<void>(resolve => { const t = setTimeout(resolve, left); this.waiters.push(() => { clearTimeout(t); resolve() }) })
    }
  }

  close (): void { this.req?.destroy() }
}

describe('/api/v1/stream', () => {
  const tmp = tempDir()
  let srv: Server
  let trainFile: string
  const clients: SseClient[] = []
  const client = async (query = '', headers: Record<string, string> = {}): Promise<SseClient> => {
    const c = await new SseClient().open(`${srv.origin}/api/v1/stream${query}`, headers)
    clients.push(c)
    return c
  }
  const append = async (file: string, tag: string, steps: number[], value = 0.5): Promise<void> => {
    const b = new EventFileBuilder()
    for (const s of steps) b.scalar(tag, s, 1700000000 + s, value)
    appendFileSync(file, b.bytes())
    await srv.loader.reload()
  }

  before(async () => {
    mkdirSync(path.join(tmp.dir, 'train'))
    trainFile = path.join(tmp.dir, 'train', eventFileName(1700000000))
    writeFileSync(trainFile, new EventFileBuilder().fileVersion(1700000000).scalar('loss', 0, 1700000000, 1).bytes())
    srv = await startServer(tmp.dir)
  })
  after(async () => {
    for (const c of clients) c.close()
    await srv.close()
    tmp.cleanup()
  })

  it('greets with hello, then announces appended points with their step range', async () => {
    const c = await client()
    assert.equal(c.status, 200)
    assert.match(String(c.headers['content-type']), /^text\/event-stream/)
    assert.equal(c.headers['content-encoding'], undefined)
    const hello = await c.next(e => e.event === 'hello')
    assert.match(hello.data.lastEventId, /^[0-9a-f]+-\d+$/)
    await append(trainFile, 'loss', [1, 2, 3])
    const p = await c.next(e => e.event === 'points')
    assert.deepEqual({ ...p.data, lastWallTime: undefined }, {
      type: 'points', run: 'train', tag: 'loss', firstStep: 1, lastStep: 3, minStep: 1, maxStep: 3, fromIndex: 1, count: 3, totalPoints: 4, lastWallTime: undefined, restart: false
    })
    assert.equal(p.data.lastWallTime, 1700000003)
    assert.match(p.id!, /^[0-9a-f]+-\d+$/)
  })

  it('announces a new tag before its first points, and a step going back as a restart', async () => {
    const c = await client()
    await c.next(e => e.event === 'hello')
    await append(trainFile, 'acc', [4, 5])
    const added = await c.next(e => e.event === 'tag-added')
    assert.deepEqual(added.data, { type: 'tag-added', run: 'train', tag: 'acc' })
    const pts = await c.next(e => e.event === 'points')
    assert.equal(pts.data.tag, 'acc')
    await append(trainFile, 'loss', [2, 3])
    const back = await c.next(e => e.event === 'points' && e.data.tag === 'loss')
    assert.equal(back.data.restart, true)
    assert.equal(back.data.minStep, 2)
  })

  it('announces new runs and removed runs', async () => {
    const c = await client()
    await c.next(e => e.event === 'hello')
    mkdirSync(path.join(tmp.dir, 'eval'))
    const evalFile = path.join(tmp.dir, 'eval', eventFileName(1700000500))
    writeFileSync(evalFile, new EventFileBuilder().fileVersion(1700000500).scalar('loss', 10, 1700000510, 0.3).bytes())
    await srv.loader.reload()
    assert.deepEqual((await c.next(e => e.event === 'run-added')).data, { type: 'run-added', run: 'eval' })
    const pts = await c.next(e => e.event === 'points')
    assert.equal(pts.data.run, 'eval')
  })

  it('passes only the events of the selected runs and tags', async () => {
    const c = await client('?run=train&tagRe=^lo')
    await c.next(e => e.event === 'hello')
    await append(path.join(tmp.dir, 'eval', eventFileName(1700000500)), 'loss', [11])
    await append(trainFile, 'acc', [6])
    await append(trainFile, 'loss', [7])
    const p = await c.next(e => e.event === 'points')
    assert.deepEqual([p.data.run, p.data.tag, p.data.firstStep], ['train', 'loss', 7])
    const byRe = await client('?runRe=^ev&tag=loss')
    await byRe.next(e => e.event === 'hello')
    await append(trainFile, 'loss', [8])
    await append(path.join(tmp.dir, 'eval', eventFileName(1700000500)), 'loss', [12])
    const q = await byRe.next(e => e.event === 'points')
    assert.deepEqual([q.data.run, q.data.firstStep], ['eval', 12])
  })

  it('replays the events missed since Last-Event-ID, and asks a client with a foreign id to reset', async () => {
    const c = await client()
    await c.next(e => e.event === 'hello')
    await append(trainFile, 'loss', [20])
    const seen = await c.next(e => e.event === 'points')
    c.close()
    // 1. While the client is away, two appends happen.
    await append(trainFile, 'loss', [21])
    await append(trainFile, 'loss', [22, 23])
    await new Promise(resolve => setImmediate(resolve))
    // 2. It reconnects with the id of the last event it saw and gets exactly the two it missed.
    const again = await client('', { 'last-event-id': seen.id! })
    const a = await again.next(e => e.event === 'points')
    const b = await again.next(e => e.event === 'points')
    assert.deepEqual([a.data.firstStep, b.data.firstStep, b.data.lastStep], [21, 22, 23])
    const viaQuery = await client(`?lastEventId=${encodeURIComponent(seen.id!)}`)
    assert.equal((await viaQuery.next(e => e.event === 'points')).data.firstStep, 21)
    // 3. An id from another server process cannot be resumed.
    const foreign = await client('', { 'last-event-id': 'deadbeef-5' })
    const reset = await foreign.next(e => e.event === 'reset')
    assert.equal(reset.data.reason, 'the event id is from another server process')
  })

  it('ends open streams when the server closes, so close() does not wait for clients', async () => {
    const other = await startServer(tmp.dir)
    const c = await new SseClient().open(`${other.origin}/api/v1/stream`)
    await c.next(e => e.event === 'hello')
    const t0 = Date.now()
    await other.close()
    assert.ok(Date.now() - t0 < 2000, `close took ${Date.now() - t0} ms`)
    c.close()
  })
})
