/**
 * Issue 8 acceptance: incremental equals one pass. Every series of the framework corpus (and a
 * synthetic 20,000-step run with bad batches and an LR jump) is fed point by point, in wall-time
 * order across runs and tags, into a live store whose provider is asked for the run's annotations
 * after every point; the closed annotations at the end must equal those of a provider over the
 * whole logdir loaded at once (kind, severity, steps and the first cause), and an annotation once
 * seen closed must keep its kind, severity and steps (its causes may still gain evidence from a
 * co-logged series that arrives later).
 */

import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { SHARED, tempDir } from '../helpers/paths.js'
import { pointsOf, replay } from '../helpers/replay.js'
import { ScalarStore } from '../../server/store/scalar-store.js'
import { createEnrichmentProvider, type Annotation } from '../../server/provider/enrichment.js'
import { loadStore } from '../../bench/diagnosis/frameworks.js'
import { torchBadBatches } from '../../bench/diagnosis/synth/scenarios.js'

const FRAMEWORKS = path.join(SHARED, 'corpus', 'frameworks')

/** What must not change about a closed annotation once it is closed. */
function event (a: Annotation): string {
  return `${a.run} | ${a.tag} | ${a.kind} | ${a.severity} | ${a.startStep}–${a.endStep}`
}

/** What one pass and the incremental feed must agree on at the end: the event and the cause ranked first. */
function sig (a: Annotation): string {
  return `${event(a)} | ${a.causes[0]?.cause ?? ''}`
}

function closed (as: Annotation[]): Annotation[] { return as.filter(a => !a.open && !a.tentative) }

async function checkIncremental (dir: string): Promise<void> {
  const whole = await loadStore(dir)
  const onePass = closed(whole.provider.annotations({})).map(sig).sort()
  const live = new ScalarStore()
  const p = createEnrichmentProvider(live)
  const seenClosed = new Map<string, string>()
  const rewritten = new Map<string, string>()
  replay(live, pointsOf(whole.store), pt => {
    for (const a of closed(p.annotations({ run: pt.run }))) {
      const before = seenClosed.get(a.id)
      if (before === undefined) seenClosed.set(a.id, event(a))
      else if (before !== event(a) && !rewritten.has(a.id)) rewritten.set(a.id, `${before}  →  ${event(a)}`)
    }
  })
  // The replay rebuilt the same series.
  for (const [run, r] of whole.store.runs) {
    for (const [tag, t] of r.tags) {
      if (t.series === null) continue
      const s = live.runs.get(run)?.tags.get(tag)?.series
      assert.ok(s != null, `${run}:${tag} replayed`)
      assert.deepEqual(Array.from(s.columns().steps.subarray(0, s.length)), Array.from(t.series.columns().steps.subarray(0, t.series.length)), `${run}:${tag} steps`)
    }
  }
  const incremental = closed(p.annotations({})).map(sig).sort()
  const onlyOnePass = onePass.filter(x => !incremental.includes(x))
  const onlyIncremental = incremental.filter(x => !onePass.includes(x))
  assert.ok(rewritten.size === 0, `closed annotations rewritten by later points:\n${[...rewritten.values()].join('\n')}`)
  assert.ok(onlyOnePass.length === 0 && onlyIncremental.length === 0, `one pass only:\n${onlyOnePass.join('\n')}\nincremental only:\n${onlyIncremental.join('\n')}`)
}

for (const family of ['hf', 'keras', 'lightning', 'tbx', 'torch']) {
  test(`incremental equals one pass: frameworks/${family}, point by point`, async () => {
    await checkIncremental(path.join(FRAMEWORKS, family))
  })
}

test('incremental equals one pass: a synthetic 20,000-step run with bad batches and an LR jump', async () => {
  const tmp = tempDir('lossboard-diag-inc-')
  try {
    torchBadBatches(tmp.dir, 3777, 'medium', true)
    await checkIncremental(tmp.dir)
  } finally { tmp.cleanup() }
})
