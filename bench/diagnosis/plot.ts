/**
 * Renders one series around its alarms as a PNG, to check alarms by eye (no plotting library: a
 * tiny rasteriser + node:zlib). Blue: logged values; orange: de-smoothed values where they differ;
 * shaded: warning (amber) / critical (red) annotations; grey ticks: info annotations. Log y axis
 * when all values are positive and span more than 20×.
 *
 *   npx tsx bench/diagnosis/plot.ts LOGDIR RUN TAG OUT.png [FROM_STEP TO_STEP]
 */

import { writeFileSync } from 'node:fs'
import { deflateSync } from 'node:zlib'
import { loadStore } from './frameworks.js'

const W = 900; const H = 320; const M = 30

function crc32 (buf: Uint8Array): number {
  let c = ~0
  for (const b of buf) { c ^= b; for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1)) }
  return ~c >>> 0
}

function png (rgb: Uint8Array, w: number, h: number): Buffer {
  const raw = Buffer.alloc((w * 3 + 1) * h)
  for (let y = 0; y < h; y++) { raw[y * (w * 3 + 1)] = 0; Buffer.from(rgb.buffer, y * w * 3, w * 3).copy(raw, y * (w * 3 + 1) + 1) }
  const chunk = (type: string, data: Buffer): Buffer => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length)
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data])
    const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(td))
    return Buffer.concat([len, td, crc])
  }
  const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 2
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))])
}

export async function plot (logdir: string, run: string, tag: string, out: string, from = -Infinity, to = Infinity): Promise<string> {
  const { store, provider } = await loadStore(logdir)
  const s = store.runs.get(run)?.tags.get(tag)?.series
  if (s == null) throw new Error(`no ${run}:${tag}`)
  const c = s.columns()
  const cols = provider.columns(run, tag, { desmoothed: true, smoothed: false, smoothing: 0, desmooth: 'auto' })
  const idx: number[] = []
  for (let i = 0; i < s.length; i++) if (c.steps[i]! >= from && c.steps[i]! <= to) idx.push(i)
  const vals = idx.flatMap(i => [c.values[i]!, cols.desmoothed?.[i] ?? c.values[i]!]).filter(Number.isFinite)
  let lo = Math.min(...vals); let hi = Math.max(...vals)
  const logY = lo > 0 && hi / lo > 20
  const fy = (v: number): number => logY ? Math.log(v) : v
  lo = fy(lo); hi = fy(hi)
  if (hi === lo) { hi += 1; lo -= 1 }
  const x0 = c.steps[idx[0]!]!; const x1 = Math.max(x0 + 1, c.steps[idx.at(-1)!]!)
  const px = (step: number): number => Math.round(M + (step - x0) / (x1 - x0) * (W - 2 * M))
  const py = (v: number): number => Math.round(H - M - (fy(v) - lo) / (hi - lo) * (H - 2 * M))
  const img = new Uint8Array(W * H * 3).fill(255)
  const set = (x: number, y: number, rgb: [number, number, number]): void => {
    if (x < 0 || y < 0 || x >= W || y >= H) return
    img.set(rgb, (y * W + x) * 3)
  }
  const line = (xa: number, ya: number, xb: number, yb: number, rgb: [number, number, number]): void => {
    const n = Math.max(Math.abs(xb - xa), Math.abs(yb - ya), 1)
    for (let k = 0; k <= n; k++) set(Math.round(xa + (xb - xa) * k / n), Math.round(ya + (yb - ya) * k / n), rgb)
  }
  const anns = provider.annotations({ run, tag }).filter(a => a.endStep >= x0 && a.startStep <= x1)
  for (const a of anns) {
    const colour: [number, number, number] = a.severity === 'critical' ? [255, 200, 200] : a.severity === 'warning' ? [255, 230, 170] : [225, 225, 225]
    const xa = px(Math.max(a.startStep, x0)); const xb = Math.max(xa + 1, px(Math.min(a.endStep, x1)))
    for (let x = xa; x <= xb; x++) for (let y = M; y < H - M; y++) if (a.severity !== 'info' || y < M + 12) set(x, y, colour)
  }
  line(M, H - M, W - M, H - M, [0, 0, 0]); line(M, M, M, H - M, [0, 0, 0])
  const draw = (get: (i: number) => number, rgb: [number, number, number]): void => {
    let prev: [number, number] | null = null
    for (const i of idx) {
      const v = get(i)
      if (!Number.isFinite(v) || (logY && v <= 0)) { set(px(c.steps[i]!), M - 4, [200, 0, 0]); prev = null; continue }
      const p: [number, number] = [px(c.steps[i]!), py(v)]
      if (prev !== null) line(prev[0], prev[1], p[0], p[1], rgb)
      else set(p[0], p[1], rgb)
      prev = p
    }
  }
  if (cols.desmoothed !== undefined && idx.some(i => cols.desmoothed![i] !== c.values[i])) draw(i => cols.desmoothed![i]!, [240, 140, 0])
  draw(i => c.values[i]!, [20, 70, 200])
  writeFileSync(out, png(img, W, H))
  return `${run}:${tag} steps ${x0}–${x1}, y ${logY ? 'log ' : ''}${(logY ? Math.exp(lo) : lo).toPrecision(3)}–${(logY ? Math.exp(hi) : hi).toPrecision(3)}; annotations: ${anns.map(a => `${a.kind}/${a.severity}@${a.startStep}-${a.endStep}`).join(', ') || 'none'}`
}

if (process.argv[1]?.endsWith('plot.ts')) {
  const [logdir, run, tag, out, from, to] = process.argv.slice(2)
  if (logdir === undefined || run === undefined || tag === undefined || out === undefined) {
    console.error('usage: tsx bench/diagnosis/plot.ts LOGDIR RUN TAG OUT.png [FROM_STEP TO_STEP]')
    process.exit(2)
  }
  console.log(await plot(logdir, run, tag, out, from === undefined ? -Infinity : Number(from), to === undefined ? Infinity : Number(to)))
}
