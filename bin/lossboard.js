#!/usr/bin/env node
// Starts lossboard. In a checkout (sources and the dev dependency tsx present) it runs the
// TypeScript sources through tsx, so a stale dist/ can never be what runs, and it builds the
// dashboard bundle first if dist/web/ is missing. An installed package without sources runs dist/.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { spawnSync } from 'node:child_process'

const root = new URL('../', import.meta.url)
const at = (rel) => fileURLToPath(new URL(rel, root))

let tsx = null
if (existsSync(at('server/main.ts'))) {
  try { tsx = await import('tsx/esm/api') } catch { tsx = null }
}
if (tsx !== null && !existsSync(at('dist/web/index.html')) && existsSync(at('scripts/build-web.mjs'))) {
  spawnSync(process.execPath, [at('scripts/build-web.mjs')], { cwd: at('.'), stdio: ['ignore', 'ignore', 'inherit'] })
}
if (tsx !== null) {
  tsx.register()
  await import(new URL('server/main.ts', root).href)
} else {
  await import(new URL('dist/server/main.js', root).href)
}
