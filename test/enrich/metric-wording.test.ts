/**
 * Cause and explanation texts fit the metric: a drop of an accuracy or a reward is described as a
 * drop of that metric, never as a bad batch or a loss spike, and a NaN in a metric other than the
 * loss names that metric. Checked on files written by our writer and on the public corpus.
 */

import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { mkdirSync, writeFileSync } from 'node:fs'
import { PUBLIC, tempDir } from '../helpers/paths.js'
import { loadLogdir } from '../helpers/load.js'
import { Rng } from '../helpers/scenarios.js'
import { EventFileBuilder, eventFileName } from '../../server/records/event-writer.js'
import { createEnrichmentProvider, type Annotation } from '../../server/provider/enrichment.js'
import { higherIsBetter } from '../../server/enrich/families.js'

/** Loss vocabulary that must never describe a metric that should rise (a line that starts "<metric> jumped" or "<metric> reached"). */
const LOSS_WORDS = /bad batch|loss spike|^\S+( \S+)? (jumped|reached)\b|stepped up|stayed higher|kept rising|kept growing|swung up|has climbed|upward trend|rose steadily/im

function text (a: Annotation): string {
  return [a.explanation, ...a.causes.flatMap(c => [c.cause, c.evidence])].join('\n')
}

/** One run of 2,000 points per tag, written by our event writer. */
function writeRun (dir: string, run: string, series: Record<string, (i: number) => number>, n = 2000): void {
  const runDir = path.join(dir, run)
  mkdirSync(runDir, { recursive: true })
  const b = new EventFileBuilder().fileVersion(1.7e9)
  for (let i = 0; i < n; i++) for (const [tag, f] of Object.entries(series)) b.scalar(tag, i, 1.7e9 + i, f(i))
  writeFileSync(path.join(runDir, eventFileName(1.7e9, run)), b.bytes())
}

test('our writer: an accuracy drop, a reward drop and a NaN in f1 are worded for their metric; a loss spike stays a bad batch', async (t) => {
  const { dir, cleanup } = tempDir()
  t.after(cleanup)
  const rng = new Rng(17)
  const noise = (s: number): number => s * rng.gauss()
  writeRun(dir, 'metrics', {
    // A single evaluation at a third of the usual accuracy.
    'val/accuracy': i => (i === 1200 ? 0.3 : 0.9) + noise(0.005),
    // The reward falls from 50 to 30 at step 1000 and stays there.
    'train/reward': i => (i >= 1000 ? 30 : 50) + noise(0.5),
    // F1 is undefined (NaN) from step 1500 on.
    'eval/f1': i => i >= 1500 ? NaN : 0.8 + noise(0.004),
    // The loss of the same run: one bad batch at step 800.
    loss: i => (i === 800 ? 10 : 1) * Math.exp(noise(0.05))
  })
  const { store } = await loadLogdir(dir)
  const all = createEnrichmentProvider(store).annotations({})
  const at = (tag: string, kind: string): Annotation => {
    const a = all.find(x => x.tag === tag && x.kind === kind)
    assert.ok(a, `${kind} on ${tag}: ${all.map(x => `${x.tag} ${x.kind}@${x.startStep}`).join(', ')}`)
    return a
  }

  const acc = at('val/accuracy', 'spike')
  assert.equal(acc.startStep, 1200)
  assert.match(acc.causes[0]!.cause, /drop of val\/accuracy/)
  assert.match(acc.causes[0]!.evidence, /^val\/accuracy fell to 0\.[23]\d* at step 1200, ×3\.\d below its local median 0\.(9|89)/)
  assert.match(acc.explanation, /^val\/accuracy dropped at step 1200/)
  assert.doesNotMatch(text(acc), LOSS_WORDS)

  const rew = at('train/reward', 'level-shift')
  assert.match(rew.causes[0]!.evidence, /train\/reward stayed at about ×1\.\d below its baseline 50/)
  assert.match(rew.explanation, /^train\/reward stepped down .* and stayed lower/)
  assert.match(rew.explanation, /drop of a metric that should rise/)
  assert.doesNotMatch(text(rew), LOSS_WORDS)
  // The generic "(learning-rate change, instability, …)" cause is not an attached learning-rate change.
  assert.doesNotMatch(rew.explanation, /learning-rate change came shortly before/)

  const f1 = at('eval/f1', 'non-finite')
  assert.match(f1.causes[0]!.evidence, /^eval\/f1: first non-finite value \(NaN\) at step 1500/)
  assert.match(f1.explanation, /^eval\/f1 became NaN or infinite at step 1500\. It is not the loss/)
  assert.doesNotMatch(f1.explanation, /weights are probably corrupted\.|NaN\/Inf in the loss/)

  const loss = at('loss', 'spike')
  assert.equal(loss.startStep, 800)
  assert.match(loss.causes[0]!.cause, /one bad batch/)
  assert.match(loss.causes[0]!.evidence, /^loss reached 10(\.\d+)? at step 800, ×\d+(\.\d)? its local median/)
  assert.match(loss.explanation, /^loss jumped at step 800/)
})

test('public corpus: accuracy and reward annotations never read as a loss, and the SB3 explained_variance NaN names its diagnostic', async () => {
  const { store } = await loadLogdir(PUBLIC)
  const all = createEnrichmentProvider(store).annotations({})
  const rising = all.filter(a => higherIsBetter(a.tag) && a.kind !== 'restart' && a.kind !== 'staircase-artifact')
  // The corpus has accuracy drops (PyTorch tutorial, Keras batch accuracies): at least a few.
  const drops = rising.filter(a => a.kind === 'spike')
  assert.ok(drops.length >= 3, `accuracy drops in the corpus: ${drops.length}`)
  for (const a of rising) {
    assert.doesNotMatch(text(a), LOSS_WORDS, `${a.run} ${a.tag} ${a.kind}@${a.startStep}`)
    if (a.kind === 'spike') {
      assert.match(a.causes[0]!.evidence, /fell to .* below (its|the) local median/, `${a.run} ${a.tag}`)
      assert.match(a.explanation, /dropped/)
    }
  }
  const ev = all.filter(a => a.tag === 'train/explained_variance' && a.kind === 'non-finite')
  assert.ok(ev.length >= 1, 'SB3 runs carry NaN explained variance')
  for (const a of ev) {
    assert.equal(a.severity, 'info')
    assert.match(a.explanation, /^train\/explained_variance is a diagnostic statistic of the optimiser, not a loss/)
    assert.match(a.causes[0]!.cause, /the diagnostic train\/explained_variance was undefined/)
    assert.doesNotMatch(text(a), /in the loss|weights are probably corrupted/)
  }
})
