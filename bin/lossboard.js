#!/usr/bin/env node
// Runs the compiled server (dist/, made by `npm run build`), or the TypeScript sources through tsx
// when it has not been built yet (a fresh checkout after `npm ci`).
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = new URL('../', import.meta.url)
const compiled = new URL('dist/server/main.js', root)
if (existsSync(fileURLToPath(compiled))) {
  await import(compiled.href)
} else {
  const { register } = await import('tsx/esm/api')
  register()
  await import(new URL('server/main.ts', root).href)
}
