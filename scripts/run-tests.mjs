// Runs every test/**/*.test.ts with node's test runner (Node 20's --test does not expand globs).
// Extra arguments are passed through, e.g. `npm test -- --test-name-pattern=golden`.
import { readdirSync, statSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import path from 'node:path'

function find (dir) {
  const out = []
  for (const e of readdirSync(dir).sort()) {
    const p = path.join(dir, e)
    if (statSync(p).isDirectory()) out.push(...find(p))
    else if (e.endsWith('.test.ts')) out.push(p)
  }
  return out
}

const files = find('test')
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', ...process.argv.slice(2), ...files], { stdio: 'inherit' })
process.exit(r.status ?? 1)
