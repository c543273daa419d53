/** One problem, one warning: pieces of a divergence become information inside it; a gradient norm's level is no alarm. */

import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { CORPUS } from '../helpers/paths.js'
import { loadLogdir } from '../helpers/load.js'
import { createEnrichmentProvider } from '../../server/provider/enrichment.js'
import { foldOnEmit, isFolded, PART_OF } from '../../server/enrich/containment.js'
import { makeEvent, type JumpEvent } from '../../server/enrich/events.js'

const FRAMEWORKS = path.join(CORPUS, 'frameworks')

function event (kind: JumpEvent['kind'], severity: JumpEvent['severity'], start: number, end: number, open: boolean): JumpEvent {
  const steps = Array.from({ length: 100 }, (_, i) => i * 10)
  return makeEvent({ steps, wallTimes: steps }, { kind, severity, start, end, ratio: 3, robustZ: 8, baseline: 1, peak: 3, open, cause: { cause: `${kind} cause`, evidence: '' } })
}

test('foldOnEmit: a new piece inside a known divergence, and open pieces inside a new one, become information; closed ones stay', () => {
  const closed = event('spike', 'warning', 22, 22, false)
  const open = event('level-shift', 'warning', 25, 40, true)
  const before = event('level-shift', 'warning', 10, 40, true)
  const div = event('divergence', 'critical', 20, 45, true)
  const folded = foldOnEmit(div, [before, closed, open])
  assert.deepEqual(folded, [open])
  assert.equal(open.severity, 'info')
  assert.ok(open.causes[0]!.cause.startsWith(`${PART_OF}the divergence from step 200`), open.causes[0]!.cause)
  assert.equal(open.causes[1]!.cause, 'level-shift cause', 'its own cause is kept, second')
  assert.equal(closed.severity, 'warning', 'a closed event is never rewritten')
  assert.equal(before.severity, 'warning', 'a piece that started before the divergence is not part of it')
  const later = event('spike', 'warning', 30, 30, false)
  assert.deepEqual(foldOnEmit(later, [before, closed, open, div]), [later])
  assert.ok(isFolded(later))
  const outside = event('spike', 'warning', 60, 60, false)
  assert.deepEqual(foldOnEmit(outside, [div]), [])
  assert.ok(!isFolded(outside))
  // An info container (none today) holds nothing.
  const quiet = event('oscillation', 'info', 0, 99, true)
  assert.deepEqual(foldOnEmit(event('spike', 'warning', 50, 50, false), [quiet]), [])
})

test('Keras explode_nan (genuine): the level shift where the blow-up began is information inside the critical divergence', async () => {
  const { store } = await loadLogdir(path.join(FRAMEWORKS, 'keras'))
  const anns = createEnrichmentProvider(store).annotations({ run: 'explode_nan/train', tag: 'batch_loss' }).filter(a => !a.tentative)
  const div = anns.find(a => a.kind === 'divergence')
  assert.ok(div !== undefined, anns.map(a => `${a.kind}@${a.startStep}`).join(' '))
  assert.equal(div.severity, 'critical')
  // The shift's change point may come a few points before the divergence's start: the same excursion.
  const shift = anns.find(a => a.kind === 'level-shift' && a.startStep <= div.endStep && a.endStep >= div.startStep)
  assert.ok(shift !== undefined, 'the blow-up was first seen as a level shift')
  assert.equal(shift.severity, 'info')
  assert.match(shift.causes[0]!.cause, /^part of the divergence from step \d+/)
  assert.match(shift.explanation, /one piece of a larger event/)
  assert.ok(anns.some(a => a.kind === 'non-finite' && a.severity === 'critical'), 'the NaN/Inf that ends it is still its own critical annotation')
})

test('PyTorch gradnorm_precedes (genuine): the gradient norm keeps its spikes as warnings, its early rise of level is information', async () => {
  const { store } = await loadLogdir(path.join(FRAMEWORKS, 'torch'))
  const anns = createEnrichmentProvider(store).annotations({ run: 'gradnorm_precedes', tag: 'train/grad_norm' }).filter(a => !a.tentative)
  const shifts = anns.filter(a => a.kind === 'level-shift')
  assert.ok(shifts.length >= 1, anns.map(a => `${a.kind}@${a.startStep}`).join(' '))
  for (const s of shifts) assert.equal(s.severity, 'info', `level shift at ${s.startStep}`)
  const spikes = anns.filter(a => a.kind === 'spike' && a.severity === 'warning')
  assert.ok(spikes.length >= 3, `the accumulation windows are still warnings: ${spikes.map(a => a.startStep).join(' ')}`)
})
