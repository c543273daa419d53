/** Module boundaries of ../shared/STYLE.md §2: each server file imports only what its layer may. */

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { REPO } from './helpers/paths.js'

function files (dir: string): string[] {
  const out: string[] = []
  for (const e of readdirSync(dir)) {
    const p = path.join(dir, e)
    if (statSync(p).isDirectory()) out.push(...files(p))
    else if (p.endsWith('.ts')) out.push(p)
  }
  return out
}

/** Non-type imports of a file (with `types`, type imports too): relative paths resolved to repo-relative form, packages by name. */
function imports (file: string, types = false): string[] {
  const src = readFileSync(file, 'utf8')
  const out: string[] = []
  for (const m of src.matchAll(/^import\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]|^import\s+['"]([^'"]+)['"]|import\(['"]([^'"]+)['"]\)/gm)) {
    if (m[1] && !types) continue // `import type` has no runtime effect
    const spec = m[2] ?? m[3] ?? m[4]!
    out.push(spec.startsWith('.') ? path.relative(REPO, path.resolve(path.dirname(file), spec)).replace(/\\/g, '/') : spec)
  }
  return out
}

/** For each layer: what its files may NOT import (by repo path prefix or package name). */
const FORBIDDEN: Record<string, RegExp> = {
  'server/domain.ts': /./,
  'server/records/': /^(server\/(store|logdir|enrich|provider|http)|node:fs|fastify|chokidar|pino)/,
  'server/store/': /^(server\/(records|logdir|enrich|provider|http)|node:|fastify|chokidar|pino|protobufjs)/,
  'server/enrich/': /^(server\/(records|logdir|store\/scalar-store|provider|http)|node:|fastify|chokidar|pino|protobufjs)/,
  'server/logdir/': /^(server\/(enrich|provider|http)|fastify)/,
  'server/provider/': /^(server\/(records|logdir|http)|fastify|chokidar|protobufjs)/,
  'server/http/': /^(server\/(records|logdir)|protobufjs|chokidar)/
}

test('every server file respects its layer\'s import rules', () => {
  const violations: string[] = []
  for (const f of files(path.join(REPO, 'server'))) {
    const rel = path.relative(REPO, f).replace(/\\/g, '/')
    for (const [layer, forbidden] of Object.entries(FORBIDDEN)) {
      if (!rel.startsWith(layer)) continue
      for (const imp of imports(f)) if (forbidden.test(imp) && !imp.startsWith('server/domain')) violations.push(`${rel} imports ${imp}`)
    }
  }
  assert.deepEqual(violations, [])
})

test('HTTP routes see the provider, never the store: server/http imports nothing of server/store, not even types', () => {
  const violations: string[] = []
  for (const f of files(path.join(REPO, 'server', 'http'))) {
    for (const imp of imports(f, true)) if (imp.startsWith('server/store')) violations.push(`${path.relative(REPO, f)} imports ${imp}`)
  }
  assert.deepEqual(violations, [])
})

test('the analysis in server/enrich is pure: it imports nothing of the store, the provider or HTTP, not even types', () => {
  const violations: string[] = []
  for (const f of files(path.join(REPO, 'server', 'enrich'))) {
    for (const imp of imports(f, true)) if (/^server\/(store|provider|http|logdir|records)/.test(imp)) violations.push(`${path.relative(REPO, f)} imports ${imp}`)
  }
  assert.deepEqual(violations, [])
})

test('the provider keeps no per-series pipeline: server/provider/enrichment.ts constructs no detector, inverter or tracker of enrich', () => {
  const src = readFileSync(path.join(REPO, 'server', 'provider', 'enrichment.ts'), 'utf8')
  const built = [...src.matchAll(/new\s+(JumpDetector|StaircaseDetector|OverfittingDetector|LrStepTracker|LrScheduleTracker|ScheduleAnnotator|SeriesAnalysis)\b/g)].map(m => m[1])
  assert.deepEqual(built, [])
})

test('only server/records/proto.ts imports protobufjs', () => {
  const users = files(path.join(REPO, 'server')).filter(f => imports(f).includes('protobufjs')).map(f => path.relative(REPO, f))
  assert.deepEqual(users, ['server/records/proto.ts'])
})

test('web/ imports no runtime server code', () => {
  let webFiles: string[] = []
  try { webFiles = files(path.join(REPO, 'web')) } catch { return }
  for (const f of webFiles) {
    for (const imp of imports(f)) assert.ok(!imp.startsWith('server/'), `${path.relative(REPO, f)} imports ${imp}`)
  }
})
