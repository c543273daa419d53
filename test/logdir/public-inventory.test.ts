/** Every event file of corpus/public loads; per run and tag, points and step range match INVENTORY.md. */

import { test, before } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { PUBLIC } from '../helpers/paths.js'
import { loadLogdir, type Loaded } from '../helpers/load.js'

interface Expected { count: number, min: number, max: number }

/**
 * Parses INVENTORY.md: sections `### \`source\`` hold `#### \`file path\`` entries whose tables list
 * `| tag | values | value kind | plugin | steps | ...`. A row is a scalar series when its kind is
 * simple_value, or a rank-0 tensor (`tensor<dtype>[]`) under the scalars plugin. Rows of the files
 * of one directory are summed into that directory's run.
 */
function parseInventory (): Map<string, Map<string, Expected>> {
  const text = readFileSync(path.join(PUBLIC, 'INVENTORY.md'), 'utf8')
  const runs = new Map<string, Map<string, Expected>>()
  let source = ''
  let run: string | null = null
  for (const line of text.split('\n')) {
    const src = /^### `([^`]+)`/.exec(line)
    if (src) { source = src[1]!; run = null; continue }
    const file = /^#### `([^`]+)`/.exec(line)
    if (file) { run = path.posix.dirname(path.posix.join(source, file[1]!)); continue }
    if (run === null) continue
    const row = /^\| `(.*)` \| (\d+) \| ([^|]+) \| ([^|]+) \| (-?\d+)\.\.(-?\d+) \|/.exec(line)
    if (!row) continue
    const [, tag, values, kind, plugin, lo, hi] = row
    const isScalar = kind!.trim() === 'simple_value' || (/^tensor<\w+>\[\]$/.test(kind!.trim()) && plugin!.trim() === 'scalars')
    if (!isScalar) continue
    let tags = runs.get(run)
    if (!tags) runs.set(run, tags = new Map())
    const prev = tags.get(tag!)
    const e = { count: Number(values), min: Number(lo), max: Number(hi) }
    tags.set(tag!, prev ? { count: prev.count + e.count, min: Math.min(prev.min, e.min), max: Math.max(prev.max, e.max) } : e)
  }
  return runs
}

let L: Loaded
let inventory: Map<string, Map<string, Expected>>
before(async () => {
  L = await loadLogdir(PUBLIC)
  inventory = parseInventory()
})

test('INVENTORY.md parses into runs with scalar tags', () => {
  assert.ok(inventory.size >= 40, `${inventory.size} runs`)
})

test('per run and tag: the number of points and the step range match INVENTORY.md', () => {
  let checked = 0
  for (const [run, tags] of inventory) {
    const r = L.store.runs.get(run)
    assert.ok(r, `run ${run} is loaded`)
    for (const [tag, e] of tags) {
      const s = r.tags.get(tag)?.series
      assert.ok(s, `${run}: ${tag} has points`)
      const steps = s.columns().steps
      let min = Infinity; let max = -Infinity
      for (const st of steps) { if (st < min) min = st; if (st > max) max = st }
      assert.deepEqual({ count: s.length, min, max }, e, `${run}: ${tag}`)
      checked++
    }
  }
  assert.ok(checked >= 200, `${checked} series checked`)
})

test('every file is read to its end; only the Git LFS pointer is "not an event file", with a logged reason', () => {
  const bad: string[] = []
  for (const r of L.store.runs.values()) {
    for (const f of r.files) {
      if (f.state !== 'active') bad.push(`${f.file}: ${f.state}`)
      else assert.equal(f.skippedRecords + f.skippedBytes, 0, f.file)
    }
  }
  assert.equal(bad.length, 1, bad.join('\n'))
  assert.match(bad[0]!, /^lfs-pointer-not-an-event-file\/.*: not-an-event-file$/)
  const log = L.logs.find(l => String(l.msg).startsWith('not an event file'))
  assert.ok(log && String(log.file).startsWith('lfs-pointer-not-an-event-file/'))
})
