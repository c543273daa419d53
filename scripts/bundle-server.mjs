/**
 * Replaces dist/server/main.js (tsc's output) with one esbuild bundle of it and the packages it
 * imports, so that starting the built server reads one file instead of ~900. Run after tsc (the
 * server half of `npm run build`); the other compiled files stay, for the worker threads.
 */

import { build } from 'esbuild'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/*
 * Why: Node resolves, reads and compiles every module of a package separately, and Fastify with
 * its plugins, TypeBox (266 ES modules), yaml and protobufjs are ~900 files: on this project's
 * 2-core VM that was most of the time from spawn to listening (BENCHMARKS.md section 12).
 *
 * Kept outside the bundle, loaded from node_modules at run time:
 * - pino and its transports: pino starts pino-pretty in a worker thread by file name;
 * - @node-rs/crc32: a native addon;
 * - what is loaded only on demand, so that a start without it pays nothing: the S3 SDK (s3://
 *   logdirs) and Fastify's response serializer compiler (server/http/lazy-compilers.ts).
 * Paths that depend on where a module sits are resolved by server/locations.ts, which sits at
 * the top of server/, like the bundle in dist/server/.
 */
const EXTERNAL = [
  'pino', 'pino-pretty', 'thread-stream',
  '@node-rs/crc32',
  '@aws-sdk/client-s3',
  '@fastify/fast-json-stringify-compiler'
]

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const main = path.join(root, 'dist', 'server', 'main.js')
const started = performance.now()

const result = await build({
  absWorkingDir: root,
  entryPoints: [main],
  // Written below: esbuild will not overwrite its input.
  write: false,
  outfile: main,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: EXTERNAL,
  // The CommonJS packages in the bundle call require() for Node's built-ins and the externals.
  banner: { js: "import { createRequire as lossboardCreateRequire } from 'node:module'; const require = lossboardCreateRequire(import.meta.url);" },
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning'
})
for (const f of result.outputFiles) await writeFile(f.path, f.contents)
const bytes = result.outputFiles.find(f => f.path === main)?.contents.length ?? 0
process.stdout.write(`build:server → dist/server/main.js bundled (${(bytes / 1024 / 1024).toFixed(1)} MiB) in ${Math.round(performance.now() - started)} ms\n`)
