/** Builds the dashboard into dist/web/: esbuild bundles web/main.ts (with uPlot) and web/style.css (with uPlot's CSS); index.html is copied. */

import { build } from 'esbuild'
import { copyFile, mkdir, rm } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
// `--outdir DIR` builds elsewhere (the browser test builds into a temp dir so parallel test files never race on dist/).
const flag = process.argv.indexOf('--outdir')
const out = flag > 0 && process.argv[flag + 1] ? path.resolve(process.argv[flag + 1]) : path.join(root, 'dist', 'web')
const started = performance.now()

await rm(out, { recursive: true, force: true })
await mkdir(out, { recursive: true })
const result = await build({
  absWorkingDir: root,
  entryPoints: { main: 'web/main.ts', style: 'web/style.css' },
  outdir: out,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  // ES2020 syntax runs in every evergreen browser; naming browser versions instead made esbuild refuse uPlot's
  // destructuring (its Safari 14 entry), for no benefit.
  target: 'es2020',
  minify: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  logLevel: 'warning',
  metafile: true
})
await copyFile(path.join(root, 'web', 'index.html'), path.join(out, 'index.html'))

const bytes = Object.entries(result.metafile.outputs)
  .filter(([f]) => !f.endsWith('.map'))
  .map(([f, o]) => `${path.basename(f)} ${(o.bytes / 1024).toFixed(1)} KiB`)
process.stdout.write(`build:web → ${path.relative(root, out)}/ (${bytes.join(', ')}) in ${Math.round(performance.now() - started)} ms\n`)
