/** The committed demo logdir is exactly what scripts/make-demo-logdir.ts writes, and shows what it promises. */

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { REPO, tempDir } from '../helpers/paths.js'
import { loadLogdir } from '../helpers/load.js'
import { writeDemoLogdir, treeBytes, DEMO_RUNS } from '../../scripts/make-demo-logdir.js'
import { createEnrichmentProvider } from '../../server/provider/enrichment.js'

const DEMO = path.join(REPO, 'demo-logs')

function files (dir: string, base = dir): string[] {
  const out: string[] = []
  for (const e of readdirSync(dir).sort()) {
    const p = path.join(dir, e)
    if (statSync(p).isDirectory()) out.push(...files(p, base))
    else out.push(path.relative(base, p))
  }
  return out
}

test('demo-logs/ is byte for byte what the script writes (regenerate with npm run demo-logs)', (t) => {
  const { dir, cleanup } = tempDir()
  t.after(cleanup)
  writeDemoLogdir(dir)
  assert.deepEqual(files(DEMO), files(dir))
  for (const f of files(dir)) assert.ok(readFileSync(path.join(DEMO, f)).equals(readFileSync(path.join(dir, f))), `${f} differs`)
  assert.ok(treeBytes(DEMO) < 2 * 1024 * 1024, `${treeBytes(DEMO)} bytes`)
})

test('the demo shows a bad batch and an LR jump (Keras), a spike and a NaN (PyTorch), and overfitting', async () => {
  const { store } = await loadLogdir(DEMO)
  const anns = createEnrichmentProvider(store).annotations({})
  const has = (run: string, tag: string, kind: string, step: number): boolean =>
    anns.some(a => a.run === run && a.tag === tag && a.kind === kind && a.startStep <= step + 3 && a.endStep >= step - 3)
  assert.ok(has(DEMO_RUNS.keras, 'batch_loss', 'spike', 130))
  // The LR jump's loss decays back over ~90 steps (×(1 + 5·e^(−t/50))): a transient, so a spike
  // whose first cause is the raise (as the framework corpus labels hf/lr_x25_jump).
  assert.ok(has(DEMO_RUNS.keras, 'batch_loss', 'spike', 290))
  assert.ok(anns.find(a => a.kind === 'spike' && a.startStep === 290)!.causes[0]!.cause.startsWith('learning-rate change: raised from 0.01 to 0.08'))
  assert.ok(has(DEMO_RUNS.keras, 'batch_loss', 'staircase-artifact', 40))
  assert.ok(has(DEMO_RUNS.pytorch, 'loss', 'spike', 700))
  assert.ok(has(DEMO_RUNS.pytorch, 'loss', 'non-finite', 1960))
  assert.ok(has(DEMO_RUNS.overfitValidation, 'epoch_loss', 'overfitting', 25))
})
